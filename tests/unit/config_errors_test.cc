// Configs that must not load: each problem is reported with the line it is on, and all of them
// are reported together.
#include <catch2/catch.hpp>

#include "config_test_support.h"
#include "proxy/config/config.h"

using config_test::errors_of;
using config_test::fake_env;
using config_test::line_of;
using config_test::problem_at;
using config_test::TempDir;

namespace {
const std::string kDatabases(config_test::kMinimalDatabases);
const std::string kRoles(config_test::kMinimalRoles);
}  // namespace

TEST_CASE("YAML syntax errors carry their line", "[config]") {
  const std::string yaml = "listen: 127.0.0.1:6432\nroles: [a, b\nworkers: 2\n";
  const auto problems = errors_of(yaml);
  REQUIRE(problems.size() == 1);
  CHECK(problems[0].line == 3);
  CHECK_THAT(problems[0].to_string(), Catch::StartsWith("pgveil.yaml:3:"));
  CHECK_THAT(problems[0].message, Catch::Contains("YAML syntax error"));
}

TEST_CASE("empty files, non-map documents and several documents are refused", "[config]") {
  CHECK_THAT(errors_of("")[0].message, Catch::Contains("the config is empty"));
  CHECK_THAT(errors_of("# only a comment\n")[0].message, Catch::Contains("the config is empty"));
  CHECK_THAT(errors_of("- a\n- b\n")[0].message, Catch::Contains("expected a map of settings"));
  const std::string two = kDatabases + kRoles + "---\nworkers: 1\n";
  const auto problems = errors_of(two);
  REQUIRE(problems.size() == 1);
  CHECK_THAT(problems[0].message, Catch::Contains("more than one YAML document"));
}

TEST_CASE("databases and roles are required", "[config]") {
  const auto problems = errors_of("workers: 1\n");
  REQUIRE(problems.size() == 2);
  CHECK(problems[0].line == 0);
  CHECK_THAT(config_test::dump(problems), Catch::Contains("databases: missing section"));
  CHECK_THAT(config_test::dump(problems), Catch::Contains("roles: missing section"));
  const auto empty = errors_of("databases: {}\nroles:\n");
  problem_at(empty, 1, "no databases defined");
  problem_at(empty, 2, "no roles defined");
}

TEST_CASE("unknown keys are errors, with a suggestion for typos", "[config]") {
  const std::string yaml = "listne: 127.0.0.1:6432\n" + kDatabases + R"(roles:
  support:
    databases: [prod]
    login: ro
    max_duraton: 4h
    colour: blue
limits: { max_sesions: 5 }
)";
  const auto problems = errors_of(yaml);
  CHECK(problems.size() == 4);
  CHECK(problem_at(problems, 1, "unknown key 'listne'").message ==
        "listne: unknown key 'listne' (did you mean 'listen'?)");
  CHECK(problem_at(problems, line_of(yaml, "max_duraton"), "max_duraton").message ==
        "roles.support.max_duraton: unknown key 'max_duraton' (did you mean 'max_duration'?)");
  CHECK(problem_at(problems, line_of(yaml, "colour"), "colour").column == 5);
  problem_at(problems, line_of(yaml, "max_sesions"), "limits.max_sesions: unknown key 'max_sesions' "
                                                     "(did you mean 'max_sessions'?)");
}

TEST_CASE("duplicate keys are errors (yaml-cpp would keep only one)", "[config]") {
  const std::string yaml = "workers: 1\n" + kDatabases + R"(roles:
  support:
    databases: [prod]
    login: ro
    login: dba
workers: 2
)";
  const auto problems = errors_of(yaml);
  REQUIRE(problems.size() == 2);
  const auto& nested = problem_at(problems, line_of(yaml, "login: dba"), "duplicate key 'login'");
  CHECK(nested.message == "roles.support: duplicate key 'login' (first at line " +
                              std::to_string(line_of(yaml, "login: ro")) +
                              "); YAML would keep only one of them");
  problem_at(problems, line_of(yaml, "workers: 2"), "config: duplicate key 'workers' (first at line 1)");
}

