// The PostgreSQL grant store end to end: two pgveil processes sharing one control database see
// each other's revocations within a second (LISTEN/NOTIFY), grants and tokens survive a restart
// of both, a scheduled approval ends the old grant's session when the new grant starts, and an
// unreachable store fails admission closed.
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>

#include "support/files.h"
#include "support/pg_cluster.h"
#include "support/pq.h"
#include "support/workflow_env.h"

using Catch::Matchers::Contains;
using namespace std::chrono_literals;
using testsupport::PgCluster;
using testsupport::PgConn;
using testsupport::PgveilProcess;
using Clock = std::chrono::steady_clock;

namespace {

// A fresh control database on `cluster`; the workflow config with its store pointed there. The
// password comes from PGPASSWORD (store_env), as the README recommends, not the config.
std::string postgres_store_config(PgCluster& cluster, const std::string& extra = {}) {
  static std::atomic<int> next{0};
  const auto database = "pgveil_ctl_" + std::to_string(next.fetch_add(1));
  cluster.exec("DROP DATABASE IF EXISTS " + database + " WITH (FORCE)");
  cluster.create_database(database);
  return testsupport::replace_all(wf::config(), "store: { sqlite: \"{{DIR}}/state.db\" }",
                                  "store: { postgres: \"host=127.0.0.1 port=" + std::to_string(cluster.port()) +
                                      " dbname=" + database + " user=postgres\" }\n" + extra);
}

std::vector<std::string> store_env() {
  auto env = wf::env();
  env.push_back("PGPASSWORD=" + std::string(PgCluster::kSuperuserPassword));
  return env;
}

using wf::connect_as;
using wf::start_long_query;

// Waits (bounded) until `pgveil`'s log contains `text`.
bool log_shows(const PgveilProcess& pgveil, const std::string& text, std::chrono::milliseconds within) {
  const auto deadline = Clock::now() + within;
  while (Clock::now() < deadline) {
    if (pgveil.log().find(text) != std::string::npos) return true;
    std::this_thread::sleep_for(50ms);
  }
  return pgveil.log().find(text) != std::string::npos;
}

}  // namespace

TEST_CASE("postgres store: a revocation through one instance ends the session on another within a second",
          "[store][postgres][itf]") {
  auto& cluster = PgCluster::shared();
  const auto yaml = postgres_store_config(cluster);
  nlohmann::json kept;
  std::string alice, carol;
  std::int64_t revoked_id = 0;
  {
    // (Several instances opening a new database at once is covered by the store's concurrency
    // tests, which run against PostgreSQL too.)
    auto a = std::make_unique<PgveilProcess>(yaml, store_env());
    auto b = std::make_unique<PgveilProcess>(yaml, store_env());
    INFO("A: " << a->log());
    INFO("B: " << b->log());
    CHECK(log_shows(*a, "grant store listener: LISTEN pgveil_grant_changes", 5s));
    CHECK(log_shows(*b, "grant store listener: LISTEN pgveil_grant_changes", 5s));

    // Tokens issued through A work on B: they live in the shared store.
    alice = wf::issue_token(*a, "alice");
    carol = wf::issue_token(*a, "carol");
    const auto g = wf::approved_grant(*b, alice, carol);
    revoked_id = g["id"].get<std::int64_t>();
    auto conn = connect_as(*a, "alice", g["secret"].get<std::string>(), "st_revoke");
    start_long_query(conn, "st_revoke");

    const auto r = wf::cli(*b, carol, {"revoke", std::to_string(revoked_id), "--reason", "incident over"});
    const auto revoked = Clock::now();
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    wf::expect_terminated(conn, revoked, "was revoked by carol: incident over", "st_revoke");

    // A grant approved through A admits through B.
    kept = wf::approved_grant(*a, alice, carol, "2h");
    CHECK(PgConn::connect(b->conninfo("alice", "prod", kept["secret"].get<std::string>()), 10s).has_value());
    CHECK(a->stop() == 0);
    CHECK(b->stop() == 0);
  }
  // Both restarted: grants (with their history) and tokens are all still there.
  PgveilProcess a(yaml, store_env());
  PgveilProcess b(yaml, store_env());
  auto got = wf::call(b, alice, "GET", "/v1/grants/" + std::to_string(kept["id"].get<std::int64_t>()));
  REQUIRE(got.status == 200);
  CHECK(got.body["state"] == "active");
  CHECK(got.body["history"].size() == 3);
  auto gone = wf::call(a, carol, "GET", "/v1/grants/" + std::to_string(revoked_id));
  REQUIRE(gone.status == 200);
  CHECK(gone.body["state"] == "revoked");
  auto conn = PgConn::connect(a.conninfo("alice", "prod", kept["secret"].get<std::string>()), 10s);
  INFO((conn ? "" : conn.error().to_string()));
  CHECK(conn.has_value());
}

