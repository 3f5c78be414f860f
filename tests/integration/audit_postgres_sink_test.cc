// The PostgreSQL audit sink against a real server: rows and their columns, one statement per
// batch, and a server restart in the middle of a stream of events (issue #5 point 3).
#include <catch2/catch.hpp>

#include <thread>

#include "audit/event.h"
#include "audit/postgres_sink.h"
#include "audit/writer.h"
#include "support/pg_cluster.h"
#include "support/pq.h"

using namespace std::chrono_literals;
using testsupport::PgCluster;
using testsupport::PgConn;

namespace {

std::string statement_line(std::uint64_t id, const std::string& sql) {
  audit::Statement s{{7, "alice", 12, "support", "prod"}, id, "simple", "", audit::analyze_statement(sql), {}, 0};
  return audit::to_line(audit::Event(s));
}

std::unique_ptr<audit::PostgresSink> open_sink(const PgCluster& pg, const std::string& table) {
  audit::PostgresSinkOptions options;
  options.dsn = pg.conninfo();
  options.table = table;
  options.min_backoff = 50ms;
  options.max_backoff = 400ms;
  options.timeout = 5s;
  auto sink = audit::PostgresSink::open(options);
  REQUIRE(sink);
  return std::move(*sink);
}

}  // namespace

TEST_CASE("audit postgres sink: creates its table and inserts a batch in one statement", "[audit][postgres]") {
  auto& pg = PgCluster::shared();
  auto sink = open_sink(pg, "public.audit_rows");
  CHECK(sink->name() == "postgres:127.0.0.1/postgres/public.audit_rows");

  std::vector<std::string> batch;
  for (int i = 1; i <= 300; ++i) batch.push_back(statement_line(i, "SELECT * FROM customers WHERE id = " + std::to_string(i)));
  batch.push_back(audit::to_line(audit::Event(audit::Refusal{{7, "alice", 12, "support", "prod"}, "10.0.0.5:5000",
                                                             "statement", "role support: read-only", "25006",
                                                             "refused", audit::analyze_statement("DELETE FROM t")})));
  batch.push_back(audit::to_line(audit::Event(
      audit::AuthFailure{"mallory", "prod", "10.0.0.9:4000", std::nullopt, "scram-sha-256", "wrong password", "28P01"})));
  REQUIRE(sink->write(batch));
  CHECK(sink->connects() == 1);

  auto conn = PgConn::must_connect(pg.conninfo());
  CHECK(conn.value("SELECT count(*) FROM public.audit_rows") == "302");
  CHECK(conn.value("SELECT count(DISTINCT xmin::text) FROM public.audit_rows") == "1");  // one statement
  // seq follows the batch's order; columns are copied out of the event.
  const auto first = conn.must("SELECT seq, type, session, person, grant_id, role, database, kind, sqlstate, "
                               "event->>'normalized', to_char(time AT TIME ZONE 'UTC', 'YYYY') FROM public.audit_rows "
                               "ORDER BY seq LIMIT 1");
  REQUIRE(first.size() == 1);
  CHECK(first[0][1] == "statement");
  CHECK(first[0][2] == "7");
  CHECK(first[0][3] == "alice");
  CHECK(first[0][4] == "12");
  CHECK(first[0][5] == "support");
  CHECK(first[0][6] == "prod");
  CHECK(first[0][7] == "SELECT");
  CHECK_FALSE(first[0][8].has_value());
  CHECK(first[0][9] == "SELECT * FROM customers WHERE id = $1");
  CHECK(conn.value("SELECT string_agg((event->>'statement_id'), ',' ORDER BY seq) = "
                   "(SELECT string_agg(i::text, ',' ORDER BY i) FROM generate_series(1, 300) i) "
                   "FROM public.audit_rows WHERE type = 'statement'") == "t");
  CHECK(conn.value("SELECT kind || ' ' || sqlstate FROM public.audit_rows WHERE type = 'refusal'") == "DELETE 25006");
  CHECK(conn.value("SELECT person || ' ' || sqlstate || ' ' || (grant_id IS NULL) FROM public.audit_rows "
                   "WHERE type = 'auth_failure'") == "mallory 28P01 true");
  // The table was created with its indexes, and a second sink on it just appends.
  CHECK(conn.value("SELECT count(*) FROM pg_indexes WHERE tablename = 'audit_rows'") == "4");
  auto again = open_sink(pg, "public.audit_rows");
  REQUIRE(again->write(std::vector<std::string>{statement_line(301, "SELECT 1")}));
  CHECK(conn.value("SELECT count(*) FROM public.audit_rows") == "303");
}

