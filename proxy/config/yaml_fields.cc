#include "proxy/config/yaml_fields.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <map>

#include <fmt/format.h>

namespace proxy::config_detail {
namespace {

// yaml-cpp marks are 0-based and null_mark() is -1; problems are 1-based with 0 = unknown.
std::pair<int, int> position(const YAML::Node& node) {
  if (!node.IsDefined()) return {0, 0};
  const YAML::Mark mark = node.Mark();
  if (mark.line < 0) return {0, 0};
  return {mark.line + 1, mark.column + 1};
}

std::string_view type_name(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Map: return "a map";
    case YAML::NodeType::Sequence: return "a list";
    case YAML::NodeType::Scalar: return "a single value";
    case YAML::NodeType::Null: return "empty";
    case YAML::NodeType::Undefined: break;
  }
  return "undefined";
}

// Levenshtein distance, bounded use: key names are short.
std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

std::string unknown_key_message(std::string_view path, std::string_view key,
                                const std::vector<std::string_view>& known) {
  std::string_view best;
  std::size_t best_distance = 3;  // suggest only near misses
  for (std::string_view candidate : known) {
    const std::size_t d = edit_distance(key, candidate);
    if (d < best_distance) {
      best_distance = d;
      best = candidate;
    }
  }
  std::string message = fmt::format("{}: unknown key '{}'", join_path(path, key), key);
  if (!best.empty()) return message + fmt::format(" (did you mean '{}'?)", best);
  std::vector<std::string> names(known.begin(), known.end());
  return message + fmt::format(" (expected {})", list_names(names));
}

bool is_null(const YAML::Node& node) { return !node.IsDefined() || node.IsNull(); }

bool needs_scalar(Diagnostics& diag, const Field& field, std::string_view what) {
  if (is_null(field.value)) {
    diag.error(field.key, fmt::format("{}: needs a value ({})", field.path, what));
    return false;
  }
  if (!field.value.IsScalar()) {
    diag.error(field.key, fmt::format("{}: expected {}, found {}", field.path, what,
                                      type_name(field.value)));
    return false;
  }
  return true;
}

}  // namespace

void Diagnostics::error(const YAML::Node& at, std::string message) {
  errors_.push_back(make(at, std::move(message)));
}

void Diagnostics::warning(const YAML::Node& at, std::string message) {
  warnings_.push_back(make(at, std::move(message)));
}

void Diagnostics::error_at(int line, int column, std::string message) {
  errors_.push_back(ConfigProblem{file_, line, column, std::move(message)});
}

ConfigProblem Diagnostics::make(const YAML::Node& at, std::string message) const {
  const auto [line, column] = position(at);
  return ConfigProblem{file_, line, column, std::move(message)};
}

namespace {
std::vector<ConfigProblem> sorted(std::vector<ConfigProblem> problems) {
  std::stable_sort(problems.begin(), problems.end(), [](const auto& a, const auto& b) {
    return std::pair(a.line, a.column) < std::pair(b.line, b.column);
  });
  return problems;
}
}  // namespace

std::vector<ConfigProblem> Diagnostics::take_errors() { return sorted(std::move(errors_)); }
std::vector<ConfigProblem> Diagnostics::take_warnings() { return sorted(std::move(warnings_)); }

std::string join_path(std::string_view parent, std::string_view key) {
  if (parent.empty()) return std::string(key);
  return fmt::format("{}.{}", parent, key);
}

MapFields::MapFields(Diagnostics& diag, const Field& field, std::vector<std::string_view> known) {
  read(diag, field, &known);
}

MapFields::MapFields(Diagnostics& diag, const Field& field) { read(diag, field, nullptr); }

void MapFields::read(Diagnostics& diag, const Field& field,
                     const std::vector<std::string_view>* known) {
  if (is_null(field.value)) {
    is_map_ = true;
    return;
  }
  if (!field.value.IsMap()) {
    diag.error(field.key, fmt::format("{}: expected a map of settings, found {}",
                                      field.path.empty() ? "config" : field.path,
                                      type_name(field.value)));
    return;
  }
  is_map_ = true;
  for (auto it = field.value.begin(); it != field.value.end(); ++it) {
    const YAML::Node key = it->first;
    if (!key.IsScalar() || key.Scalar().empty()) {
      diag.error(key, fmt::format("{}: keys must be plain names", field.path.empty() ? "config" : field.path));
      continue;
    }
    const std::string& name = key.Scalar();
    if (known != nullptr &&
        std::find(known->begin(), known->end(), std::string_view(name)) == known->end()) {
      diag.error(key, unknown_key_message(field.path, name, *known));
      continue;
    }
    if (find(name) != nullptr) continue;  // a duplicate: reported once by report_duplicate_keys
    fields_.push_back(Field{join_path(field.path, name), key, it->second});
  }
}

