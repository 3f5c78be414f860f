#include <fmt/core.h>

#include "proxy/cli.h"

namespace proxy::cli {

std::shared_ptr<const Config> load_or_exit(const std::string& path) {
  auto loaded = load_config(path);
  if (!loaded) {
    fmt::print(stderr, "pgveil: {} has {} problem{}:\n", path, loaded.error().size(), loaded.error().size() == 1 ? "" : "s");
    for (const auto& p : loaded.error()) fmt::print(stderr, "  {}\n", p.to_string());
    throw Exit{kExitUsage};
  }
  return *loaded;
}

}  // namespace proxy::cli