TEST_CASE("postgres store: a scheduled approval ends the old grant's session when the new one starts",
          "[store][postgres][itf]") {
  auto& cluster = PgCluster::shared();
  const auto yaml = postgres_store_config(cluster);
  PgveilProcess a(yaml, store_env());
  PgveilProcess b(yaml, store_env());
  const auto alice = wf::issue_token(a, "alice");
  const auto carol = wf::issue_token(a, "carol");
  const auto old_grant = wf::approved_grant(a, alice, carol);
  auto conn = connect_as(a, "alice", old_grant["secret"].get<std::string>(), "st_sched");
  // A new grant for alice on prod from 3 s from now, approved through the other instance.
  auto asked = wf::call(b, alice, "POST", "/v1/requests",
                        {{"database", "prod"}, {"role", "support"}, {"reason", "INC-2"}, {"duration", "1h"},
                         {"start_in", "3s"}});
  REQUIRE(asked.status == 201);
  const auto id = asked.body["id"].get<std::int64_t>();
  REQUIRE(wf::call(b, carol, "POST", "/v1/grants/" + std::to_string(id) + "/approve").status == 200);
  const auto approved = Clock::now();
  // The old grant keeps working until then.
  std::this_thread::sleep_for(1s);
  auto still = PQexec(conn.get(), "SELECT 1");
  CHECK(PQresultStatus(still) == PGRES_TUPLES_OK);
  PQclear(still);
  start_long_query(conn, "st_sched");
  const auto outcome = itf::await_results(conn.get(), 10s);
  INFO(outcome.describe());
  REQUIRE(outcome.finished);
  CHECK(outcome.sqlstate == "57P01");
  CHECK_THAT(outcome.message, Contains("superseded by grant " + std::to_string(id)));
  const double took = itf::seconds_since(approved);
  CHECK(took >= 2.5);
  CHECK(took <= 4.5);
  CHECK(itf::wait_backends("st_sched", 0, 1500ms));
  auto history = wf::call(a, alice, "GET", "/v1/grants/" + std::to_string(old_grant["id"].get<std::int64_t>()));
  REQUIRE(history.status == 200);
  CHECK(history.body["state"] == "expired");
}

TEST_CASE("postgres store: an unreachable store fails admission closed, and pgveil recovers",
          "[store][postgres][itf]") {
  PgCluster control;  // its own cluster, so stopping it leaves the upstream databases up
  const auto yaml = postgres_store_config(control);
  PgveilProcess pgveil(yaml, store_env());
  const auto alice = wf::issue_token(pgveil, "alice");
  const auto carol = wf::issue_token(pgveil, "carol");
  const auto g = wf::approved_grant(pgveil, alice, carol);
  const auto secret = g["secret"].get<std::string>();
  REQUIRE(PgConn::connect(pgveil.conninfo("alice", "prod", secret), 10s).has_value());

  control.stop_server();
  auto refused = PgConn::connect(pgveil.conninfo("alice", "prod", secret), 15s);
  REQUIRE_FALSE(refused.has_value());
  CHECK(refused.error().severity == "FATAL");
  CHECK(refused.error().sqlstate == "57P03");
  CHECK_THAT(refused.error().message, Contains("pgveil cannot read its grant store right now"));
  CHECK(log_shows(pgveil, "grant store listener: connection lost", 5s));
  CHECK(wf::call(pgveil, "", "GET", "/healthz").status == 503);

  control.start_server();
  // The next admission reconnects; the listener comes back too.
  auto admitted = PgConn::connect(pgveil.conninfo("alice", "prod", secret), 10s);
  INFO((admitted ? "" : admitted.error().to_string()));
  INFO(pgveil.log());
  CHECK(admitted.has_value());
  CHECK(log_shows(pgveil, "grant store listener: LISTEN pgveil_grant_changes", 10s));
}

TEST_CASE("postgres store: the operator CLI writes the shared store; its revocation reaches every instance",
          "[store][postgres][itf]") {
  auto& cluster = PgCluster::shared();
  const auto yaml = postgres_store_config(cluster);
  PgveilProcess a(yaml, store_env());
  PgveilProcess b(yaml, store_env());
  // `pgveil grant create --config …` opens the PostgreSQL store itself (no admin API involved).
  const auto issued = a.issue_grant("alice", "prod", "support", "1h", "INC-3");
  REQUIRE(issued.id > 0);
  auto listed = b.cli({"--config", b.config_path(), "grant", "list", "--json"});
  INFO(listed.err);
  REQUIRE(listed.exit_code == 0);
  const auto grants = nlohmann::json::parse(listed.out);
  REQUIRE(grants.size() == 1);
  CHECK(grants[0]["id"] == issued.id);

  auto on_a = connect_as(a, "alice", issued.secret, "st_cli_a");
  auto on_b = connect_as(b, "alice", issued.secret, "st_cli_b");
  start_long_query(on_a, "st_cli_a");
  start_long_query(on_b, "st_cli_b");
  // Neither instance made this change: only the NOTIFY (or the poll) can tell them.
  const auto r = a.cli({"--config", a.config_path(), "grant", "revoke", std::to_string(issued.id), "--reason",
                        "offboarding"});
  const auto revoked = Clock::now();
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  for (auto* conn : {&on_a, &on_b}) {
    const auto outcome = itf::await_results(conn->get(), 5s);
    INFO(outcome.describe());
    REQUIRE(outcome.finished);
    CHECK(outcome.sqlstate == "57P01");
    CHECK_THAT(outcome.message, Contains("was revoked by cli:"));
    CHECK_THAT(outcome.message, Contains("offboarding"));
  }
  CHECK(itf::seconds_since(revoked) <= 1.0);
  CHECK(itf::wait_backends("st_cli_a", 0, 1500ms));
  CHECK(itf::wait_backends("st_cli_b", 0, 1500ms));
}
