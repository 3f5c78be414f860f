// The bridge between the configuration (people, groups, roles) and the workflow decisions in
// policy/: who a bearer token is, a role's rules, who may see which grants and sessions, and the
// psql line handed to a requester with their secret.
#pragma once

#include <expected>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "policy/grant.h"
#include "policy/grant_store.h"
#include "policy/workflow.h"
#include "proxy/config/config.h"

namespace proxy {

policy::RoleRules role_rules(const Role& role);

// Opens the grant store the configuration names (store.sqlite or store.postgres), with its
// workflow settings. Errors name the store (never a connection string's password); an error also
// when no store is configured.
std::expected<std::unique_ptr<policy::GrantStore>, std::string> open_grant_store(const Config& config);

// Looks roles up in `config` (which must outlive the lookup).
policy::GrantStore::RoleLookup role_lookup(const Config& config);

// The actor behind `Authorization: Bearer <token>`: the admin token of the configuration, or a
// personal token whose person is listed under people (with their groups as configured now).
// Errors are for the 401 answer (no reason beyond "not valid" is given to the caller).
std::expected<policy::Actor, std::string> authenticate(const Config& config, policy::GrantStore& store,
                                                       std::string_view token);

// Admin sees everything; a person sees what they asked for or hold, and what they may approve.
bool may_see(const policy::Actor& actor, const Config& config, const policy::Grant& grant);
// Sessions: the admin, the session's person, and the approvers of its role.
bool may_see_session(const policy::Actor& actor, const Config& config, std::string_view person,
                     std::string_view role);

// PGPASSWORD='…' psql "host=… port=… dbname=… user=…" for a client of this pgveil.
std::string psql_line(const Config& config, std::string_view user, std::string_view database, std::string_view secret);
// The conninfo of psql_line, without the password.
std::string conninfo(const Config& config, std::string_view user, std::string_view database);

}  // namespace proxy
