// Admission by grant, end to end (README "What a client sees"): libpq clients against a real
// pgveil and PostgreSQL; every refusal is checked by SQLSTATE, severity and text, and every
// session ended by its grant is checked from both sides (the client's FATAL and the upstream
// backend gone from pg_stat_activity).
#include <catch2/catch.hpp>
#include <chrono>
#include <csignal>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

#include "support/files.h"
#include "support/itf_env.h"
#include "support/pg_cluster.h"
#include "support/pgveil_process.h"
#include "support/pq.h"

using Catch::Matchers::Contains;
using Catch::Matchers::StartsWith;
using namespace std::chrono_literals;
using testsupport::PgConn;
using testsupport::PgError;
using testsupport::PgveilProcess;

namespace {

using Clock = std::chrono::steady_clock;

// Two databases on the same upstream, each with its own role.
itf::ConfigParts two_databases() {
  itf::ConfigParts parts;
  parts.databases =
      "  other:\n"
      "    host: 127.0.0.1\n"
      "    port: {{PG_PORT}}\n"
      "    dbname: itf\n"
      "    tls: { mode: disable }\n"
      "    logins:\n"
      "      app: { user: itf_app, password_env: APP_PW }\n";
  parts.roles = "  other_role: { databases: [other], login: app, max_duration: 4h }\n";
  return parts;
}

PgError refused(const PgveilProcess& pgveil, std::string_view user, std::string_view db,
                std::string_view secret) {
  auto conn = PgConn::connect(pgveil.conninfo(user, db, secret), 10s);
  if (conn) FAIL("pgveil admitted " << user << " to " << db);
  return conn.error();
}

// `grant create` with the flags given, as the README writes it (--config first); the parsed JSON.
nlohmann::json create_grant(PgveilProcess& pgveil, std::vector<std::string> extra) {
  std::vector<std::string> args = {"grant", "create"};
  args.insert(args.end(), extra.begin(), extra.end());
  args.push_back("--json");
  const auto r = itf::cli(pgveil, args);
  INFO(r.err << r.out);
  REQUIRE(r.exit_code == 0);
  return nlohmann::json::parse(r.out);
}

}  // namespace

