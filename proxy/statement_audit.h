// The statement side of a session's audit (issue #5 points 1-2): a `statement` event submitted
// before each Query, Execute and FunctionCall is forwarded (write-ahead), a `statement_done` when
// its reply ends (audit_replies.h), and the counts a `session_end` reports.
//
// Extended protocol: Parse gives a prepared statement's SQL (analysed once, at its first
// Execute), Bind ties a portal to it with its parameters; those are recorded masked by the
// session's profile when one applies (a parameter cannot be tied to a column, so each is rendered
// whole by the profile's values mask), otherwise only counted. Runs on the session's thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "audit/event.h"
#include "audit/writer.h"
#include "masking/profile.h"
#include "proxy/audit_replies.h"
#include "proxy/masked_relay.h"
#include "proxy/proxy_metrics.h"
#include "proxy/statement_refusal.h"
#include "proxy/wire/bytes.h"

namespace proxy {

struct StatementAuditOptions {
  audit::Writer* writer = nullptr;  // not null
  audit::SessionRef session;
  std::function<audit::TextMode()> text_mode;                         // the role's, now (reloadable)
  std::function<std::shared_ptr<const masking::Profile>()> profile;  // empty or null: no masking
  MaskingState* masking = nullptr;                                    // masked columns per statement
  ProxyMetrics* metrics = nullptr;                                    // null: no /metrics series
};

// io_error: the audit log's storage failed (PostgreSQL's class 58, "system error").
inline constexpr std::string_view kAuditRefusalSqlstate = "58030";

struct StatementCounts {
  std::uint64_t statements = 0, refusals = 0, rows = 0;
  std::uint64_t bytes_from_client = 0, bytes_to_client = 0;
  std::uint64_t dropped = 0;   // statements run although their event was not recorded (continue)
};

class StatementAudit {
 public:
  explicit StatementAudit(StatementAuditOptions options);

  // Every frontend message, before it is forwarded. For a Query, Execute or FunctionCall the
  // statement event is submitted and its ticket returned: hold the message until the ticket
  // completes, then call proceed() or refuse().
  std::optional<audit::Ticket> on_frontend(char type, pgwire::Bytes body);
  // The held statement is forwarded as sent.
  void proceed();
  // It is forwarded although its event was not recorded (on_failure: continue): counted, logged.
  void proceed_unrecorded(const std::string& why);
  // The held statement could not be recorded (on_failure: block): what to send instead, which
  // makes the server refuse it in place (statement_refusal.h): a Query for a Query or
  // FunctionCall, a failing Parse of pgveil's own statement name for an Execute.
  std::string refuse(char type, const std::string& why);
  // A backend ErrorResponse that answers one of refuse()'s substitutes: `out` gets the client's.
  bool swap_error(const pgwire::ErrorFields& fields, std::string& out) { return refusals_.swap_error(fields, out); }
  bool refusals_pending() const { return refusals_.pending(); }
  // Every backend message as it goes to the client (after masking and error swaps).
  void on_backend(char type, pgwire::Bytes body);
  void sent_to_client(std::size_t bytes) { counts_.bytes_to_client += bytes; }

  const StatementCounts& counts() const { return counts_; }

 private:
  struct Prepared {
    std::string sql;
    std::optional<audit::StatementInfo> info;  // analysed at the first Execute
    audit::TextMode mode = audit::TextMode::kNormalized;
  };
  struct Portal {
    std::shared_ptr<Prepared> statement;  // null: Bind named a statement we never saw
    std::string statement_name;
    std::vector<std::optional<std::string>> params;  // masked; empty when only counted
    std::size_t param_count = 0;
  };
  struct Held {
    char type;
    std::uint64_t id;
  };

  const audit::StatementInfo& analyze_text(std::string_view sql, audit::TextMode mode);
  void on_bind(pgwire::Bytes body);
  // Serializes the statement event from the session's own state (no copy into an Event).
  audit::Ticket submit(char type, std::string_view prepared_name, const audit::StatementInfo& info,
                       std::span<const std::optional<std::string>> params = {}, std::size_t param_count = 0);
  void flush_done();

  StatementAuditOptions options_;
  std::unordered_map<std::string, std::shared_ptr<Prepared>> statements_;
  std::unordered_map<std::string, Portal> portals_;
  std::unordered_map<std::string, audit::StatementInfo> text_cache_;   // simple queries, by mode + text
  AuditReplies replies_;
  std::vector<AuditReplies::Done> done_;
  std::string line_;  // the event being serialized, reused
  std::optional<Held> held_;
  RequestRefusals refusals_;
  std::uint64_t next_id_ = 1;
  StatementCounts counts_;
};

}  // namespace proxy
