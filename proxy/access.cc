#include "proxy/access.h"

#include <fmt/format.h>

#include "policy/api_token.h"

namespace proxy {

policy::RoleRules role_rules(const Role& role) {
  return {role.name, role.databases, role.requesters, role.approvers, role.auto_approve, role.approvals,
          role.max_duration};
}

std::expected<std::unique_ptr<policy::GrantStore>, std::string> open_grant_store(const Config& config) {
  policy::GrantStore::Options options;
  options.request_ttl = config.request_ttl;
  if (!config.store_postgres.empty()) return policy::GrantStore::open_postgres(config.store_postgres, options);
  if (config.store_sqlite.empty()) {
    return std::unexpected(fmt::format(
        "{}: no grant store configured (store: {{ sqlite: PATH }} or store: {{ postgres: CONNINFO }})", config.source));
  }
  return policy::GrantStore::open_sqlite(config.store_sqlite, options);
}

policy::GrantStore::RoleLookup role_lookup(const Config& config) {
  // Rules are built per call: the lookup runs once per workflow step.
  auto cache = std::make_shared<std::optional<policy::RoleRules>>();
  return [&config, cache](std::string_view name) -> const policy::RoleRules* {
    const Role* role = config.role(name);
    if (role == nullptr) return nullptr;
    *cache = role_rules(*role);
    return &**cache;
  };
}

std::expected<policy::Actor, std::string> authenticate(const Config& config, policy::GrantStore& store,
                                                       std::string_view token) {
  if (token.empty()) return std::unexpected("no bearer token");
  if (!config.admin.token.empty() &&
      policy::same_digest(policy::token_digest(token), policy::token_digest(config.admin.token))) {
    return policy::Actor{"admin", {}, true};
  }
  auto found = store.find_token(token);
  if (!found) return std::unexpected(fmt::format("grant store: {}", found.error()));
  if (!*found) return std::unexpected("unknown or revoked token");
  auto person = config.people.find((*found)->person);
  if (person == config.people.end()) {
    return std::unexpected(fmt::format("token {} belongs to \"{}\", who is not listed under people", (*found)->id,
                                       (*found)->person));
  }
  return policy::Actor{person->first, person->second.groups, false};
}

bool may_see(const policy::Actor& actor, const Config& config, const policy::Grant& grant) {
  if (actor.admin || actor.name == grant.person || actor.name == grant.created_by) return true;
  const Role* role = config.role(grant.role);
  return role != nullptr && actor.in_any(role->approvers);
}

bool may_see_session(const policy::Actor& actor, const Config& config, std::string_view person,
                     std::string_view role_name) {
  if (actor.admin || actor.name == person) return true;
  const Role* role = config.role(role_name);
  return role != nullptr && actor.in_any(role->approvers);
}

std::string conninfo(const Config& config, std::string_view user, std::string_view database) {
  const std::string host =
      config.listen.host == "0.0.0.0" || config.listen.host == "::" ? "localhost" : config.listen.host;
  return fmt::format("host={} port={} dbname={} user={}{}", host, config.listen.port, database, user,
                     config.tls.require ? " sslmode=require" : "");
}

std::string psql_line(const Config& config, std::string_view user, std::string_view database, std::string_view secret) {
  // Secrets are base64url: nothing in them needs quoting inside '…'.
  return fmt::format("PGPASSWORD='{}' psql \"{}\"", secret, conninfo(config, user, database));
}

}  // namespace proxy