TEST_CASE("admission: refusals carry the README's SQLSTATE, text and hint", "[admission][itf]") {
  PgveilProcess pgveil(itf::config(two_databases()), itf::pgveil_env());
  // Issued first so that its 2 s run out while the other checks run.
  const auto expiring = create_grant(pgveil, {"--user", "erin", "--db", "prod", "--role", "support",
                                              "--for", "2s", "--reason", "short"});
  const auto expiring_issued = Clock::now();

  {
    INFO("no grant at all");
    const auto e = refused(pgveil, "nogrant", "prod", "whatever");
    CHECK(e.severity == "FATAL");
    CHECK(e.sqlstate == "28000");
    CHECK(e.message == "no active pgveil grant for user \"nogrant\" on database \"prod\"");
    CHECK_THAT(e.hint, Contains("pgveil grant create --user nogrant --db prod"));
  }
  {
    INFO("a valid secret is admitted and logged in upstream as the brokered user");
    const auto secret = itf::secret_of(itf::grant(pgveil, "alice", "prod", "support"));
    auto conn = PgConn::connect(pgveil.conninfo("alice", "prod", secret), 10s);
    REQUIRE(conn.has_value());
    CHECK(conn->value("SELECT current_user") == itf::kAppUser);
    CHECK(conn->value("SELECT current_database()") == itf::kDatabase);

    INFO("wrong secret");
    const auto e = refused(pgveil, "alice", "prod", secret + "x");
    CHECK(e.severity == "FATAL");
    CHECK(e.sqlstate == "28P01");
    CHECK(e.message == "password authentication failed for user \"alice\"");
  }
  {
    INFO("database not configured");
    const auto e = refused(pgveil, "alice", "nope", "whatever");
    CHECK(e.sqlstate == "3D000");
    CHECK(e.message == "database \"nope\" does not exist");
  }
  {
    INFO("a grant for another database does not admit to this one");
    const auto secret = itf::secret_of(itf::grant(pgveil, "bob", "other", "other_role"));
    const auto e = refused(pgveil, "bob", "prod", secret);
    CHECK(e.sqlstate == "28000");
    CHECK(e.message == "no active pgveil grant for user \"bob\" on database \"prod\"");
    auto conn = PgConn::connect(pgveil.conninfo("bob", "other", secret), 10s);
    INFO((conn ? "" : conn.error().to_string()));
    CHECK(conn.has_value());
  }
  {
    INFO("the CLI refuses a grant whose role does not cover the database");
    const auto r = pgveil.cli({"--config", pgveil.config_path(), "grant", "create", "--user", "bob",
                               "--db", "prod", "--role", "other_role", "--for", "1h", "--reason", "x"});
    CHECK(r.exit_code == 2);
    CHECK_THAT(r.err, Contains("does not cover database \"prod\""));
  }
  {
    INFO("scheduled grant");
    const auto g = create_grant(pgveil, {"--user", "carol", "--db", "prod", "--role", "support",
                                         "--for", "1h", "--start", "1h", "--reason", "later"});
    const auto e = refused(pgveil, "carol", "prod", g["secret"].get<std::string>());
    CHECK(e.sqlstate == "28000");
    CHECK(e.message == "pgveil grant " + std::to_string(g["id"].get<std::int64_t>()) +
                           " for user \"carol\" on database \"prod\" starts at " +
                           g["not_before"].get<std::string>());
  }
  {
    INFO("revoked grant");
    const auto g = create_grant(pgveil, {"--user", "dave", "--db", "prod", "--role", "support",
                                         "--for", "1h", "--reason", "work"});
    const auto id = std::to_string(g["id"].get<std::int64_t>());
    const auto r = pgveil.cli({"--config", pgveil.config_path(), "grant", "revoke", id, "--reason",
                               "ticket closed"});
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    const auto e = refused(pgveil, "dave", "prod", g["secret"].get<std::string>());
    CHECK(e.sqlstate == "28000");
    CHECK_THAT(e.message, StartsWith("pgveil grant " + id + " for user \"dave\" on database \"prod\" was revoked at "));
    CHECK_THAT(e.message, Contains("ticket closed"));
    CHECK_THAT(e.hint, Contains("pgveil"));
  }
  {
    INFO("expired grant");
    const auto left = 2500ms - (Clock::now() - expiring_issued);
    if (left > 0ms) std::this_thread::sleep_for(left);
    const auto e = refused(pgveil, "erin", "prod", expiring["secret"].get<std::string>());
    CHECK(e.sqlstate == "28000");
    CHECK(e.message == "pgveil grant " + std::to_string(expiring["id"].get<std::int64_t>()) +
                           " for user \"erin\" on database \"prod\" expired at " +
                           expiring["not_after"].get<std::string>());
    CHECK_THAT(e.hint, Contains("pgveil grant create --user erin --db prod --role support"));
  }
  CHECK(pgveil.running());
}

TEST_CASE("admission: a grant whose role no longer covers the database after a reload",
          "[admission][itf]") {
  PgveilProcess pgveil(itf::config(two_databases()), itf::pgveil_env());
  const auto g = create_grant(pgveil, {"--user", "frank", "--db", "prod", "--role", "support",
                                       "--for", "1h", "--reason", "x"});
  // support now covers only `other`: the grant is still active but its role has no login on prod.
  auto parts = two_databases();
  const std::string changed =
      testsupport::replace_all(itf::config(parts), "support: { databases: [prod]",
                               "support: { databases: [other]");
  REQUIRE(changed != itf::config(parts));
  std::string yaml = testsupport::replace_all(changed, "{{PG_PORT}}",
                                              std::to_string(testsupport::PgCluster::shared().port()));
  yaml = testsupport::replace_all(yaml, "{{LISTEN_PORT}}", std::to_string(pgveil.port()));
  yaml = testsupport::replace_all(yaml, "{{DIR}}", pgveil.dir());
  testsupport::write_file(pgveil.config_path(), yaml, 0600);
  pgveil.signal(SIGHUP);
  const auto deadline = Clock::now() + 5s;
  while (pgveil.log().find("configuration reloaded") == std::string::npos && Clock::now() < deadline) {
    std::this_thread::sleep_for(50ms);
  }
  INFO(pgveil.log());
  REQUIRE(pgveil.log().find("configuration reloaded") != std::string::npos);

  const auto e = refused(pgveil, "frank", "prod", g["secret"].get<std::string>());
  CHECK(e.sqlstate == "28000");
  CHECK(e.message == "pgveil grant " + std::to_string(g["id"].get<std::int64_t>()) +
                         " names role \"support\", which does not cover database \"prod\" in the "
                         "current configuration");
}