TEST_CASE("duplicate database and role names are errors", "[config]") {
  const std::string yaml = R"(databases:
  prod: { logins: { ro: {} } }
  prod: { logins: { ro: {} } }
roles:
  r: { databases: [prod], login: ro }
  r: { databases: [prod], login: ro }
)";
  const auto problems = errors_of(yaml);
  REQUIRE(problems.size() == 2);
  problem_at(problems, 3, "databases: duplicate key 'prod' (first at line 2)");
  problem_at(problems, 6, "roles: duplicate key 'r' (first at line 5)");
}

TEST_CASE("wrong types and out-of-range values name the key and line", "[config]") {
  const std::string yaml = R"(listen: 127.0.0.1:99999
workers: many
tls: [a]
limits:
  max_message_size: 64XB
  buffer_size: 1KiB
  max_sessions: 0
  startup_timeout: 0
  idle_timeout: soon
databases:
  prod:
    port: abc
    host: { a: 1 }
    connect_timeout: 90
    logins: { ro: { user: [x] } }
  other:
    port: 0
    tls: { mode: verify }
    logins: { ro: {} }
  third:
    port: 70000
    logins: [ro]
roles:
  support:
    databases: prod
    login: ro
    statements: readonly
    approvals: 0
logging: { level: loud, format: xml }
store: sqlite
)";
  const auto problems = errors_of(yaml);
  problem_at(problems, 1, "listen: '127.0.0.1:99999' does not end in a port (1..65535)");
  problem_at(problems, 2, "workers: 'many' is not a whole number");
  problem_at(problems, 3, "tls: expected a map of settings, found a list");
  problem_at(problems, 5, "limits.max_message_size: '64XB' is not a size");
  problem_at(problems, 6, "limits.buffer_size: 1KiB is out of range (4KiB..64MiB)");
  problem_at(problems, 7, "limits.max_sessions: 0 is out of range (1..1000000)");
  problem_at(problems, 8, "limits.startup_timeout: must be positive, not 0");
  problem_at(problems, 9, "limits.idle_timeout: 'soon' is not a duration");
  problem_at(problems, 12, "databases.prod.port: 'abc' is not a port (1..65535)");
  problem_at(problems, 13, "databases.prod.host: expected a string, found a map");
  problem_at(problems, 14, "databases.prod.connect_timeout: '90' needs a unit");
  problem_at(problems, 15, "databases.prod.logins.ro.user: expected a string, found a list");
  problem_at(problems, 17, "databases.other.port: '0' is not a port (1..65535)");
  problem_at(problems, 18, "databases.other.tls.mode: 'verify' is not one of disable, prefer, "
                           "require, verify-ca or verify-full");
  problem_at(problems, 21, "databases.third.port: '70000' is not a port");
  problem_at(problems, 22, "databases.third.logins: expected a map of settings, found a list");
  problem_at(problems, 25, "roles.support.databases: expected a list such as [a, b], found a single value");
  problem_at(problems, 27, "roles.support.statements: 'readonly' is not one of all or read-only");
  problem_at(problems, 28, "roles.support.approvals: 0 is out of range (1..100)");
  problem_at(problems, 29, "logging.level: 'loud' is not one of");
  problem_at(problems, 29, "logging.format: 'xml' is not one of text or json");
  problem_at(problems, 30, "store: expected a map of settings, found a single value");
  CHECK(problems.size() == 22);
}

TEST_CASE("problems are sorted by position", "[config]") {
  const auto problems = errors_of("roles:\n  r: { databases: [nope], login: ro }\nworkers: -1\n"
                                  "databases: { prod: { port: x, logins: { ro: {} } } }\n");
  REQUIRE(problems.size() == 3);
  for (std::size_t i = 1; i < problems.size(); ++i)
    CHECK(std::pair(problems[i - 1].line, problems[i - 1].column) <=
          std::pair(problems[i].line, problems[i].column));
}

