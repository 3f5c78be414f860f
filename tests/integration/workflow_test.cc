// The access workflow end to end (README "Access workflow"): a real pgveil with its admin API, the
// `pgveil` CLI as each person, and libpq clients against a real PostgreSQL. Every transition
// and refusal is checked by exit code, message and what a client then sees.
#include <catch2/catch.hpp>

#include <chrono>
#include <set>
#include <string>
#include <thread>

#include "support/pq.h"
#include "support/workflow_env.h"

using Catch::Matchers::Contains;
using namespace std::chrono_literals;
using testsupport::PgConn;
using testsupport::PgveilProcess;

namespace {

nlohmann::json json_of(const testsupport::RunResult& r) {
  INFO(r.err << r.out);
  auto parsed = nlohmann::json::parse(r.out, nullptr, false);
  REQUIRE_FALSE(parsed.is_discarded());
  return parsed;
}

std::string id_text(const nlohmann::json& grant) { return std::to_string(grant.at("id").get<std::int64_t>()); }

testsupport::PgError refused(const PgveilProcess& pgveil, const std::string& user, const std::string& secret) {
  auto conn = PgConn::connect(pgveil.conninfo(user, "prod", secret), 10s);
  if (conn) FAIL("pgveil admitted " << user);
  return conn.error();
}

}  // namespace

