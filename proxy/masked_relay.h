// The relay observers of a session under a masking profile (issue #4).
//
// Frontend: before each Execute it sends Describe(portal), so every result's description, with
// the formats Bind chose, arrives right before its rows (reply_order.h tells those answers apart
// and they are swallowed). Backend: each RowDescription becomes a masking::Plan; DataRows are
// rewritten by it; a plan that refuses turns the result into ERROR 42501 (its rows are dropped);
// ErrorResponse/NoticeResponse fields and NOTIFY payloads go through the value detectors; COPY TO
// STDOUT is masked by the detectors or refused; FunctionCall results are refused (large objects
// bypass column rules). Nothing that can carry a row value is forwarded without passing here.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <vector>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>

#include "masking/plan.h"
#include "masking/profile.h"
#include "policy/sql_references.h"
#include "proxy/column_catalog.h"
#include "proxy/name_risks.h"
#include "proxy/protocol_tracker.h"
#include "proxy/relay.h"
#include "proxy/reply_order.h"
#include "proxy/statement_gate.h"
#include "proxy/statement_risk.h"
#include "proxy/wire/bytes.h"
#include "proxy/wire/error.h"

namespace proxy {

struct MaskingCounters {
  std::uint64_t rows = 0, masked_values = 0, refused_results = 0;
};

// Shared by both directions of one session (they run on one thread).
struct MaskingState {
  std::string role;
  // The role's profile now (SIGHUP may change it): asked once per result, not per row.
  std::function<std::shared_ptr<const masking::Profile>()> current_profile;
  std::shared_ptr<const ColumnCatalog> catalog;
  ReplyOrder order;
  // Whether a prepared statement / portal may derive values from masked columns (its SQL).
  NameRisks names;
  // set_config() ran: settings (SHOW, current_setting, application_name) may hold masked values.
  bool settings_tainted = false;
  // Functions the session created (CREATE FUNCTION): unknown to the catalog, so unprovable.
  std::set<std::string> session_functions;
  masking::Plan plan;                  // of the result being streamed
  // A result was refused (the error was sent): drop the server's replies until ReadyForQuery, as
  // the server skips to Sync after an error of its own (PROTOCOL.md 22).
  bool refusing = false;
  bool copy_out = false;               // CopyData rows under the detectors
  std::shared_ptr<const masking::Profile> copy_profile;
  MaskingCounters counters;
  // With audit on: values masked per column ("schema.table.column", or the result column's name
  // for computed ones; "(detected)" for spans the value detectors replaced), until the audit
  // takes them for the statement's statement_done.
  bool count_columns = false;
  std::vector<std::string> plan_masked;   // names of the current plan's columns under a rule
  std::map<std::string, std::uint64_t> masked_columns;
};

struct MaskedFrontendObserver {
  ProtocolTracker& tracker;
  MaskingState& state;
  StatementGate& gate;
  Verdict on_message(char type, pgwire::Bytes body, bool complete, std::string& replacement);
  bool needs_whole(char type) const { return type == 'E' || gate.needs_whole(type); }
};

struct MaskedBackendObserver {
  ProtocolTracker& tracker;
  MaskingState& state;
  bool& fatal_seen;
  StatementGate& gate;
  Verdict on_message(char type, pgwire::Bytes body, bool complete, std::string& replacement);
  // Every message that can carry data is rewritten whole (bounded by the relay's max_message).
  bool needs_whole(char) const { return true; }

 private:
  Verdict on_description(pgwire::Bytes body, std::string& replacement);
  Verdict on_row(pgwire::Bytes body, std::string& replacement);
  Verdict on_copy_out(pgwire::Bytes body, std::string& replacement);
  Verdict refuse(std::string message, std::string hint, std::string& replacement);
  Verdict on_error_or_notice(char type, pgwire::Bytes body, std::string& replacement);
  Verdict while_refusing(char type, pgwire::Bytes body, std::string& replacement);
};



// ErrorResponse/NoticeResponse fields through the profile's detectors; for data exceptions and
// integrity violations (classes 22, 23), whose messages quote values, and for any error or notice
// of a statement that reads masked columns (derived: a cast to regclass quotes the value in a 42P01,
// RAISE prints anything), the quoted values, DETAIL and CONTEXT are hidden whole, and so is
// a derived statement's RAISE message. Returns false if nothing changed. Pure.
bool mask_error_fields(const masking::Profile& profile, pgwire::ErrorFields& fields, bool derived = false);

}  // namespace proxy