TEST_CASE("roles must name existing databases and a login defined in each", "[config]") {
  const std::string yaml = R"(databases:
  prod:
    logins: { ro: {}, dba: {} }
  staging:
    logins: { dba: {} }
roles:
  support:
    databases: [prod, prd, staging]
    login: ro
  nologin:
    databases: [prod]
  nodbs:
    databases: []
    login: ro
  missing_dbs:
    login: ro
)";
  const auto problems = errors_of(yaml);
  const int dbs_line = line_of(yaml, "[prod, prd, staging]");
  const auto& unknown = problem_at(problems, dbs_line, "unknown database 'prd'");
  CHECK(unknown.message == "roles.support.databases[1]: unknown database 'prd' (defined: prod or staging)");
  CHECK(unknown.column == 23);  // points at the list item, not the key
  CHECK(problem_at(problems, line_of(yaml, "login: ro"), "login 'ro'").message ==
        "roles.support.login: login 'ro' is not defined in databases.staging.logins (defined "
        "there: dba)");
  problem_at(problems, line_of(yaml, "nologin:"), "roles.nologin: missing login");
  problem_at(problems, line_of(yaml, "databases: []"), "roles.nodbs.databases: list at least one database");
  problem_at(problems, line_of(yaml, "missing_dbs:"), "roles.missing_dbs: missing databases");
  CHECK(problems.size() == 5);
}

TEST_CASE("durations must be valid, positive and whole seconds where seconds are meant", "[config]") {
  const std::string yaml = kDatabases + R"(roles:
  support:
    databases: [prod]
    login: ro
    max_duration: 4x
  zero:
    databases: [prod]
    login: ro
    max_duration: 0
  fraction:
    databases: [prod]
    login: ro
    max_duration: 1500ms
    idle_timeout: 90
)";
  const auto problems = errors_of(yaml);
  REQUIRE(problems.size() == 4);
  // The exact form promised to operators.
  CHECK(problems[0].to_string() ==
        "pgveil.yaml:" + std::to_string(line_of(yaml, "max_duration: 4x")) +
            ":5: roles.support.max_duration: '4x' is not a duration (use 30s, 15m, 4h, 1h30m)");
  problem_at(problems, line_of(yaml, "max_duration: 0"), "roles.zero.max_duration: must be positive");
  problem_at(problems, line_of(yaml, "1500ms"), "'1500ms' is not a whole number of seconds");
  problem_at(problems, line_of(yaml, "idle_timeout: 90"), "roles.fraction.idle_timeout: '90' needs a unit");
}

TEST_CASE("a role naming an undefined masking profile is refused (fail closed)", "[config]") {
  const std::string yaml = kDatabases + R"(masking:
  profiles:
    pii-light: { values: { detect: [email], mask: redact } }
roles:
  support:
    databases: [prod]
    login: ro
    masking: pii-strict
)";
  const auto problems = errors_of(yaml);
  REQUIRE(problems.size() == 1);
  CHECK(problems[0].line == line_of(yaml, "masking: pii-strict"));
  CHECK(problems[0].message ==
        "roles.support.masking: role 'support' uses masking profile 'pii-strict', which masking.profiles does "
        "not define (defined: pii-light); define it or set masking: none");
}

TEST_CASE("masking problems carry their line numbers", "[config]") {
  const std::string yaml = kDatabases + R"(masking:
  profiles:
    p:
      columns:
        - match: { name: '(unclosed' }
          mask: redact
roles:
  support: { databases: [prod], login: ro, masking: p }
)";
  const auto problems = errors_of(yaml);
  REQUIRE_FALSE(problems.empty());
  CHECK(problems[0].line == line_of(yaml, "(unclosed"));
}


