// roles.<name>.statements, deny_functions, allow_functions: loaded into policy::StatementRules,
// mistakes reported with their line.
#include "config_test_support.h"

using config_test::errors_of;
using config_test::line_of;
using config_test::load_ok;
using config_test::problem_at;

namespace {
const std::string kDatabases(config_test::kMinimalDatabases);
}  // namespace

TEST_CASE("statements: read-only with deny and allow lists loads into the role's rules", "[config][statements]") {
  const auto config = load_ok(kDatabases + R"(roles:
  support:
    databases: [prod]
    login: ro
    statements: read-only
    deny_functions: [pg_sleep, My_Helper_*]
    allow_functions: [nextval]
  ops:
    databases: [prod]
    login: ro
    deny_functions: [pg_terminate_backend]
  breakglass:
    databases: [prod]
    login: ro
)");
  const auto& support = config->role("support")->statement_rules;
  CHECK(support.mode == policy::StatementMode::kReadOnly);
  CHECK(support.deny_functions == std::vector<std::string>{"pg_sleep", "my_helper_*"});   // folded like SQL names
  CHECK(support.allow_functions == std::vector<std::string>{"nextval"});
  CHECK(config->role("support")->statements == "read-only");
  const auto& ops = config->role("ops")->statement_rules;
  CHECK(ops.mode == policy::StatementMode::kAll);
  CHECK_FALSE(ops.unrestricted());
  CHECK(config->role("breakglass")->statement_rules.unrestricted());
  CHECK(config->warnings.empty());
}

TEST_CASE("statements: bad function names and unknown values point at their line", "[config][statements]") {
  const std::string yaml = kDatabases + R"(roles:
  support:
    databases: [prod]
    login: ro
    statements: readonly
    deny_functions:
      - pg_catalog.pg_read_file
      - "drop table x"
      - ok_name
    allow_functions: nextval
)";
  const auto problems = errors_of(yaml);
  problem_at(problems, line_of(yaml, "statements: readonly"), "'readonly' is not one of all or read-only");
  problem_at(problems, line_of(yaml, "pg_catalog.pg_read_file"), "without a schema");
  problem_at(problems, line_of(yaml, "drop table x"), "roles.support.deny_functions[1]: 'drop table x' is not a function name");
  problem_at(problems, line_of(yaml, "allow_functions"), "expected a list");
  CHECK(problems.size() == 4);
}

TEST_CASE("statements: an allow entry that allows nothing is a warning", "[config][statements]") {
  const std::string yaml = kDatabases + R"(roles:
  support:
    databases: [prod]
    login: ro
    statements: read-only
    allow_functions: [lo_get, lo_*, nextvall]
)";
  const auto config = load_ok(yaml);
  REQUIRE(config->warnings.size() == 2);
  CHECK(config->warnings[0].line == line_of(yaml, "allow_functions"));
  CHECK_THAT(config->warnings[0].message, Catch::Contains("'lo_get' is not denied by this role"));
  CHECK_THAT(config->warnings[1].message, Catch::Contains("'nextvall'"));
}
