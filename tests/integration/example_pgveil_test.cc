// The demo, as a test: examples/pgveil.yaml in front of the example shop, with the real pgveil
// binary and real clients (libpq, psql, psycopg 3, psycopg2). What scripts/demo.sh --check
// shows by hand, checked on every run.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <map>
#include <string>
#include <vector>

#include "support/example_shop.h"
#include "support/files.h"
#include "support/pg_cluster.h"
#include "support/pgveil_process.h"
#include "support/pq.h"
#include "support/process.h"
#include "support/psycopg_check.h"
#include "support/workflow_env.h"

using Catch::Matchers::Contains;
using testsupport::PgCluster;
using testsupport::PgConn;
using testsupport::PgveilProcess;

namespace {

const std::string kSourceDir = PGVEIL_SOURCE_DIR;
constexpr const char* kShopDb = "harness_shop_pgveil";

// The example shop loaded, support_ro's password in a file, and pgveil running the example config.
struct ExamplePgveil {
  testsupport::TempDir secrets{"pgveil-secrets"};
  PgveilProcess pgveil;
  ExamplePgveil() : pgveil(config(secrets.path()), {"PGVEIL_DEMO_DBA_PASSWORD=" + std::string(testsupport::kDbaPassword)}) {}

  static std::string config(const std::string& dir) {
    testsupport::load_example_shop(PgCluster::shared(), kShopDb);
    const std::string password_file = dir + "/support_ro";
    testsupport::write_file(password_file, std::string(testsupport::kSupportRoPassword) + "\n", 0600);
    return testsupport::example_config(kShopDb, password_file);
  }
};

}  // namespace

TEST_CASE("examples: pgveil.yaml in front of the example shop", "[examples][pgveil]") {
  ExamplePgveil example;
  PgveilProcess& pgveil = example.pgveil;
  const std::string secret = pgveil.grant("alice", "prod", "support", "2h", "harness test");
  REQUIRE_FALSE(secret.empty());
  const std::string conninfo = pgveil.conninfo("alice", "prod", secret);

  SECTION("libpq: alice works as the brokered read-only login") {
    auto conn = PgConn::connect(conninfo);
    INFO(pgveil.log());
    REQUIRE(conn.has_value());
    CHECK(conn->value("SELECT current_user") == "support_ro");
    CHECK(conn->value("SELECT count(*) FROM customers") == "10000");
    // Role support is read-only (statement rules, masked relay): pgveil refuses the write...
    const auto write = conn->query("DELETE FROM orders");
    REQUIRE_FALSE(write.has_value());
    CHECK(write.error().sqlstate == "42501");
    CHECK(write.error().message == "pgveil: role \"support\" is read-only: DELETE is not allowed");
    const auto prepared = conn->query_params("UPDATE customers SET email = $1", {"x"});
    REQUIRE_FALSE(prepared.has_value());
    CHECK(prepared.error().sqlstate == "42501");
    CHECK(conn->value("SELECT count(*) FROM orders") != "0");
    // ...and the login could not write anyway (examples/roles.sql: defence in depth).
    CHECK(conn->value("SHOW default_transaction_read_only") == "on");
  }
  SECTION("psql, as printed by grant create") {
    const auto r = testsupport::run({PgCluster::bin("psql"), "-X", "-At", "-v", "ON_ERROR_STOP=1", "-d",
                                     conninfo, "-c",
                                     "SELECT email FROM customers WHERE id = 2"});
    INFO(r.err << pgveil.log());
    CHECK(r.exit_code == 0);
    CHECK(r.out == "***@example.com\n");   // role support masks emails (examples/pgveil.yaml)
  }
  SECTION("psycopg 3 and psycopg2 drivers") {
    for (const std::string driver : {"psycopg", "psycopg2"}) {
      const auto r = testsupport::run_psycopg_check(driver, conninfo);
      INFO(driver << ": " << r.out << r.err << pgveil.log());
      REQUIRE(r.exit_code == 0);
      testsupport::check_psycopg_answers(r.out, driver);
    }
  }
  SECTION("no grant, wrong secret: refused the PostgreSQL way") {
    const auto bob = PgConn::connect(pgveil.conninfo("bob", "prod", "anything"));
    REQUIRE_FALSE(bob.has_value());
    CHECK(bob.error().sqlstate == "28000");
    CHECK_THAT(bob.error().message, Contains("bob"));
    CHECK_FALSE(bob.error().hint.empty());

    const auto wrong = PgConn::connect(pgveil.conninfo("alice", "prod", secret + "x"));
    REQUIRE_FALSE(wrong.has_value());
    CHECK(wrong.error().sqlstate == "28P01");
  }
}

