#include "audit/event.h"

#include <algorithm>

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

std::string to_line(const Event& event) {
  // Client-supplied strings (application_name, raw text) need not be UTF-8; replacing keeps the
  // line valid JSON instead of throwing on the data path.
  return to_json(event).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace audit
