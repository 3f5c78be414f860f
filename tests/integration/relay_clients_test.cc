// Transparency with real clients (issue #2, README "What a client sees"): psql, pgbench and
// psycopg 3 do the same work directly against PostgreSQL and through pgveil, as the same
// upstream login, and what they print must be the same (modulo backend pids). libpq-level
// checks are in relay_clients_libpq_test.cc.
#include <algorithm>
#include <catch2/catch.hpp>
#include <chrono>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "support/files.h"
#include "support/itc_clients.h"
#include "support/pg_cluster.h"
#include "support/process.h"

using Catch::Matchers::Contains;
using Catch::Matchers::StartsWith;
using namespace std::chrono_literals;
using testsupport::PgCluster;
using testsupport::RunResult;
using testsupport::TempDir;
using testsupport::itc::ClientsSetup;
using testsupport::itc::mask_pids;
using testsupport::itc::run_psql;

namespace {

const std::string kPython = "/usr/bin/python3";  // Debian's, with python3-psycopg
const std::string kPsycopgScript = std::string(PGVEIL_SOURCE_DIR) + "/tests/integration/clients_psycopg.py";

// A script exercising what psql shows: result types, NULLs, unicode, large values both ways,
// errors with every field (VERBOSITY verbose), notices, notifications, \copy in both directions,
// COPY FROM STDIN inline and COPY TO STDOUT. `big` is a literal sent inside one Query message.
std::string psql_script(const std::string& big) {
  return R"SQL(\set VERBOSITY verbose
\pset null '(null)'
SET client_min_messages = warning;
DROP TABLE IF EXISTS itc_psql_t;
DROP FUNCTION IF EXISTS itc_noisy(int);
RESET client_min_messages;
\echo == types
SELECT 1::int2 AS i2, 2::int4 AS i4, 9007199254740993::int8 AS i8, 1.5::float4 AS f4, 2.25::float8 AS f8, 12345.678901234567890::numeric AS n, true AS b, NULL::text AS nul, ''::text AS empty;
SELECT '2024-02-29'::date AS d, '12:34:56.789'::time AS t, '2024-02-29 12:34:56.789+00'::timestamptz AS tz, '1 year 2 mons 3 days 04:05:06'::interval AS iv, '550e8400-e29b-41d4-a716-446655440000'::uuid AS u;
SELECT '{"k": [1, 2, {"x": null}]}'::jsonb AS j, ARRAY[1, NULL, 3] AS a, '\x00ff7f'::bytea AS by, '192.168.0.1/24'::inet AS ip, point(1, 2) AS pt;
SELECT 'héllo wörld ✓ 日本語 🐘' AS unicode, E'tab\there\nnewline' AS escapes, 'quote''s "double"' AS quotes;
SELECT g, CASE WHEN g % 3 = 0 THEN NULL ELSE g * 1.5 END AS maybe FROM generate_series(1, 12) g;
SELECT * FROM (VALUES (1, 'a')) v(x, y) WHERE false;
\echo == large
\pset format unaligned
SELECT length(repeat('ab✓', 400000)) AS chars, octet_length(repeat('ab✓', 400000)) AS bytes, repeat('ab✓', 400000) AS large;
SELECT length(')SQL" + big + R"SQL(') AS sent_chars, md5(')SQL" + big + R"SQL(') AS sent_md5;
\pset format aligned
\echo == errors
SELECT 1/0;
SELECT nosuchcolumn FROM pg_class;
SELEC 1;
CREATE TABLE itc_psql_t (id int PRIMARY KEY, name text NOT NULL, note text);
\copy itc_psql_t FROM 'copy_in.txt'
INSERT INTO itc_psql_t VALUES (1, 'dup', NULL);
INSERT INTO itc_psql_t VALUES (-1, NULL, NULL);
DO $$ BEGIN RAISE EXCEPTION 'custom failure %', 42 USING DETAIL = 'detail ✓', HINT = 'hint: retry', ERRCODE = 'P0042'; END $$;
BEGIN;
SELECT 1/0;
SELECT 1;
ROLLBACK;
\echo == notices
DO $$ BEGIN RAISE NOTICE 'notice % ✓', 1; RAISE WARNING 'warning' USING DETAIL = 'the detail', HINT = 'the hint'; END $$;
CREATE FUNCTION itc_noisy(n int) RETURNS int LANGUAGE plpgsql AS $$ BEGIN RAISE NOTICE 'row %', n; RETURN n * 10; END $$;
SELECT itc_noisy(g) FROM generate_series(1, 3) g;
\echo == notify
LISTEN itc_channel;
NOTIFY itc_channel, 'payload ✓ one';
SELECT pg_notify('itc_channel', 'payload two'), 'after' AS marker;
BEGIN;
NOTIFY itc_channel, 'in tx';
COMMIT;
UNLISTEN *;
NOTIFY itc_channel, 'not heard';
\echo == copy
\copy itc_psql_t (id, name, note) FROM 'copy_in.csv' WITH (FORMAT csv, HEADER true)
COPY itc_psql_t (id, name) FROM STDIN;
700001	inline one
700002	inline ✓ two
\.
SELECT count(*), count(note), sum(id) FROM itc_psql_t;
SELECT * FROM itc_psql_t WHERE id > 100000 ORDER BY id;
\copy itc_psql_t TO 'copy_out.txt'
\copy (SELECT id, name, note FROM itc_psql_t ORDER BY id DESC) TO 'copy_out.csv' WITH (FORMAT csv, HEADER true)
\copy itc_psql_t FROM 'copy_bad.txt'
SELECT count(*) FROM itc_psql_t;
COPY (SELECT g, 'x' || g FROM generate_series(1, 5) g) TO STDOUT;
\echo == done
DROP FUNCTION itc_noisy(int);
DROP TABLE itc_psql_t;
)SQL";
}

