// Configs that load: every field, defaults, path resolution, secrets, lookups, the example file.
#include <sys/stat.h>

#include <catch2/catch.hpp>

#include "config_test_support.h"
#include "proxy/config/config.h"

using namespace std::chrono_literals;
using config_test::fake_env;
using config_test::load_ok;
using config_test::TempDir;

TEST_CASE("every field of pgveil.yaml is read", "[config]") {
  TempDir dir;
  dir.write("tls/server.crt", "cert");
  dir.write("tls/server.key", "key");
  dir.write("db-ca.crt", "ca");
  dir.write("secrets/ro", "s3cret-ro\n");
  const std::string yaml = R"(listen: "[::]:7000"
workers: 3
tls: { cert: tls/server.crt, key: tls/server.key, require: true }
limits:
  max_message_size: 1GiB
  buffer_size: 128KiB
  startup_timeout: 2s
  idle_timeout: 1h
  max_sessions: 77
  drain_timeout: 500ms
store: { sqlite: data/state.db }
databases:
  prod:
    host: db1.internal
    port: 15432
    dbname: shop
    connect_timeout: 1m30s
    tls: { mode: verify-full, ca: db-ca.crt }
    logins:
      ro: { user: support_ro, password_file: secrets/ro }
      dba: { user: postgres, password_env: DBA_PW }
      trusty: { user: trusted }
      auto: {}
  staging:
    tls: { mode: disable }
    logins:
      ro: { password_env: STAGING_PW }
people:
  alice: { groups: [engineering] }
  bob: { groups: [engineering, oncall-leads] }
  carol:
roles:
  support:
    description: Investigate tickets
    databases: [prod, staging]
    login: ro
    masking: none
    statements: all
    max_duration: 2h30m
    requesters: [engineering]
    approvers: [oncall-leads]
    approvals: 1
    idle_timeout: 15m
  breakglass:
    databases: [prod]
    login: dba
logging: { level: debug, format: json, file: logs/pgveil.log }
)";
  const auto config =
      load_ok(yaml, fake_env({{"DBA_PW", "dba-pw"}, {"STAGING_PW", "st-pw"}}),
              (dir.path() / "pgveil.yaml").string());
  const std::string base = dir.path().string();

  CHECK(config->source == base + "/pgveil.yaml");
  CHECK(config->listen.host == "::");
  CHECK(config->listen.port == 7000);
  CHECK(config->workers == 3);
  CHECK(config->tls.cert_file == base + "/tls/server.crt");
  CHECK(config->tls.key_file == base + "/tls/server.key");
  CHECK(config->tls.require);
  CHECK(config->limits.max_message_size == (1u << 30));
  CHECK(config->limits.buffer_size == (128u << 10));
  CHECK(config->limits.startup_timeout == 2s);
  CHECK(config->limits.idle_timeout == 1h);
  CHECK(config->limits.max_sessions == 77);
  CHECK(config->limits.drain_timeout == 500ms);
  CHECK(config->store_sqlite == base + "/data/state.db");
  CHECK(config->logging.level == "debug");
  CHECK(config->logging.format == "json");
  CHECK(config->logging.file == base + "/logs/pgveil.log");

  REQUIRE(config->databases.size() == 2);
  const proxy::Database* prod = config->database("prod");
  REQUIRE(prod != nullptr);
  CHECK(prod->name == "prod");
  CHECK(prod->host == "db1.internal");
  CHECK(prod->port == 15432);
  CHECK(prod->dbname == "shop");
  CHECK(prod->connect_timeout == 90s);
  CHECK(prod->tls.mode == proxy::UpstreamTlsMode::kVerifyFull);
  CHECK(prod->tls.ca_file == base + "/db-ca.crt");
  REQUIRE(prod->logins.size() == 4);
  const proxy::Login& ro = prod->logins.at("ro");
  CHECK(ro.name == "ro");
  CHECK(ro.user == "support_ro");
  CHECK(ro.password == "s3cret-ro");  // trailing newline of the file dropped
  CHECK(ro.password_source == "file " + base + "/secrets/ro");
  const proxy::Login& dba = prod->logins.at("dba");
  CHECK(dba.user == "postgres");
  CHECK(dba.password == "dba-pw");
  CHECK(dba.password_source == "env DBA_PW");
  CHECK(prod->logins.at("trusty").password.empty());
  CHECK(prod->logins.at("trusty").password_source == "none");
  CHECK(prod->logins.at("auto").user == "auto");  // user defaults to the login's key

  const proxy::Database* staging = config->database("staging");
  REQUIRE(staging != nullptr);
  CHECK(staging->host == "127.0.0.1");
  CHECK(staging->port == 5432);
  CHECK(staging->dbname == "staging");
  CHECK(staging->tls.mode == proxy::UpstreamTlsMode::kDisable);
  CHECK(staging->connect_timeout == 5s);
  CHECK(staging->logins.at("ro").user == "ro");
  CHECK(staging->logins.at("ro").password == "st-pw");

  REQUIRE(config->people.size() == 3);
  CHECK(config->people.at("bob").groups == std::vector<std::string>{"engineering", "oncall-leads"});
  CHECK(config->people.at("carol").groups.empty());
  CHECK(config->people.at("carol").name == "carol");

  const proxy::Role* support = config->role("support");
  REQUIRE(support != nullptr);
  CHECK(support->name == "support");
  CHECK(support->description == "Investigate tickets");
  CHECK(support->databases == std::vector<std::string>{"prod", "staging"});
  CHECK(support->login == "ro");
  CHECK(support->masking == "none");
  CHECK(support->statements == "all");
  CHECK(support->max_duration == 2h + 30min);
  CHECK(support->requesters == std::vector<std::string>{"engineering"});
  CHECK(support->approvers == std::vector<std::string>{"oncall-leads"});
  CHECK(support->approvals == 1);
  CHECK(support->idle_timeout == 15min);

  const proxy::Role* breakglass = config->role("breakglass");
  REQUIRE(breakglass != nullptr);
  CHECK(breakglass->masking == "none");
  CHECK(breakglass->statements == "all");
  CHECK(breakglass->max_duration == 4h);
  CHECK(breakglass->approvals == 1);
  CHECK(breakglass->idle_timeout == 0s);
  CHECK(breakglass->requesters.empty());

  // The secret file in this test is world-readable (umask default): that is worth a warning,
  // and the warning must not carry the password.
  for (const auto& w : config->warnings) CHECK(w.message.find("s3cret") == std::string::npos);
}

