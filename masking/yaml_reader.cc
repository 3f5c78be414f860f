#include "masking/yaml_reader.h"

#include <algorithm>
#include <set>

#include <fmt/format.h>
#include <re2/re2.h>

namespace masking::yaml_detail {
namespace {

std::pair<int, int> position(const YAML::Node& node) {
  if (!node.IsDefined()) return {0, 0};
  const YAML::Mark mark = node.Mark();
  if (mark.line < 0) return {0, 0};
  return {mark.line + 1, mark.column + 1};
}

std::string_view kind_of(const YAML::Node& node) {
  if (node.IsMap()) return "a map";
  if (node.IsSequence()) return "a list";
  if (node.IsScalar()) return "a single value";
  return "nothing";
}

std::string join(const std::vector<std::string>& names) {
  std::string s;
  for (std::size_t i = 0; i < names.size(); ++i) s += (i == 0 ? "" : i + 1 == names.size() ? " or " : ", ") + names[i];
  return s;
}

}  // namespace

bool is_null(const YAML::Node& node) { return !node.IsDefined() || node.IsNull(); }

void Problems::error(const Entry& at, std::string message) {
  // A non-null value points at itself; a null one at its key (see Entry).
  error_at(is_null(at.value) ? at.key : at.value, std::move(message));
}

void Problems::error_at(const YAML::Node& node, std::string message) {
  const auto [line, column] = position(node);
  problems_.push_back({line, column, std::move(message)});
}

std::vector<MaskingProblem> Problems::take() {
  std::stable_sort(problems_.begin(), problems_.end(), [](const MaskingProblem& a, const MaskingProblem& b) {
    return std::pair(a.line, a.column) < std::pair(b.line, b.column);
  });
  return std::move(problems_);
}

std::optional<std::vector<Entry>> map_entries(Problems& p, const Entry& at, std::initializer_list<std::string_view> known) {
  std::vector<Entry> entries;
  if (is_null(at.value)) return entries;
  if (!at.value.IsMap()) {
    p.error(at, fmt::format("{}: expected a map, found {}", at.path, kind_of(at.value)));
    return std::nullopt;
  }
  std::set<std::string> seen;
  bool ok = true;
  for (auto it = at.value.begin(); it != at.value.end(); ++it) {
    const std::string name = it->first.IsScalar() ? it->first.Scalar() : std::string();
    Entry e{fmt::format("{}.{}", at.path, name), it->first, it->second};
    if (!it->first.IsScalar()) {
      p.error_at(it->first, fmt::format("{}: keys must be plain names", at.path));
      ok = false;
      continue;
    }
    if (!seen.insert(name).second) {
      p.error_at(it->first, fmt::format("{}: duplicate key (a repeated key would silently replace the first)", e.path));
      ok = false;
      continue;
    }
    if (known.size() > 0 && std::find(known.begin(), known.end(), name) == known.end()) {
      std::vector<std::string> names(known.begin(), known.end());
      p.error_at(it->first, fmt::format("{}: unknown key '{}' (expected {})", e.path, name, join(names)));
      ok = false;
      continue;
    }
    entries.push_back(std::move(e));
  }
  if (!ok && known.size() == 0) return std::nullopt;
  return entries;
}

std::optional<std::vector<Entry>> list_items(Problems& p, const Entry& at) {
  std::vector<Entry> items;
  if (is_null(at.value)) return items;
  if (!at.value.IsSequence()) {
    p.error(at, fmt::format("{}: expected a list, found {}", at.path, kind_of(at.value)));
    return std::nullopt;
  }
  for (std::size_t i = 0; i < at.value.size(); ++i) {
    const YAML::Node item = at.value[i];
    items.push_back({fmt::format("{}[{}]", at.path, i), item, item});
  }
  return items;
}

const Entry* find(const std::vector<Entry>& entries, std::string_view key) {
  for (const Entry& e : entries)
    if (e.key.Scalar() == key) return &e;
  return nullptr;
}

std::optional<std::string> read_string(Problems& p, const Entry& e, bool allow_empty) {
  if (is_null(e.value) || !e.value.IsScalar()) {
    p.error(e, fmt::format("{}: expected a single value, found {}", e.path, kind_of(e.value)));
    return std::nullopt;
  }
  if (!allow_empty && e.value.Scalar().empty()) {
    p.error(e, fmt::format("{}: must not be empty", e.path));
    return std::nullopt;
  }
  return e.value.Scalar();
}

std::optional<std::int64_t> read_integer(Problems& p, const Entry& e, std::int64_t min, std::int64_t max) {
  auto text = read_string(p, e);
  if (!text) return std::nullopt;
  std::int64_t v = 0;
  try {
    v = e.value.as<std::int64_t>();
  } catch (const YAML::Exception&) {
    p.error(e, fmt::format("{}: '{}' is not a whole number", e.path, *text));
    return std::nullopt;
  }
  if (v < min || v > max) {
    p.error(e, fmt::format("{}: {} is out of range ({}..{})", e.path, v, min, max));
    return std::nullopt;
  }
  return v;
}

std::optional<bool> read_bool(Problems& p, const Entry& e) {
  auto text = read_string(p, e);
  if (!text) return std::nullopt;
  try {
    return e.value.as<bool>();
  } catch (const YAML::Exception&) {
    p.error(e, fmt::format("{}: '{}' is not true or false", e.path, *text));
    return std::nullopt;
  }
}

std::optional<std::string> read_choice(Problems& p, const Entry& e, std::initializer_list<std::string_view> choices) {
  auto text = read_string(p, e);
  if (!text) return std::nullopt;
  if (std::find(choices.begin(), choices.end(), *text) != choices.end()) return text;
  p.error(e, fmt::format("{}: '{}' is not one of {}", e.path, *text,
                         join(std::vector<std::string>(choices.begin(), choices.end()))));
  return std::nullopt;
}

std::shared_ptr<const re2::RE2> read_regex(Problems& p, const Entry& e) {
  auto text = read_string(p, e);
  if (!text) return nullptr;
  RE2::Options options;
  options.set_log_errors(false);
  auto re = std::make_shared<const RE2>(*text, options);
  if (!re->ok()) {
    p.error(e, fmt::format("{}: invalid RE2 pattern: {}", e.path, re->error()));
    return nullptr;
  }
  return re;
}

}  // namespace masking::yaml_detail
