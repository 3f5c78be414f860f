#include "audit/event.h"

#include <algorithm>

#include "audit/json_out.h"

namespace audit {
namespace {

using Json = nlohmann::ordered_json;

template <class... Fs>
struct Overloaded : Fs... {
  using Fs::operator()...;
};

void put_session(Json& j, const SessionRef& s) {
  if (s.id != 0) j["session"] = s.id;
  j["person"] = s.person;
  j["grant"] = s.grant_id ? Json(*s.grant_id) : Json();
  j["role"] = s.role;
  j["database"] = s.database;
}

void put_body(Json& j, const SessionStart& e) {
  put_session(j, e.session);
  j["client_addr"] = e.client_addr;
  j["tls"] = e.tls ? Json(*e.tls) : Json();
  j["application_name"] = e.application_name;
}

void put_body(Json& j, const SessionEnd& e) {
  put_session(j, e.session);
  j["duration_ms"] = e.duration.count();
  j["statements"] = e.statements;
  j["refusals"] = e.refusals;
  j["rows"] = e.rows;
  j["bytes_from_client"] = e.bytes_from_client;
  j["bytes_to_client"] = e.bytes_to_client;
  j["reason"] = e.reason;
  j["audit_dropped"] = e.audit_dropped;
}

void put_body(Json& j, const AuthFailure& e) {
  j["person"] = e.person;
  j["database"] = e.database;
  j["grant"] = e.grant_id ? Json(*e.grant_id) : Json();
  j["client_addr"] = e.client_addr;
  j["method"] = e.method;
  j["reason"] = e.reason;
  j["sqlstate"] = e.sqlstate;
}

void put_body(Json& j, const Refusal& e) {
  put_session(j, e.session);
  j["client_addr"] = e.client_addr;
  j["stage"] = e.stage;
  j["rule"] = e.rule;
  j["sqlstate"] = e.sqlstate;
  j["message"] = e.message;
  if (e.statement) j["statement"] = to_json(*e.statement);
}

void put_body(Json& j, const Statement& e) {
  put_session(j, e.session);
  j["statement_id"] = e.statement_id;
  j["protocol"] = e.protocol;
  if (e.protocol == "extended") j["prepared_name"] = e.prepared_name;
  const Json info = to_json(e.info);   // named: GCC 12 -O2 warns (maybe-uninitialized) on the temporary
  for (const auto& [key, value] : info.items()) j[key] = value;
  j["param_count"] = std::max(e.param_count, e.params.size());
  if (!e.params.empty()) {
    Json params = Json::array();
    for (const auto& p : e.params) params.push_back(p ? Json(*p) : Json());
    j["params"] = std::move(params);
  }
}

void put_body(Json& j, const StatementDone& e) {
  put_session(j, e.session);
  j["statement_id"] = e.statement_id;
  j["duration_us"] = e.duration.count();
  j["rows"] = e.rows;
  j["bytes"] = e.bytes;
  j["command_tag"] = e.command_tag;
  j["sqlstate"] = e.sqlstate ? Json(*e.sqlstate) : Json();
  Json masked = Json::object();
  for (const auto& [column, count] : e.masked_columns) masked[column] = count;
  j["masked_columns"] = std::move(masked);
}

void put_body(Json& j, const GrantEvent& e) {
  j["grant"] = e.grant_id;
  j["person"] = e.person;
  j["database"] = e.database;
  j["role"] = e.role;
  j["by"] = e.by;
  j["reason"] = e.reason;
  if (e.not_before) j["not_before"] = format_time(*e.not_before);
  if (e.not_after) j["not_after"] = format_time(*e.not_after);
  if (e.approvals_required > 0) {
    if (e.action == GrantAction::kApproved) j["approval"] = e.approvals;
    j["approvals_required"] = e.approvals_required;
  }
  if (e.superseded_by) j["superseded_by"] = *e.superseded_by;
}

void put_body(Json& j, const TokenEvent& e) {
  j["token"] = e.token_id;
  j["person"] = e.person;
  j["by"] = e.by;
}

void put_body(Json& j, const ConfigReload& e) {
  j["source"] = e.source;
  j["ok"] = e.ok;
  j["problems"] = e.problems;
}

}  // namespace

std::string_view to_string(GrantAction action) {
  switch (action) {
    case GrantAction::kRequested: return "grant_requested";
    case GrantAction::kIssued: return "grant_issued";
    case GrantAction::kApproved: return "grant_approved";
    case GrantAction::kDenied: return "grant_denied";
    case GrantAction::kCancelled: return "grant_cancelled";
    case GrantAction::kRevoked: return "grant_revoked";
    case GrantAction::kSuperseded: return "grant_superseded";
    case GrantAction::kExpired: return "grant_expired";
    case GrantAction::kSecretClaimed: return "grant_secret_claimed";
    case GrantAction::kChanged: return "grant_changed";
  }
  return "grant_unknown";
}

std::string_view event_type(const Event& event) {
  return std::visit(Overloaded{
                        [](const SessionStart&) -> std::string_view { return "session_start"; },
                        [](const SessionEnd&) -> std::string_view { return "session_end"; },
                        [](const AuthFailure&) -> std::string_view { return "auth_failure"; },
                        [](const Refusal&) -> std::string_view { return "refusal"; },
                        [](const Statement&) -> std::string_view { return "statement"; },
                        [](const StatementDone&) -> std::string_view { return "statement_done"; },
                        [](const GrantEvent& e) { return to_string(e.action); },
                        [](const TokenEvent& e) -> std::string_view { return e.revoked ? "token_revoked" : "token_issued"; },
                        [](const ConfigReload&) -> std::string_view { return "config_reload"; },
                    },
                    event.body);
}

Json to_json(const StatementInfo& info) {
  Json j;
  j["kind"] = info.kind;
  if (!info.kinds.empty()) j["kinds"] = info.kinds;
  j["normalized"] = info.normalized ? Json(*info.normalized) : Json();
  j["fingerprint"] = info.fingerprint ? Json(*info.fingerprint) : Json();
  j["tables_read"] = info.tables_read;
  j["tables_written"] = info.tables_written;
  if (info.text) j["text"] = *info.text;
  return j;
}

Json to_json(const Event& event) {
  Json j;
  j["type"] = event_type(event);
  j["time"] = format_time(event.time);
  std::visit([&j](const auto& body) { put_body(j, body); }, event.body);
  return j;
}

// --- to_line: the same members in the same order as to_json above, written straight out -------
namespace {

namespace jo = json_out;

void write_str(std::string& o, std::string_view key, std::string_view value) {
  jo::key(o, key);
  jo::string(o, value);
}

void write_opt(std::string& o, std::string_view key, const std::optional<std::string>& value) {
  jo::key(o, key);
  jo::string_or_null(o, value);
}

template <class Int>
void write_int(std::string& o, std::string_view key, Int value) {
  jo::key(o, key);
  jo::integer(o, value);
}

template <class Range>
void write_strings(std::string& o, std::string_view key, const Range& values) {
  jo::key(o, key);
  jo::string_array(o, values);
}

void write_session(std::string& o, const SessionRef& s) {
  if (s.id != 0) write_int(o, "session", s.id);
  write_str(o, "person", s.person);
  jo::key(o, "grant");
  jo::integer_or_null(o, s.grant_id);
  write_str(o, "role", s.role);
  write_str(o, "database", s.database);
}

// The members of to_json(StatementInfo), each with a leading comma.
void write_info(std::string& o, const StatementInfo& info) {
  write_str(o, "kind", info.kind);
  if (!info.kinds.empty()) write_strings(o, "kinds", info.kinds);
  write_opt(o, "normalized", info.normalized);
  write_opt(o, "fingerprint", info.fingerprint);
  write_strings(o, "tables_read", info.tables_read);
  write_strings(o, "tables_written", info.tables_written);
  if (info.text) write_str(o, "text", *info.text);
}

void write_head(std::string& o, std::string_view type, TimePoint time) {
  o += "{\"type\":";
  jo::string(o, type);
  o += ",\"time\":\"";
  append_time(o, time);
  o += '"';
}

void write_body(std::string& o, const SessionStart& e) {
  write_session(o, e.session);
  write_str(o, "client_addr", e.client_addr);
  write_opt(o, "tls", e.tls);
  write_str(o, "application_name", e.application_name);
}

void write_body(std::string& o, const SessionEnd& e) {
  write_session(o, e.session);
  write_int(o, "duration_ms", e.duration.count());
  write_int(o, "statements", e.statements);
  write_int(o, "refusals", e.refusals);
  write_int(o, "rows", e.rows);
  write_int(o, "bytes_from_client", e.bytes_from_client);
  write_int(o, "bytes_to_client", e.bytes_to_client);
  write_str(o, "reason", e.reason);
  write_int(o, "audit_dropped", e.audit_dropped);
}

void write_body(std::string& o, const AuthFailure& e) {
  write_str(o, "person", e.person);
  write_str(o, "database", e.database);
  jo::key(o, "grant");
  jo::integer_or_null(o, e.grant_id);
  write_str(o, "client_addr", e.client_addr);
  write_str(o, "method", e.method);
  write_str(o, "reason", e.reason);
  write_str(o, "sqlstate", e.sqlstate);
}

void write_body(std::string& o, const Refusal& e) {
  write_session(o, e.session);
  write_str(o, "client_addr", e.client_addr);
  write_str(o, "stage", e.stage);
  write_str(o, "rule", e.rule);
  write_str(o, "sqlstate", e.sqlstate);
  write_str(o, "message", e.message);
  if (e.statement) {
    jo::key(o, "statement");
    const std::size_t at = o.size();
    write_info(o, *e.statement);
    o[at] = '{';  // the first member's comma opens the object
    o += '}';
  }
}

void write_fields(std::string& o, const StatementRef& e) {
  write_session(o, e.session);
  write_int(o, "statement_id", e.statement_id);
  write_str(o, "protocol", e.protocol);
  if (e.protocol == "extended") write_str(o, "prepared_name", e.prepared_name);
  write_info(o, e.info);
  write_int(o, "param_count", std::max(e.param_count, e.params.size()));
  if (!e.params.empty()) {
    jo::key(o, "params");
    o += '[';
    for (std::size_t i = 0; i < e.params.size(); ++i) {
      if (i > 0) o += ',';
      jo::string_or_null(o, e.params[i]);
    }
    o += ']';
  }
}

void write_fields(std::string& o, const StatementDoneRef& e) {
  write_session(o, e.session);
  write_int(o, "statement_id", e.statement_id);
  write_int(o, "duration_us", e.duration.count());
  write_int(o, "rows", e.rows);
  write_int(o, "bytes", e.bytes);
  write_str(o, "command_tag", e.command_tag);
  write_opt(o, "sqlstate", e.sqlstate);
  jo::key(o, "masked_columns");
  o += '{';
  bool first = true;
  for (const auto& [column, count] : e.masked_columns) {
    if (!first) o += ',';
    first = false;
    jo::string(o, column);
    o += ':';
    jo::integer(o, count);
  }
  o += '}';
}

void write_body(std::string& o, const Statement& e) {
  write_fields(o, StatementRef{e.session, e.statement_id, e.protocol, e.prepared_name, e.info, e.params, e.param_count});
}

void write_body(std::string& o, const StatementDone& e) {
  write_fields(o, StatementDoneRef{e.session, e.statement_id, e.duration, e.rows, e.bytes, e.masked_columns,
                                   e.command_tag, e.sqlstate});
}

void write_body(std::string& o, const GrantEvent& e) {
  write_int(o, "grant", e.grant_id);
  write_str(o, "person", e.person);
  write_str(o, "database", e.database);
  write_str(o, "role", e.role);
  write_str(o, "by", e.by);
  write_str(o, "reason", e.reason);
  if (e.not_before) write_str(o, "not_before", format_time(*e.not_before));
  if (e.not_after) write_str(o, "not_after", format_time(*e.not_after));
  if (e.approvals_required > 0) {
    if (e.action == GrantAction::kApproved) write_int(o, "approval", e.approvals);
    write_int(o, "approvals_required", e.approvals_required);
  }
  if (e.superseded_by) write_int(o, "superseded_by", *e.superseded_by);
}

void write_body(std::string& o, const TokenEvent& e) {
  write_int(o, "token", e.token_id);
  write_str(o, "person", e.person);
  write_str(o, "by", e.by);
}

void write_body(std::string& o, const ConfigReload& e) {
  write_str(o, "source", e.source);
  jo::key(o, "ok");
  jo::boolean(o, e.ok);
  write_strings(o, "problems", e.problems);
}

}  // namespace

void append_line(std::string& out, const Event& event) {
  write_head(out, event_type(event), event.time);
  std::visit([&out](const auto& body) { write_body(out, body); }, event.body);
  out += '}';
}

void append_line(std::string& out, TimePoint time, const StatementRef& statement) {
  write_head(out, "statement", time);
  write_fields(out, statement);
  out += '}';
}

void append_line(std::string& out, TimePoint time, const StatementDoneRef& done) {
  write_head(out, "statement_done", time);
  write_fields(out, done);
  out += '}';
}

std::string to_line(const Event& event) {
  std::string out;
  append_line(out, event);
  return out;
}

}  // namespace audit
