// Shared by the masking unit tests: profiles from YAML text, masks by name, rows as bytes.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <catch2/catch.hpp>
#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include "masking/masks.h"
#include "masking/rules_yaml.h"
#include "proxy/wire/bytes.h"

namespace masking::test {

inline constexpr std::string_view kTestKey = "0123456789abcdef-test-key";

inline KeyLoader test_key_loader() {
  return [](const KeySource& s) -> std::expected<std::string, std::string> {
    if (s.where == "missing") return std::unexpected(std::string("no such file"));
    if (s.where == "short") return std::string("tiny\n");
    return std::string(kTestKey) + "\n";
  };
}

// Parses `yaml` (the content of the masking: section) and fails the test on problems.
inline MaskingConfig load(std::string_view yaml) {
  auto config = parse_masking_config(YAML::Load(std::string(yaml)), test_key_loader());
  if (!config) {
    for (const auto& p : config.error()) UNSCOPED_INFO(p.to_string());
    FAIL("masking config did not load");
  }
  return std::move(*config);
}

inline std::shared_ptr<const Profile> load_profile(std::string_view yaml, const std::string& name) {
  auto config = load(yaml);
  REQUIRE(config.profiles.count(name) == 1);
  return config.profiles.at(name);
}

// Problems of an invalid config (fails the test if it loads).
inline std::vector<MaskingProblem> problems_of(std::string_view yaml) {
  auto config = parse_masking_config(YAML::Load(std::string(yaml)), test_key_loader());
  REQUIRE_FALSE(config.has_value());
  return config.error();
}

// A single mask from its YAML form: "hash", "{partial: {keep_last: 4}}".
inline Mask mask_of(std::string_view yaml) {
  auto profile = load_profile(fmt::format("keys: {{hmac: {{env: K}}}}\nprofiles:\n  p:\n    columns:\n      - match: "
                                          "{{name: x}}\n        mask: {}\n",
                                          yaml),
                              "p");
  REQUIRE(profile->columns.size() == 1);
  return profile->columns[0].mask;
}

inline const MaskKey& test_key() {
  static const MaskKey key{std::string(kTestKey)};
  return key;
}

struct Masked {
  MaskOutcome outcome;
  std::string text;
  bool operator==(const Masked&) const = default;
};

inline Masked run(const Mask& mask, Oid type, std::string_view in, std::int32_t typmod = -1) {
  Masked m{MaskOutcome::kNull, {}};
  m.outcome = apply_mask(mask, test_key(), ValueType{type, typmod}, in, m.text);
  return m;
}

inline std::string run_text(const Mask& mask, std::string_view in, Oid type = 25) {
  const Masked m = run(mask, type, in);
  REQUIRE(m.outcome == MaskOutcome::kValue);
  return m.text;
}

inline bool is_null(const Masked& m) { return m.outcome == MaskOutcome::kNull; }

}  // namespace masking::test
