// Admin API: access requests and grants (POST /v1/requests, /v1/grants...).
#include <fmt/format.h>

#include <charconv>

#include "policy/time_format.h"
#include "proxy/access.h"
#include "proxy/admin_http.h"
#include "proxy/config/units.h"
#include "proxy/grant_json.h"

namespace proxy::admin {
namespace {

std::optional<std::int64_t> id_at(Call& call, int group) {
  const std::string text = call.req.matches[group];
  std::int64_t id = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), id);
  if (ec != std::errc() || end != text.data() + text.size()) {
    send_error(call.res, 404, "not_found", fmt::format("no pgveil grant {}", text));
    return std::nullopt;
  }
  return id;
}

std::optional<std::chrono::seconds> duration_field(Call& call, const std::string& text, const char* name) {
  auto parsed = parse_duration(text);
  if (!parsed || parsed->count() <= 0 || parsed->count() % 1000 != 0) {
    send_error(call.res, 400, "invalid",
               fmt::format("\"{}\": '{}' is not a duration in whole seconds (use 30m, 2h, 1h30m)", name, text));
    return std::nullopt;
  }
  return std::chrono::duration_cast<std::chrono::seconds>(*parsed);
}

void create_request(Call& call) {
  auto body = json_body(call);
  if (!body) return;
  auto database = string_field(call, *body, "database");
  auto role = string_field(call, *body, "role");
  auto reason = string_field(call, *body, "reason");
  auto duration = string_field(call, *body, "duration");
  auto start = string_field(call, *body, "start");
  auto start_in = string_field(call, *body, "start_in");
  if (!database || !role || !reason || !duration || !start || !start_in) return;
  if (database->empty() || role->empty()) {
    send_error(call.res, 400, "invalid", "\"database\" and \"role\" are required");
    return;
  }
  policy::AccessRequest request{*database, *role, *reason, std::chrono::seconds{0}, std::nullopt};
  if (duration->empty()) {
    send_error(call.res, 400, "invalid", "\"duration\" is required (e.g. \"2h\")");
    return;
  }
  auto seconds = duration_field(call, *duration, "duration");
  if (!seconds) return;
  request.duration = *seconds;
  if (!start->empty() && !start_in->empty()) {
    send_error(call.res, 400, "invalid", "give \"start\" or \"start_in\", not both");
    return;
  }
  if (!start->empty()) {
    request.start = policy::parse_time(*start);
    if (!request.start) {
      send_error(call.res, 400, "invalid",
                 fmt::format("\"start\": '{}' is not a UTC time like 2026-12-03T18:00:00Z", *start));
      return;
    }
  } else if (!start_in->empty()) {
    auto delay = duration_field(call, *start_in, "start_in");
    if (!delay) return;
    request.start = call.now + *delay;
  }
  const Role* configured = call.config.role(*role);
  std::optional<policy::RoleRules> rules;
  if (configured != nullptr) rules = role_rules(*configured);
  if (call.config.database(*database) == nullptr) {
    send_error(call.res, 400, "invalid", fmt::format("database \"{}\" is not configured", *database));
    return;
  }
  auto grant = call.services.store->create_request(call.actor, rules ? &*rules : nullptr, request, call.now);
  if (!grant) {
    send_refusal(call.res, grant.error());
    return;
  }
  // Wakes the watcher: it re-checks sessions (an auto-approval supersedes) and audits the request.
  call.services.grants_changed();
  send_json(call.res, 201, grant_json(*grant, call.now));
}

void list_grants(Call& call) {
  std::optional<std::string> person, database;
  if (call.req.has_param("person")) person = call.req.get_param_value("person");
  if (call.req.has_param("database")) database = call.req.get_param_value("database");
  std::optional<policy::GrantState> state;
  if (call.req.has_param("state")) {
    const std::string text = call.req.get_param_value("state");
    state = policy::parse_grant_state(text);
    if (!state) {
      send_error(call.res, 400, "invalid",
                 fmt::format("state '{}' is not one of requested, scheduled, active, expired, denied, cancelled, "
                             "revoked",
                             text));
      return;
    }
  }
  const std::string role = call.req.has_param("role") ? call.req.get_param_value("role") : "";
  auto grants = call.services.store->list(person, database);
  if (!grants) {
    send_error(call.res, 500, "internal", grants.error());
    return;
  }
  nlohmann::json out = nlohmann::json::array();
  for (const auto& g : *grants) {
    if (!may_see(call.actor, call.config, g)) continue;
    if (state && policy::state_at(g, call.now) != *state) continue;
    if (!role.empty() && g.role != role) continue;
    out.push_back(grant_json(g, call.now));
  }
  send_json(call.res, 200, out);
}

