// Operating pgveil (README "Operator commands", "Configuration"): SIGHUP reloads (an invalid file
// keeps the running configuration and is reported with line numbers, a valid one is used by new
// sessions), SIGTERM drains, check-config, --help, and the grant commands' exit codes and JSON.
#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <csignal>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <thread>

#include "support/files.h"
#include "support/itf_env.h"
#include "support/itf_raw_client.h"
#include "support/net.h"
#include "support/pg_cluster.h"
#include "support/pgveil_process.h"
#include "support/pq.h"
#include "support/process.h"

using Catch::Matchers::Contains;
using namespace std::chrono_literals;
using testsupport::PgConn;
using testsupport::PgveilProcess;

namespace {

using Clock = std::chrono::steady_clock;
const std::string kSourceDir = PGVEIL_SOURCE_DIR;

// The config text with PgveilProcess's placeholders filled in for an already running `pgveil`.
std::string concrete(const std::string& yaml, const PgveilProcess& pgveil) {
  std::string out = testsupport::replace_all(yaml, "{{PG_PORT}}",
                                             std::to_string(testsupport::PgCluster::shared().port()));
  out = testsupport::replace_all(out, "{{LISTEN_PORT}}", std::to_string(pgveil.port()));
  return testsupport::replace_all(out, "{{DIR}}", pgveil.dir());
}

bool wait_for_log(const PgveilProcess& pgveil, std::string_view text, std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    if (pgveil.log().find(text) != std::string::npos) return true;
    if (Clock::now() >= deadline) return false;
    std::this_thread::sleep_for(25ms);
  }
}

std::size_t count(const std::string& text, std::string_view what) {
  std::size_t n = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

testsupport::RunResult pgveil_cli(const std::vector<std::string>& args, const std::vector<std::string>& env = {}) {
  std::vector<std::string> argv = {PGVEIL_BINARY};
  argv.insert(argv.end(), args.begin(), args.end());
  return testsupport::run(argv, {}, env, 30s);
}

}  // namespace

TEST_CASE("operations: SIGHUP with an invalid file keeps serving and reports line numbers",
          "[operations][itf]") {
  const std::string yaml = itf::config();
  PgveilProcess pgveil(yaml, itf::pgveil_env());
  const auto secret = itf::secret_of(itf::grant(pgveil, "olga", "prod", "support"));
  auto before = PgConn::connect(pgveil.conninfo("olga", "prod", secret), 10s);
  REQUIRE(before.has_value());

  // An unknown key under limits:, on a line we know.
  std::string broken = concrete(yaml, pgveil);
  const auto limits_at = broken.find("limits:\n");
  REQUIRE(limits_at != std::string::npos);
  const std::size_t insert_at = limits_at + 8;
  const std::size_t line = count(broken.substr(0, insert_at), "\n") + 1;
  broken.insert(insert_at, "  max_sesions: 5\n");
  testsupport::write_file(pgveil.config_path(), broken, 0600);
  const std::size_t reloads_before = count(pgveil.log(), "failed, keeping the previous configuration");
  pgveil.signal(SIGHUP);

  const auto deadline = Clock::now() + 5s;
  while (count(pgveil.log(), "failed, keeping the previous configuration") == reloads_before &&
         Clock::now() < deadline) {
    std::this_thread::sleep_for(25ms);
  }
  const std::string log = pgveil.log();
  INFO(log);
  CHECK(count(log, "failed, keeping the previous configuration") == reloads_before + 1);
  CHECK_THAT(log, Contains(pgveil.config_path() + ":" + std::to_string(line) + ":"));
  CHECK_THAT(log, Contains("max_sesions"));
  CHECK(log.find("configuration reloaded") == std::string::npos);

  REQUIRE(pgveil.running());
  CHECK(before->value("SELECT 'still here'") == "still here");
  auto after = PgConn::connect(pgveil.conninfo("olga", "prod", secret), 10s);
  INFO((after ? "" : after.error().to_string()));
  REQUIRE(after.has_value());
  CHECK(after->value("SELECT 1") == "1");
}

