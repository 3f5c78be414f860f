// Admin API: live sessions (GET /v1/sessions, POST /v1/sessions/{id}/kill) and API tokens.
#include <fmt/format.h>

#include <charconv>

#include "policy/time_format.h"
#include "proxy/access.h"
#include "proxy/admin_http.h"
#include "proxy/grant_json.h"
#include "proxy/session.h"

namespace proxy::admin {
namespace {

template <typename Int>
std::optional<Int> number_at(Call& call, int group, std::string_view what) {
  const std::string text = call.req.matches[group];
  Int value{};
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) {
    send_error(call.res, 404, "not_found", fmt::format("no {} {}", what, text));
    return std::nullopt;
  }
  return value;
}

void list_sessions(Call& call) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& session : call.services.sessions.snapshot()) {
    const SessionInfo info = session->info();
    if (info.grant_id == 0) continue;  // still starting up: not admitted yet
    if (may_see_session(call.actor, call.config, info.person, info.role)) out.push_back(session_json(info));
  }
  send_json(call.res, 200, out);
}

void kill_session(Call& call) {
  auto id = number_at<std::uint64_t>(call, 1, "session");
  if (!id) return;
  auto body = json_body(call);
  if (!body) return;
  auto reason = string_field(call, *body, "reason");
  if (!reason) return;
  auto session = call.services.sessions.find(*id);
  const SessionInfo info = session ? session->info() : SessionInfo{};
  if (!session || info.grant_id == 0 || !may_see_session(call.actor, call.config, info.person, info.role)) {
    send_error(call.res, 404, "not_found", fmt::format("no live pgveil session {}", *id));
    return;
  }
  session->stop(StopReason{"57P01",
                           fmt::format("pgveil session {} (grant {}) was terminated by {}{}; terminating connection",
                                       info.id, info.grant_id, call.actor.name,
                                       reason->empty() ? "" : ": " + *reason),
                           "Your grant is still valid unless it was revoked; reconnect if you still need access."});
  send_json(call.res, 202, {{"killed", session_json(info)}});
}

void issue_token(Call& call) {
  if (!call.actor.admin) {
    send_error(call.res, 403, "forbidden", "only the admin token can issue API tokens");
    return;
  }
  auto body = json_body(call);
  if (!body) return;
  auto person = string_field(call, *body, "person");
  if (!person) return;
  if (!call.config.people.contains(*person)) {
    send_error(call.res, 400, "invalid", fmt::format("\"{}\" is not listed under people: in {}", *person,
                                                     call.config.source),
               "Add the person (with their groups) to the configuration first.");
    return;
  }
  auto issued = call.services.store->issue_token(*person, call.actor.name, call.now);
  if (!issued) {
    send_error(call.res, 500, "internal", issued.error());
    return;
  }
  if (call.services.audit) {
    call.services.audit->submit(
        audit::Event(audit::TokenEvent{false, issued->first.id, *person, call.actor.name}, call.now));
  }
  auto out = token_json(issued->first);
  out["token"] = issued->second;
  send_json(call.res, 201, out);
}

void list_tokens(Call& call) {
  if (!call.actor.admin) {
    send_error(call.res, 403, "forbidden", "only the admin token can list API tokens");
    return;
  }
  auto tokens = call.services.store->list_tokens();
  if (!tokens) {
    send_error(call.res, 500, "internal", tokens.error());
    return;
  }
  nlohmann::json out = nlohmann::json::array();
  for (const auto& t : *tokens) out.push_back(token_json(t));
  send_json(call.res, 200, out);
}

void revoke_token(Call& call) {
  if (!call.actor.admin) {
    send_error(call.res, 403, "forbidden", "only the admin token can revoke API tokens");
    return;
  }
  auto id = number_at<std::int64_t>(call, 1, "API token");
  if (!id) return;
  auto revoked = call.services.store->revoke_token(*id, call.actor.name, call.now);
  if (!revoked) {
    send_error(call.res, 404, "not_found", revoked.error());
    return;
  }
  if (!*revoked) {
    send_error(call.res, 409, "conflict", fmt::format("API token {} was already revoked", *id));
    return;
  }
  if (call.services.audit) {
    std::string person;  // whose token it was, for the log's person filter
    if (auto tokens = call.services.store->list_tokens()) {
      for (const auto& t : *tokens) {
        if (t.id == *id) person = t.person;
      }
    }
    call.services.audit->submit(audit::Event(audit::TokenEvent{true, *id, person, call.actor.name}, call.now));
  }
  send_json(call.res, 200, {{"revoked", *id}});
}

}  // namespace

void add_session_routes(httplib::Server& server, Services& services) {
  handle(server, services, "GET", "/v1/sessions", list_sessions);
  handle(server, services, "POST", R"(/v1/sessions/(\d+)/kill)", kill_session);
}

void add_token_routes(httplib::Server& server, Services& services) {
  handle(server, services, "POST", "/v1/tokens", issue_token);
  handle(server, services, "GET", "/v1/tokens", list_tokens);
  handle(server, services, "POST", R"(/v1/tokens/(\d+)/revoke)", revoke_token);
}

}  // namespace proxy::admin
