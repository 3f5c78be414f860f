// `pgveil grant create|list|revoke`: the operator commands for grants (the request/approve
// workflow of issue #3 builds on the same store).
#include <fmt/chrono.h>
#include <fmt/core.h>
#include <nlohmann/json.hpp>
#include <unistd.h>

#include <algorithm>

#include "policy/grant_store.h"
#include "policy/time_format.h"
#include "proxy/access.h"
#include "proxy/cli.h"
#include "proxy/config/units.h"

namespace proxy::cli {
namespace {

struct GrantArgs {
  std::string user, db, role, duration = "1h", reason, start;
  std::int64_t id = 0;
  bool json = false;
  std::optional<std::string> filter_user, filter_db;
  std::string by;
};

std::unique_ptr<policy::GrantStore> open_store(const Config& config) {
  if (config.store_sqlite.empty() && config.store_postgres.empty()) {
    fmt::print(stderr, "pgveil: {} has no grant store (store: {{ sqlite: PATH }} or {{ postgres: CONNINFO }})\n",
               config.source);
    throw Exit{kExitUsage};
  }
  auto store = open_grant_store(config);
  if (!store) {
    fmt::print(stderr, "pgveil: {}\n", store.error());
    throw Exit{kExitFailure};
  }
  return std::move(*store);
}

[[noreturn]] void usage_error(const std::string& message) {
  fmt::print(stderr, "pgveil grant: {}\n", message);
  throw Exit{kExitUsage};
}

std::string operator_identity() {
  const char* sudo = std::getenv("SUDO_USER");
  const char* user = std::getenv("USER");
  return "cli:" + std::string(sudo != nullptr ? sudo : user != nullptr ? user : std::to_string(getuid()));
}

void create(const Common& common, const GrantArgs& a) {
  auto config = load_or_exit(common.config_path);
  const Database* db = config->database(a.db);
  if (db == nullptr) usage_error(fmt::format("database \"{}\" is not in {}", a.db, config->source));
  const Role* role = config->role(a.role);
  if (role == nullptr) usage_error(fmt::format("role \"{}\" is not in {}", a.role, config->source));
  if (config->login_for(*role, a.db) == nullptr) {
    usage_error(fmt::format("role \"{}\" does not cover database \"{}\"", a.role, a.db));
  }
  if (!config->people.empty() && !config->people.contains(a.user)) {
    usage_error(fmt::format("\"{}\" is not listed under people: in {}", a.user, config->source));
  }
  auto duration = parse_duration(a.duration);
  if (!duration || duration->count() <= 0) usage_error(fmt::format("--for: '{}' is not a duration (use 30m, 2h, 1h30m)", a.duration));
  if (*duration > role->max_duration) {
    usage_error(fmt::format("--for {} exceeds role \"{}\"'s max_duration of {}", a.duration, a.role,
                            policy::format_duration(role->max_duration)));
  }
  if (a.reason.empty()) usage_error("--reason is required (a ticket or incident reference)");
  const auto now = policy::Clock::now();
  auto not_before = now;
  if (!a.start.empty()) {
    auto delay = parse_duration(a.start);
    if (!delay) usage_error(fmt::format("--start: '{}' is not a duration from now (e.g. 30m)", a.start));
    not_before = now + *delay;
  }
  const auto not_after = not_before + std::chrono::duration_cast<policy::Clock::duration>(*duration);
  auto store = open_store(*config);
  auto issued = store->issue({a.user, a.db, a.role, a.reason, operator_identity(), not_before, not_after}, now);
  if (!issued) {
    fmt::print(stderr, "pgveil grant: {}\n", issued.error());
    throw Exit{kExitFailure};
  }
  const auto& g = issued->grant;
  const std::string psql = psql_line(*config, a.user, a.db, issued->secret);
  if (a.json) {
    nlohmann::json out = {{"id", g.id},         {"person", g.person},
                          {"database", g.database}, {"role", g.role},
                          {"not_before", policy::format_time(g.not_before)},
                          {"not_after", policy::format_time(g.not_after)},
                          {"secret", issued->secret}, {"psql", psql}};
    fmt::print("{}\n", out.dump());
    return;
  }
  fmt::print("Grant {} issued: {} may use role {} on {} from {} until {}.\n\n", g.id, g.person, g.role, g.database,
             policy::format_time(g.not_before), policy::format_time(g.not_after));
  fmt::print("Secret (shown once, give it to {} only):\n  {}\n\nConnect with:\n  {}\n", g.person, issued->secret, psql);
}

void list(const Common& common, const GrantArgs& a) {
  auto config = load_or_exit(common.config_path);
  auto store = open_store(*config);
  auto grants = store->list(a.filter_user, a.filter_db);
  if (!grants) {
    fmt::print(stderr, "pgveil grant: {}\n", grants.error());
    throw Exit{kExitFailure};
  }
  const auto now = policy::Clock::now();
  if (a.json) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& g : *grants) {
      out.push_back({{"id", g.id}, {"person", g.person}, {"database", g.database}, {"role", g.role},
                     {"state", policy::to_string(policy::state_at(g, now))}, {"reason", g.reason},
                     {"created_by", g.created_by}, {"not_before", policy::format_time(g.not_before)},
                     {"not_after", policy::format_time(g.not_after)},
                     {"revoked_at", g.revoked_at ? nlohmann::json(policy::format_time(*g.revoked_at)) : nlohmann::json()},
                     {"revoked_by", g.revoked_by}, {"revoke_reason", g.revoke_reason}});
    }
    fmt::print("{}\n", out.dump(2));
    return;
  }
  fmt::print("{:>5}  {:<12} {:<10} {:<12} {:<9} {:<20}  {}\n", "ID", "PERSON", "DATABASE", "ROLE", "STATE", "UNTIL", "REASON");
  for (const auto& g : *grants) {
    fmt::print("{:>5}  {:<12} {:<10} {:<12} {:<9} {:<20}  {}\n", g.id, g.person, g.database, g.role,
               policy::to_string(policy::state_at(g, now)), policy::format_time(g.not_after), g.reason);
  }
}

