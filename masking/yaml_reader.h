// Internal to rules_yaml: typed reads of YAML nodes that record problems (with positions) instead
// of throwing, so one pass reports every mistake in the masking section.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "masking/rules_yaml.h"

namespace masking::yaml_detail {

// A value and where it sits: `key` is the map key (or the list item itself), used for positions
// because yaml-cpp gives null values no reliable mark.
struct Entry {
  std::string path;
  YAML::Node key;
  YAML::Node value;
};

class Problems {
 public:
  void error(const Entry& at, std::string message);
  void error_at(const YAML::Node& node, std::string message);
  bool empty() const { return problems_.empty(); }
  std::vector<MaskingProblem> take();

 private:
  std::vector<MaskingProblem> problems_;
};

bool is_null(const YAML::Node& node);

// The entries of a map (null = empty). Reports a non-map, duplicate keys and keys outside
// `known` (unless `known` is empty: user-chosen names).
std::optional<std::vector<Entry>> map_entries(Problems& p, const Entry& at, std::initializer_list<std::string_view> known);
// The items of a list (null = empty); reports anything else.
std::optional<std::vector<Entry>> list_items(Problems& p, const Entry& at);
const Entry* find(const std::vector<Entry>& entries, std::string_view key);

std::optional<std::string> read_string(Problems& p, const Entry& e, bool allow_empty = false);
std::optional<std::int64_t> read_integer(Problems& p, const Entry& e, std::int64_t min, std::int64_t max);
std::optional<bool> read_bool(Problems& p, const Entry& e);
std::optional<std::string> read_choice(Problems& p, const Entry& e, std::initializer_list<std::string_view> choices);
// Compiles an RE2 pattern; RE2's own message is reported on failure.
std::shared_ptr<const re2::RE2> read_regex(Problems& p, const Entry& e);

}  // namespace masking::yaml_detail