TEST_CASE("operations: SIGHUP with a valid changed file is used by new sessions", "[operations][itf]") {
  const std::string yaml = itf::config();
  PgveilProcess pgveil(yaml, itf::pgveil_env());
  const auto secret = itf::secret_of(itf::grant(pgveil, "olga", "prod", "support"));
  auto before = PgConn::connect(pgveil.conninfo("olga", "prod", secret), 10s);
  REQUIRE(before.has_value());
  auto missing = PgConn::connect(pgveil.conninfo("olga", "prod2", "x"), 10s);
  REQUIRE_FALSE(missing.has_value());
  CHECK(missing.error().sqlstate == "3D000");

  itf::ConfigParts parts;
  parts.databases = "  prod2:\n"
                    "    host: 127.0.0.1\n"
                    "    port: {{PG_PORT}}\n"
                    "    dbname: itf\n"
                    "    tls: { mode: disable }\n"
                    "    logins:\n"
                    "      app: { user: itf_app, password_env: APP_PW }\n";
  parts.roles = "  support2: { databases: [prod2], login: app, max_duration: 1h }\n";
  testsupport::write_file(pgveil.config_path(), concrete(itf::config(parts), pgveil), 0600);
  const auto secret2 = itf::secret_of(itf::grant(pgveil, "olga", "prod2", "support2"));
  pgveil.signal(SIGHUP);
  INFO(pgveil.log());
  REQUIRE(wait_for_log(pgveil, "configuration reloaded", 5s));

  auto after = PgConn::connect(pgveil.conninfo("olga", "prod2", secret2) + " application_name=itf_reloaded", 10s);
  INFO((after ? "" : after.error().to_string()));
  REQUIRE(after.has_value());
  CHECK(after->value("SELECT current_setting('application_name')") == "itf_reloaded");
  // The session opened under the old configuration carries on.
  CHECK(before->value("SELECT 'old session'") == "old session");
}

TEST_CASE("operations: SIGTERM drains, then ends sessions with 57P01", "[operations][itf]") {
  itf::ConfigParts parts;
  parts.limits = "  drain_timeout: 2s\n";
  PgveilProcess pgveil(itf::config(parts), itf::pgveil_env());
  const auto secret = itf::secret_of(itf::grant(pgveil, "olga", "prod", "support"));

  SECTION("an idle session is terminated at the drain deadline") {
    auto client = itf::RawClient::connect(pgveil.port());
    REQUIRE(client.send(itf::startup_packet({{"user", "olga"}, {"database", "prod"}, {"application_name", "itf_drain"}})));
    REQUIRE(itf::scram_login(client, secret).ok);

    const auto start = Clock::now();
    pgveil.signal(SIGTERM);
    // New connections are refused while draining.
    const auto refuse_deadline = Clock::now() + 1s;
    while (testsupport::port_accepts(pgveil.port()) && Clock::now() < refuse_deadline) {
      std::this_thread::sleep_for(20ms);
    }
    CHECK_FALSE(testsupport::port_accepts(pgveil.port()));

    const auto fatal = itf::read_error(client, 5s);
    const double fatal_after = itf::seconds_since(start);
    REQUIRE(fatal.has_value());
    CHECK(fatal->severity == "FATAL");
    CHECK(fatal->sqlstate == "57P01");
    CHECK(fatal_after >= 1.8);
    CHECK(fatal_after <= 3.5);
    CHECK(client.wait_closed(2s));

    while (pgveil.running() && itf::seconds_since(start) < 6.0) std::this_thread::sleep_for(20ms);
    CHECK_FALSE(pgveil.running());
    CHECK(pgveil.exit_code() == 0);
    CHECK(itf::seconds_since(start) <= 4.0);
    CHECK(itf::wait_backends("itf_drain", 0, 2s));
  }
  SECTION("a session that ends during the drain lets pgveil exit at once") {
    auto client = itf::RawClient::connect(pgveil.port());
    REQUIRE(client.send(itf::startup_packet({{"user", "olga"}, {"database", "prod"}})));
    REQUIRE(itf::scram_login(client, secret).ok);
    const auto start = Clock::now();
    pgveil.signal(SIGTERM);
    std::this_thread::sleep_for(300ms);
    // Still serving the session it has.
    const auto q = itf::simple_query(client, "SELECT 'during drain'");
    REQUIRE(q.ready);
    REQUIRE(q.rows.size() == 1);
    CHECK(q.rows[0][0] == "during drain");
    REQUIRE(client.send(itf::terminate_message()));
    while (pgveil.running() && itf::seconds_since(start) < 5.0) std::this_thread::sleep_for(20ms);
    CHECK_FALSE(pgveil.running());
    CHECK(pgveil.exit_code() == 0);
    CHECK(itf::seconds_since(start) < 1.8);
  }
}

