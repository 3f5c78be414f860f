// Enforcement of the workflow in the proxy: revocation, kill, supersession and expiry end live
// sessions (mid-query: the client's FATAL and the upstream backend gone), per-role idle timeout,
// the failed-login rate limit, restarts, and the admin API's HTTP contract.
#include <catch2/catch.hpp>

#include <chrono>
#include <string>
#include <thread>

#include "support/files.h"
#include "support/pq.h"
#include "support/workflow_env.h"

using Catch::Matchers::Contains;
using namespace std::chrono_literals;
using testsupport::PgConn;
using testsupport::PgveilProcess;
using Clock = std::chrono::steady_clock;

using wf::connect_as;
using wf::start_long_query;

TEST_CASE("workflow enforcement: revoke, kill and supersession end sessions mid-query within a second",
          "[workflow][itf]") {
  PgveilProcess pgveil(wf::config(), wf::env());
  const auto alice = wf::issue_token(pgveil, "alice");
  const auto bob = wf::issue_token(pgveil, "bob");
  const auto carol = wf::issue_token(pgveil, "carol");
  {
    INFO("revocation through the CLI");
    const auto g = wf::approved_grant(pgveil, alice, carol);
    auto conn = connect_as(pgveil, "alice", g["secret"].get<std::string>(), "wf_revoke");
    start_long_query(conn, "wf_revoke");
    const auto r = wf::cli(pgveil, carol, {"revoke", std::to_string(g["id"].get<std::int64_t>()), "--reason", "incident over"});
    const auto revoked = Clock::now();
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    wf::expect_terminated(conn, revoked, "was revoked by carol: incident over", "wf_revoke");
  }
  {
    INFO("kill through the CLI, by an approver of the session's role");
    const auto g = wf::approved_grant(pgveil, alice, carol);
    auto conn = connect_as(pgveil, "alice", g["secret"].get<std::string>(), "wf_kill");
    start_long_query(conn, "wf_kill");
    auto r = wf::cli(pgveil, bob, {"sessions", "--json"});
    REQUIRE(r.exit_code == 0);
    const auto sessions = nlohmann::json::parse(r.out);
    REQUIRE(sessions.size() == 1);
    CHECK(sessions[0]["person"] == "alice");
    CHECK(sessions[0]["application_name"] == "wf_kill");
    CHECK(sessions[0]["grant_id"] == g["id"]);
    const auto session_id = std::to_string(sessions[0]["id"].get<std::uint64_t>());
    CHECK(wf::cli(pgveil, wf::issue_token(pgveil, "dave"), {"kill", session_id}).exit_code == 2);  // not his to see
    r = wf::cli(pgveil, bob, {"kill", session_id, "--reason", "runaway query"});
    const auto killed = Clock::now();
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    const auto outcome = itf::await_results(conn.get(), 5s);
    INFO(outcome.describe());
    REQUIRE(outcome.finished);
    CHECK(outcome.sqlstate == "57P01");
    CHECK_THAT(outcome.message, Contains("was terminated by bob: runaway query"));
    CHECK(itf::seconds_since(killed) <= 1.0);
    CHECK(itf::wait_backends("wf_kill", 0, 1500ms));
    // The grant itself stays valid after a kill.
    CHECK(PgConn::connect(pgveil.conninfo("alice", "prod", g["secret"].get<std::string>()), 10s).has_value());
  }
  {
    INFO("a new approval supersedes the old grant and ends its sessions");
    const auto old_grant = wf::approved_grant(pgveil, alice, carol);
    auto conn = connect_as(pgveil, "alice", old_grant["secret"].get<std::string>(), "wf_supersede");
    start_long_query(conn, "wf_supersede");
    const auto newer = wf::approved_grant(pgveil, alice, carol, "30m");
    const auto approved = Clock::now();
    const auto outcome = itf::await_results(conn.get(), 5s);
    INFO(outcome.describe());
    REQUIRE(outcome.finished);
    CHECK(outcome.sqlstate == "57P01");
    CHECK_THAT(outcome.message, Contains("superseded by grant " + std::to_string(newer["id"].get<std::int64_t>())));
    CHECK(itf::seconds_since(approved) <= 1.5);  // measured after the secret was collected too
    CHECK(itf::wait_backends("wf_supersede", 0, 1500ms));
  }
}