TEST_CASE("admission: a grant that expires mid-query ends the session on both sides",
          "[admission][itf]") {
  PgveilProcess pgveil(itf::config(), itf::pgveil_env());
  const auto before_grant = Clock::now();
  const auto g = create_grant(pgveil, {"--user", "gina", "--db", "prod", "--role", "support",
                                       "--for", "3s", "--reason", "short"});
  const auto after_grant = Clock::now();
  auto conn = PgConn::connect(pgveil.conninfo("gina", "prod", g["secret"].get<std::string>()) +
                                  " application_name=itf_expiry",
                              10s);
  REQUIRE(conn.has_value());
  REQUIRE(PQsendQuery(conn->get(), "SELECT pg_sleep(30)") == 1);
  REQUIRE(itf::wait_backends("itf_expiry", 1, 2s));

  const auto outcome = itf::await_results(conn->get(), 10s);
  const auto ended = Clock::now();
  INFO(outcome.describe());
  REQUIRE(outcome.finished);
  CHECK(outcome.severity == "FATAL");
  CHECK(outcome.sqlstate == "57P01");
  CHECK_THAT(outcome.message, Contains("pgveil grant " + std::to_string(g["id"].get<std::int64_t>())));
  CHECK_THAT(outcome.message, Contains("expired at " + g["not_after"].get<std::string>()));
  // not_after is 3 s after a moment between before_grant and after_grant.
  CHECK(std::chrono::duration<double>(ended - before_grant).count() >= 2.9);
  CHECK(std::chrono::duration<double>(ended - after_grant).count() <= 3.0 + 2.0);
  // The cancelled query and its backend are gone upstream too.
  CHECK(itf::wait_backends("itf_expiry", 0, 1500ms));
  CHECK(pgveil.running());
}

TEST_CASE("admission: revoking a grant ends its live session within about a second",
          "[admission][itf]") {
  PgveilProcess pgveil(itf::config(), itf::pgveil_env());
  const auto g = create_grant(pgveil, {"--user", "hank", "--db", "prod", "--role", "support",
                                       "--for", "1h", "--reason", "work"});
  const auto id = std::to_string(g["id"].get<std::int64_t>());
  auto busy = PgConn::connect(pgveil.conninfo("hank", "prod", g["secret"].get<std::string>()) +
                                  " application_name=itf_revoke_busy",
                              10s);
  REQUIRE(busy.has_value());
  auto idle = PgConn::connect(pgveil.conninfo("hank", "prod", g["secret"].get<std::string>()) +
                                  " application_name=itf_revoke_idle",
                              10s);
  REQUIRE(idle.has_value());
  itf::AsyncErrors idle_errors;
  itf::capture_async_errors(idle->get(), idle_errors);
  REQUIRE(PQsendQuery(busy->get(), "SELECT pg_sleep(30)") == 1);
  REQUIRE(itf::wait_backends("itf_revoke_busy", 1, 2s));
  REQUIRE(itf::backends_named("itf_revoke_idle") == 1);

  const auto r = pgveil.cli({"--config", pgveil.config_path(), "grant", "revoke", id, "--reason",
                             "incident over"});
  const auto revoked = Clock::now();
  INFO(r.err);
  REQUIRE(r.exit_code == 0);

  const auto outcome = itf::await_results(busy->get(), 5s);
  const double took = itf::seconds_since(revoked);
  INFO(outcome.describe());
  REQUIRE(outcome.finished);
  CHECK(outcome.severity == "FATAL");
  CHECK(outcome.sqlstate == "57P01");
  CHECK_THAT(outcome.message, Contains("pgveil grant " + id));
  CHECK_THAT(outcome.message, Contains("was revoked by"));
  CHECK_THAT(outcome.message, Contains("incident over"));
  CHECK(took <= 1.5);
  CHECK(itf::wait_backends("itf_revoke_busy", 0, 1500ms));

  // The idle session of the same grant is closed as well, with the same FATAL.
  CHECK(itf::await_close(idle->get(), 2s));
  REQUIRE(idle_errors.sqlstates.size() == 1);
  CHECK(idle_errors.sqlstates[0] == "57P01");
  CHECK(itf::wait_backends("itf_revoke_idle", 0, 1500ms));
}
