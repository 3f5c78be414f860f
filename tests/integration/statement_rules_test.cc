// Statement rules end to end (README "Statement rules"): a real pgveil in front of PostgreSQL,
// with psql, libpq (simple, extended and pipeline mode) and psycopg. The brokered login itf_app
// can write, so what stops a write here is pgveil alone, and the upstream table is read back as
// the superuser to show that nothing was written.
#include <catch2/catch.hpp>
#include <libpq-fe.h>

#include <chrono>
#include <string>
#include <vector>

#include "support/itc_clients.h"
#include "support/itf_env.h"
#include "support/pg_cluster.h"
#include "support/pgveil_process.h"
#include "support/pq.h"
#include "support/process.h"

using Catch::Matchers::Contains;
using Catch::Matchers::StartsWith;
using namespace std::chrono_literals;
using testsupport::PgCluster;
using testsupport::PgConn;
using testsupport::PgveilProcess;

namespace {

using Clock = std::chrono::steady_clock;
const std::string kSourceDir = PGVEIL_SOURCE_DIR;
constexpr const char* kTable = "statement_rules_notes";
const std::string kRefusedInsert =
    "pgveil: role \"reader\" is read-only: INSERT is not allowed";

// reader: read-only; guarded: statements: all with its own deny list.
std::string rules_config() {
  itf::ConfigParts parts;
  parts.roles =
      "  reader: { databases: [prod], login: app, max_duration: 4h, statements: read-only }\n"
      "  guarded: { databases: [prod], login: app, max_duration: 4h, deny_functions: [pg_sleep] }\n";
  return itf::config(parts);
}

// An empty table the login may write to (so only pgveil can stop the writes).
void fresh_table() {
  itf::ensure_upstream();
  auto& cluster = PgCluster::shared();
  cluster.exec(std::string("DROP TABLE IF EXISTS ") + kTable + "; CREATE TABLE " + kTable +
                   " (id int PRIMARY KEY, note text); GRANT ALL ON " + kTable + " TO " + std::string(itf::kAppUser),
               itf::kDatabase);
}

std::string rows_upstream() {
  return PgCluster::shared().query_value(std::string("SELECT count(*) FROM ") + kTable, itf::kDatabase);
}

struct Setup {
  PgveilProcess pgveil{rules_config(), itf::pgveil_env()};
  std::string reader, guarded, writer;   // conninfo per role; writer = support (statements: all)
  Setup() {
    fresh_table();
    reader = pgveil.conninfo("rita", "prod", itf::secret_of(itf::grant(pgveil, "rita", "prod", "reader")));
    guarded = pgveil.conninfo("gus", "prod", itf::secret_of(itf::grant(pgveil, "gus", "prod", "guarded")));
    writer = pgveil.conninfo("wendy", "prod", itf::secret_of(itf::grant(pgveil, "wendy", "prod", "support")));
  }
};

std::string insert(int id) {
  return std::string("INSERT INTO ") + kTable + " VALUES (" + std::to_string(id) + ", 'x')";
}

}  // namespace