TEST_CASE("audit postgres sink: bad options are refused before connecting", "[audit][postgres]") {
  audit::PostgresSinkOptions options;
  options.dsn = "host=127.0.0.1 port=1 dbname=x";
  options.table = "audit; DROP TABLE x";
  auto bad_table = audit::PostgresSink::open(options);
  REQUIRE_FALSE(bad_table);
  CHECK_THAT(bad_table.error().message, Catch::Contains("is not a name or schema.name"));
  options.table = "pgveil_audit";
  options.dsn = "host=127.0.0.1 password=s3cret port";
  auto bad_dsn = audit::PostgresSink::open(options);
  REQUIRE_FALSE(bad_dsn);
  CHECK_THAT(bad_dsn.error().message, Catch::Contains("invalid dsn"));
  CHECK_THAT(bad_dsn.error().message, !Catch::Contains("s3cret"));
}

TEST_CASE("audit postgres sink: a server restart mid-stream fails events while down, then recovers",
          "[audit][postgres]") {
  PgCluster pg;  // its own server: this test stops it
  auto sink = open_sink(pg, "audit_restart");
  auto* raw = sink.get();
  std::vector<std::unique_ptr<audit::Sink>> sinks;
  sinks.push_back(std::move(sink));
  audit::Writer writer(std::move(sinks), {.on_failure = audit::FailurePolicy::kBlock, .queue_capacity = 1000});

  for (int i = 1; i <= 20; ++i) {
    CHECK(writer.submit_line(statement_line(i, "SELECT 1")).wait_for(10s) == audit::Outcome::kRecorded);
  }

  pg.stop_server();
  auto down = writer.submit_line(statement_line(21, "SELECT 2"));
  REQUIRE(down.wait_for(20s) == audit::Outcome::kFailed);
  CHECK_THAT(down.error(), Catch::Contains("postgres:127.0.0.1/postgres/audit_restart"));
  // While down, later events fail too (at once during the backoff, or with the connect error).
  auto still_down = writer.submit_line(statement_line(22, "SELECT 2"));
  REQUIRE(still_down.wait_for(20s) == audit::Outcome::kFailed);
  CHECK_FALSE(writer.healthy());

  pg.start_server();
  // The sink reconnects by itself on a later write once its backoff has passed.
  audit::Outcome outcome = audit::Outcome::kFailed;
  std::uint64_t id = 23;
  const auto deadline = std::chrono::steady_clock::now() + 20s;
  while (outcome != audit::Outcome::kRecorded && std::chrono::steady_clock::now() < deadline) {
    outcome = writer.submit_line(statement_line(id++, "SELECT 3")).wait_for(10s);
    if (outcome != audit::Outcome::kRecorded) std::this_thread::sleep_for(50ms);
  }
  REQUIRE(outcome == audit::Outcome::kRecorded);
  for (int i = 0; i < 5; ++i) {
    CHECK(writer.submit_line(statement_line(id++, "SELECT 4")).wait_for(10s) == audit::Outcome::kRecorded);
  }
  CHECK(writer.healthy());
  writer.close();
  CHECK(raw->connects() == 2);

  auto conn = PgConn::must_connect(pg.conninfo());
  // Every event recorded before the stop and after the restart is there; the two that failed
  // while the server was down are not.
  CHECK(conn.value("SELECT count(*) FROM audit_restart WHERE (event->>'statement_id')::int <= 20") == "20");
  CHECK(conn.value("SELECT count(*) FROM audit_restart WHERE (event->>'statement_id')::int IN (21, 22)") == "0");
  CHECK(conn.value("SELECT max((event->>'statement_id')::int) FROM audit_restart") == std::to_string(id - 1));
}