TEST_CASE("store: postgres takes a libpq connection string; one backend only", "[config]") {
  SECTION("a connection string") {
    const auto config = config_test::load_ok(kDatabases + kRoles + "store: { postgres: 'host=ctl dbname=pgveil' }\n"
                                "workflow: { request_ttl: 2h }\n");
    CHECK(config->store_postgres == "host=ctl dbname=pgveil");
    CHECK(config->store_sqlite.empty());
    CHECK(config->request_ttl == std::chrono::hours(2));
    for (const auto& w : config->warnings) CHECK_THAT(w.message, !Catch::Contains("store"));
  }
  SECTION("an inline password loads, with a warning") {
    const auto config = config_test::load_ok(kDatabases + kRoles + "store: { postgres: 'host=ctl password=hunter2' }\n");
    int store_warnings = 0;
    for (const auto& w : config->warnings) {
      CHECK_THAT(w.message, !Catch::Contains("hunter2"));
      if (w.message.find("store.postgres: the connection string holds a password") != std::string::npos) ++store_warnings;
    }
    CHECK(store_warnings == 1);
  }
  SECTION("both backends") {
    const std::string yaml = kDatabases + kRoles + "store:\n  sqlite: state.db\n  postgres: 'host=ctl'\n";
    const auto problems = errors_of(yaml);
    REQUIRE(problems.size() == 1);
    CHECK(problems[0].line == line_of(yaml, "postgres:"));
    CHECK_THAT(problems[0].message, Catch::Contains("choose one grant store"));
  }
  SECTION("a malformed connection string") {
    const std::string yaml = kDatabases + kRoles + "store:\n  postgres: 'host=ctl dbname'\n";
    const auto problems = errors_of(yaml);
    REQUIRE(problems.size() == 1);
    CHECK(problems[0].line == line_of(yaml, "postgres:"));
    CHECK_THAT(problems[0].message, Catch::Contains("store.postgres: invalid connection string"));
  }
  SECTION("a request_ttl below one second") {
    const std::string yaml = kDatabases + kRoles + "workflow:\n  request_ttl: 10ms\n";
    const auto problems = errors_of(yaml);
    REQUIRE(problems.size() == 1);
    CHECK(problems[0].line == line_of(yaml, "request_ttl"));
  }
}

TEST_CASE("password_env unset or empty names the variable", "[config]") {
  const std::string yaml = R"(databases:
  prod:
    logins:
      ro: { password_env: RO_PASSWORD }
      dba:
        password_env: DBA_PASSWORD
)" + kRoles;
  const auto problems = errors_of(yaml, fake_env({{"DBA_PASSWORD", ""}}));
  REQUIRE(problems.size() == 2);
  CHECK(problem_at(problems, 4, "RO_PASSWORD").message ==
        "databases.prod.logins.ro.password_env: environment variable RO_PASSWORD is not set");
  problem_at(problems, 6, "databases.prod.logins.dba.password_env: environment variable "
                          "DBA_PASSWORD is empty");
}

TEST_CASE("password_file problems name the file, never its content", "[config]") {
  TempDir dir;
  dir.write("empty", "\n");
  dir.write("big", std::string(70 * 1024, 'x'));
  std::filesystem::create_directories(dir.path() / "adir");
  const std::string yaml = R"(databases:
  prod:
    logins:
      ro: { password_file: secrets/missing }
      a: { password_file: empty }
      b: { password_file: big }
      c: { password_file: adir }
      d: { password_file: '' }
)" + kRoles;
  const auto problems = errors_of(yaml, fake_env(), (dir.path() / "pgveil.yaml").string());
  const std::string base = dir.path().string();
  CHECK(problem_at(problems, 4, "missing").message ==
        "databases.prod.logins.ro.password_file: password file " + base +
            "/secrets/missing cannot be read: No such file or directory");
  problem_at(problems, 5, "password file " + base + "/empty is empty");
  problem_at(problems, 6, "password file " + base + "/big is larger than 64KiB");
  problem_at(problems, 7, base + "/adir is a directory");
  problem_at(problems, 8, "databases.prod.logins.d.password_file: must not be empty");
  CHECK(problems.size() == 5);
  CHECK(config_test::dump(problems).find("xxxx") == std::string::npos);
}

