// load_config / parse_config: YAML text -> validated Config, or every problem found.
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include "proxy/config/sections.h"

namespace proxy {
namespace {

using config_detail::Diagnostics;
using config_detail::Field;
using config_detail::LoadContext;
using config_detail::MapFields;

std::filesystem::path base_dir_of(const std::string& source_name) {
  std::error_code ec;
  std::filesystem::path source = source_name.empty() ? std::filesystem::path(".")
                                                     : std::filesystem::path(source_name);
  std::filesystem::path absolute = std::filesystem::absolute(source, ec);
  if (ec) return {};
  return absolute.parent_path();
}

// Syntax errors stop here: with a broken document there is nothing reliable to validate.
std::optional<YAML::Node> parse_yaml(Diagnostics& diag, std::string_view text) {
  std::vector<YAML::Node> documents;
  try {
    documents = YAML::LoadAll(std::string(text));
  } catch (const YAML::Exception& e) {
    const int line = e.mark.line >= 0 ? e.mark.line + 1 : 0;
    const int column = e.mark.column >= 0 ? e.mark.column + 1 : 0;
    diag.error_at(line, column, fmt::format("YAML syntax error: {}", e.msg));
    return std::nullopt;
  }
  if (documents.empty() || documents.front().IsNull()) {
    diag.error_at(0, 0, "the config is empty (it needs at least databases and roles)");
    return std::nullopt;
  }
  if (documents.size() > 1) {
    diag.error(documents[1], "config: found more than one YAML document ('---'); pgveil reads one");
    return std::nullopt;
  }
  return documents.front();
}

void read_config(LoadContext& ctx, const YAML::Node& root, Config& config) {
  config_detail::report_duplicate_keys(ctx.diag, root, "");
  const Field root_field{"", root, root};
  MapFields top(ctx.diag, root_field,
                {"listen", "workers", "tls", "limits", "store", "databases", "roles", "people",
                 "logging", "admin", "masking", "audit", "workflow"});
  if (!top.is_map()) return;

  config_detail::read_server_sections(ctx, top, config);
  // Order matters: roles are checked against the databases and people read before them.
  if (const Field* f = top.find("databases"))
    config_detail::read_databases(ctx, *f, config);
  else
    ctx.diag.error_at(0, 0, "databases: missing section (the upstream servers clients may use)");
  if (const Field* f = top.find("people")) config_detail::read_people(ctx, *f, config);
  if (const Field* f = top.find("audit")) config_detail::read_audit(ctx, *f, config);
  if (const Field* f = top.find("masking")) config_detail::read_masking(ctx, *f, config);
  if (const Field* f = top.find("roles"))
    config_detail::read_roles(ctx, *f, config);
  else
    ctx.diag.error_at(0, 0, "roles: missing section (what a grant gives access to)");
}

}  // namespace

ConfigResult parse_config(std::string_view yaml_text, const std::string& source_name,
                          EnvLookup env) {
  Diagnostics diag(source_name);
  auto config = std::make_shared<Config>();
  config->source = source_name;
  if (auto root = parse_yaml(diag, yaml_text)) {
    LoadContext ctx{diag, base_dir_of(source_name), env};
    try {
      read_config(ctx, *root, *config);
    } catch (const YAML::Exception& e) {
      // The readers check node types before use, so this is a yaml-cpp surprise; report it with
      // its position rather than crash start-up.
      diag.error_at(e.mark.line >= 0 ? e.mark.line + 1 : 0, e.mark.column >= 0 ? e.mark.column + 1 : 0,
                    fmt::format("cannot read config: {}", e.msg));
    }
  }
  if (diag.has_errors()) return std::unexpected(diag.take_errors());
  config->warnings = diag.take_warnings();
  return std::shared_ptr<const Config>(std::move(config));
}

ConfigResult load_config(const std::string& path, EnvLookup env) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return std::unexpected(std::vector<ConfigProblem>{
        ConfigProblem{path, 0, 0, fmt::format("cannot read config file: {}", std::strerror(errno))}});
  }
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) {
    return std::unexpected(
        std::vector<ConfigProblem>{ConfigProblem{path, 0, 0, "cannot read config file"}});
  }
  return parse_config(text.str(), path, std::move(env));
}

}  // namespace proxy