TEST_CASE("workflow: request, approve, collect the secret once, connect", "[workflow][itf]") {
  PgveilProcess pgveil(wf::config(), wf::env());
  const auto alice = wf::issue_token(pgveil, "alice");
  const auto bob = wf::issue_token(pgveil, "bob");
  const auto carol = wf::issue_token(pgveil, "carol");
  const auto dave = wf::issue_token(pgveil, "dave");

  auto r = wf::cli(pgveil, alice, {"request", "--db", "prod", "--role", "support", "--reason", "INC-1", "--for", "1h", "--json"});
  REQUIRE(r.exit_code == 0);
  const auto asked = json_of(r);
  const auto id = id_text(asked);
  CHECK(asked["state"] == "requested");
  CHECK(asked["not_before"].is_null());  // access time starts at approval, not at request
  REQUIRE(asked["history"].size() == 1);
  CHECK(asked["history"][0]["action"] == "request");
  CHECK(asked["history"][0]["actor"] == "alice");
  CHECK(asked["history"][0]["reason"] == "INC-1");
  {
    INFO("a pending request admits no one");
    const auto e = refused(pgveil, "alice", "whatever");
    CHECK(e.sqlstate == "28000");
    CHECK_THAT(e.message, Contains("pgveil grant " + id + " for user \"alice\" on database \"prod\" is awaiting approval"));
    CHECK_THAT(e.hint, Contains("pgveil approve " + id));
  }
  {
    INFO("self-approval is refused");
    r = wf::cli(pgveil, alice, {"approve", id});
    CHECK(r.exit_code == 3);
    CHECK_THAT(r.err, Contains("a requester can never approve their own request"));
  }
  {
    INFO("an approver outside the role's approver groups is refused");
    r = wf::cli(pgveil, dave, {"approve", id});
    CHECK(r.exit_code == 3);
    CHECK_THAT(r.err, Contains("dave cannot approve grant " + id));
    CHECK_THAT(r.err, Contains("approver groups (oncall-leads)"));
    INFO("nor may the admin token approve: granting access takes an approver");
    r = wf::cli(pgveil, std::string(wf::kAdminToken), {"approve", id});
    CHECK(r.exit_code == 3);
    INFO("dave does not see alice's grant");
    r = wf::cli(pgveil, dave, {"grants", "--json"});
    REQUIRE(r.exit_code == 0);
    CHECK(json_of(r).empty());
  }
  {
    INFO("bob is an approver, but not of his own request");
    r = wf::cli(pgveil, bob, {"request", "--db", "prod", "--role", "support", "--reason", "INC-2", "--json"});
    REQUIRE(r.exit_code == 0);
    const auto own = id_text(json_of(r));
    r = wf::cli(pgveil, bob, {"approve", own});
    CHECK(r.exit_code == 3);
    CHECK_THAT(r.err, Contains("never approve their own request"));
  }
  r = wf::cli(pgveil, carol, {"approve", id, "--json"});
  REQUIRE(r.exit_code == 0);
  const auto approved = json_of(r);
  CHECK(approved["state"] == "active");
  CHECK(approved["history"][1]["actor"] == "carol");
  CHECK(approved["history"][1]["action"] == "approve");
  CHECK_FALSE(approved.contains("secret"));  // the approver never sees the secret
  {
    INFO("approved, but the secret was not collected yet");
    const auto e = refused(pgveil, "alice", "whatever");
    CHECK_THAT(e.message, Contains("its connection secret has not been collected"));
    CHECK_THAT(e.hint, Contains("pgveil connect " + id));
  }
  CHECK(wf::cli(pgveil, carol, {"connect", id, "--json"}).exit_code == 3);  // only alice collects it
  r = wf::cli(pgveil, alice, {"connect", id, "--json"});
  REQUIRE(r.exit_code == 0);
  const auto claimed = json_of(r);
  const std::string secret = claimed["secret"].get<std::string>();
  CHECK_THAT(claimed["psql"].get<std::string>(), Contains("PGPASSWORD='" + secret + "' psql \"host=127.0.0.1 port=" +
                                                          std::to_string(pgveil.port()) + " dbname=prod user=alice\""));
  r = wf::cli(pgveil, alice, {"connect", id, "--print"});
  CHECK(r.exit_code == 3);
  CHECK_THAT(r.err, Contains("already handed out"));

  auto conn = PgConn::connect(pgveil.conninfo("alice", "prod", secret), 10s);
  INFO((conn ? "" : conn.error().to_string()));
  REQUIRE(conn.has_value());
  CHECK(conn->value("SELECT current_user") == itf::kAppUser);

  r = wf::cli(pgveil, carol, {"grants", "--state", "active", "--json"});
  REQUIRE(r.exit_code == 0);
  const auto active = json_of(r);
  REQUIRE(active.size() == 1);
  CHECK(active[0]["id"] == asked["id"]);
  CHECK(active[0]["secret_collected"] == true);
  CHECK(active[0]["history"].size() == 3);
  r = wf::cli(pgveil, carol, {"grants"});
  REQUIRE(r.exit_code == 0);
  CHECK_THAT(r.out, Contains("PERSON"));
  CHECK_THAT(r.out, Contains("alice"));
  CHECK_THAT(r.out, Contains("active"));
}

