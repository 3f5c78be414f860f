// roles: what a grant gives — which databases, as which brokered login, under which masking
// profile and statement rules, for how long, and who may request and approve it.
#include <algorithm>
#include <set>

#include <fmt/format.h>

#include "proxy/config/sections.h"

namespace proxy::config_detail {
namespace {

std::vector<std::string> keys_of(const auto& map) {
  std::vector<std::string> out;
  for (const auto& [name, value] : map) out.push_back(name);
  return out;
}

// Groups are only checked when a people section exists: without it grants are not restricted by
// group membership, so there is nothing to compare against.
void check_groups(LoadContext& ctx, const Field& field, const std::vector<std::string>& groups,
                  const Config& config) {
  if (config.people.empty()) return;
  std::set<std::string, std::less<>> known;
  for (const auto& [name, person] : config.people) known.insert(person.groups.begin(), person.groups.end());
  for (const std::string& group : groups)
    if (!known.contains(group))
      ctx.diag.warning(field.key, fmt::format("{}: no person is in group '{}'", field.path, group));
}

// A grant that needs more approvals than there are approvers could never be approved.
void check_approver_count(LoadContext& ctx, const Field& field, const Role& role,
                          const Config& config) {
  if (config.people.empty()) return;
  int approvers = 0;
  for (const auto& [name, person] : config.people)
    if (std::ranges::any_of(person.groups, [&](const std::string& g) {
          return std::ranges::find(role.approvers, g) != role.approvers.end();
        }))
      ++approvers;
  if (approvers < role.approvals)
    ctx.diag.warning(field.key, fmt::format("{}: {} approvals needed but only {} people are in the "
                                            "approver groups",
                                            field.path, role.approvals, approvers));
}

void check_masking(LoadContext& ctx, const Field& field, const Role& role, const Config& config) {
  if (role.masking == "none" || config.masking_profiles.contains(role.masking)) return;
  std::string known;
  for (const auto& [name, profile] : config.masking_profiles) known += (known.empty() ? "" : ", ") + name;
  ctx.diag.error(field.key, fmt::format("{}: role '{}' uses masking profile '{}', which masking.profiles does not "
                                        "define ({}); define it or set masking: none",
                                        field.path, role.name, role.masking,
                                        known.empty() ? "no profiles are defined" : "defined: " + known));
}

void check_databases(LoadContext& ctx, const Field& field, Role& role, const Config& config) {
  if (role.databases.empty()) {
    ctx.diag.error(field.key, fmt::format("{}: list at least one database", field.path));
    return;
  }
  std::vector<std::string> unique;
  for (std::size_t i = 0; i < role.databases.size(); ++i) {
    const std::string& name = role.databases[i];
    const YAML::Node item = field.value[i];
    if (std::find(unique.begin(), unique.end(), name) != unique.end()) {
      ctx.diag.warning(item, fmt::format("{}[{}]: '{}' is listed twice", field.path, i, name));
      continue;
    }
    unique.push_back(name);
    if (config.database(name) == nullptr)
      ctx.diag.error(item, fmt::format("{}[{}]: unknown database '{}' (defined: {})", field.path, i,
                                       name, list_names(keys_of(config.databases))));
  }
  role.databases = std::move(unique);
}

void check_login(LoadContext& ctx, const Field& field, const Role& role, const Config& config) {
  for (const std::string& db_name : role.databases) {
    const Database* db = config.database(db_name);
    if (db == nullptr || db->logins.contains(role.login)) continue;
    ctx.diag.error(field.key, fmt::format("{}: login '{}' is not defined in databases.{}.logins "
                                          "(defined there: {})",
                                          field.path, role.login, db_name,
                                          list_names(keys_of(db->logins))));
  }
}

Role read_role(LoadContext& ctx, const Field& field, const Config& config) {
  Role role;
  role.name = field.key.Scalar();
  MapFields m(ctx.diag, field,
              {"description", "databases", "login", "masking", "statements", "max_duration",
               "requesters", "approvers", "approvals", "idle_timeout", "auto_approve", "deny_functions",
               "allow_functions", "audit_statements"});
  if (!m.is_map()) return role;

  if (const Field* f = m.find("description"))
    if (auto v = read_string(ctx.diag, *f, /*allow_empty=*/true)) role.description = *v;
  if (const Field* f = m.find("masking")) {
    if (auto v = read_string(ctx.diag, *f)) {
      role.masking = *v;
      check_masking(ctx, *f, role, config);
    }
  }
  read_statement_rules(ctx, m, role);
  if (const Field* f = m.find("max_duration"))
    if (auto v = read_seconds(ctx.diag, *f, std::chrono::seconds{1})) role.max_duration = *v;
  if (const Field* f = m.find("idle_timeout"))
    if (auto v = read_seconds(ctx.diag, *f, std::chrono::seconds{0})) role.idle_timeout = *v;
  if (const Field* f = m.find("audit_statements"))
    if (auto v = read_choice(ctx.diag, *f, {"normalized", "raw"}))
      role.audit_statements = *v == "raw" ? audit::TextMode::kRaw : audit::TextMode::kNormalized;
  if (const Field* f = m.find("approvals"))
    if (auto v = read_integer(ctx.diag, *f, 1, 100)) role.approvals = static_cast<int>(*v);
  if (const Field* f = m.find("requesters")) {
    if (auto v = read_string_list(ctx.diag, *f)) role.requesters = std::move(*v);
    check_groups(ctx, *f, role.requesters, config);
  }
  if (const Field* f = m.find("approvers")) {
    if (auto v = read_string_list(ctx.diag, *f)) role.approvers = std::move(*v);
    check_groups(ctx, *f, role.approvers, config);
  }

  if (const Field* f = m.find("auto_approve")) {
    if (auto v = read_string_list(ctx.diag, *f)) role.auto_approve = std::move(*v);
    check_groups(ctx, *f, role.auto_approve, config);
  }

  if (const Field* f = m.find("approvals"); f != nullptr && !role.approvers.empty())
    check_approver_count(ctx, *f, role, config);

  const Field* databases = m.find("databases");
  if (databases == nullptr) {
    ctx.diag.error(field.key, fmt::format("{}: missing databases (e.g. databases: [prod])",
                                          field.path));
  } else if (auto v = read_string_list(ctx.diag, *databases)) {
    role.databases = std::move(*v);
    check_databases(ctx, *databases, role, config);
  }

  const Field* login = m.find("login");
  if (login == nullptr) {
    ctx.diag.error(field.key, fmt::format("{}: missing login (the databases.<db>.logins entry "
                                          "sessions under this role use)",
                                          field.path));
  } else if (auto v = read_string(ctx.diag, *login)) {
    role.login = *v;
    check_login(ctx, *login, role, config);
  }
  return role;
}

}  // namespace

void read_roles(LoadContext& ctx, const Field& section, Config& config) {
  MapFields roles(ctx.diag, section);
  if (roles.is_map() && roles.fields().empty())
    ctx.diag.error(section.key, "roles: no roles defined (nobody could be granted access)");
  for (const Field& f : roles.fields()) {
    Role role = read_role(ctx, f, config);
    config.roles.emplace(role.name, std::move(role));
  }
}

}  // namespace proxy::config_detail