TEST_CASE("workflow enforcement: expiry ends a session mid-query; idle sessions end per role", "[workflow][itf]") {
  PgveilProcess pgveil(wf::config({}, "1s"), wf::env());
  const auto alice = wf::issue_token(pgveil, "alice");
  const auto carol = wf::issue_token(pgveil, "carol");
  {
    const auto g = wf::approved_grant(pgveil, alice, carol, "3s");
    auto conn = connect_as(pgveil, "alice", g["secret"].get<std::string>(), "wf_expiry");
    start_long_query(conn, "wf_expiry");
    const auto outcome = itf::await_results(conn.get(), 10s);
    INFO(outcome.describe());
    REQUIRE(outcome.finished);
    CHECK(outcome.sqlstate == "57P01");
    CHECK_THAT(outcome.message, Contains("expired at " + g["not_after"].get<std::string>()));
    CHECK_THAT(outcome.hint, Contains("pgveil request --db prod --role support"));
    CHECK(itf::wait_backends("wf_expiry", 0, 1500ms));
    // The watcher records the expiry in the grant's history.
    std::this_thread::sleep_for(1500ms);
    auto got = wf::call(pgveil, alice, "GET", "/v1/grants/" + std::to_string(g["id"].get<std::int64_t>()));
    REQUIRE(got.status == 200);
    CHECK(got.body["state"] == "expired");
    CHECK(got.body["history"].back()["action"] == "expire");
  }
  {
    INFO("support has idle_timeout: 1s");
    const auto g = wf::approved_grant(pgveil, alice, carol);
    auto conn = connect_as(pgveil, "alice", g["secret"].get<std::string>(), "wf_idle");
    itf::AsyncErrors errors;
    itf::capture_async_errors(conn.get(), errors);
    CHECK(itf::await_close(conn.get(), 4s));
    REQUIRE(errors.sqlstates.size() == 1);
    CHECK(errors.sqlstates[0] == "57P05");
    CHECK_THAT(errors.messages[0], Contains("idle"));
  }
  {
    INFO("a query longer than idle_timeout is not idle; the session is once it has been answered");
    const auto g = wf::approved_grant(pgveil, alice, carol);
    auto conn = connect_as(pgveil, "alice", g["secret"].get<std::string>(), "wf_idle_after");
    auto slept = conn.query("SELECT pg_sleep(1.6)");
    INFO((slept ? std::string() : slept.error().message));
    REQUIRE(slept.has_value());
    std::this_thread::sleep_for(500ms);
    REQUIRE(conn.query("SELECT 1").has_value());   // activity: the idle second starts again
    const auto answered = Clock::now();
    itf::AsyncErrors errors;
    itf::capture_async_errors(conn.get(), errors);
    CHECK(itf::await_close(conn.get(), 4s));
    CHECK(itf::seconds_since(answered) >= 0.9);
    REQUIRE(errors.sqlstates.size() == 1);
    CHECK(errors.sqlstates[0] == "57P05");
  }
}

TEST_CASE("workflow enforcement: failed logins are rate-limited per person and address", "[workflow][itf]") {
  PgveilProcess pgveil(wf::config(), wf::env());
  const auto alice = wf::issue_token(pgveil, "alice");
  const auto carol = wf::issue_token(pgveil, "carol");
  const auto g = wf::approved_grant(pgveil, alice, carol);
  for (int i = 0; i < 5; ++i) {
    auto conn = PgConn::connect(pgveil.conninfo("alice", "prod", "wrong-secret"), 10s);
    REQUIRE_FALSE(conn.has_value());
    CHECK(conn.error().sqlstate == "28P01");
  }
  auto limited = PgConn::connect(pgveil.conninfo("alice", "prod", g["secret"].get<std::string>()), 10s);  // even the right one, now
  REQUIRE_FALSE(limited.has_value());
  CHECK(limited.error().sqlstate == "53300");
  CHECK_THAT(limited.error().message, Contains("too many failed authentication attempts for user \"alice\" from 127.0.0.1"));
  CHECK_THAT(limited.error().hint, Contains("Wait"));
  // Someone else from the same address is not affected.
  const auto bob_grant = wf::approved_grant(pgveil, wf::issue_token(pgveil, "bob"), carol);
  CHECK(PgConn::connect(pgveil.conninfo("bob", "prod", bob_grant["secret"].get<std::string>()), 10s).has_value());
  auto metrics = wf::call(pgveil, "", "GET", "/metrics");
  REQUIRE(metrics.status == 200);
  const std::string text = metrics.body.get<std::string>();
  CHECK_THAT(text, Contains("pgveil_auth_failures_total 5"));
  CHECK_THAT(text, Contains("pgveil_auth_rate_limited_total 1"));
}

