// The workflow over hours, in seconds: pgveil runs with its test clock (proxy/test_clock.h) and
// the test moves that clock forward. A 2-hour grant expires under a live session mid-query, a
// scheduled grant is refused before its start and admitted after it, a grant of the role's
// max_duration lasts exactly that long; and the test clock itself refuses to start half-enabled.
#include <catch2/catch.hpp>

#include <chrono>
#include <string>
#include <thread>

#include "support/pq.h"
#include "support/workflow_env.h"

using Catch::Matchers::Contains;
using namespace std::chrono_literals;
using testsupport::PgConn;
using testsupport::PgveilProcess;
using Clock = std::chrono::steady_clock;

namespace {

// pgveil started with the test clock at offset 0.
struct ClockedPgveil {
  wf::ClockFile clock;
  PgveilProcess pgveil;
  ClockedPgveil()
      : pgveil(wf::config(), [this] {
          auto env = wf::env();
          env.push_back(clock.env_entry());
          return env;
        }(), {}, wf::ClockFile::serve_args()) {}
};

// Polls the grant's JSON until `holds` is true for it, at most `timeout`.
template <typename Predicate>
bool await_grant(const PgveilProcess& pgveil, const std::string& token, std::int64_t id, Predicate holds,
                 std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    auto got = wf::call(pgveil, token, "GET", "/v1/grants/" + std::to_string(id));
    if (got.status == 200 && holds(got.body)) return true;
    if (Clock::now() >= deadline) return false;
    std::this_thread::sleep_for(100ms);
  }
}

bool await_state(const PgveilProcess& pgveil, const std::string& token, std::int64_t id, const std::string& state,
                 std::chrono::milliseconds timeout) {
  return await_grant(pgveil, token, id, [&](const nlohmann::json& g) { return g["state"] == state; }, timeout);
}

bool await_last_action(const PgveilProcess& pgveil, const std::string& token, std::int64_t id,
                       const std::string& action, std::chrono::milliseconds timeout) {
  return await_grant(pgveil, token, id, [&](const nlohmann::json& g) { return g["history"].back()["action"] == action; },
                     timeout);
}

// True once libpq sees pgveil's end of the connection closed (bounded).
bool client_side_closed(PGconn* conn, std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  while (PQstatus(conn) != CONNECTION_BAD && Clock::now() < deadline) {
    if (PQconsumeInput(conn) == 0) return true;
    std::this_thread::sleep_for(50ms);
  }
  return PQstatus(conn) == CONNECTION_BAD;
}

// Expects the query running on `conn` to end with the grant's expiry FATAL within a second of
// `moved` (the grant watcher checks 4 times a second), and its upstream backend to go.
void expect_expired_mid_query(PGconn* conn, const nlohmann::json& grant, const std::string& app,
                              Clock::time_point moved) {
  const auto outcome = itf::await_results(conn, 5s);
  const double took = itf::seconds_since(moved);
  INFO(outcome.describe());
  REQUIRE(outcome.finished);
  CHECK(outcome.severity == "FATAL");
  CHECK(outcome.sqlstate == "57P01");
  CHECK_THAT(outcome.message, Contains("pgveil grant " + std::to_string(grant["id"].get<std::int64_t>())));
  CHECK_THAT(outcome.message, Contains("expired at " + grant["not_after"].get<std::string>()));
  CHECK_THAT(outcome.hint, Contains("pgveil request --db prod --role " + grant["role"].get<std::string>()));
  CHECK(took <= 1.0);
  CHECK(itf::wait_backends(app, 0, 1500ms));   // the running query was cancelled, the backend is gone
  CHECK(client_side_closed(conn, 2s));
}

}  // namespace

TEST_CASE("test clock: a 2h grant expires mid-query when the clock passes its end", "[workflow][clock][itf]") {
  ClockedPgveil p;
  INFO(p.pgveil.log());
  CHECK_THAT(p.pgveil.log(), Contains("TEST CLOCK ACTIVE"));
  const auto alice = wf::issue_token(p.pgveil, "alice");
  const auto carol = wf::issue_token(p.pgveil, "carol");
  const auto g = wf::approved_grant(p.pgveil, alice, carol, "2h");
  const auto id = g["id"].get<std::int64_t>();
  CHECK(g["duration_seconds"] == 7200);
  auto conn = wf::connect_as(p.pgveil, "alice", g["secret"].get<std::string>(), "clk_expiry");
  wf::start_long_query(conn, "clk_expiry");

  // A minute before the end nothing happens.
  p.clock.set(2h - 1min);
  CHECK_FALSE(itf::await_results(conn.get(), 1s).finished);
  CHECK(itf::backends_named("clk_expiry") == 1);

  p.clock.set(2h + 1s);
  expect_expired_mid_query(conn.get(), g, "clk_expiry", Clock::now());
  CHECK(await_state(p.pgveil, alice, id, "expired", 3s));
  CHECK(await_last_action(p.pgveil, alice, id, "expire", 3s));   // recorded by the watcher at its next scan
  // And the secret no longer admits anyone.
  auto again = PgConn::connect(p.pgveil.conninfo("alice", "prod", g["secret"].get<std::string>()), 10s);
  REQUIRE_FALSE(again.has_value());
  CHECK(again.error().sqlstate == "28000");
  CHECK_THAT(again.error().message, Contains("expired"));
}

