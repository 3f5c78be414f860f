#include <fmt/core.h>

#include "proxy/cli.h"
#include "proxy/runtime.h"

namespace proxy::cli {

void add_check_config(CLI::App& app, Common& common) {
  auto* cmd = app.add_subcommand("check-config", "Validate the configuration (every problem, with line numbers)");
  cmd->callback([&common] {
    auto config = load_or_exit(common.config_path);
    for (const auto& w : config->warnings) fmt::print(stderr, "warning: {}\n", w.to_string());
    auto runtime = Runtime::build(config);   // loads certificates and keys, as serve would
    if (!runtime) {
      fmt::print(stderr, "pgveil: {}: {}\n", common.config_path, runtime.error());
      throw Exit{kExitUsage};
    }
    fmt::print("{}: OK ({} databases, {} roles, {} people)\n", common.config_path, config->databases.size(),
               config->roles.size(), config->people.size());
  });
}

}  // namespace proxy::cli
