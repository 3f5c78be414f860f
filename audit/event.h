// The audit event model (issue #5, schema in audit/SCHEMA.md).
//
// Events are plain values built by the proxy on a session's strand and handed to
// Writer::submit(); each serializes to one JSON object (one line in a file sink, which adds
// "seq" and "prev", chain.h). Nothing here may carry a secret or an unmasked value: statement
// text arrives already normalized (statement.h) and parameters already masked by the session's
// profile.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "audit/statement.h"
#include "audit/time_format.h"

namespace audit {

// Who and under what grant: repeated on every session-scoped event so that each line can be
// filtered (tail --person/--grant) and reported on without joining.
struct SessionRef {
  std::uint64_t id = 0;  // proxy-assigned, unique per process run; 0 before a session exists
  std::string person;
  std::optional<std::int64_t> grant_id;
  std::string role;
  std::string database;
};

struct SessionStart {
  SessionRef session;
  std::string client_addr;  // "ip:port"
  std::optional<std::string> tls;  // protocol version ("TLSv1.3"), absent for plaintext
  std::string application_name;
};

struct SessionEnd {
  SessionRef session;
  std::chrono::milliseconds duration{0};
  std::uint64_t statements = 0, refusals = 0, rows = 0;
  std::uint64_t bytes_from_client = 0, bytes_to_client = 0;
  std::string reason;  // "client terminated", "grant expired", "grant revoked", "upstream closed", ...
  std::uint64_t audit_dropped = 0;  // on_failure: continue: this session's statements run unrecorded
};

struct AuthFailure {
  std::string person, database, client_addr;
  std::optional<std::int64_t> grant_id;
  std::string method;  // "scram-sha-256"
  std::string reason;  // never the attempted password
  std::string sqlstate;
};

// A refused connection or statement. `rule` names the decision (grant id, role rule, masking
// rule) so an auditor can see why.
struct Refusal {
  SessionRef session;
  std::string client_addr;
  std::string stage;  // "admission" | "statement" | "audit"
  std::string rule;
  std::string sqlstate;
  std::string message;
  std::optional<StatementInfo> statement;
};

// Written before the statement is forwarded (write-ahead, issue #5 point 2).
struct Statement {
  SessionRef session;
  std::uint64_t statement_id = 0;  // per session, links to StatementDone
  std::string protocol;            // "simple" | "extended"
  std::string prepared_name;       // extended protocol: the statement name ("" = unnamed)
  StatementInfo info;
  // Bind parameters as text, already masked by the session's profile; nullopt entries are NULLs.
  // Leave `params` empty to record only their count.
  std::vector<std::optional<std::string>> params;
  std::size_t param_count = 0;
};

struct StatementDone {
  SessionRef session;
  std::uint64_t statement_id = 0;
  std::chrono::microseconds duration{0};
  std::uint64_t rows = 0, bytes = 0;
  std::map<std::string, std::uint64_t> masked_columns;  // "table.column" or result name -> values masked
  std::string command_tag;                               // "SELECT 5" (counts only, no values)
  std::optional<std::string> sqlstate;                   // set when the statement failed
};

// A step of a grant's lifecycle (issue #3), as recorded in the grant store's history.
// kIssued: an operator's `pgveil grant create` (approved at once, no workflow). kSuperseded: ended
// because a newer grant of the same person and database was approved. kSecretClaimed: the
// requester collected the connection secret (never the secret itself). kChanged: a step this
// version does not know, recorded with the store's name for it in the reason.
enum class GrantAction {
  kRequested, kIssued, kApproved, kDenied, kCancelled, kRevoked, kSuperseded, kExpired, kSecretClaimed, kChanged
};

struct GrantEvent {
  GrantAction action = GrantAction::kRequested;
  std::int64_t grant_id = 0;
  std::string person, database, role;
  std::string by;      // requester, approver or revoker identity; empty for kExpired
  std::string reason;  // request reason, denial or revocation reason
  std::optional<TimePoint> not_before, not_after;
  // kRequested / kApproved: approval k (distinct approvers so far) of the n the role needs.
  int approvals = 0, approvals_required = 0;
  std::optional<std::int64_t> superseded_by = std::nullopt;  // kSuperseded: the grant that replaced this one
};

// An admin API token issued or revoked (`pgveil token issue|revoke`); never the token itself.
struct TokenEvent {
  bool revoked = false;  // "token_revoked", else "token_issued"
  std::int64_t token_id = 0;
  std::string person;  // whose token
  std::string by;      // who issued or revoked it
};

struct ConfigReload {
  std::string source;  // config file path
  bool ok = false;
  std::vector<std::string> problems;  // validation messages when !ok (the old config stays)
};

using EventBody = std::variant<SessionStart, SessionEnd, AuthFailure, Refusal, Statement, StatementDone, GrantEvent,
                               TokenEvent, ConfigReload>;

struct Event {
  TimePoint time;
  EventBody body;

  explicit Event(EventBody b, TimePoint t = Clock::now()) : time(t), body(std::move(b)) {}
};

// "session_start", "session_end", "auth_failure", "refusal", "statement", "statement_done",
// "grant_requested" / "grant_issued" / "grant_approved" / "grant_denied" / "grant_cancelled" /
// "grant_revoked" / "grant_superseded" / "grant_expired" / "grant_secret_claimed" / "grant_changed",
// "token_issued" / "token_revoked", "config_reload".
std::string_view event_type(const Event& event);
std::string_view to_string(GrantAction action);

// Keys in a stable, readable order: type, time, then the body's fields.
nlohmann::ordered_json to_json(const Event& event);
nlohmann::ordered_json to_json(const StatementInfo& info);

// One JSON object without a trailing newline. Invalid UTF-8 is replaced (U+FFFD), never thrown.
// Written by hand (json_out.h), byte for byte what to_json(event).dump() with the replace error
// handler gives: the per-statement path builds no JSON tree.
std::string to_line(const Event& event);
void append_line(std::string& out, const Event& event);

// The fields of a `statement` / `statement_done` event by reference, for the per-statement path
// (proxy/statement_audit.cc): it serializes straight from the session's own state instead of
// copying the session, the prepared statement's analysis and the parameters into an Event.
struct StatementRef {
  const SessionRef& session;
  std::uint64_t statement_id = 0;
  std::string_view protocol;
  std::string_view prepared_name;
  const StatementInfo& info;
  std::span<const std::optional<std::string>> params = {};
  std::size_t param_count = 0;
};
struct StatementDoneRef {
  const SessionRef& session;
  std::uint64_t statement_id = 0;
  std::chrono::microseconds duration{0};
  std::uint64_t rows = 0, bytes = 0;
  const std::map<std::string, std::uint64_t>& masked_columns;
  std::string_view command_tag;
  const std::optional<std::string>& sqlstate;
};
// Appends the same line as to_line(Event(Statement{...}, time)) would give.
void append_line(std::string& out, TimePoint time, const StatementRef& statement);
void append_line(std::string& out, TimePoint time, const StatementDoneRef& done);

}  // namespace audit