TEST_CASE("statement rules: libpq simple and extended protocol; refusals leave the session usable", "[statements][itf]") {
  Setup s;
  auto conn = PgConn::must_connect(s.reader);
  INFO(s.pgveil.log());

  auto refused = conn.query(insert(1));
  REQUIRE_FALSE(refused.has_value());
  CHECK(refused.error().severity == "ERROR");
  CHECK(refused.error().sqlstate == "42501");
  CHECK(refused.error().message == kRefusedInsert);
  CHECK(refused.error().hint ==
        "Ask for access under a role that allows it: pgveil request --db prod --role <a role that allows writes> "
        "--reason \"...\"");
  CHECK(conn.value("SELECT 'still here'") == "still here");

  auto extended = conn.query_params(std::string("UPDATE ") + kTable + " SET note = $1", {"y"});
  REQUIRE_FALSE(extended.has_value());
  CHECK(extended.error().sqlstate == "42501");
  CHECK(extended.error().message == "pgveil: role \"reader\" is read-only: UPDATE is not allowed");
  auto after = conn.query_params("SELECT $1::int + 1", {"41"});
  REQUIRE(after.has_value());
  CHECK((*after)[0][0] == "42");

  auto file = conn.query("SELECT pg_catalog.pg_read_file('/etc/hostname')");
  REQUIRE_FALSE(file.has_value());
  CHECK(file.error().message == "pgveil: role \"reader\" is read-only: function pg_read_file() is not allowed");

  auto typo = conn.query("SELEC 1");
  REQUIRE_FALSE(typo.has_value());
  CHECK(typo.error().sqlstate == "42601");
  CHECK(typo.error().message == "syntax error at or near \"SELEC\"");
  CHECK_THAT(typo.error().hint, Contains("role \"reader\" (read-only)"));

  // Reads, cursors, prepared statements, settings and EXPLAIN ANALYZE of a read are allowed.
  CHECK(conn.value(std::string("EXPLAIN ANALYZE SELECT * FROM ") + kTable) != "");
  conn.must("PREPARE q(int) AS SELECT $1 * 2");
  CHECK(conn.value("EXECUTE q(21)") == "42");
  conn.must("SET statement_timeout = '10s'");
  auto role = conn.query("SET ROLE postgres");
  REQUIRE_FALSE(role.has_value());
  CHECK(role.error().message == "pgveil: role \"reader\" is read-only: SET role is not allowed");

  // The writer role shows the same INSERT does write: the check above can fail.
  CHECK(rows_upstream() == "0");
  auto writer = PgConn::must_connect(s.writer);
  writer.must(insert(7));
  CHECK(rows_upstream() == "1");
}

TEST_CASE("statement rules: inside a transaction block the refusal aborts it, as a server error would", "[statements][itf]") {
  Setup s;
  auto conn = PgConn::must_connect(s.reader);
  INFO(s.pgveil.log());
  conn.must("BEGIN");
  CHECK(PQtransactionStatus(conn.get()) == PQTRANS_INTRANS);
  auto refused = conn.query(insert(2));
  REQUIRE_FALSE(refused.has_value());
  CHECK(refused.error().sqlstate == "42501");
  CHECK(PQtransactionStatus(conn.get()) == PQTRANS_INERROR);   // the server's own status: E
  auto aborted = conn.query("SELECT 1");
  REQUIRE_FALSE(aborted.has_value());
  CHECK(aborted.error().sqlstate == "25P02");
  conn.must("ROLLBACK");
  CHECK(PQtransactionStatus(conn.get()) == PQTRANS_IDLE);
  CHECK(conn.value("SELECT 'after rollback'") == "after rollback");
  CHECK(rows_upstream() == "0");
}

TEST_CASE("statement rules: a refused Parse in a pipeline errors in its place; the next segment runs", "[statements][itf]") {
  Setup s;
  // guarded writes are allowed, so the pipeline's INSERT before the refusal shows the implicit
  // transaction of the segment is rolled back, exactly as for a server error.
  auto conn = PgConn::must_connect(s.guarded);
  INFO(s.pgveil.log());
  PGconn* c = conn.get();
  REQUIRE(PQenterPipelineMode(c) == 1);
  const std::string first = insert(3);
  PQsendQueryParams(c, first.c_str(), 0, nullptr, nullptr, nullptr, nullptr, 0);
  PQsendQueryParams(c, "SELECT pg_sleep(0)", 0, nullptr, nullptr, nullptr, nullptr, 0);
  PQsendQueryParams(c, "SELECT 'skipped'", 0, nullptr, nullptr, nullptr, nullptr, 0);
  PQpipelineSync(c);
  PQsendQueryParams(c, "SELECT 'next segment'", 0, nullptr, nullptr, nullptr, nullptr, 0);
  PQpipelineSync(c);

  std::vector<std::string> seen;
  const auto deadline = Clock::now() + 20s;
  int syncs = 0;
  while (syncs < 2) {
    bool timed_out = false;
    PGresult* r = testsupport::itc::next_result(c, deadline, &timed_out);
    REQUIRE_FALSE(timed_out);
    seen.push_back(testsupport::itc::render(r));
    if (r != nullptr && PQresultStatus(r) == PGRES_PIPELINE_SYNC) ++syncs;
    PQclear(r);
  }
  INFO([&] {
    std::string all;
    for (const auto& line : seen) all += line + "\n";
    return all;
  }());
  REQUIRE(seen.size() == 10);
  CHECK_THAT(seen[0], StartsWith("PGRES_COMMAND_OK tag=[INSERT 0 1]"));
  CHECK(seen[1] == "NULL-RESULT");
  CHECK_THAT(seen[2], StartsWith("PGRES_FATAL_ERROR severity=[ERROR] sqlstate=[42501] message=[pgveil: role \"guarded\" "
                                 "refuses this statement: function pg_sleep() is on the role's deny list"));
  CHECK(seen[3] == "NULL-RESULT");
  CHECK_THAT(seen[4], StartsWith("PGRES_PIPELINE_ABORTED"));
  CHECK(seen[5] == "NULL-RESULT");
  CHECK_THAT(seen[6], StartsWith("PGRES_PIPELINE_SYNC"));
  CHECK_THAT(seen[7], Contains("(next segment)"));
  CHECK(seen[8] == "NULL-RESULT");
  CHECK_THAT(seen[9], StartsWith("PGRES_PIPELINE_SYNC"));
  REQUIRE(PQexitPipelineMode(c) == 1);
  CHECK(rows_upstream() == "0");   // the INSERT went with the aborted segment

  // statements: all otherwise: the same INSERT on its own writes.
  conn.must(first);
  CHECK(rows_upstream() == "1");
}