// 5,000 rows in COPY text format: NULLs, escapes, unicode; ids 1..5000.
std::string copy_in_text() {
  std::string text;
  for (int i = 1; i <= 5000; ++i) {
    text += std::to_string(i) + "\tname " + std::to_string(i);
    if (i % 7 == 0) text += " ✓ ünïcode";
    if (i % 11 == 0) text += " tab\\there";
    text += i % 5 == 0 ? "\t\\N\n" : "\tnote \\\\ " + std::to_string(i * 3) + "\n";
  }
  return text;
}

constexpr std::string_view kCopyInCsv =
    "id,name,note\n"
    "100001,\"comma, inside\",plain\n"
    "100002,\"line\nbreak\",\n"
    "100003,\"quote \"\" inside\",\"\"\n"
    "100004,ünïcode ✓,🐘\n";

constexpr std::string_view kCopyBad = "900001\tok\t\\N\nnot-a-number\tbad\t\\N\n";

struct ScriptRun {
  RunResult psql;
  std::string copy_out_txt, copy_out_csv;
};

ScriptRun run_script(const std::string& conninfo, const std::string& script) {
  TempDir dir("itc-psql");
  testsupport::write_file(dir.path() + "/script.sql", script);
  testsupport::write_file(dir.path() + "/copy_in.txt", copy_in_text());
  testsupport::write_file(dir.path() + "/copy_in.csv", kCopyInCsv);
  testsupport::write_file(dir.path() + "/copy_bad.txt", kCopyBad);
  ScriptRun run;
  run.psql = run_psql(conninfo, {"-f", "script.sql"}, dir.path(), 120s);
  run.copy_out_txt = testsupport::read_file(dir.path() + "/copy_out.txt");
  run.copy_out_csv = testsupport::read_file(dir.path() + "/copy_out.csv");
  return run;
}

std::size_t count_lines(const std::string& text) {
  return static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n'));
}

}  // namespace