TEST_CASE("workflow: deny, cancel, validation and the exit codes scripts rely on", "[workflow][itf]") {
  PgveilProcess pgveil(wf::config(), wf::env());
  const auto alice = wf::issue_token(pgveil, "alice");
  const auto carol = wf::issue_token(pgveil, "carol");
  const auto dave = wf::issue_token(pgveil, "dave");
  auto request = [&](const std::string& token, std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {"request", "--db", "prod", "--role", "support", "--reason", "INC-9", "--json"};
    args.insert(args.end(), extra.begin(), extra.end());
    return wf::cli(pgveil, token, args);
  };
  {
    auto r = request(alice);
    REQUIRE(r.exit_code == 0);
    const auto id = id_text(json_of(r));
    CHECK(wf::cli(pgveil, carol, {"deny", id}).exit_code == 2);  // --reason is required
    r = wf::cli(pgveil, carol, {"deny", id, "--reason", "use the replica", "--json"});
    REQUIRE(r.exit_code == 0);
    const auto denied = json_of(r);
    CHECK(denied["state"] == "denied");
    CHECK(denied["history"].back()["reason"] == "use the replica");
    r = wf::cli(pgveil, carol, {"approve", id});
    CHECK(r.exit_code == 3);
    CHECK_THAT(r.err, Contains("it is denied"));
    const auto e = refused(pgveil, "alice", "x");
    CHECK_THAT(e.message, Contains("was denied at"));
    CHECK_THAT(e.message, Contains("by carol: use the replica"));
  }
  {
    auto r = request(alice, {"--start", "2h"});
    REQUIRE(r.exit_code == 0);
    const auto id = id_text(json_of(r));
    CHECK(wf::cli(pgveil, carol, {"cancel", id}).exit_code == 3);  // only the requester cancels
    r = wf::cli(pgveil, alice, {"cancel", id, "--json"});
    REQUIRE(r.exit_code == 0);
    CHECK(json_of(r)["state"] == "cancelled");
  }
  {
    INFO("scheduled access: approved now, valid from the requested start");
    auto r = request(alice, {"--start", "1h", "--for", "30m"});
    REQUIRE(r.exit_code == 0);
    const auto id = id_text(json_of(r));
    r = wf::cli(pgveil, carol, {"approve", id, "--json"});
    REQUIRE(r.exit_code == 0);
    CHECK(json_of(r)["state"] == "scheduled");
    r = wf::cli(pgveil, alice, {"connect", id, "--json"});
    REQUIRE(r.exit_code == 0);
    const auto e = refused(pgveil, "alice", json_of(r)["secret"].get<std::string>());
    CHECK_THAT(e.message, Contains("starts at"));
    CHECK(wf::cli(pgveil, alice, {"revoke", id}).exit_code == 2);  // --reason required
    CHECK(wf::cli(pgveil, alice, {"revoke", id, "--reason", "not needed"}).exit_code == 0);  // holders give up
  }
  {
    auto r = request(alice, {"--for", "5h"});
    CHECK(r.exit_code == 2);
    CHECK_THAT(r.err, Contains("max_duration of 4h"));
    r = request(dave);
    CHECK(r.exit_code == 3);
    CHECK_THAT(r.err, Contains("dave may not request role"));  // --json: the error as JSON
    CHECK(nlohmann::json::parse(r.err)["error"]["code"] == "forbidden");
    r = wf::cli(pgveil, alice, {"request", "--db", "prod", "--role", "nope", "--reason", "x"});
    CHECK(r.exit_code == 2);
    CHECK_THAT(r.err, Contains("there is no role \"nope\""));
    CHECK(wf::cli(pgveil, alice, {"request", "--db", "prod", "--role", "support"}).exit_code == 2);  // no reason
    CHECK(wf::cli(pgveil, "not-a-token", {"grants"}).exit_code == 3);
    CHECK(wf::cli(pgveil, alice, {"approve", "99999"}).exit_code == 2);
    CHECK(wf::cli(pgveil, alice, {"approve"}).exit_code == 2);
    for (const char* cmd : {"request", "approve", "deny", "revoke", "cancel", "grants", "sessions", "kill", "connect"}) {
      INFO(cmd);
      const auto help = wf::cli(pgveil, alice, {cmd, "--help"});
      CHECK(help.exit_code == 0);
      CHECK_THAT(help.out, Contains("--server"));
    }
    auto down = wf::cli(pgveil, alice, {"grants", "--server", "http://127.0.0.1:1"});
    CHECK(down.exit_code == 1);
    CHECK_THAT(down.err, Contains("cannot reach the pgveil admin API"));
  }
}