TEST_CASE("omitted settings take the documented defaults", "[config]") {
  const std::string yaml =
      std::string(config_test::kMinimalDatabases) + std::string(config_test::kMinimalRoles);
  const auto config = load_ok(yaml);
  const proxy::Config defaults;
  CHECK(config->listen.host == "127.0.0.1");
  CHECK(config->listen.port == 6432);
  CHECK(config->workers == 0);
  CHECK(config->tls.cert_file.empty());
  CHECK_FALSE(config->tls.require);
  CHECK(config->limits.max_message_size == 64u << 20);
  CHECK(config->limits.buffer_size == 64u << 10);
  CHECK(config->limits.startup_timeout == 10s);
  CHECK(config->limits.idle_timeout == 0ms);
  CHECK(config->limits.max_sessions == 10000);
  CHECK(config->limits.drain_timeout == 30s);
  CHECK(config->store_sqlite.empty());
  CHECK(config->logging.level == "info");
  CHECK(config->logging.format == "text");
  CHECK(config->logging.file.empty());
  CHECK(config->people.empty());
  CHECK(config->warnings.empty());
  const proxy::Database& prod = config->databases.at("prod");
  CHECK(prod.tls.mode == proxy::UpstreamTlsMode::kPrefer);
  CHECK(prod.tls.ca_file.empty());
  const proxy::Role& role = config->roles.at("support");
  CHECK(role.max_duration == 4h);
  CHECK(role.masking == "none");
  CHECK(role.statements == "all");
}

TEST_CASE("listen accepts every documented form", "[config]") {
  const std::string rest =
      std::string(config_test::kMinimalDatabases) + std::string(config_test::kMinimalRoles);
  CHECK(load_ok("listen: :7000\n" + rest)->listen.host == "127.0.0.1");
  CHECK(load_ok("listen: :7000\n" + rest)->listen.port == 7000);
  CHECK(load_ok("listen: 7001\n" + rest)->listen.port == 7001);
  CHECK(load_ok("listen: '[::1]:7002'\n" + rest)->listen.host == "::1");
  CHECK(load_ok("listen: 0.0.0.0:7003\n" + rest)->listen.host == "0.0.0.0");
}