TEST_CASE("test clock: a scheduled grant is refused before its start and admitted after", "[workflow][clock][itf]") {
  ClockedPgveil p;
  const auto alice = wf::issue_token(p.pgveil, "alice");
  const auto carol = wf::issue_token(p.pgveil, "carol");
  auto asked = wf::cli(p.pgveil, alice, {"request", "--db", "prod", "--role", "support", "--reason", "CHG-7",
                                         "--for", "1h", "--start", "1h", "--json"});
  INFO(asked.err);
  REQUIRE(asked.exit_code == 0);
  const auto id = nlohmann::json::parse(asked.out)["id"].get<std::int64_t>();
  const auto r = wf::cli(p.pgveil, carol, {"approve", std::to_string(id)});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  auto secret = wf::call(p.pgveil, alice, "POST", "/v1/grants/" + std::to_string(id) + "/secret");
  REQUIRE(secret.status == 200);
  const auto grant = secret.body["grant"];
  CHECK(grant["state"] == "scheduled");
  const std::string password = secret.body["secret"].get<std::string>();

  auto early = PgConn::connect(p.pgveil.conninfo("alice", "prod", password), 10s);
  REQUIRE_FALSE(early.has_value());
  CHECK(early.error().sqlstate == "28000");
  CHECK_THAT(early.error().message, Contains("starts at " + grant["not_before"].get<std::string>()));

  p.clock.set(59min);
  CHECK_FALSE(PgConn::connect(p.pgveil.conninfo("alice", "prod", password), 10s).has_value());

  p.clock.set(1h + 1s);
  auto conn = PgConn::connect(p.pgveil.conninfo("alice", "prod", password) + " application_name=clk_sched", 10s);
  INFO((conn ? "" : conn.error().to_string()));
  REQUIRE(conn.has_value());
  CHECK(conn->value("SELECT 40 + 2") == "42");
  CHECK(await_state(p.pgveil, alice, id, "active", 2s));

  // Its hour counts from the scheduled start, not from the approval.
  wf::start_long_query(*conn, "clk_sched");
  p.clock.set(2h + 1s);
  expect_expired_mid_query(conn->get(), grant, "clk_sched", Clock::now());
}

TEST_CASE("test clock: a grant of the role's max_duration lasts exactly that long", "[workflow][clock][itf]") {
  ClockedPgveil p;
  const auto alice = wf::issue_token(p.pgveil, "alice");
  const auto carol = wf::issue_token(p.pgveil, "carol");
  // support's max_duration is 4h: one minute more is refused (exit 2), 4h is accepted.
  const auto too_long = wf::cli(p.pgveil, alice, {"request", "--db", "prod", "--role", "support", "--reason", "INC-9",
                                                  "--for", "4h1m"});
  CHECK(too_long.exit_code == 2);
  CHECK_THAT(too_long.err, Contains("max_duration of 4h"));
  const auto g = wf::approved_grant(p.pgveil, alice, carol, "4h");
  auto conn = wf::connect_as(p.pgveil, "alice", g["secret"].get<std::string>(), "clk_max");

  p.clock.set(4h - 30s);
  std::this_thread::sleep_for(600ms);   // two passes of the grant watcher
  CHECK(conn.value("SELECT 'still here'") == "still here");

  wf::start_long_query(conn, "clk_max");
  p.clock.set(4h + 1s);
  expect_expired_mid_query(conn.get(), g, "clk_max", Clock::now());
}

TEST_CASE("test clock: refused unless both the flag and the variable are given", "[workflow][clock][itf]") {
  wf::ClockFile clock;
  testsupport::TempDir dir("clk-refuse");
  const std::string config = dir.path() + "/pgveil.yaml";   // never read: the check comes first
  {
    INFO("the variable alone (inherited from somewhere) stops start-up");
    testsupport::RunOptions options;
    options.env = {clock.env_entry()};
    const auto r = testsupport::run_with({PGVEIL_BINARY, "--config", config, "serve"}, options);
    CHECK(r.exit_code == 2);
    CHECK_THAT(r.err, Contains("PGVEIL_TEST_CLOCK_FILE is set but `serve --test-clock` was not given"));
  }
  {
    INFO("the flag alone");
    const auto r = testsupport::run_with({PGVEIL_BINARY, "--config", config, "serve", "--test-clock"}, {});
    CHECK(r.exit_code == 2);
    CHECK_THAT(r.err, Contains("--test-clock needs PGVEIL_TEST_CLOCK_FILE"));
  }
  {
    INFO("the flag is not advertised");
    const auto r = testsupport::run_with({PGVEIL_BINARY, "serve", "--help"}, {});
    CHECK(r.exit_code == 0);
    CHECK_THAT(r.out, !Contains("test-clock"));
  }
}