void revoke(const Common& common, const GrantArgs& a) {
  auto config = load_or_exit(common.config_path);
  auto store = open_store(*config);
  if (a.reason.empty()) usage_error("--reason is required");
  auto revoked = store->revoke(a.id, operator_identity(), a.reason, policy::Clock::now());
  if (!revoked) {
    fmt::print(stderr, "pgveil grant: {}\n", revoked.error());
    throw Exit{kExitFailure};
  }
  if (!*revoked) {
    fmt::print(stderr, "pgveil grant: grant {} had already ended\n", a.id);
    throw Exit{kExitFailure};
  }
  fmt::print("Grant {} revoked; its live sessions end within a second.\n", a.id);
}

}  // namespace

void add_grant(CLI::App& app, Common& common) {
  auto args = std::make_shared<GrantArgs>();
  auto* grant = app.add_subcommand("grant", "Issue, list and revoke access grants (operator commands)");
  grant->require_subcommand(1);

  auto* c = grant->add_subcommand("create", "Issue a time-bound grant and print its one-time secret");
  c->add_option("--user", args->user, "Person the grant is for (their PostgreSQL user name at pgveil)")->required();
  c->add_option("--db", args->db, "Database name as clients use it")->required();
  c->add_option("--role", args->role, "Role from the configuration")->required();
  c->add_option("--for", args->duration, "How long, e.g. 30m, 2h (at most the role's max_duration)")->capture_default_str();
  c->add_option("--reason", args->reason, "Why: ticket or incident reference")->required();
  c->add_option("--start", args->start, "Start later: delay from now, e.g. 2h (scheduled access)");
  c->add_flag("--json", args->json, "Print JSON for scripts");
  c->callback([&common, args] { create(common, *args); });

  auto* l = grant->add_subcommand("list", "List grants with their state");
  l->add_option("--user", args->filter_user, "Only this person");
  l->add_option("--db", args->filter_db, "Only this database");
  l->add_flag("--json", args->json, "Print JSON for scripts");
  l->callback([&common, args] { list(common, *args); });

  auto* r = grant->add_subcommand("revoke", "End a grant now; its live sessions are terminated");
  r->add_option("id", args->id, "Grant id")->required();
  r->add_option("--reason", args->reason, "Why")->required();
  r->callback([&common, args] { revoke(common, *args); });
}

}  // namespace proxy::cli