TEST_CASE("operations: check-config", "[operations][itf]") {
  testsupport::TempDir dir("itf-check");
  SECTION("the shipped example is valid") {
    const std::string path = dir.path() + "/pgveil.yaml";
    testsupport::write_file(path, testsupport::read_file(kSourceDir + "/examples/pgveil.yaml"));
    ::mkdir((dir.path() + "/secrets").c_str(), 0700);
    testsupport::write_file(dir.path() + "/secrets/support_ro", "support-secret\n", 0600);
    testsupport::write_file(dir.path() + "/secrets/pgveil_hmac", "0123456789abcdef0123456789abcdef\n", 0600);
    testsupport::write_file(dir.path() + "/secrets/admin_token", std::string(64, 'a') + "\n", 0600);
    const std::vector<std::string> env = {"PGVEIL_DEMO_DBA_PASSWORD=dba-secret"};
    const auto r = pgveil_cli({"--config", path, "check-config"}, env);
    INFO(r.out << r.err);
    CHECK(r.exit_code == 0);
    CHECK_THAT(r.out, Contains("OK"));
    // PGVEIL_CONFIG instead of --config.
    auto with_env = env;
    with_env.push_back("PGVEIL_CONFIG=" + path);
    const auto by_env = pgveil_cli({"check-config"}, with_env);
    INFO(by_env.out << by_env.err);
    CHECK(by_env.exit_code == 0);
  }
  SECTION("a broken file: exit 2 and every problem with its line") {
    const std::string path = dir.path() + "/broken.yaml";
    testsupport::write_file(path,
                            "listen: 127.0.0.1:6432\n"                                       // 1
                            "workers: 2\n"                                                   // 2
                            "limits:\n"                                                      // 3
                            "  startup_timeout: soon\n"                                      // 4
                            "store: { sqlite: ./state.db }\n"                                // 5
                            "databases:\n"                                                   // 6
                            "  prod:\n"                                                      // 7
                            "    host: 127.0.0.1\n"                                          // 8
                            "    portt: 5432\n"                                              // 9
                            "    logins:\n"                                                  // 10
                            "      app: { user: app, password_env: ITF_PW }\n"               // 11
                            "roles:\n"                                                       // 12
                            "  support: { databases: [prod], login: app, max_duration: 4h }\n");  // 13
    const auto r = pgveil_cli({"--config", path, "check-config"}, {"ITF_PW=x"});
    INFO(r.out << r.err);
    CHECK(r.exit_code == 2);
    CHECK_THAT(r.err, Contains(path + ":4:"));
    CHECK_THAT(r.err, Contains(path + ":9:"));
    CHECK_THAT(r.err, Contains("portt"));
    CHECK(r.err.find(path + ":1:") == std::string::npos);
  }
}

TEST_CASE("operations: --help and the grant commands' exit codes", "[operations][itf]") {
  SECTION("--help") {
    const auto top = pgveil_cli({"--help"});
    CHECK(top.exit_code == 0);
    CHECK_THAT(top.out, Contains("serve"));
    CHECK_THAT(top.out, Contains("check-config"));
    const auto create = pgveil_cli({"grant", "create", "--help"});
    CHECK(create.exit_code == 0);
    CHECK_THAT(create.out, Contains("--user"));
    CHECK_THAT(create.out, Contains("--for"));
    const auto unknown = pgveil_cli({"no-such-command"});
    CHECK(unknown.exit_code == 2);
  }

  PgveilProcess pgveil(itf::config(), itf::pgveil_env());
  const std::vector<std::string> config = {"--config", pgveil.config_path()};
  auto cli = [&](std::vector<std::string> args) {
    args.insert(args.begin(), config.begin(), config.end());
    return pgveil.cli(args);
  };

  SECTION("--for above the role's max_duration is a usage error") {
    const auto r = cli({"grant", "create", "--user", "olga", "--db", "prod", "--role", "support",
                        "--for", "5h", "--reason", "too long"});
    INFO(r.out << r.err);
    CHECK(r.exit_code == 2);
    CHECK_THAT(r.err, Contains("max_duration"));
    const auto list = cli({"grant", "list", "--json"});
    REQUIRE(list.exit_code == 0);
    CHECK(nlohmann::json::parse(list.out).empty());
  }
  SECTION("grant list --json") {
    const auto active = itf::grant(pgveil, "olga", "prod", "support");
    const auto revoked = itf::grant(pgveil, "pete", "prod", "support");
    REQUIRE(cli({"grant", "revoke", std::to_string(itf::id_of(revoked)), "--reason", "done"}).exit_code == 0);
    const auto later = cli({"grant", "create", "--user", "quinn", "--db", "prod", "--role", "support",
                            "--for", "1h", "--start", "2h", "--reason", "later"});
    REQUIRE(later.exit_code == 0);

    const auto r = cli({"grant", "list", "--json"});
    INFO(r.out << r.err);
    REQUIRE(r.exit_code == 0);
    const auto list = nlohmann::json::parse(r.out);
    REQUIRE(list.is_array());
    REQUIRE(list.size() == 3);
    std::set<std::string> seen;
    for (const auto& g : list) {
      seen.insert(g["person"].get<std::string>() + "=" + g["state"].get<std::string>());
      CHECK(g["database"] == "prod");
      CHECK(g["role"] == "support");
      if (g["id"] == itf::id_of(revoked)) {
        CHECK(g["revoke_reason"] == "done");
      }
      CHECK_FALSE(g.contains("secret"));
    }
    CHECK(seen == std::set<std::string>{"olga=active", "pete=revoked", "quinn=scheduled"});

    const auto filtered = cli({"grant", "list", "--user", "olga", "--json"});
    REQUIRE(filtered.exit_code == 0);
    const auto only = nlohmann::json::parse(filtered.out);
    REQUIRE(only.size() == 1);
    CHECK(only[0]["id"] == itf::id_of(active));
  }
  SECTION("revoking an unknown grant fails") {
    const auto r = cli({"grant", "revoke", "999", "--reason", "x"});
    CHECK(r.exit_code != 0);
  }
}