TEST_CASE("clients: a psql script prints the same directly and through pgveil", "[relay][clients][psql]") {
  ClientsSetup setup;
  const std::string big(1 << 20, 'q');  // a 1 MiB literal inside one Query message
  const std::string script = psql_script(big);

  const auto direct = run_script(setup.direct(), script);
  INFO("direct stderr:\n" << direct.psql.err.substr(0, 4000));
  REQUIRE_FALSE(direct.psql.timed_out);
  REQUIRE(direct.psql.exit_code == 0);
  // The script really did what it says (so equal outputs mean something).
  CHECK_THAT(direct.psql.out, Contains("héllo wörld ✓ 日本語 🐘"));
  CHECK_THAT(direct.psql.out, Contains("1200000|2000000|ab✓ab✓"));
  CHECK_THAT(direct.psql.out, Contains("1048576|"));
  CHECK_THAT(direct.psql.err, Contains("ERROR:  22012: division by zero"));
  CHECK_THAT(direct.psql.err, Contains("ERROR:  23505: duplicate key value violates unique constraint \"itc_psql_t_pkey\"\n"
                                       "DETAIL:  Key (id)=(1) already exists.\nSCHEMA NAME:  public\nTABLE NAME:  itc_psql_t\n"
                                       "CONSTRAINT NAME:  itc_psql_t_pkey"));
  CHECK_THAT(direct.psql.err, Contains("ERROR:  P0042: custom failure 42\nDETAIL:  detail ✓\nHINT:  hint: retry"));
  CHECK_THAT(direct.psql.err, Contains("ERROR:  25P02: current transaction is aborted"));
  CHECK_THAT(direct.psql.err, Contains("LINE 1: SELEC 1;"));
  CHECK_THAT(direct.psql.err, Contains("NOTICE:  00000: notice 1 ✓"));
  CHECK_THAT(direct.psql.err, Contains("WARNING:  01000: warning\nDETAIL:  the detail\nHINT:  the hint"));
  CHECK_THAT(direct.psql.err, Contains("NOTICE:  00000: row 3"));
  CHECK_THAT(direct.psql.err, Contains("ERROR:  22P02: invalid input syntax for type integer: \"not-a-number\"\n"
                                       "CONTEXT:  COPY itc_psql_t, line 2, column id: \"not-a-number\""));
  CHECK_THAT(mask_pids(direct.psql.out),
             Contains("Asynchronous notification \"itc_channel\" with payload \"payload ✓ one\" received from "
                      "server process with PID <pid>."));
  CHECK_THAT(direct.psql.out, Contains("\"in tx\""));
  CHECK_THAT(direct.psql.out, !Contains("not heard"));
  CHECK_THAT(direct.psql.out, Contains(" 5006 |  4003 | 14302513\n"));  // count, count(note), sum(id)
  CHECK_THAT(direct.psql.out, Contains("1\tx1\n2\tx2\n3\tx3\n4\tx4\n5\tx5\n== done"));
  CHECK_THAT(direct.copy_out_txt, StartsWith(copy_in_text()));
  CHECK(count_lines(direct.copy_out_txt) == 5006);
  CHECK_THAT(direct.copy_out_csv, StartsWith("id,name,note\n700002,inline ✓ two,\n700001,inline one,\n"
                                             "100004,ünïcode ✓,🐘\n100003,\"quote \"\" inside\",\"\"\n"
                                             "100002,\"line\nbreak\",\n"));

  const auto proxied = run_script(setup.proxied(), script);
  INFO("pgveil log:\n" << setup.pgveil().log());
  REQUIRE_FALSE(proxied.psql.timed_out);
  CHECK(proxied.psql.exit_code == direct.psql.exit_code);
  CHECK(mask_pids(proxied.psql.out) == mask_pids(direct.psql.out));
  CHECK(mask_pids(proxied.psql.err) == mask_pids(direct.psql.err));
  CHECK(proxied.copy_out_txt == direct.copy_out_txt);
  CHECK(proxied.copy_out_csv == direct.copy_out_csv);
}

TEST_CASE("clients: psql -At with a 1,000,000-row result", "[relay][clients][psql]") {
  ClientsSetup setup;
  const std::vector<std::string> args = {"-At", "-c", "SELECT g, md5(g::text) FROM generate_series(1, 1000000) g"};
  const auto direct = run_psql(setup.direct(), args, {}, 120s);
  REQUIRE(direct.exit_code == 0);
  REQUIRE(count_lines(direct.out) == 1000000);
  REQUIRE_THAT(direct.out, StartsWith("1|c4ca4238a0b923820dcc509a6f75849b\n2|c81e728d9d4c2f636f067f89cc14862c\n"));

  const auto proxied = run_psql(setup.proxied(), args, {}, 120s);
  INFO(proxied.err << "\npgveil log:\n" << setup.pgveil().log());
  CHECK(proxied.exit_code == 0);
  CHECK(proxied.err.empty());
  CHECK(proxied.out.size() == direct.out.size());
  CHECK(proxied.out == direct.out);  // every byte, not only a digest
}

