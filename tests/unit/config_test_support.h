// Helpers shared by the tests/unit/config_*.cc files.
#pragma once

#include <stdlib.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include <catch2/catch.hpp>

#include "proxy/config/config.h"
#include "temp_dir.h"

namespace config_test {

using TempDir = unit_test::TempDir;

// An environment with exactly these variables (tests never depend on the real one).
inline proxy::EnvLookup fake_env(std::map<std::string, std::string> vars = {}) {
  return [vars = std::move(vars)](const std::string& name) -> std::optional<std::string> {
    auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

// 1-based line of the first occurrence of `needle` in `text`, so tests state which line a
// problem must point at without hand-counting.
inline int line_of(std::string_view text, std::string_view needle) {
  const auto pos = text.find(needle);
  REQUIRE(pos != std::string_view::npos);
  return 1 + static_cast<int>(std::count(text.begin(), text.begin() + static_cast<long>(pos), '\n'));
}

inline std::string dump(const std::vector<proxy::ConfigProblem>& problems) {
  std::string out;
  for (const auto& p : problems) out += p.to_string() + "\n";
  return out;
}

// The problems of a config that must not load.
inline std::vector<proxy::ConfigProblem> errors_of(std::string_view yaml,
                                                   proxy::EnvLookup env = fake_env(),
                                                   const std::string& source = "pgveil.yaml") {
  auto result = proxy::parse_config(yaml, source, std::move(env));
  REQUIRE_FALSE(result.has_value());
  return result.error();
}

// The config that must load.
inline std::shared_ptr<const proxy::Config> load_ok(std::string_view yaml,
                                                    proxy::EnvLookup env = fake_env(),
                                                    const std::string& source = "pgveil.yaml") {
  auto result = proxy::parse_config(yaml, source, std::move(env));
  if (!result) FAIL(dump(result.error()));
  return *result;
}

// The problem at `line` whose message contains `text`; fails the test when there is none.
inline const proxy::ConfigProblem& problem_at(const std::vector<proxy::ConfigProblem>& problems,
                                              int line, std::string_view text) {
  for (const auto& p : problems)
    if (p.line == line && p.message.find(text) != std::string::npos) return p;
  FAIL("no problem at line " << line << " containing '" << text << "' in:\n" << dump(problems));
  throw std::logic_error("unreachable");
}

// A small valid config: tests append or replace parts of it.
inline constexpr std::string_view kMinimalDatabases = R"(databases:
  prod:
    logins:
      ro: { user: reader }
)";

inline constexpr std::string_view kMinimalRoles = R"(roles:
  support:
    databases: [prod]
    login: ro
)";

}  // namespace config_test
