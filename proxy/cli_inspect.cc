// `pgveil grants | sessions | kill | token`: what is granted and who is connected, over the
// admin API; tables for people, --json for scripts.
#include <fmt/core.h>

#include <cctype>

#include "proxy/api_client.h"
#include "proxy/cli.h"

namespace proxy::cli {
namespace {

struct InspectArgs {
  ApiArgs api;
  std::optional<std::string> state, person, db, role;
  std::string reason, token_person;
  std::uint64_t id = 0;
};

std::string query_of(const InspectArgs& a) {
  std::string q;
  auto add = [&q](const char* name, const std::optional<std::string>& v) {
    if (!v) return;
    q += q.empty() ? "?" : "&";
    q += name;
    q += '=';
    for (char c : *v) {
      // Names are plain identifiers; anything else is percent-encoded.
      if (std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.') {
        q += c;
      } else {
        q += fmt::format("%{:02X}", static_cast<unsigned char>(c));
      }
    }
  };
  add("state", a.state);
  add("person", a.person);
  add("database", a.db);
  add("role", a.role);
  return q;
}

std::string text(const nlohmann::json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return "-";
  return it->is_string() ? it->get<std::string>() : it->dump();
}

void grants(const InspectArgs& a) {
  auto list = api(a.api, "GET", "/v1/grants" + query_of(a), "grants");
  if (a.api.json) {
    fmt::print("{}\n", list.dump(2));
    return;
  }
  fmt::print("{:>5}  {:<10} {:<10} {:<12} {:<9} {:<9} {:<20}  {}\n", "ID", "PERSON", "DATABASE", "ROLE", "STATE",
             "APPROVALS", "UNTIL", "REASON");
  for (const auto& g : list) {
    fmt::print("{:>5}  {:<10} {:<10} {:<12} {:<9} {:<9} {:<20}  {}\n", g["id"].get<std::int64_t>(), text(g, "person"),
               text(g, "database"), text(g, "role"), text(g, "state"),
               fmt::format("{}/{}", g["approvals"].get<int>(), g["approvals_required"].get<int>()),
               text(g, "not_after"), text(g, "reason"));
  }
}

void sessions(const InspectArgs& a) {
  auto list = api(a.api, "GET", "/v1/sessions", "sessions");
  if (a.api.json) {
    fmt::print("{}\n", list.dump(2));
    return;
  }
  fmt::print("{:>6}  {:<10} {:<10} {:<12} {:>5}  {:<21} {:<20}  {}\n", "ID", "PERSON", "DATABASE", "ROLE", "GRANT",
             "PEER", "STARTED", "APPLICATION");
  for (const auto& s : list) {
    fmt::print("{:>6}  {:<10} {:<10} {:<12} {:>5}  {:<21} {:<20}  {}\n", s["id"].get<std::uint64_t>(),
               text(s, "person"), text(s, "database"), text(s, "role"), s["grant_id"].get<std::int64_t>(),
               text(s, "peer"), text(s, "started"), text(s, "application_name"));
  }
}

void kill(const InspectArgs& a) {
  auto out = api(a.api, "POST", fmt::format("/v1/sessions/{}/kill", a.id), "kill", {{"reason", a.reason}});
  if (a.api.json) {
    fmt::print("{}\n", out.dump(2));
    return;
  }
  fmt::print("Session {} of {} is being terminated.\n", a.id, text(out["killed"], "person"));
}

void token_issue(const InspectArgs& a) {
  auto out = api(a.api, "POST", "/v1/tokens", "token issue", {{"person", a.token_person}});
  if (a.api.json) {
    fmt::print("{}\n", out.dump(2));
    return;
  }
  fmt::print("API token {} for {} (shown once; only its SHA-256 digest is stored):\n  {}\n\n"
             "Give it to {} only. They use it as: export PGVEIL_TOKEN=…\n",
             out["id"].get<std::int64_t>(), a.token_person, out["token"].get<std::string>(), a.token_person);
}

void token_list(const InspectArgs& a) {
  auto list = api(a.api, "GET", "/v1/tokens", "token list");
  if (a.api.json) {
    fmt::print("{}\n", list.dump(2));
    return;
  }
  fmt::print("{:>5}  {:<12} {:<20}  {:<10} {}\n", "ID", "PERSON", "CREATED", "BY", "REVOKED");
  for (const auto& t : list) {
    fmt::print("{:>5}  {:<12} {:<20}  {:<10} {}\n", t["id"].get<std::int64_t>(), text(t, "person"),
               text(t, "created_at"), text(t, "created_by"), text(t, "revoked_at"));
  }
}

void token_revoke(const InspectArgs& a) {
  auto out = api(a.api, "POST", fmt::format("/v1/tokens/{}/revoke", a.id), "token revoke");
  if (a.api.json) {
    fmt::print("{}\n", out.dump(2));
    return;
  }
  fmt::print("API token {} revoked.\n", a.id);
}

}  // namespace

void add_inspect(CLI::App& app) {
  // One InspectArgs per command: CLI11 applies PGVEIL_SERVER / PGVEIL_TOKEN to the options of
  // every subcommand, so options sharing one variable would overwrite a flag given explicitly.
  auto args = std::make_shared<InspectArgs>();
  auto* g = app.add_subcommand("grants", "List requests and grants you may see, with their state");
  g->add_option("--state", args->state, "requested | scheduled | active | expired | denied | cancelled | revoked");
  g->add_option("--person", args->person, "Only this person");
  g->add_option("--db", args->db, "Only this database");
  g->add_option("--role", args->role, "Only this role");
  add_api_options(g, args->api);
  g->callback([args] { grants(*args); });

  args = std::make_shared<InspectArgs>();
  auto* s = app.add_subcommand("sessions", "List live sessions you may see");
  add_api_options(s, args->api);
  s->callback([args] { sessions(*args); });

  args = std::make_shared<InspectArgs>();
  auto* k = app.add_subcommand("kill", "Terminate a live session (its running query is cancelled)");
  k->add_option("session", args->id, "Session id (from pgveil sessions)")->required();
  k->add_option("--reason", args->reason, "Why (the client sees it)");
  add_api_options(k, args->api);
  k->callback([args] { kill(*args); });

  auto* t = app.add_subcommand("token", "Personal API tokens (admin token required)");
  t->require_subcommand(1);
  args = std::make_shared<InspectArgs>();
  auto* ti = t->add_subcommand("issue", "Issue a token for a person listed under people:");
  ti->add_option("person", args->token_person, "Person name")->required();
  add_api_options(ti, args->api);
  ti->callback([args] { token_issue(*args); });
  args = std::make_shared<InspectArgs>();
  auto* tl = t->add_subcommand("list", "List tokens (never their values)");
  add_api_options(tl, args->api);
  tl->callback([args] { token_list(*args); });
  args = std::make_shared<InspectArgs>();
  auto* tr = t->add_subcommand("revoke", "Revoke a token");
  tr->add_option("id", args->id, "Token id")->required();
  add_api_options(tr, args->api);
  tr->callback([args] { token_revoke(*args); });
}

}  // namespace proxy::cli
