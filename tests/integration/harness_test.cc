// Tests of the integration-test harness itself (tests/support): child processes with timeouts,
// the throwaway PostgreSQL cluster, real clients against it (libpq, psql, pgbench, psycopg),
// and PgveilProcess driven by a stand-in binary. If these fail, no other integration test result
// can be trusted.
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

#include "support/files.h"
#include "support/net.h"
#include "support/pg_cluster.h"
#include "support/pgveil_process.h"
#include "support/pq.h"
#include "support/process.h"
#include "support/psycopg_check.h"

using Catch::Matchers::Contains;
using namespace std::chrono_literals;
using testsupport::PgCluster;
using testsupport::PgConn;
using testsupport::run;

namespace {

const std::string kSourceDir = PGVEIL_SOURCE_DIR;
const std::string kPython = "/usr/bin/python3";  // Debian's, with python3-psycopg installed

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

TEST_CASE("harness: free_port gives a loopback port nobody listens on", "[harness]") {
  const auto port = testsupport::free_port();
  CHECK(port >= 1024);
  CHECK_FALSE(testsupport::port_accepts(port));
}

TEST_CASE("harness: run collects output, exit code, stdin and env", "[harness]") {
  SECTION("stdout, stderr, exit status and stdin") {
    const auto r = run({"/bin/sh", "-c", "cat; echo oops >&2; exit 3"}, "hello\n");
    CHECK(r.exit_code == 3);
    CHECK(r.out == "hello\n");
    CHECK(r.err == "oops\n");
    CHECK_FALSE(r.timed_out);
  }
  SECTION("extra environment is added and overrides, a bare name unsets") {
    ::setenv("PGVEIL_HARNESS_PARENT", "parent", 1);
    const auto r = run({"/bin/sh", "-c", "printf '%s|%s|%s' \"$FOO\" \"$HOME_X\" \"${PGVEIL_HARNESS_PARENT-unset}\""},
                       {}, {"FOO=bar", "HOME_X=1", "HOME_X=2", "PGVEIL_HARNESS_PARENT"});
    ::unsetenv("PGVEIL_HARNESS_PARENT");
    CHECK(r.out == "bar|2|unset");
  }
  SECTION("PATH lookup and a program that does not exist") {
    CHECK(run({"true"}).exit_code == 0);
    const auto r = run({"pgveil-no-such-program"});
    CHECK(r.exit_code == 127);
    CHECK_THAT(r.err, Contains("pgveil-no-such-program"));
  }
  SECTION("several MiB through stdin and stdout at once do not deadlock") {
    std::string big(4 << 20, 'x');
    for (std::size_t i = 0; i < big.size(); i += 4096) big[i] = '\n';
    const auto r = run({"cat"}, big);
    CHECK(r.exit_code == 0);
    CHECK(r.out == big);
  }
  SECTION("death by signal is 128 + signal") {
    CHECK(run({"/bin/sh", "-c", "kill -TERM $$"}).exit_code == 128 + SIGTERM);
  }
  SECTION("a child that does not read its stdin does not kill us with SIGPIPE") {
    const auto r = run({"true"}, std::string(1 << 20, 'y'));
    CHECK(r.exit_code == 0);
  }
  SECTION("working directory") {
    testsupport::RunOptions options;
    options.cwd = "/tmp";
    CHECK(testsupport::run_with({"pwd"}, options).out == "/tmp\n");
  }
}

TEST_CASE("harness: run kills a child at its timeout, grandchildren included", "[harness]") {
  const auto start = std::chrono::steady_clock::now();
  // The grandchild keeps stdout open: only killing the process group ends the wait.
  const auto r = run({"/bin/sh", "-c", "sleep 60 & echo started; sleep 60"}, {}, {}, 1s);
  const double elapsed = seconds_since(start);
  CHECK(r.timed_out);
  CHECK(r.exit_code == 128 + SIGKILL);
  CHECK(r.out == "started\n");
  CHECK_THAT(r.err, Contains("killed after 1 s timeout"));
  CHECK(elapsed < 5.0);
}

TEST_CASE("harness: PgCluster is a real, private PostgreSQL 15", "[harness][pg]") {
  auto& cluster = PgCluster::shared();
  REQUIRE(cluster.port() > 0);
  CHECK(&cluster == &PgCluster::shared());

  CHECK(cluster.query_value("SHOW server_version_num").starts_with("15"));
  CHECK(cluster.query_value("SHOW listen_addresses") == "127.0.0.1");
  CHECK(cluster.query_value("SHOW port") == std::to_string(cluster.port()));
  CHECK(cluster.query_value("SHOW unix_socket_directories") == cluster.data_dir());
  CHECK(cluster.query_value("SHOW password_encryption") == "scram-sha-256");
  CHECK(cluster.query_value("SHOW max_connections") == "600");
  CHECK(cluster.query_value("SHOW fsync") == "off");
  CHECK(cluster.data_dir().starts_with("/tmp/pgveil-pg."));

  struct stat st {};
  REQUIRE(::stat(cluster.data_dir().c_str(), &st) == 0);
  if (::geteuid() == 0) CHECK(st.st_uid != 0);  // initdb ran as the unprivileged OS user

  SECTION("exec reports the server's error") {
    CHECK_THROWS_WITH(cluster.exec("SELECT 1/0"), Contains("22012") && Contains("division by zero"));
    CHECK_NOTHROW(cluster.exec("CREATE TABLE IF NOT EXISTS harness_t (x int); DROP TABLE harness_t;"));
  }
  SECTION("create_database is idempotent") {
    cluster.create_database("harness_db");
    cluster.create_database("harness_db");
    CHECK(cluster.query_value("SELECT current_database()", "harness_db") == "harness_db");
  }
  SECTION("SCRAM for everyone but the auth-method test users") {
    auto wrong = PgConn::connect(cluster.conninfo("postgres", "postgres", "wrong"));
    REQUIRE_FALSE(wrong.has_value());
    CHECK(wrong.error().sqlstate == "28P01");
    CHECK(wrong.error().severity == "FATAL");

    auto md5 = PgConn::connect(cluster.conninfo("postgres", PgCluster::kMd5User, PgCluster::kMd5Password));
    REQUIRE(md5.has_value());
    CHECK(md5->value("SELECT current_user") == "md5user");
    CHECK(cluster.query_value("SELECT left(rolpassword, 3) FROM pg_authid WHERE rolname = 'md5user'") == "md5");
    auto md5_wrong = PgConn::connect(cluster.conninfo("postgres", PgCluster::kMd5User, "nope"));
    REQUIRE_FALSE(md5_wrong.has_value());
    CHECK(md5_wrong.error().sqlstate == "28P01");

    auto trust = PgConn::connect(cluster.conninfo("postgres", PgCluster::kTrustUser, ""));
    REQUIRE(trust.has_value());
    CHECK(trust->value("SELECT current_user") == "trustuser");
  }
  SECTION("PgConn gives rows, NULLs and SQLSTATEs") {
    auto conn = PgConn::must_connect(cluster.conninfo());
    const auto rows = conn.must("SELECT 1, NULL::text UNION ALL SELECT 2, 'b'");
    REQUIRE(rows.size() == 2);
    CHECK(rows[0][0] == "1");
    CHECK_FALSE(rows[0][1].has_value());
    CHECK(rows[1][1] == "b");
    const auto param = conn.query_params("SELECT $1::int * 2", {std::string("21")});
    REQUIRE(param.has_value());
    CHECK((*param)[0][0] == "42");
    const auto denied = conn.query("SELECT * FROM no_such_table");
    REQUIRE_FALSE(denied.has_value());
    CHECK(denied.error().sqlstate == "42P01");
  }
  SECTION("a refused TCP connection is an error without SQLSTATE, not a hang") {
    const auto closed = PgConn::connect("host=127.0.0.1 port=" + std::to_string(testsupport::free_port()) +
                                        " user=x dbname=x connect_timeout=5");
    REQUIRE_FALSE(closed.has_value());
    CHECK(closed.error().sqlstate.empty());
  }
}

TEST_CASE("harness: psql and pgbench run against the cluster", "[harness][pg]") {
  auto& cluster = PgCluster::shared();
  const auto psql = cluster.psql({"-c", "SELECT 6 * 7", "-c", "SELECT 'two'"});
  INFO(psql.err);
  CHECK(psql.exit_code == 0);
  CHECK(psql.out == "42\ntwo\n");

  const auto failing = cluster.psql({"-c", "SELECT broken syntax here"});
  CHECK(failing.exit_code != 0);
  CHECK_THAT(failing.err, Contains("syntax error"));

  cluster.create_database("harness_pgbench");
  const std::vector<std::string> target = {"-h", "127.0.0.1", "-p", std::to_string(cluster.port()),
                                           "-U", "postgres"};
  const std::vector<std::string> env = {"PGPASSWORD=postgres"};
  auto init = target;
  init.insert(init.begin(), {PgCluster::bin("pgbench"), "-i", "-q", "-s", "1"});
  init.push_back("harness_pgbench");
  const auto r_init = run(init, {}, env, 300s);
  INFO(r_init.err);
  REQUIRE(r_init.exit_code == 0);

  auto bench = target;
  bench.insert(bench.begin(), {PgCluster::bin("pgbench"), "-c", "4", "-j", "2", "-t", "50"});
  bench.push_back("harness_pgbench");
  const auto r_bench = run(bench, {}, env, 300s);
  INFO(r_bench.out << r_bench.err);
  CHECK(r_bench.exit_code == 0);
  CHECK_THAT(r_bench.out, Contains("number of transactions actually processed: 200/200"));
}

TEST_CASE("harness: psycopg 3 and psycopg2 (Debian's python3) against the cluster", "[harness][pg]") {
  auto& cluster = PgCluster::shared();
  for (const std::string driver : {"psycopg", "psycopg2"}) {
    DYNAMIC_SECTION(driver) {
      const auto r = testsupport::run_psycopg_check(driver, cluster.conninfo());
      INFO(r.out << r.err);
      REQUIRE(r.exit_code == 0);
      const auto out = nlohmann::json::parse(r.out);
      CHECK(out["server_version"].get<std::string>().starts_with("15"));
      CHECK(out["rows"] == nlohmann::json::parse(R"([["1","odd"],["2",null],["3","odd"],["4",null]])"));
      testsupport::check_psycopg_answers(r.out, driver);
    }
  }
  SECTION("a refused login is reported as JSON with exit 3") {
    const auto r = run({kPython, kSourceDir + "/tests/integration/psycopg_check.py",
                        cluster.conninfo("postgres", "postgres", "wrong")});
    CHECK(r.exit_code == 3);
    CHECK_THAT(r.out, Contains("password authentication failed"));
  }
}

TEST_CASE("harness: PgveilProcess with a stand-in binary", "[harness]") {
  const std::string fake = kSourceDir + "/tests/integration/fake_pgveil.py";
  const std::string yaml =
      "listen: 127.0.0.1:{{LISTEN_PORT}}\nstore: {{DIR}}/state.db\n";

  SECTION("placeholders, listening, signals, grant, conninfo, stop") {
    testsupport::PgveilProcess proc(yaml, {"FAKE_PGVEIL_SUFFIX=fromenv"}, fake);
    CHECK(proc.pid() > 0);
    CHECK(proc.running());
    CHECK(testsupport::port_accepts(proc.port()));
    const auto config = testsupport::read_file(proc.config_path());
    CHECK(config == "listen: 127.0.0.1:" + std::to_string(proc.port()) + "\nstore: " +
                        proc.dir() + "/state.db\n");
    CHECK(proc.config_path() == proc.dir() + "/pgveil.yaml");

    proc.signal(SIGHUP);
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    while (proc.log().find("SIGHUP") == std::string::npos && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(20ms);
    }
    CHECK_THAT(proc.log(), Contains("SIGHUP, reloading"));

    CHECK(proc.grant("alice", "prod", "support", "2h", "ticket 1") == "alice-prod-support-2h-fromenv");
    const auto issued = proc.issue_grant("bob", "prod", "breakglass");
    CHECK(issued.id == 7);
    CHECK(issued.secret == "bob-prod-breakglass-1h-fromenv");
    CHECK_THAT(issued.psql, Contains("user=bob"));
    CHECK_THROWS_WITH(proc.grant("alice", "prod", "missing"), Contains("role 'missing' is not defined"));

    CHECK(proc.conninfo("alice", "prod", "it's") ==
          "host=127.0.0.1 port=" + std::to_string(proc.port()) +
              " user='alice' dbname='prod' password='it\\'s' connect_timeout=10 gssencmode=disable");

    CHECK(proc.stop() == 0);
    CHECK_FALSE(proc.running());
    CHECK_THAT(proc.log(), Contains("SIGTERM, exiting"));
    CHECK_FALSE(testsupport::port_accepts(proc.port()));
  }
  SECTION("{{PG_PORT}} is the shared cluster's port") {
    testsupport::PgveilProcess proc(yaml + "upstream_port: {{PG_PORT}}\n", {}, fake);
    CHECK_THAT(testsupport::read_file(proc.config_path()),
               Contains("upstream_port: " + std::to_string(PgCluster::shared().port()) + "\n"));
  }
  SECTION("a process that exits at start-up throws with its stderr") {
    const auto start = std::chrono::steady_clock::now();
    CHECK_THROWS_WITH(testsupport::PgveilProcess(yaml + "fail_on_start: true\n", {}, fake),
                      Contains("exited with code 2") && Contains("refusing to start"));
    CHECK(seconds_since(start) < 10.0);
  }
  SECTION("stop is bounded when SIGTERM is ignored") {
    testsupport::PgveilProcess proc(yaml + "ignore_sigterm: true\n", {}, fake);
    const auto start = std::chrono::steady_clock::now();
    CHECK(proc.stop(1s) == 128 + SIGKILL);
    CHECK(seconds_since(start) < 5.0);
  }
  SECTION("the temp dir goes away with the process") {
    std::string dir;
    {
      testsupport::PgveilProcess proc(yaml, {}, fake);
      dir = proc.dir();
      CHECK(::access(dir.c_str(), F_OK) == 0);
    }
    if (std::getenv("PGVEIL_TEST_KEEP") == nullptr) CHECK(::access(dir.c_str(), F_OK) != 0);
  }
}
