// Internal to pgveil_config: typed reads of YAML nodes that report problems instead of throwing,
// so one pass over the file finds every mistake. Not part of the public API (config.h is).
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "proxy/config/config.h"

namespace proxy::config_detail {

class Diagnostics {
 public:
  explicit Diagnostics(std::string file) : file_(std::move(file)) {}

  // Problems point at `at`; a node without a position (yaml-cpp gives none to some nulls) falls
  // back to the whole file.
  void error(const YAML::Node& at, std::string message);
  void warning(const YAML::Node& at, std::string message);
  void error_at(int line, int column, std::string message);

  bool has_errors() const { return !errors_.empty(); }
  // Sorted by position (stable), so the report reads top to bottom like the file.
  std::vector<ConfigProblem> take_errors();
  std::vector<ConfigProblem> take_warnings();

 private:
  ConfigProblem make(const YAML::Node& at, std::string message) const;

  std::string file_;
  std::vector<ConfigProblem> errors_;
  std::vector<ConfigProblem> warnings_;
};

// One entry of a YAML map: problems about it point at the key, because a null value has no
// position of its own and the key is what the reader looks for.
struct Field {
  std::string path;  // dotted, e.g. "roles.support.max_duration"
  YAML::Node key;
  YAML::Node value;
};

std::string join_path(std::string_view parent, std::string_view key);

// The entries of a YAML map. A null value (`section:` with nothing under it) is an empty map.
class MapFields {
 public:
  // Fixed keys: anything outside `known` is reported, with a suggestion for near misses (typos
  // must not be silently ignored).
  MapFields(Diagnostics& diag, const Field& field, std::vector<std::string_view> known);
  // Keys chosen by the user (database, role and person names).
  MapFields(Diagnostics& diag, const Field& field);

  bool is_map() const { return is_map_; }
  // The first entry with that key (duplicates are reported by report_duplicate_keys).
  const Field* find(std::string_view key) const;
  const std::vector<Field>& fields() const { return fields_; }

 private:
  void read(Diagnostics& diag, const Field& field, const std::vector<std::string_view>* known);

  bool is_map_ = false;
  std::vector<Field> fields_;
};

// yaml-cpp keeps every duplicate in iteration but answers lookups with one of them, so a repeated
// key would silently lose a setting. Walks the whole tree once and reports each repeat.
void report_duplicate_keys(Diagnostics& diag, const YAML::Node& node, const std::string& path);

// Typed reads. Each reports its own problem (naming the key path) and returns nullopt on failure.
std::optional<std::string> read_string(Diagnostics& diag, const Field& field, bool allow_empty = false);
// Like read_string but never quotes the value in messages (for secrets).
std::optional<std::string> read_secret_string(Diagnostics& diag, const Field& field);
std::optional<bool> read_bool(Diagnostics& diag, const Field& field);
std::optional<std::int64_t> read_integer(Diagnostics& diag, const Field& field, std::int64_t min,
                                         std::int64_t max);
std::optional<std::uint16_t> read_port(Diagnostics& diag, const Field& field);
// min: smallest accepted value; 0 allows "0" (= none).
std::optional<Millis> read_duration(Diagnostics& diag, const Field& field, Millis min);
// A duration in whole seconds, at least `min`.
std::optional<std::chrono::seconds> read_seconds(Diagnostics& diag, const Field& field,
                                                 std::chrono::seconds min);
std::optional<std::uint64_t> read_size(Diagnostics& diag, const Field& field, std::uint64_t min,
                                       std::uint64_t max);
std::optional<std::string> read_choice(Diagnostics& diag, const Field& field,
                                       const std::vector<std::string_view>& choices);
// A list of non-empty names; null is an empty list.
std::optional<std::vector<std::string>> read_string_list(Diagnostics& diag, const Field& field);

// Relative paths in the config are relative to the config file's directory, so the file means the
// same thing whatever directory pgveil is started from.
std::string resolve_path(const std::filesystem::path& base_dir, const std::string& path);
// A path field resolved against base_dir.
std::optional<std::string> read_path(Diagnostics& diag, const Field& field,
                                     const std::filesystem::path& base_dir);
// Reports (naming the file, never its content) when `path` cannot be opened for reading.
bool check_readable_file(Diagnostics& diag, const Field& field, const std::string& path);

// "a, b or c" / "(none)", for messages listing what is expected or defined.
std::string list_names(const std::vector<std::string>& names);

}  // namespace proxy::config_detail