TEST_CASE("examples: the request/approve workflow of pgveil.yaml, as scripts/demo.sh runs it",
          "[examples][pgveil][workflow]") {
  ExamplePgveil example;
  PgveilProcess& pgveil = example.pgveil;
  auto& cluster = PgCluster::shared();
  INFO(pgveil.log());
  const auto json_of = [](const testsupport::RunResult& r) {
    INFO(r.out << r.err);
    REQUIRE(r.exit_code == 0);
    return nlohmann::json::parse(r.out);
  };
  const auto as = [&pgveil](const std::string& token, const std::vector<std::string>& args) {
    return wf::cli(pgveil, token, args);
  };
  const std::string admin(testsupport::kExampleAdminToken);
  std::map<std::string, std::string> token;
  for (const std::string person : {"alice", "bob", "carol", "erin"})
    token[person] = json_of(as(admin, {"token", "issue", person, "--json"}))["token"].get<std::string>();
  const auto request = [&](const std::string& person, const std::string& role) {
    return json_of(as(token[person], {"request", "--db", "prod", "--role", role, "--reason", "INC-1", "--for", "1h",
                                      "--json"}));
  };
  const auto psql = [](const std::string& line, const std::string& sql) {
    // The line exactly as pgveil printed it, run by a shell.
    return testsupport::run({"/bin/sh", "-c", line + " -X -At -v ON_ERROR_STOP=1 -c \"" + sql + "\""});
  };

  // support: engineering asks, an on-call lead approves, never the requester.
  const auto asked = request("alice", "support");
  CHECK(asked["state"] == "requested");
  const auto id = std::to_string(asked["id"].get<std::int64_t>());
  CHECK(as(token["alice"], {"approve", id}).exit_code == 3);
  CHECK(as(token["erin"], {"approve", id}).exit_code == 3);   // engineering, not oncall-leads
  const auto approved = as(token["bob"], {"approve", id});
  INFO(approved.err);
  REQUIRE(approved.exit_code == 0);
  CHECK_THAT(approved.out, Contains("Grant " + id + " approved"));
  const auto support = json_of(as(token["alice"], {"connect", id, "--json"}));
  auto r = psql(support["psql"].get<std::string>(), "SELECT email FROM customers WHERE id = 2");
  INFO(r.err);
  CHECK(r.out == "***@example.com\n");
  CHECK(as(token["alice"], {"connect", id, "--json"}).exit_code == 3);   // the secret is given once

  // oncall_ro: approved on arrival for the on-call group.
  const auto oncall = request("erin", "oncall_ro");
  CHECK(oncall["grant"]["state"] == "active");
  r = psql(oncall["psql"].get<std::string>(), "SELECT email FROM customers WHERE id = 2");
  CHECK(r.out == "***@example.com\n");

  // breakglass: two different on-call leads; then it supersedes alice's support grant.
  const auto glass = request("alice", "breakglass");
  const auto glass_id = std::to_string(glass["id"].get<std::int64_t>());
  CHECK(json_of(as(token["bob"], {"approve", glass_id, "--json"}))["state"] == "requested");
  CHECK(as(token["bob"], {"approve", glass_id}).exit_code == 3);   // the same approver twice
  CHECK(json_of(as(token["carol"], {"approve", glass_id, "--json"}))["state"] == "active");
  const auto dba = json_of(as(token["alice"], {"connect", glass_id, "--json"}));
  r = psql(dba["psql"].get<std::string>(), "SELECT current_user, email FROM customers WHERE id = 2");
  CHECK(r.out == "dba|" + cluster.psql({"-At", "-c", "SELECT email FROM customers WHERE id = 2"}, kShopDb).out);
  const auto old = wf::call(pgveil, token["alice"], "GET", "/v1/grants/" + id);
  CHECK(old.body["state"] == "revoked");
  CHECK_THAT(old.body["revoke_reason"].get<std::string>(), Contains("superseded by grant " + glass_id));
  r = psql(support["psql"].get<std::string>(), "SELECT 1");
  CHECK(r.exit_code != 0);   // the old secret does not open the new grant
}