TEST_CASE("a login gives its password one way only", "[config]") {
  const std::string yaml = R"(databases:
  prod:
    logins:
      ro: { password_env: A, password: 'hunter2' }
)" + kRoles;
  const auto problems = errors_of(yaml, fake_env({{"A", "x"}}));
  REQUIRE(problems.size() == 1);
  CHECK(problems[0].line == 4);
  CHECK_THAT(problems[0].message, Catch::Contains("give the password one way only"));
  CHECK(problems[0].message.find("hunter2") == std::string::npos);
}

TEST_CASE("secret values never appear in problems", "[config]") {
  const std::string yaml = R"(databases:
  prod:
    logins:
      ro: { password: { nested: hunter2 } }
      rw: { password: [hunter3] }
)" + kRoles;
  const auto problems = errors_of(yaml);
  REQUIRE(problems.size() == 2);
  problem_at(problems, 4, "databases.prod.logins.ro.password: expected a string, found a map");
  const std::string all = config_test::dump(problems);
  CHECK(all.find("hunter") == std::string::npos);
}

TEST_CASE("server TLS: require needs a certificate; cert and key must be readable", "[config]") {
  TempDir dir;
  dir.write("server.crt", "cert");
  const std::string base = dir.path().string();
  const std::string source = (dir.path() / "pgveil.yaml").string();
  {
    const std::string yaml = "tls: { require: true }\n" + kDatabases + kRoles;
    const auto problems = errors_of(yaml, fake_env(), source);
    REQUIRE(problems.size() == 1);
    CHECK(problems[0].line == 1);
    CHECK_THAT(problems[0].message,
               Catch::Contains("tls.require: require: true needs cert and key"));
  }
  {
    const std::string yaml = "tls:\n  cert: server.crt\n  key: server.key\n" + kDatabases + kRoles;
    const auto problems = errors_of(yaml, fake_env(), source);
    REQUIRE(problems.size() == 1);
    CHECK(problems[0].line == 3);
    CHECK(problems[0].message ==
          "tls.key: cannot read " + base + "/server.key: No such file or directory");
  }
  {
    const std::string yaml = "tls:\n  cert: server.crt\n" + kDatabases + kRoles;
    const auto problems = errors_of(yaml, fake_env(), source);
    REQUIRE(problems.size() == 1);
    CHECK(problems[0].line == 1);
    CHECK_THAT(problems[0].message, Catch::Contains("cert and key go together (found only cert)"));
  }
  {
    const std::string yaml = R"(databases:
  prod:
    tls: { mode: verify-full, ca: missing-ca.crt }
    logins: { ro: {} }
)" + kRoles;
    const auto problems = errors_of(yaml, fake_env(), source);
    REQUIRE(problems.size() == 1);
    problem_at(problems, 3, "databases.prod.tls.ca: cannot read " + base + "/missing-ca.crt");
  }
}

TEST_CASE("many problems are reported together", "[config]") {
  const std::string yaml = R"(listen: nowhere
workers: 2
databases:
  prod:
    port: 99999
    logins:
      ro: { password_env: NOT_SET }
roles:
  support:
    databases: [prod, ghost]
    login: ro
    masking: pii-strict
    max_duration: forever
    approvers: oncall
unknown_section: 1
)";
  const auto problems = errors_of(yaml);
  CHECK(problems.size() == 8);
  problem_at(problems, 1, "listen: 'nowhere' has no port");
  problem_at(problems, 5, "databases.prod.port");
  problem_at(problems, 7, "NOT_SET is not set");
  problem_at(problems, 10, "unknown database 'ghost'");
  problem_at(problems, 12, "masking profile 'pii-strict'");
  problem_at(problems, 13, "'forever' is not a duration");
  problem_at(problems, 14, "roles.support.approvers: expected a list");
  problem_at(problems, 15, "unknown key 'unknown_section'");
}