TEST_CASE("workflow: n-of-m approvals and auto-approval", "[workflow][itf]") {
  PgveilProcess pgveil(wf::config(), wf::env());
  const auto alice = wf::issue_token(pgveil, "alice");
  const auto bob = wf::issue_token(pgveil, "bob");
  const auto carol = wf::issue_token(pgveil, "carol");
  const auto erin = wf::issue_token(pgveil, "erin");

  auto r = wf::cli(pgveil, alice, {"request", "--db", "prod", "--role", "breakglass", "--reason", "SEV1", "--json"});
  REQUIRE(r.exit_code == 0);
  const auto id = id_text(json_of(r));
  r = wf::cli(pgveil, bob, {"approve", id});
  REQUIRE(r.exit_code == 0);
  CHECK_THAT(r.out, Contains("1 of 2 approvals"));
  r = wf::cli(pgveil, bob, {"approve", id});
  CHECK(r.exit_code == 3);
  CHECK_THAT(r.err, Contains("already approved"));
  r = wf::cli(pgveil, carol, {"approve", id, "--json"});
  REQUIRE(r.exit_code == 0);
  CHECK(json_of(r)["state"] == "active");
  CHECK(json_of(r)["approvals"] == 2);

  // erin is on call: oncall_ro is approved at once, and `--wait` hands out the secret.
  r = wf::cli(pgveil, erin, {"request", "--db", "prod", "--role", "oncall_ro", "--reason", "page 42", "--for", "30m", "--wait"});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK_THAT(r.out, Contains("Secret (shown once"));
  CHECK_THAT(r.out, Contains("psql \"host=127.0.0.1"));
  auto listed = wf::call(pgveil, std::string(wf::kAdminToken), "GET", "/v1/grants?person=erin");
  REQUIRE(listed.status == 200);
  REQUIRE(listed.body.size() == 1);
  CHECK(listed.body[0]["history"][1]["action"] == "auto-approve");
  CHECK(listed.body[0]["history"][1]["actor"] == "pgveil");
  // alice is not on call: the same role needs an approver.
  r = wf::cli(pgveil, alice, {"request", "--db", "prod", "--role", "oncall_ro", "--reason", "x", "--json"});
  REQUIRE(r.exit_code == 0);
  CHECK(json_of(r)["state"] == "requested");
}

TEST_CASE("workflow: concurrent requests and approvals", "[workflow][itf]") {
  PgveilProcess pgveil(wf::config(), wf::env());
  const auto alice = wf::issue_token(pgveil, "alice");
  const auto bob = wf::issue_token(pgveil, "bob");
  const auto carol = wf::issue_token(pgveil, "carol");
  std::vector<std::thread> threads;
  std::vector<wf::Answer> answers(8);
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&, i] {
      answers[i] = wf::call(pgveil, alice, "POST", "/v1/requests",
                            {{"database", "prod"}, {"role", "breakglass"}, {"reason", "R" + std::to_string(i)},
                             {"duration", "30m"}});
    });
  }
  for (auto& t : threads) t.join();
  std::set<std::int64_t> ids;
  for (const auto& a : answers) {
    REQUIRE(a.status == 201);
    ids.insert(a.body["id"].get<std::int64_t>());
  }
  CHECK(ids.size() == 8);
  // Two approvers at once on each: every grant ends with both approvals, approved exactly once.
  for (auto id : ids) {
    wf::Answer by_bob, by_carol;
    const auto path = "/v1/grants/" + std::to_string(id) + "/approve";
    std::thread a([&] { by_bob = wf::call(pgveil, bob, "POST", path); });
    std::thread b([&] { by_carol = wf::call(pgveil, carol, "POST", path); });
    a.join();
    b.join();
    REQUIRE(by_bob.status == 200);
    REQUIRE(by_carol.status == 200);
    CHECK((by_bob.body["state"] == "active") != (by_carol.body["state"] == "active"));
  }
  // Each approval superseded the one before: exactly one breakglass grant of alice is active.
  auto active = wf::call(pgveil, alice, "GET", "/v1/grants?state=active");
  REQUIRE(active.status == 200);
  CHECK(active.body.size() == 1);
  auto revoked = wf::call(pgveil, alice, "GET", "/v1/grants?state=revoked");
  CHECK(revoked.body.size() == 7);
}
