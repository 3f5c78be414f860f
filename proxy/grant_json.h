// Grants, tokens and sessions as the admin API's JSON (README "Admin API"): one rendering shared
// by the server and `pgveil grant list --json`.
#pragma once

#include <nlohmann/json.hpp>

#include "policy/api_token.h"
#include "policy/grant.h"

namespace proxy {

struct SessionInfo;

// Times are UTC ISO-8601 strings; absent ones are null. "state" is what the clock says at `now`.
nlohmann::json grant_json(const policy::Grant& grant, policy::TimePoint now);
nlohmann::json token_json(const policy::ApiToken& token);
nlohmann::json session_json(const SessionInfo& session);

}  // namespace proxy