const Field* MapFields::find(std::string_view key) const {
  for (const Field& f : fields_)
    if (f.key.Scalar() == key) return &f;
  return nullptr;
}

void report_duplicate_keys(Diagnostics& diag, const YAML::Node& node, const std::string& path) {
  if (node.IsMap()) {
    std::map<std::string, YAML::Node, std::less<>> seen;
    for (auto it = node.begin(); it != node.end(); ++it) {
      const YAML::Node key = it->first;
      std::string child = path;
      if (key.IsScalar()) {
        auto [first, inserted] = seen.emplace(key.Scalar(), key);
        if (!inserted) {
          const int first_line = position(first->second).first;
          diag.error(key, fmt::format("{}: duplicate key '{}' (first at line {}); YAML would keep "
                                      "only one of them",
                                      path.empty() ? "config" : path, key.Scalar(), first_line));
        }
        child = join_path(path, key.Scalar());
      }
      report_duplicate_keys(diag, it->second, child);
    }
  } else if (node.IsSequence()) {
    for (std::size_t i = 0; i < node.size(); ++i)
      report_duplicate_keys(diag, node[i], fmt::format("{}[{}]", path, i));
  }
}

std::optional<std::string> read_string(Diagnostics& diag, const Field& field, bool allow_empty) {
  if (!needs_scalar(diag, field, "a string")) return std::nullopt;
  const std::string& value = field.value.Scalar();
  if (value.empty() && !allow_empty) {
    diag.error(field.key, fmt::format("{}: must not be empty", field.path));
    return std::nullopt;
  }
  return value;
}

std::optional<std::string> read_secret_string(Diagnostics& diag, const Field& field) {
  // needs_scalar never prints the value, so the shared check is safe for secrets.
  if (!needs_scalar(diag, field, "a string")) return std::nullopt;
  return field.value.Scalar();
}

std::optional<bool> read_bool(Diagnostics& diag, const Field& field) {
  if (!needs_scalar(diag, field, "true or false")) return std::nullopt;
  std::string value = field.value.Scalar();
  for (char& c : value) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (value == "true" || value == "yes" || value == "on") return true;
  if (value == "false" || value == "no" || value == "off") return false;
  diag.error(field.key, fmt::format("{}: '{}' is not true or false", field.path,
                                    field.value.Scalar()));
  return std::nullopt;
}

std::optional<std::int64_t> read_integer(Diagnostics& diag, const Field& field, std::int64_t min,
                                         std::int64_t max) {
  if (!needs_scalar(diag, field, "a whole number")) return std::nullopt;
  const std::string& text = field.value.Scalar();
  std::int64_t value = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || ptr != text.data() + text.size() || text.empty()) {
    diag.error(field.key, fmt::format("{}: '{}' is not a whole number", field.path, text));
    return std::nullopt;
  }
  if (value < min || value > max) {
    diag.error(field.key, fmt::format("{}: {} is out of range ({}..{})", field.path, value, min, max));
    return std::nullopt;
  }
  return value;
}

std::optional<std::uint16_t> read_port(Diagnostics& diag, const Field& field) {
  if (!needs_scalar(diag, field, "a port number")) return std::nullopt;
  const std::string& text = field.value.Scalar();
  int value = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || ptr != text.data() + text.size() || text.empty() || value < 1 ||
      value > 65535) {
    diag.error(field.key, fmt::format("{}: '{}' is not a port (1..65535)", field.path, text));
    return std::nullopt;
  }
  return static_cast<std::uint16_t>(value);
}

std::optional<Millis> read_duration(Diagnostics& diag, const Field& field, Millis min) {
  if (!needs_scalar(diag, field, "a duration such as 30s, 15m, 4h")) return std::nullopt;
  auto parsed = parse_duration(field.value.Scalar());
  if (!parsed) {
    diag.error(field.key, fmt::format("{}: {}", field.path, parsed.error()));
    return std::nullopt;
  }
  if (*parsed < min) {
    diag.error(field.key,
               min == Millis{1} ? fmt::format("{}: must be positive, not 0", field.path)
                                : fmt::format("{}: {} is too short (at least {})", field.path,
                                              field.value.Scalar(), format_duration(min)));
    return std::nullopt;
  }
  return *parsed;
}

