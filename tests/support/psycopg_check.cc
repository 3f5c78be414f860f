#include "support/psycopg_check.h"

#include <catch2/catch.hpp>
#include <chrono>
#include <nlohmann/json.hpp>

namespace testsupport {

using namespace std::chrono_literals;

RunResult run_psycopg_check(const std::string& driver, const std::string& conninfo) {
  const std::string script = std::string(PGVEIL_SOURCE_DIR) + "/tests/integration/psycopg_check.py";
  return run({"/usr/bin/python3", script, "--driver", driver, conninfo}, {}, {}, 120s);
}

void check_psycopg_answers(const std::string& json_output, const std::string& driver) {
  const auto out = nlohmann::json::parse(json_output);
  CHECK(out["params"] == nlohmann::json::parse(R"(["42","héllo wörld","2024-02-29","24.50","v",null])"));
  CHECK(out["error_sqlstate"] == "22012");
  CHECK(out["after_error"] == "recovered");
  CHECK(out["copy"] == nlohmann::json::parse(R"([["1","row 1"],["2","row 2"],["3","row 3"]])"));
  CHECK(out["named_cursor"] == nlohmann::json::parse("[1,2,3,4,5]"));
  if (driver == "psycopg") {
    CHECK(out["prepared"] == nlohmann::json::parse("[0,2,4,6,8]"));
    CHECK(out["binary"] == nlohmann::json::parse(R"(["7","bin","2.5"])"));
    CHECK(out["pipeline"] == nlohmann::json::parse("[100,101,102]"));
  }
}

}  // namespace testsupport
