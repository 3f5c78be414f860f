// roles.<name>.statements, deny_functions, allow_functions -> policy::StatementRules.
#include <algorithm>
#include <cctype>

#include <fmt/format.h>

#include "proxy/config/sections.h"

namespace proxy::config_detail {
namespace {

// A function name as PostgreSQL folds it, optionally ending in '*' (a prefix). No schema: a
// rule applies in every schema, so pg_catalog.f and a look-alike public.f are both caught.
std::optional<std::string> check_pattern(Diagnostics& diag, const YAML::Node& at, const std::string& path,
                                         const std::string& name) {
  const std::string_view stem = std::string_view(name).substr(0, name.size() - (name.ends_with('*') ? 1 : 0));
  const bool valid = !stem.empty() && std::ranges::all_of(stem, [](unsigned char c) {
    return std::isalnum(c) || c == '_' || c == '$' || c >= 0x80;
  }) && !std::isdigit(static_cast<unsigned char>(stem.front()));
  if (name.find('.') != std::string::npos) {
    diag.error(at, fmt::format("{}: '{}': give the function name without a schema (it is matched in every schema)",
                               path, name));
    return std::nullopt;
  }
  if (!valid) {
    diag.error(at, fmt::format("{}: '{}' is not a function name (letters, digits, _ and $, optionally ending in * "
                               "for a prefix, e.g. lo_*)",
                               path, name));
    return std::nullopt;
  }
  std::string folded(name);
  for (char& c : folded) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return folded;
}

std::vector<std::string> read_patterns(LoadContext& ctx, const Field& field) {
  std::vector<std::string> out;
  auto names = read_string_list(ctx.diag, field);
  if (!names) return out;
  for (std::size_t i = 0; i < names->size(); ++i) {
    const YAML::Node item = field.value[i];
    auto pattern = check_pattern(ctx.diag, item.Mark().line >= 0 ? item : field.key,
                                 fmt::format("{}[{}]", field.path, i), (*names)[i]);
    if (pattern) out.push_back(std::move(*pattern));
  }
  return out;
}

// Whether some function name matches both patterns.
bool overlap(std::string_view a, std::string_view b) {
  const bool prefix_a = a.ends_with('*'), prefix_b = b.ends_with('*');
  if (prefix_a) a.remove_suffix(1);
  if (prefix_b) b.remove_suffix(1);
  if (prefix_a && prefix_b) return a.starts_with(b) || b.starts_with(a);
  if (prefix_a) return b.starts_with(a);
  if (prefix_b) return a.starts_with(b);
  return a == b;
}

// An allow entry that takes nothing out of the deny lists is most likely a typo.
void check_allow_has_effect(LoadContext& ctx, const Field& field, const policy::StatementRules& rules) {
  for (std::size_t i = 0; i < rules.allow_functions.size(); ++i) {
    const auto covers = [&](std::string_view denied) { return overlap(denied, rules.allow_functions[i]); };
    const bool effective =
        std::ranges::any_of(rules.deny_functions, covers) ||
        (rules.mode == policy::StatementMode::kReadOnly && std::ranges::any_of(policy::default_denied_functions(), covers));
    if (!effective)
      ctx.diag.warning(field.value[i], fmt::format("{}[{}]: '{}' is not denied by this role, so allowing it changes "
                                                   "nothing",
                                                   field.path, i, rules.allow_functions[i]));
  }
}

}  // namespace

void read_statement_rules(LoadContext& ctx, const MapFields& m, Role& role) {
  policy::StatementRules& rules = role.statement_rules;
  if (const Field* f = m.find("statements"))
    if (auto v = read_choice(ctx.diag, *f, {"all", "read-only"})) {
      role.statements = *v;
      rules.mode = *v == "read-only" ? policy::StatementMode::kReadOnly : policy::StatementMode::kAll;
    }
  if (const Field* f = m.find("deny_functions")) rules.deny_functions = read_patterns(ctx, *f);
  if (const Field* f = m.find("allow_functions")) {
    rules.allow_functions = read_patterns(ctx, *f);
    check_allow_has_effect(ctx, *f, rules);
  }
}

}  // namespace proxy::config_detail