TEST_CASE("clients: psql -c with several statements in one Query message", "[relay][clients][psql]") {
  ClientsSetup setup;
  SECTION("all succeed: every result is printed") {
    const std::vector<std::string> args = {"-c", "SELECT 1 AS a; SELECT 'two' AS b, NULL AS c; VALUES (3), (4); SET LOCAL work_mem = '8MB'; SHOW work_mem"};
    const auto direct = run_psql(setup.direct(), args);
    REQUIRE(direct.exit_code == 0);
    CHECK_THAT(direct.out, Contains(" a \n---\n 1\n(1 row)\n"));
    CHECK_THAT(direct.out, Contains(" column1 \n---------\n       3\n       4\n(2 rows)"));
    CHECK_THAT(direct.out, Contains(" 8MB\n"));
    const auto proxied = run_psql(setup.proxied(), args);
    CHECK(proxied.exit_code == direct.exit_code);
    CHECK(proxied.out == direct.out);
    CHECK(proxied.err == direct.err);
  }
  SECTION("an error in the middle ends the implicit transaction") {
    const std::vector<std::string> args = {"-v", "VERBOSITY=verbose", "-c",
                                           "SELECT 1 AS a; SELECT 1/0; SELECT 3 AS never"};
    const auto direct = run_psql(setup.direct(), args);
    CHECK(direct.exit_code == 1);
    CHECK_THAT(direct.out, Contains(" a \n---\n 1\n(1 row)"));
    CHECK_THAT(direct.out, !Contains("never"));
    CHECK_THAT(direct.err, Contains("ERROR:  22012: division by zero"));
    const auto proxied = run_psql(setup.proxied(), args);
    CHECK(proxied.exit_code == direct.exit_code);
    CHECK(proxied.out == direct.out);
    CHECK(proxied.err == direct.err);
  }
}

namespace {

std::vector<std::string> pgbench_target(const ClientsSetup& setup) {
  return {"-h", "127.0.0.1", "-p", std::to_string(const_cast<ClientsSetup&>(setup).pgveil().port()),
          "-U", std::string(testsupport::itc::kPerson), std::string(testsupport::itc::kProxyDatabase)};
}

RunResult pgbench(const ClientsSetup& setup, std::vector<std::string> args) {
  std::vector<std::string> argv = {PgCluster::bin("pgbench")};
  argv.insert(argv.end(), args.begin(), args.end());
  const auto target = pgbench_target(setup);
  argv.insert(argv.end(), target.begin(), target.end());
  return testsupport::run(argv, {}, {"PGPASSWORD=" + setup.secret(), "PGCONNECT_TIMEOUT=10",
                                     "PGGSSENCMODE=disable", "PGOPTIONS", "PGAPPNAME"},
                          120s);
}

}  // namespace