TEST_CASE("login_for answers only for the role's own databases", "[config]") {
  const auto config = load_ok(R"(databases:
  prod: { logins: { ro: { user: reader }, dba: { user: postgres } } }
  other: { logins: { ro: { user: other_reader } } }
roles:
  support: { databases: [prod], login: ro }
  both: { databases: [prod, other], login: ro }
)");
  const proxy::Role& support = *config->role("support");
  const proxy::Login* login = config->login_for(support, "prod");
  REQUIRE(login != nullptr);
  CHECK(login->user == "reader");
  CHECK(config->login_for(support, "other") == nullptr);  // exists, but not this role's
  CHECK(config->login_for(support, "nope") == nullptr);
  const proxy::Login* other = config->login_for(*config->role("both"), "other");
  REQUIRE(other != nullptr);
  CHECK(other->user == "other_reader");
  CHECK(config->role("nope") == nullptr);
  CHECK(config->database("nope") == nullptr);
}

TEST_CASE("password resolution: env, file, inline and none", "[config]") {
  TempDir dir;
  dir.write("crlf", "pw-crlf\r\n");
  dir.write("plain", "pw plain with spaces");
  const std::string abs = dir.write("abs/pw", "pw-abs\n\n");
  const std::string yaml = R"(databases:
  prod:
    logins:
      a: { password_file: crlf }
      b: { password_file: ./plain }
      c: { password_file: )" + abs + R"( }
      d: { password_env: D_PW }
      e: { password: 'inline-secret' }
roles:
  r: { databases: [prod], login: a }
)";
  const auto config = load_ok(yaml, fake_env({{"D_PW", " spaced env value "}}),
                              (dir.path() / "pgveil.yaml").string());
  const auto& logins = config->databases.at("prod").logins;
  CHECK(logins.at("a").password == "pw-crlf");
  CHECK(logins.at("b").password == "pw plain with spaces");
  CHECK(logins.at("c").password == "pw-abs");
  CHECK(logins.at("c").password_source == "file " + abs);
  CHECK(logins.at("d").password == " spaced env value ");  // env values are taken as they are
  CHECK(logins.at("e").password == "inline-secret");
  CHECK(logins.at("e").password_source == "inline");
  // The inline password loads, with a warning that names the key but not the value.
  const auto& warnings = config->warnings;
  const auto it = std::find_if(warnings.begin(), warnings.end(), [](const auto& w) {
    return w.message.find("databases.prod.logins.e.password: password written in the config") !=
           std::string::npos;
  });
  REQUIRE(it != warnings.end());
  CHECK(it->line == config_test::line_of(yaml, "e: {"));
  for (const auto& w : warnings) CHECK(w.message.find("inline-secret") == std::string::npos);
}

TEST_CASE("a password file readable by everyone loads with a warning", "[config]") {
  TempDir dir;
  const std::string file = dir.write("pw", "pw\n");
  const std::string yaml = std::string("databases:\n  prod:\n    logins:\n      ro: { password_file: ") +
                           file + " }\n" + std::string(config_test::kMinimalRoles);
  ::chmod(file.c_str(), 0644);
  auto config = load_ok(yaml, fake_env(), (dir.path() / "pgveil.yaml").string());
  REQUIRE(config->warnings.size() == 1);
  CHECK_THAT(config->warnings[0].message, Catch::Contains("readable by every user"));
  ::chmod(file.c_str(), 0600);
  config = load_ok(yaml, fake_env(), (dir.path() / "pgveil.yaml").string());
  CHECK(config->warnings.empty());
}

TEST_CASE("the default environment lookup is the process environment", "[config]") {
  ::setenv("PGVEIL_CONFIG_TEST_PW", "from-process-env", 1);
  const std::string yaml =
      "databases:\n  prod:\n    logins:\n      ro: { password_env: PGVEIL_CONFIG_TEST_PW }\n" +
      std::string(config_test::kMinimalRoles);
  auto result = proxy::parse_config(yaml, "pgveil.yaml");
  ::unsetenv("PGVEIL_CONFIG_TEST_PW");
  REQUIRE(result.has_value());
  CHECK((*result)->databases.at("prod").logins.at("ro").password == "from-process-env");
}

TEST_CASE("reserved sections load with a warning when ignoring them is safe", "[config]") {
  const std::string yaml = std::string(config_test::kMinimalDatabases) +
                           std::string(config_test::kMinimalRoles) + R"(admin: { listen: 127.0.0.1:6433 }
masking:
  profiles:
    pii-strict: { columns: [] }
audit: {}
)";
  const auto config = load_ok(yaml);
  // admin: is no longer reserved (issue #3): it loads, without a token, and warns about nothing.
  CHECK(config->warnings.empty());
  CHECK(config->admin.enabled);
  CHECK(config->admin.token.empty());
  CHECK(config->masking_profiles.contains("pii-strict"));
}

