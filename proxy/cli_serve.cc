#include <fmt/core.h>

#include <csignal>
#include <cstdlib>
#include <memory>
#include <spdlog/spdlog.h>

#include "proxy/audit_sinks.h"
#include "proxy/cli.h"
#include "proxy/logging.h"
#include "proxy/server.h"
#include "proxy/test_clock.h"

namespace proxy::cli {

void add_serve(CLI::App& app, Common& common) {
  auto* cmd = app.add_subcommand("serve", "Run the proxy (SIGHUP reloads the configuration, SIGTERM drains)");
  // Hidden: for pgveil's integration tests only (proxy/test_clock.h says why it takes two keys).
  auto test_clock = std::make_shared<bool>(false);
  cmd->add_flag("--test-clock", *test_clock, "")->group("");
  cmd->callback([&common, test_clock] {
    auto clock_file = test_clock_file(*test_clock, std::getenv(kTestClockEnv));
    if (!clock_file) {
      fmt::print(stderr, "pgveil serve: {}\n", clock_file.error());
      throw Exit{kExitUsage};
    }
    auto config = load_or_exit(common.config_path);
    if (auto logging = setup_logging(config->logging); !logging) {
      fmt::print(stderr, "pgveil: {}\n", logging.error());
      throw Exit{kExitFailure};
    }
    for (const auto& w : config->warnings) spdlog::warn("{}", w.to_string());
    if (config->store_sqlite.empty()) {
      spdlog::critical("{}: no grant store configured (store: {{ sqlite: PATH }})", common.config_path);
      throw Exit{kExitUsage};
    }
    auto store = policy::GrantStore::open_sqlite(config->store_sqlite);
    if (!store) {
      spdlog::critical("grant store {}: {}", config->store_sqlite, store.error());
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
    if (!clock_file->empty()) {
      auto clock = std::make_shared<TestClock>(*clock_file);
      spdlog::warn("TEST CLOCK ACTIVE: pgveil's time is the system clock plus the offset in {} ({} s now). "
                   "This is for pgveil's own tests; never run production like this.",
                   clock->path(), std::chrono::round<std::chrono::seconds>(clock->now() - policy::Clock::now()).count());
      server.set_clock([clock] { return clock->now(); });
    }
    throw Exit{server.run()};
  });
}

}  // namespace proxy::cli
