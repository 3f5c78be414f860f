// `pgveil request | approve | deny | revoke | cancel | connect`: the access workflow, as a client
// of the admin API (README "Access workflow").
#include <fmt/core.h>
#include <unistd.h>

#include <chrono>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <thread>

#include "proxy/api_client.h"
#include "proxy/cli.h"

namespace proxy::cli {
namespace {

struct WorkflowArgs {
  ApiArgs api;
  std::string db, role, reason, duration = "1h", start;
  bool wait = false, print = false;
  std::int64_t id = 0;
};

bool is_time(const std::string& text) { return text.find('T') != std::string::npos && text.ends_with('Z'); }

std::string window_text(const nlohmann::json& g) {
  return fmt::format("from {} until {}", g.value("not_before", std::string("?")), g.value("not_after", std::string("?")));
}

bool opened(const nlohmann::json& g) {
  const std::string state = g["state"];
  return state == "active" || state == "scheduled";
}

nlohmann::json claim(const ApiArgs& api_args, std::int64_t id) {
  return api(api_args, "POST", fmt::format("/v1/grants/{}/secret", id), "connect");
}

void print_secret(const nlohmann::json& claimed) {
  const auto& g = claimed["grant"];
  fmt::print("Grant {} is approved: {} may use role {} on {} {}.\n\n", g["id"].get<std::int64_t>(),
             g["person"].get<std::string>(), g["role"].get<std::string>(), g["database"].get<std::string>(),
             window_text(g));
  fmt::print("Secret (shown once; it is not stored anywhere):\n  {}\n\nConnect with:\n  {}\n",
             claimed["secret"].get<std::string>(), claimed["psql"].get<std::string>());
}

// Polls the grant until someone decided; returns it.
nlohmann::json wait_for_decision(const ApiArgs& api_args, std::int64_t id) {
  for (;;) {
    auto g = api(api_args, "GET", fmt::format("/v1/grants/{}", id), "request");
    if (g["state"] != "requested") return g;
    std::this_thread::sleep_for(std::chrono::seconds(1));
  }
}

void request(const WorkflowArgs& a) {
  nlohmann::json body = {{"database", a.db}, {"role", a.role}, {"reason", a.reason}, {"duration", a.duration}};
  if (!a.start.empty()) body[is_time(a.start) ? "start" : "start_in"] = a.start;
  auto grant = api(a.api, "POST", "/v1/requests", "request", body);
  const std::int64_t id = grant["id"];
  if (grant["state"] == "requested" && !a.wait) {
    if (a.api.json) {
      fmt::print("{}\n", grant.dump(2));
      return;
    }
    fmt::print("Request {} recorded: role {} on {} for {} ({} approval{} needed).\n", id, a.role, a.db, a.duration,
               grant["approvals_required"].get<int>(), grant["approvals_required"].get<int>() == 1 ? "" : "s");
    fmt::print("An approver runs: pgveil approve {}\nThen collect your secret once with: pgveil connect {}\n", id, id);
    return;
  }
  if (grant["state"] == "requested") {
    if (!a.api.json) fmt::print(stderr, "Request {} recorded; waiting for approval (Ctrl-C stops waiting)…\n", id);
    grant = wait_for_decision(a.api, id);
  }
  if (!opened(grant)) {
    if (a.api.json) {
      fmt::print("{}\n", grant.dump(2));
    } else {
      const auto& last = grant["history"].back();
      fmt::print(stderr, "pgveil request: grant {} was {} by {}{}\n", id, grant["state"].get<std::string>(),
                 last["actor"].get<std::string>(),
                 last["reason"].get<std::string>().empty() ? "" : ": " + last["reason"].get<std::string>());
    }
    throw Exit{kExitRefused};
  }
  auto claimed = claim(a.api, id);
  if (a.api.json) {
    fmt::print("{}\n", claimed.dump(2));
    return;
  }
  print_secret(claimed);
}

void change(const WorkflowArgs& a, std::string_view verb) {
  auto grant = api(a.api, "POST", fmt::format("/v1/grants/{}/{}", a.id, verb), verb, {{"reason", a.reason}});
  if (a.api.json) {
    fmt::print("{}\n", grant.dump(2));
    return;
  }
  const std::string state = grant["state"];
  const std::string who = fmt::format("{} (role {} on {})", grant["person"].get<std::string>(),
                                      grant["role"].get<std::string>(), grant["database"].get<std::string>());
  if (verb == "approve" && state == "requested") {
    fmt::print("Approval recorded for grant {} of {}: {} of {} approvals.\n", a.id, who,
               grant["approvals"].get<int>(), grant["approvals_required"].get<int>());
  } else if (verb == "approve") {
    fmt::print("Grant {} approved: {} {}. The requester collects the secret with: pgveil connect {}\n", a.id, who,
               window_text(grant), a.id);
  } else if (verb == "revoke") {
    fmt::print("Grant {} of {} revoked; its live sessions end within a second.\n", a.id, who);
  } else {
    fmt::print("Grant {} of {} is now {}.\n", a.id, who, state);
  }
}

void connect(const WorkflowArgs& a) {
  auto claimed = claim(a.api, a.id);
  if (a.api.json) {
    fmt::print("{}\n", claimed.dump(2));
    return;
  }
  if (a.print) {
    print_secret(claimed);
    return;
  }
  const std::string secret = claimed["secret"];
  const std::string conninfo = claimed["conninfo"];
  ::setenv("PGPASSWORD", secret.c_str(), 1);
  fmt::print(stderr, "Opening psql \"{}\" (grant {}). The secret is shown once: to connect again later, run\n  {}\n",
             conninfo, a.id, claimed["psql"].get<std::string>());
  std::fflush(stderr);
  ::execlp("psql", "psql", conninfo.c_str(), static_cast<char*>(nullptr));
  fmt::print(stderr, "pgveil connect: cannot run psql ({}); connect yourself with the line above\n", std::strerror(errno));
  throw Exit{kExitFailure};
}

// Each command gets its own WorkflowArgs: CLI11 applies PGVEIL_SERVER / PGVEIL_TOKEN to the
// options of every subcommand, so a shared variable would lose a flag given explicitly.
CLI::App* grant_command(CLI::App& app, const char* name, const char* help, const std::shared_ptr<WorkflowArgs>& args,
                        bool reason_required) {
  auto* cmd = app.add_subcommand(name, help);
  cmd->add_option("id", args->id, "Grant id")->required();
  auto* reason = cmd->add_option("--reason", args->reason, "Why (the requester and the audit log see it)");
  if (reason_required) reason->required();
  add_api_options(cmd, args->api);
  return cmd;
}

}  // namespace

void add_workflow(CLI::App& app) {
  auto args = std::make_shared<WorkflowArgs>();
  auto* r = app.add_subcommand("request", "Ask for time-bound access to a database under a role");
  r->add_option("--db", args->db, "Database name as clients use it")->required();
  r->add_option("--role", args->role, "Role from the configuration")->required();
  r->add_option("--reason", args->reason, "Why: ticket or incident reference")->required();
  r->add_option("--for", args->duration, "How long, e.g. 30m, 2h (at most the role's max_duration)")
      ->capture_default_str();
  r->add_option("--start", args->start, "Scheduled access: a delay (2h) or a UTC time (2026-12-04T09:00:00Z)");
  r->add_flag("--wait", args->wait, "Wait for the decision, then print the connection secret");
  add_api_options(r, args->api);
  r->callback([args] { request(*args); });

  struct Step {
    const char* name;
    const char* help;
    bool reason_required;
  };
  for (const Step step : {Step{"approve", "Approve a request (never your own)", false},
                          Step{"deny", "Deny a request", true},
                          Step{"revoke", "End a grant now; its live sessions are terminated", true},
                          Step{"cancel", "Withdraw your own request (or scheduled grant)", false}}) {
    auto own = std::make_shared<WorkflowArgs>();
    grant_command(app, step.name, step.help, own, step.reason_required)->callback([own, verb = step.name] {
      change(*own, verb);
    });
  }

  args = std::make_shared<WorkflowArgs>();
  auto* c = app.add_subcommand("connect", "Collect the connection secret of your approved grant (once) and open psql");
  c->add_option("id", args->id, "Grant id")->required();
  c->add_flag("--print", args->print, "Print the secret and the psql line instead of running psql");
  add_api_options(c, args->api);
  c->callback([args] { connect(*args); });
}

}  // namespace proxy::cli
