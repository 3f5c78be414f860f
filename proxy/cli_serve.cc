#include <fmt/core.h>

#include <csignal>
#include <spdlog/spdlog.h>

#include "proxy/access.h"
#include "proxy/audit_sinks.h"
#include "proxy/cli.h"
#include "proxy/logging.h"
#include "proxy/server.h"

namespace proxy::cli {

void add_serve(CLI::App& app, Common& common) {
  auto* cmd = app.add_subcommand("serve", "Run the proxy (SIGHUP reloads the configuration, SIGTERM drains)");
  cmd->callback([&common] {
    auto config = load_or_exit(common.config_path);
    if (auto logging = setup_logging(config->logging); !logging) {
      fmt::print(stderr, "pgveil: {}\n", logging.error());
      throw Exit{kExitFailure};
    }
    for (const auto& w : config->warnings) spdlog::warn("{}", w.to_string());
    if (config->store_sqlite.empty() && config->store_postgres.empty()) {
      spdlog::critical("{}: no grant store configured (store: {{ sqlite: PATH }} or {{ postgres: CONNINFO }})",
                       common.config_path);
      throw Exit{kExitUsage};
    }
    auto store = open_grant_store(*config);
    if (!store) {
      spdlog::critical("{}", store.error());
      throw Exit{kExitFailure};
    }
    auto runtime = Runtime::build(config);
    if (!runtime) {
      spdlog::critical("{}", runtime.error());
      throw Exit{kExitFailure};
    }
    // A file size limit (ulimit -f) must fail an audit write with EFBIG, which the failure policy
    // handles, instead of killing the proxy.
    std::signal(SIGXFSZ, SIG_IGN);
    auto audit = open_audit_writer(config->audit);
    if (!audit) {
      spdlog::critical("{} (pgveil does not run unaudited when an audit section is configured)", audit.error());
      throw Exit{kExitFailure};
    }
    if (*audit) spdlog::info("audit: {} sink(s), on_failure: {}", config->audit.sinks.size(),
                             config->audit.on_failure == audit::FailurePolicy::kBlock ? "block" : "continue");
    Server server(common.config_path, std::move(*runtime), std::move(*store), std::move(*audit));
    throw Exit{server.run()};
  });
}

}  // namespace proxy::cli