// The grant `id` if the actor may see it; else a 404 (not 403: ids of others' grants are not
// confirmed to exist).
std::optional<policy::Grant> visible_grant(Call& call, std::int64_t id) {
  auto grant = call.services.store->get(id);
  if (!grant) {
    send_error(call.res, 500, "internal", grant.error());
    return std::nullopt;
  }
  if (!*grant || !may_see(call.actor, call.config, **grant)) {
    send_error(call.res, 404, "not_found", fmt::format("no pgveil grant {}", id));
    return std::nullopt;
  }
  return std::move(**grant);
}

void get_grant(Call& call) {
  auto id = id_at(call, 1);
  if (!id) return;
  if (auto grant = visible_grant(call, *id)) send_json(call.res, 200, grant_json(*grant, call.now));
}

// A workflow step the policy forbade (self-approval, not an approver) goes to the audit log as a
// refusal at stage "workflow": the report lists self-approval attempts as anomalies.
void audit_forbidden_step(Call& call, std::int64_t id, const std::string& verb, const policy::Refusal& refusal) {
  if (!call.services.audit) return;
  audit::SessionRef who;
  who.person = call.actor.name;
  who.grant_id = id;
  std::string rule = "workflow: " + verb;
  if (verb == "approve") {
    // The workflow refuses a requester's approval first (policy/workflow.cc is_requester_of).
    auto grant = call.services.store->get(id);
    if (grant && *grant && (call.actor.name == (*grant)->person || call.actor.name == (*grant)->created_by)) {
      rule = "workflow: self-approval";
    }
    if (grant && *grant) {
      who.role = (*grant)->role;
      who.database = (*grant)->database;
    }
  }
  call.services.audit->submit(audit::Event(
      audit::Refusal{who, call.req.remote_addr, "workflow", rule, "", refusal.message, std::nullopt}, call.now));
}

void change_grant(Call& call) {
  auto id = id_at(call, 1);
  if (!id) return;
  const std::string verb = call.req.matches[2];
  const policy::Action action = verb == "approve" ? policy::Action::kApprove
                                : verb == "deny"  ? policy::Action::kDeny
                                : verb == "revoke" ? policy::Action::kRevoke
                                                   : policy::Action::kCancel;
  auto body = json_body(call);
  if (!body) return;
  auto reason = string_field(call, *body, "reason");
  if (!reason) return;
  // No visibility check here: the workflow's own refusal ("not in the approver groups") is the
  // more useful answer, and it reveals nothing about the grant.
  auto grant = call.services.store->change(*id, role_lookup(call.config), call.actor, action, *reason, call.now);
  if (!grant) {
    if (grant.error().kind == policy::Refusal::Kind::kForbidden) audit_forbidden_step(call, *id, verb, grant.error());
    send_refusal(call.res, grant.error());
    return;
  }
  // Revocations end sessions; an approval may supersede (end) an older grant's sessions.
  call.services.grants_changed();
  send_json(call.res, 200, grant_json(*grant, call.now));
}

void claim_secret(Call& call) {
  auto id = id_at(call, 1);
  if (!id) return;
  if (!visible_grant(call, *id)) return;
  auto issued = call.services.store->claim_secret(*id, call.actor, call.now);
  if (!issued) {
    send_refusal(call.res, issued.error());
    return;
  }
  const auto& g = issued->grant;
  send_json(call.res, 200,
            {{"grant", grant_json(g, call.now)},
             {"secret", issued->secret},
             {"conninfo", conninfo(call.config, g.person, g.database)},
             {"psql", psql_line(call.config, g.person, g.database, issued->secret)}});
}

}  // namespace

void add_grant_routes(httplib::Server& server, Services& services) {
  handle(server, services, "POST", "/v1/requests", create_request);
  handle(server, services, "GET", "/v1/grants", list_grants);
  handle(server, services, "GET", R"(/v1/grants/(\d+))", get_grant);
  handle(server, services, "POST", R"(/v1/grants/(\d+)/(approve|deny|revoke|cancel))", change_grant);
  handle(server, services, "POST", R"(/v1/grants/(\d+)/secret)", claim_secret);
}

}  // namespace proxy::admin