TEST_CASE("clients: pgbench -i and runs in simple, extended and prepared mode", "[relay][clients][pgbench]") {
  ClientsSetup setup;
  auto& cluster = PgCluster::shared();
  const std::string db(testsupport::itc::kDatabase);

  // Initialisation through pgveil: DDL, client-side COPY FROM of 100,000 accounts, VACUUM, keys.
  const auto init = pgbench(setup, {"-i", "-s", "1", "-q"});
  INFO(init.out << init.err << "\npgveil log:\n" << setup.pgveil().log());
  REQUIRE(init.exit_code == 0);
  CHECK_THAT(init.err, Contains("done in"));
  CHECK(cluster.query_value("SELECT count(*) FROM pgbench_accounts", db) == "100000");
  CHECK(cluster.query_value("SELECT count(*) FROM pgbench_tellers", db) == "10");
  CHECK(cluster.query_value("SELECT count(*) FROM pgbench_branches", db) == "1");
  CHECK(cluster.query_value("SELECT count(*) FROM pgbench_history", db) == "0");
  CHECK(cluster.query_value("SELECT tableowner FROM pg_tables WHERE tablename = 'pgbench_accounts'", db) ==
        std::string(testsupport::itc::kLogin));

  int expected_history = 0;
  for (const std::string mode : {"simple", "extended", "prepared"}) {
    DYNAMIC_SECTION("-M " << mode) {
      // -n: no VACUUM / history truncation, so pgbench_history counts every transaction.
      const auto r = pgbench(setup, {"-n", "-M", mode, "-c", "4", "-j", "2", "-t", "200"});
      INFO(r.out << r.err << "\npgveil log:\n" << setup.pgveil().log());
      CHECK(r.exit_code == 0);
      CHECK_THAT(r.out, Contains("query mode: " + mode));
      CHECK_THAT(r.out, Contains("number of transactions actually processed: 800/800"));
      CHECK_THAT(r.out, Contains("number of failed transactions: 0 (0.000%)"));
      CHECK_THAT(r.err, !Contains("error"));
      expected_history += 800;
      CHECK(cluster.query_value("SELECT count(*) FROM pgbench_history", db) == std::to_string(expected_history));
      // TPC-B keeps the three balances consistent: every delta went to one account, teller, branch.
      CHECK(cluster.query_value("SELECT (SELECT sum(abalance) FROM pgbench_accounts) = (SELECT sum(bbalance) FROM "
                                "pgbench_branches) AND (SELECT sum(tbalance) FROM pgbench_tellers) = (SELECT "
                                "sum(delta) FROM pgbench_history)",
                                db) == "t");
    }
  }
}

TEST_CASE("clients: psycopg 3 behaves the same directly and through pgveil", "[relay][clients][psycopg]") {
  ClientsSetup setup;
  auto run_tour = [&](const std::string& conninfo) {
    return testsupport::run({kPython, kPsycopgScript, conninfo}, {}, {"PGOPTIONS", "PGTZ=UTC"}, 120s);
  };
  const auto direct = run_tour(setup.direct());
  INFO("direct: " << direct.out << direct.err);
  REQUIRE(direct.exit_code == 0);
  const auto d = nlohmann::json::parse(direct.out);
  // Sanity of the direct run, so that equality below means something.
  CHECK(d["named_cursor"]["count"] == 25000);
  CHECK(d["named_cursor"]["batches"].size() == 25);
  CHECK(d["named_cursor"]["first"] == nlohmann::json::parse(R"([1, "c4ca4238a0b923820dcc509a6f75849b", "0.5"])"));
  CHECK(d["named_cursor"]["last"] == nlohmann::json::parse(R"([25000, "70f44538106c52ad2a01ffba924792e2", "12500.0"])"));
  CHECK(d["executemany"]["count"] == 500);
  CHECK(d["copy"]["count"] == 1003);
  CHECK(d["copy"]["bad_sqlstate"] == "22P02");
  CHECK(d["copy"]["after_bad"] == 1003);
  CHECK(d["pipeline"]["error"]["sqlstate"] == "22012");
  CHECK(d["pipeline"]["ok"] == nlohmann::json::parse("[[1], [2], [3]]"));
  CHECK(d["pipeline"]["rows_after_error"] == nlohmann::json::array());
  CHECK(d["pipeline"]["piped"] == nlohmann::json::parse("[100, 504950]"));
  CHECK(d["notifies"]["self"] == nlohmann::json::parse(R"([["itc_py", "self ✓"]])"));
  CHECK(d["notifies"]["other"] == nlohmann::json::parse(R"(["itc_py", "from other", true])"));

  const auto proxied = run_tour(setup.proxied());
  INFO("proxied: " << proxied.out << proxied.err << "\npgveil log:\n" << setup.pgveil().log());
  REQUIRE(proxied.exit_code == 0);
  const auto p = nlohmann::json::parse(proxied.out);
  for (const auto& [key, value] : d.items()) {
    INFO("section " << key);
    CHECK(p[key] == value);
  }
  CHECK(p.size() == d.size());
}