TEST_CASE("workflow enforcement: grants and tokens survive a restart", "[workflow][itf]") {
  testsupport::TempDir state("pgveil-wf-state");
  const std::string yaml = testsupport::replace_all(wf::config(), "{{DIR}}/state.db", state.path() + "/state.db");
  nlohmann::json grant;
  std::string alice, carol;
  {
    PgveilProcess pgveil(yaml, wf::env());
    alice = wf::issue_token(pgveil, "alice");
    carol = wf::issue_token(pgveil, "carol");
    grant = wf::approved_grant(pgveil, alice, carol);
    CHECK(pgveil.stop() == 0);
  }
  PgveilProcess pgveil(yaml, wf::env());
  auto got = wf::call(pgveil, alice, "GET", "/v1/grants/" + std::to_string(grant["id"].get<std::int64_t>()));
  REQUIRE(got.status == 200);
  CHECK(got.body["state"] == "active");
  CHECK(got.body["history"].size() == 3);
  auto conn = PgConn::connect(pgveil.conninfo("alice", "prod", grant["secret"].get<std::string>()), 10s);
  INFO((conn ? "" : conn.error().to_string()));
  CHECK(conn.has_value());
}

TEST_CASE("admin API: JSON errors with HTTP codes, healthz, metrics, tokens", "[workflow][itf][admin]") {
  PgveilProcess pgveil(wf::config(), wf::env());
  const std::string admin(wf::kAdminToken);
  auto health = wf::call(pgveil, "", "GET", "/healthz");
  CHECK(health.status == 200);
  CHECK(health.body["status"] == "ok");

  auto anonymous = wf::call(pgveil, "", "GET", "/v1/grants");
  CHECK(anonymous.status == 401);
  CHECK(anonymous.body["error"]["code"] == "unauthenticated");
  const auto alice = wf::issue_token(pgveil, "alice");
  CHECK(wf::call(pgveil, alice, "POST", "/v1/tokens", {{"person", "alice"}}).status == 403);
  CHECK(wf::call(pgveil, admin, "POST", "/v1/tokens", {{"person", "mallory"}}).status == 400);
  auto bad_json = wf::call(pgveil, alice, "POST", "/v1/requests", "not json");
  CHECK(bad_json.status == 400);
  CHECK(wf::call(pgveil, alice, "POST", "/v1/requests", {{"database", "prod"}, {"role", "support"},
                                                         {"reason", "x"}, {"duration", "ten minutes"}}).status == 400);
  CHECK(wf::call(pgveil, alice, "GET", "/v1/grants/424242").status == 404);
  CHECK(wf::call(pgveil, alice, "GET", "/v1/grants?state=bogus").status == 400);
  CHECK(wf::call(pgveil, alice, "GET", "/v1/nothing").status == 404);

  auto tokens = wf::call(pgveil, admin, "GET", "/v1/tokens");
  REQUIRE(tokens.status == 200);
  REQUIRE(tokens.body.size() == 1);
  CHECK_FALSE(tokens.body[0].contains("token"));  // values are never listed
  const auto token_id = std::to_string(tokens.body[0]["id"].get<std::int64_t>());
  CHECK(wf::call(pgveil, admin, "POST", "/v1/tokens/" + token_id + "/revoke").status == 200);
  CHECK(wf::call(pgveil, alice, "GET", "/v1/grants").status == 401);
  CHECK(wf::call(pgveil, admin, "POST", "/v1/tokens/" + token_id + "/revoke").status == 409);

  const auto r = wf::cli(pgveil, admin, {"token", "issue", "bob"});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK_THAT(r.out, Contains("pgv_"));
  CHECK(wf::cli(pgveil, admin, {"token", "list", "--json"}).exit_code == 0);

  auto metrics = wf::call(pgveil, "", "GET", "/metrics");
  REQUIRE(metrics.status == 200);
  const std::string text = metrics.body.get<std::string>();
  CHECK_THAT(text, Contains("# TYPE pgveil_sessions_active gauge"));
  CHECK_THAT(text, Contains("pgveil_sessions_total 0"));
  CHECK_THAT(text, Contains("pgveil_grants{state=\"active\"} 0"));
  CHECK_THAT(text, Contains("pgveil_admin_auth_failures_total 2"));
}