TEST_CASE("load_config reads a file and resolves paths against its directory", "[config]") {
  TempDir dir;
  const std::string path = dir.write("etc/pgveil.yaml", std::string(config_test::kMinimalDatabases) +
                                                            std::string(config_test::kMinimalRoles) +
                                                            "store: { sqlite: ../var/state.db }\n");
  auto result = proxy::load_config(path, fake_env());
  REQUIRE(result.has_value());
  CHECK((*result)->source == path);
  CHECK((*result)->store_sqlite == (dir.path() / "var/state.db").string());
}

TEST_CASE("load_config reports a missing file", "[config]") {
  TempDir dir;
  const std::string path = (dir.path() / "nope.yaml").string();
  auto result = proxy::load_config(path, fake_env());
  REQUIRE_FALSE(result.has_value());
  REQUIRE(result.error().size() == 1);
  CHECK(result.error()[0].to_string() == path + ": cannot read config file: No such file or directory");
}

TEST_CASE("examples/pgveil.yaml loads with its secrets provided", "[config]") {
  // The example is documentation the demo runs: it must stay valid.
  const std::filesystem::path example =
      std::filesystem::path(__FILE__).parent_path().parent_path().parent_path() / "examples" /
      "pgveil.yaml";
  std::ifstream in(example);
  REQUIRE(in.good());
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  TempDir dir;
  const std::string copy = dir.write("pgveil.yaml", text);
  const std::string secret = dir.write("secrets/support_ro", "support-pw\n");
  ::chmod(secret.c_str(), 0600);
  const std::string hmac = dir.write("secrets/pgveil_hmac", "0123456789abcdef0123456789abcdef\n");
  ::chmod(hmac.c_str(), 0600);
  const std::string admin_token = dir.write("secrets/admin_token", std::string(64, 'a') + "\n");
  ::chmod(admin_token.c_str(), 0600);

  auto result = proxy::load_config(copy, fake_env({{"PGVEIL_DEMO_DBA_PASSWORD", "dba-pw"}}));
  if (!result) FAIL(config_test::dump(result.error()));
  const proxy::Config& config = **result;
  CHECK(config.warnings.empty());
  CHECK(config.listen.host == "127.0.0.1");
  CHECK(config.listen.port == 6432);
  CHECK(config.store_sqlite == (dir.path() / "state.db").string());
  const proxy::Database* prod = config.database("prod");
  REQUIRE(prod != nullptr);
  CHECK(prod->port == 5433);
  CHECK(prod->dbname == "shop");
  CHECK(prod->logins.at("support_ro").password == "support-pw");
  CHECK(prod->logins.at("dba").password == "dba-pw");
  CHECK(prod->logins.at("dba").password_source == "env PGVEIL_DEMO_DBA_PASSWORD");
  CHECK(config.people.size() == 4);
  CHECK(config.admin.enabled);
  CHECK(config.admin.listen.host == "127.0.0.1");
  CHECK(config.admin.listen.port == 6433);
  CHECK(config.admin.token == std::string(64, 'a'));
  CHECK_FALSE(config.admin.https());
  const proxy::Role* support = config.role("support");
  REQUIRE(support != nullptr);
  CHECK(support->statements == "read-only");
  CHECK(support->statement_rules.mode == policy::StatementMode::kReadOnly);
  CHECK(support->masking == "pii-strict");
  REQUIRE(config.masking_profile(*support) != nullptr);
  CHECK(config.masking_profile(*support)->columns.size() == 6);
  CHECK(support->max_duration == 4h);
  const proxy::Role* breakglass = config.role("breakglass");
  REQUIRE(breakglass != nullptr);
  CHECK(breakglass->max_duration == 1h);
  CHECK(config.login_for(*breakglass, "prod")->user == "postgres");
  CHECK(breakglass->approvals == 2);
  CHECK(support->requesters == std::vector<std::string>{"engineering"});
  CHECK(support->approvers == std::vector<std::string>{"oncall-leads"});
  const proxy::Role* oncall = config.role("oncall_ro");
  REQUIRE(oncall != nullptr);
  CHECK(oncall->auto_approve == std::vector<std::string>{"oncall"});
  CHECK(oncall->statements == "read-only");
  CHECK(oncall->masking == "pii-strict");

  // Without the secrets, it names both missing sources.
  auto missing = proxy::load_config(copy, fake_env());
  std::filesystem::remove(secret);
  auto both_missing = proxy::load_config(copy, fake_env());
  REQUIRE_FALSE(missing.has_value());
  CHECK_THAT(config_test::dump(missing.error()),
             Catch::Contains("environment variable PGVEIL_DEMO_DBA_PASSWORD is not set"));
  REQUIRE_FALSE(both_missing.has_value());
  CHECK(both_missing.error().size() == 2);
}