std::optional<std::chrono::seconds> read_seconds(Diagnostics& diag, const Field& field,
                                                 std::chrono::seconds min) {
  auto ms = read_duration(diag, field, min == std::chrono::seconds{0} ? Millis{0} : Millis{1});
  if (!ms) return std::nullopt;
  if (ms->count() % 1000 != 0) {
    diag.error(field.key, fmt::format("{}: '{}' is not a whole number of seconds", field.path,
                                      field.value.Scalar()));
    return std::nullopt;
  }
  const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(*ms);
  if (seconds < min) {
    diag.error(field.key, fmt::format("{}: {} is too short (at least {})", field.path,
                                      field.value.Scalar(), format_duration(min)));
    return std::nullopt;
  }
  return seconds;
}

std::optional<std::uint64_t> read_size(Diagnostics& diag, const Field& field, std::uint64_t min,
                                       std::uint64_t max) {
  if (!needs_scalar(diag, field, "a size such as 64KiB, 256MB")) return std::nullopt;
  auto parsed = parse_size(field.value.Scalar());
  if (!parsed) {
    diag.error(field.key, fmt::format("{}: {}", field.path, parsed.error()));
    return std::nullopt;
  }
  if (*parsed < min || *parsed > max) {
    diag.error(field.key, fmt::format("{}: {} is out of range ({}..{})", field.path,
                                      field.value.Scalar(), format_size(min), format_size(max)));
    return std::nullopt;
  }
  return *parsed;
}

std::optional<std::string> read_choice(Diagnostics& diag, const Field& field,
                                       const std::vector<std::string_view>& choices) {
  std::vector<std::string> names(choices.begin(), choices.end());
  if (!needs_scalar(diag, field, fmt::format("one of {}", list_names(names)))) return std::nullopt;
  const std::string& value = field.value.Scalar();
  if (std::find(choices.begin(), choices.end(), std::string_view(value)) == choices.end()) {
    diag.error(field.key, fmt::format("{}: '{}' is not one of {}", field.path, value,
                                      list_names(names)));
    return std::nullopt;
  }
  return value;
}

std::optional<std::vector<std::string>> read_string_list(Diagnostics& diag, const Field& field) {
  if (is_null(field.value)) return std::vector<std::string>{};
  if (!field.value.IsSequence()) {
    diag.error(field.key, fmt::format("{}: expected a list such as [a, b], found {}", field.path,
                                      type_name(field.value)));
    return std::nullopt;
  }
  std::vector<std::string> out;
  bool ok = true;
  for (std::size_t i = 0; i < field.value.size(); ++i) {
    const YAML::Node item = field.value[i];
    if (!item.IsScalar() || item.Scalar().empty()) {
      diag.error(item.Mark().line >= 0 ? item : field.key,
                 fmt::format("{}[{}]: expected a name, found {}", field.path, i,
                             item.IsScalar() ? "an empty string" : type_name(item)));
      ok = false;
      continue;
    }
    out.push_back(item.Scalar());
  }
  if (!ok) return std::nullopt;
  return out;
}

std::string resolve_path(const std::filesystem::path& base_dir, const std::string& path) {
  const std::filesystem::path p(path);
  if (p.is_absolute() || base_dir.empty()) return p.lexically_normal().string();
  return (base_dir / p).lexically_normal().string();
}

std::optional<std::string> read_path(Diagnostics& diag, const Field& field,
                                     const std::filesystem::path& base_dir) {
  auto text = read_string(diag, field);
  if (!text) return std::nullopt;
  return resolve_path(base_dir, *text);
}

bool check_readable_file(Diagnostics& diag, const Field& field, const std::string& path) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    diag.error(field.key, fmt::format("{}: {} is a directory, not a file", field.path, path));
    return false;
  }
  std::FILE* file = std::fopen(path.c_str(), "rb");
  if (file == nullptr) {
    diag.error(field.key, fmt::format("{}: cannot read {}: {}", field.path, path,
                                      std::strerror(errno)));
    return false;
  }
  std::fclose(file);
  return true;
}

std::string list_names(const std::vector<std::string>& names) {
  if (names.empty()) return "(none)";
  std::string out;
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (i > 0) out += (i + 1 == names.size()) ? " or " : ", ";
    out += names[i];
  }
  return out;
}

}  // namespace proxy::config_detail
