#include <fmt/core.h>

#include "audit/file_sink.h"
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

std::expected<std::vector<std::filesystem::path>, std::string> audit_files(const std::vector<std::string>& files,
                                                                            bool with_rotated) {
  std::vector<std::filesystem::path> out;
  for (const auto& f : files) {
    if (!with_rotated) {
      out.emplace_back(f);
      continue;
    }
    const auto chain = audit::FileSink::chain_files(f);
    if (chain.empty()) return std::unexpected(fmt::format("{}: no such audit file and no rotated files next to it", f));
    out.insert(out.end(), chain.begin(), chain.end());
  }
  return out;
}

}  // namespace proxy::cli
