// The `pgveil` command line. Each subcommand lives in its own cli_*.cc and registers itself on
// the CLI11 app. Exit codes scripts can trust (README "Access workflow"): 0 success, 1 runtime
// failure (server unreachable, store or server error), 2 usage or validation error (bad flags,
// invalid config or input, no such grant), 3 refused by policy (not allowed, wrong state, bad or
// missing token).
#pragma once

#include <CLI/CLI.hpp>
#include <expected>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "proxy/config/config.h"

namespace proxy::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;
inline constexpr int kExitUsage = 2;
inline constexpr int kExitRefused = 3;

struct Common {
  std::string config_path = "/etc/pgveil/pgveil.yaml";
};

// Thrown by a subcommand callback to end with an exit code (after printing its own message).
struct Exit {
  int code;
};

// Loads the configuration or prints every problem (with line numbers) and throws Exit{2}.
std::shared_ptr<const Config> load_or_exit(const std::string& path);

// Audit FILE arguments in chain order: with `with_rotated`, each FILE's rotated files (FILE.<seq>,
// audit/file_sink.h) come before it. The error names a FILE that has neither.
std::expected<std::vector<std::filesystem::path>, std::string> audit_files(const std::vector<std::string>& files,
                                                                            bool with_rotated);

void add_serve(CLI::App& app, Common& common);
void add_grant(CLI::App& app, Common& common);
void add_check_config(CLI::App& app, Common& common);
void add_audit(CLI::App& app, Common& common);
void add_mask(CLI::App& app, Common& common);
void add_audit_tail(CLI::App& audit_cmd);  // under `audit`, from add_audit
void add_report(CLI::App& app, Common& common);
// The access workflow over the admin API: request, approve, deny, revoke, cancel, connect.
void add_workflow(CLI::App& app);
// grants, sessions, kill, token issue|list|revoke.
void add_inspect(CLI::App& app);

}  // namespace proxy::cli