TEST_CASE("statement rules: psql, one statement per -c and several in one", "[statements][itf]") {
  Setup s;
  const auto r = testsupport::itc::run_psql(
      s.reader, {"-At", "-c", "SELECT 'one'", "-c", insert(4), "-c", "SELECT 'two'; " + insert(5) + "; SELECT 'three'",
                 "-c", "BEGIN", "-c", insert(6), "-c", "SELECT 'in aborted block'", "-c", "ROLLBACK", "-c",
                 "SELECT 'four'"});
  INFO(r.out << r.err << s.pgveil.log());
  CHECK(r.exit_code == 0);   // without ON_ERROR_STOP psql goes on; the last -c succeeded
  // Several statements in one Query are refused together: 'two' is not printed either.
  CHECK(r.out == "one\nBEGIN\nROLLBACK\nfour\n");
  CHECK_THAT(r.err, Contains("ERROR:  " + kRefusedInsert));
  CHECK_THAT(r.err, Contains("HINT:  Ask for access under a role that allows it: pgveil request --db prod"));
  CHECK_THAT(r.err, Contains("current transaction is aborted"));
  CHECK(rows_upstream() == "0");
}

TEST_CASE("statement rules: psycopg 3 (extended protocol, prepared statements, transactions)", "[statements][itf]") {
  Setup s;
  const std::string script = R"py(
import sys, psycopg
from psycopg import errors
with psycopg.connect(sys.argv[1], prepare_threshold=0) as conn:
    cur = conn.cursor()
    cur.execute("SELECT %s::int * 2", (21,))
    print("read", cur.fetchone()[0])
    try:
        cur.execute("INSERT INTO " + sys.argv[2] + " VALUES (%s, %s)", (8, "x"))
    except errors.InsufficientPrivilege as e:
        print("refused", e.sqlstate, e.diag.message_primary)
        print("hint", e.diag.message_hint)
    print("status", conn.info.transaction_status.name)
    conn.rollback()
    cur.execute("SELECT %s::text", ("after",))
    print("read", cur.fetchone()[0])
    conn.commit()
)py";
  const auto r = testsupport::run({"/usr/bin/python3", "-c", script, s.reader, kTable});
  INFO(r.out << r.err << s.pgveil.log());
  REQUIRE(r.exit_code == 0);
  CHECK(r.out ==
        "read 42\n"
        "refused 42501 " + kRefusedInsert + "\n"
        "hint Ask for access under a role that allows it: pgveil request --db prod --role <a role that allows writes> "
        "--reason \"...\"\n"
        "status INERROR\n"
        "read after\n");
  CHECK(rows_upstream() == "0");
}
