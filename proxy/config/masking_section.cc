// masking: the profiles roles refer to. Parsing and pattern compilation live in masking/
// (rules_yaml.h); this file only supplies the key (a file next to the config, or a variable)
// and turns masking's problems into config problems with their positions.
#include <fmt/format.h>

#include "masking/rules_yaml.h"
#include "proxy/config/sections.h"

namespace proxy::config_detail {

void read_masking(LoadContext& ctx, const Field& field, Config& config) {
  const masking::KeyLoader load_key =
      [&ctx](const masking::KeySource& source) -> std::expected<std::string, std::string> {
    if (source.kind == masking::KeySource::Kind::kEnv) {
      if (auto value = lookup_env(ctx, source.where); value && !value->empty()) return *value;
      return std::unexpected(fmt::format("environment variable {} is not set or empty", source.where));
    }
    std::filesystem::path path(source.where);
    if (path.is_relative()) path = ctx.base_dir / path;
    auto file = read_secret_file(path.string());
    if (!file) return std::unexpected("key " + file.error());
    return std::move(file->content);
  };
  auto parsed = masking::parse_masking_config(field.value, load_key);
  if (!parsed) {
    for (const auto& problem : parsed.error()) ctx.diag.error_at(problem.line, problem.column, problem.message);
    return;
  }
  config.masking_profiles = std::move(parsed->profiles);
}

}  // namespace proxy::config_detail
