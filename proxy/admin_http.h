// Internal to the admin API: the request context handed to every route, JSON answers and errors,
// and route registration per resource (admin_routes_*.cc).
#pragma once

#include <httplib.h>

#include <nlohmann/json.hpp>

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "policy/workflow.h"
#include "proxy/runtime.h"

namespace proxy::admin {

// What an authenticated route works with: the actor, the configuration snapshot of this request
// and the shared services.
struct Call {
  const httplib::Request& req;
  httplib::Response& res;
  const policy::Actor& actor;
  const Config& config;
  Services& services;
  policy::TimePoint now;
};
using Route = std::function<void(Call&)>;

// Registers `route` behind bearer authentication (401 with a JSON error otherwise).
void handle(httplib::Server& server, Services& services, const char* method, const std::string& pattern, Route route);

void send_json(httplib::Response& res, int status, const nlohmann::json& body);
// {"error": {"code": "forbidden", "message": "...", "hint": "..."}} with the matching status.
void send_error(httplib::Response& res, int status, std::string_view code, std::string_view message,
                std::string_view hint = {});
void send_refusal(httplib::Response& res, const policy::Refusal& refusal);
int http_status(policy::Refusal::Kind kind);

// The request body as a JSON object, or a 400 answer (and nullopt).
std::optional<nlohmann::json> json_body(Call& call);
// A string member of `body`; "" when absent. A 400 answer (and nullopt) when it is not a string.
std::optional<std::string> string_field(Call& call, const nlohmann::json& body, const char* name);

void add_grant_routes(httplib::Server& server, Services& services);
void add_session_routes(httplib::Server& server, Services& services);
void add_token_routes(httplib::Server& server, Services& services);
void add_audit_routes(httplib::Server& server, Services& services);

}  // namespace proxy::admin
