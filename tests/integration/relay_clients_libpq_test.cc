// Transparency for libpq used directly (PQ*): the same calls against PostgreSQL and through
// pgveil must produce the same results, statuses, error fields and ParameterStatus values
// (README "What a client sees"). Each flow returns a transcript: one line per observable event.
#include <arpa/inet.h>
#include <libpq-fe.h>
#include <libpq/libpq-fs.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <chrono>
#include <string>
#include <vector>

#include "support/files.h"
#include "support/itc_clients.h"
#include "support/pg_cluster.h"
#include "support/pq.h"

using Catch::Matchers::Contains;
using Catch::Matchers::StartsWith;
using namespace std::chrono_literals;
using testsupport::PgCluster;
using testsupport::PgConn;
using testsupport::itc::ClientsSetup;
using testsupport::itc::drain;
using testsupport::itc::render;
using testsupport::itc::SocketWatchdog;
using Clock = std::chrono::steady_clock;
using Transcript = std::vector<std::string>;

namespace {

constexpr auto kStep = 20s;  // bound of any single step below

// Sends with `sent` (a PQsend* call's return), then renders every result of that command.
Transcript step(PGconn* c, int sent) {
  if (sent == 0) return {std::string("SEND FAILED: ") + PQerrorMessage(c)};
  return drain(c, Clock::now() + kStep);
}

Transcript exec(PGconn* c, const std::string& sql) { return step(c, PQsendQuery(c, sql.c_str())); }

void append(Transcript& to, const Transcript& from) { to.insert(to.end(), from.begin(), from.end()); }

std::string be32(std::uint32_t v) {
  const std::uint32_t n = htonl(v);
  return std::string(reinterpret_cast<const char*>(&n), 4);
}

// --- PQexecParams with binary parameters and binary results -------------------------------
Transcript binary_results(PGconn* c) {
  const char* sql =
      "SELECT 42::int4 AS i4, -1234567890123::int8 AS i8, 3.5::float8 AS f8, 'héllo ✓'::text AS t, "
      "'\\x00ff10'::bytea AS b, NULL::int AS n, '2024-02-29 12:34:56.789+00'::timestamptz AS ts, "
      "ARRAY[1, NULL, 3]::int4[] AS arr, '{\"a\": [1, null]}'::jsonb AS j, 12345.6789::numeric AS num, "
      "'550e8400-e29b-41d4-a716-446655440000'::uuid AS u, $1::int4 + 1 AS p_int, $2::text AS p_text, "
      "$3::bytea AS p_bytea";
  const std::string p_int = be32(7);
  const std::string p_text = "pärám";
  const std::string p_bytea("\0\1\2\xff", 4);
  const Oid types[] = {23, 25, 17};
  const char* values[] = {p_int.data(), p_text.data(), p_bytea.data()};
  const int lengths[] = {4, static_cast<int>(p_text.size()), 4};
  const int formats[] = {1, 0, 1};
  Transcript t;
  for (int result_format : {1, 0}) {
    append(t, step(c, PQsendQueryParams(c, sql, 3, types, values, lengths, formats, result_format)));
  }
  append(t, step(c, PQsendQueryParams(c, "SELECT g, g::text || '✓', repeat('z', g) FROM generate_series(1, 300) g",
                                      0, nullptr, nullptr, nullptr, nullptr, 1)));
  return t;
}

// --- pipeline mode: Flush without Sync, prepared statement, an error in the middle -------
Transcript pipeline(PGconn* c) {
  Transcript t;
  if (PQenterPipelineMode(c) != 1) return {"enter failed"};
  PQsetnonblocking(c, 1);  // pipeline sends never block on our side; results are polled, bounded
  const auto deadline = Clock::now() + kStep;
  bool timed_out = false;
  auto collect_one_query = [&] {
    // One query's results, up to the NULL that ends it (or a PIPELINE_SYNC, which has none).
    for (int i = 0; i < 10; ++i) {
      PGresult* r = testsupport::itc::next_result(c, deadline, &timed_out);
      if (timed_out) return t.push_back("TIMEOUT");
      t.push_back(render(r));
      if (r == nullptr) return;
      const bool sync = PQresultStatus(r) == PGRES_PIPELINE_SYNC;
      PQclear(r);
      if (sync) return;
    }
  };
  auto flush = [&] {
    while (PQflush(c) == 1 && Clock::now() < deadline) {
      PQconsumeInput(c);
    }
  };

  // A Flush request makes the server send what it has without a Sync: the result must arrive.
  const char* forty_one[] = {"41"};
  PQsendQueryParams(c, "SELECT $1::int + 1 AS answer", 1, nullptr, forty_one, nullptr, nullptr, 0);
  PQsendFlushRequest(c);
  flush();
  collect_one_query();

  const char* hi[] = {"hi"};
  PQsendPrepare(c, "itc_pipe", "SELECT $1::text || '!' AS shout", 1, nullptr);
  PQsendQueryPrepared(c, "itc_pipe", 1, hi, nullptr, nullptr, 0);
  PQsendQueryParams(c, "SELECT 1/0", 0, nullptr, nullptr, nullptr, nullptr, 0);
  PQsendQueryParams(c, "SELECT 'skipped'", 0, nullptr, nullptr, nullptr, nullptr, 0);
  PQpipelineSync(c);
  PQsendQueryParams(c, "SELECT g FROM generate_series(1, 3) g", 0, nullptr, nullptr, nullptr, nullptr, 0);
  PQsendQueryPrepared(c, "itc_pipe", 1, hi, nullptr, nullptr, 1);
  PQsendDescribePrepared(c, "itc_pipe");
  PQpipelineSync(c);
  flush();
  // prepare, prepared, error, aborted, sync, rows, prepared (binary), describe, sync
  for (int query = 0; query < 9 && !timed_out; ++query) collect_one_query();
  t.push_back("status " + std::to_string(PQpipelineStatus(c)));
  t.push_back("exit " + std::to_string(PQexitPipelineMode(c)));
  PQsetnonblocking(c, 0);
  append(t, exec(c, "SELECT 'after pipeline'"));
  return t;
}

// --- PQcancel of a running pg_sleep --------------------------------------------------------
struct CancelOutcome {
  bool started = false;
  Transcript result, after;
  double seconds = 0;
};

CancelOutcome cancel_sleep(PGconn* c, const std::string& tag) {
  CancelOutcome out;
  auto monitor = PgConn::must_connect(PgCluster::shared().conninfo());
  const std::string sql = "SELECT pg_sleep(30) /* " + tag + " */";
  if (PQsendQuery(c, sql.c_str()) == 0) return out;
  // Cancel only once the server runs it: a CancelRequest that arrives earlier is lost.
  const auto deadline = Clock::now() + 10s;
  while (!out.started && Clock::now() < deadline) {
    out.started = monitor.value("SELECT count(*) FROM pg_stat_activity WHERE state = 'active' AND pid <> "
                                "pg_backend_pid() AND query LIKE '%" + tag + "%'") == "1";
    if (!out.started) std::this_thread::sleep_for(20ms);
  }
  if (!out.started) return out;
  const auto start = Clock::now();
  PGcancel* cancel = PQgetCancel(c);
  char error[256] = {};
  if (cancel == nullptr || PQcancel(cancel, error, sizeof error) == 0) out.result.push_back(std::string("PQcancel: ") + error);
  PQfreeCancel(cancel);
  append(out.result, drain(c, Clock::now() + 10s));
  out.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  out.after = exec(c, "SELECT 'usable after cancel'");
  return out;
}

// --- large objects through FunctionCall ('F') ---------------------------------------------
Transcript large_objects(PGconn* c, const std::string& dir) {
  Transcript t;
  SocketWatchdog watchdog(c, 60s);  // lo_* block inside libpq
  std::string data(300000, '\0');
  for (std::size_t i = 0; i < data.size(); ++i) data[i] = static_cast<char>((i * 7 + i / 251) & 0xff);

  append(t, exec(c, "BEGIN"));
  const Oid oid = lo_creat(c, INV_READ | INV_WRITE);
  t.push_back(oid != InvalidOid ? "created" : std::string("lo_creat failed: ") + PQerrorMessage(c));
  const int fd = lo_open(c, oid, INV_READ | INV_WRITE);
  std::size_t written = 0;
  for (std::size_t at = 0; at < data.size(); at += 65536) {
    const auto n = std::min<std::size_t>(65536, data.size() - at);
    const int w = lo_write(c, fd, data.data() + at, n);
    if (w > 0) written += static_cast<std::size_t>(w);
  }
  t.push_back("written " + std::to_string(written) + " tell " + std::to_string(lo_tell64(c, fd)));
  t.push_back("seek " + std::to_string(lo_lseek64(c, fd, 1000, SEEK_SET)));
  std::string part(5000, '\0');
  const int got = lo_read(c, fd, part.data(), part.size());
  t.push_back("read " + std::to_string(got) + (part == data.substr(1000, 5000) ? " matches" : " DIFFERS"));
  lo_lseek64(c, fd, 0, SEEK_SET);
  std::string back;
  std::string chunk(100000, '\0');
  for (int i = 0; i < 10; ++i) {
    const int n = lo_read(c, fd, chunk.data(), chunk.size());
    if (n <= 0) break;
    back.append(chunk.data(), static_cast<std::size_t>(n));
  }
  t.push_back("read back " + std::to_string(back.size()) + (back == data ? " matches" : " DIFFERS"));
  t.push_back("truncate " + std::to_string(lo_truncate64(c, fd, 12345)) + " end " +
              std::to_string(lo_lseek64(c, fd, 0, SEEK_END)));
  t.push_back("close " + std::to_string(lo_close(c, fd)));
  append(t, exec(c, "COMMIT"));
  append(t, exec(c, "SELECT length(lo_get(" + std::to_string(oid) + ")), md5(lo_get(" + std::to_string(oid) +
                        ")) = md5(decode('" + testsupport::itc::hex(data.substr(0, 12345)) + "', 'hex'))"));

  const std::string in_path = dir + "/lo_in.bin", out_path = dir + "/lo_out.bin";
  testsupport::write_file(in_path, data);
  append(t, exec(c, "BEGIN"));
  t.push_back("export " + std::to_string(lo_export(c, oid, out_path.c_str())));
  const Oid imported = lo_import(c, in_path.c_str());
  t.push_back(imported != InvalidOid ? "imported" : std::string("lo_import failed: ") + PQerrorMessage(c));
  append(t, exec(c, "COMMIT"));
  t.push_back(testsupport::read_file(out_path) == data.substr(0, 12345) ? "exported file matches" : "exported DIFFERS");
  append(t, exec(c, "SELECT octet_length(lo_get(" + std::to_string(imported) + ")) = 300000, lo_get(" +
                        std::to_string(imported) + ", 299990, 10) = decode('" +
                        testsupport::itc::hex(data.substr(299990)) + "', 'hex')"));
  t.push_back("unlink " + std::to_string(lo_unlink(c, oid)) + " " + std::to_string(lo_unlink(c, imported)));

  // A fast-path call that fails: the server's error comes back through FunctionCall.
  append(t, exec(c, "BEGIN"));
  t.push_back("open missing " + std::to_string(lo_open(c, oid, INV_READ)));
  std::string message = PQerrorMessage(c);
  message = message.substr(0, message.find('\n'));
  // The OID differs between the two runs; the message around it must not.
  const std::string oid_text = std::to_string(oid);
  if (auto at = message.find(oid_text); at != std::string::npos) message.replace(at, oid_text.size(), "<oid>");
  t.push_back("error: " + message);
  append(t, exec(c, "ROLLBACK"));
  if (watchdog.fired()) t.push_back("WATCHDOG FIRED");
  return t;
}

// --- prepared statements --------------------------------------------------------------------
Transcript prepared(PGconn* c) {
  Transcript t;
  append(t, step(c, PQsendPrepare(c, "itc_s1", "SELECT $1::int + $2::int AS sum, upper($3) AS up", 0, nullptr)));
  PGresult* described = nullptr;
  {
    SocketWatchdog watchdog(c, kStep);
    described = PQdescribePrepared(c, "itc_s1");
  }
  std::string params = "params";
  for (int i = 0; i < PQnparams(described); ++i) params += " " + std::to_string(PQparamtype(described, i));
  t.push_back(params + " " + render(described));
  PQclear(described);
  const char* a[] = {"1", "2", "abc"};
  const char* b[] = {"-5", nullptr, "ünï ✓"};
  const char* d[] = {"x", "2", "abc"};
  append(t, step(c, PQsendQueryPrepared(c, "itc_s1", 3, a, nullptr, nullptr, 0)));
  append(t, step(c, PQsendQueryPrepared(c, "itc_s1", 3, b, nullptr, nullptr, 0)));
  append(t, step(c, PQsendQueryPrepared(c, "itc_s1", 3, a, nullptr, nullptr, 1)));
  append(t, step(c, PQsendQueryPrepared(c, "itc_s1", 3, d, nullptr, nullptr, 0)));  // 22P02
  append(t, step(c, PQsendPrepare(c, "itc_s1", "SELECT 1", 0, nullptr)));             // 42P05
  append(t, step(c, PQsendQueryPrepared(c, "itc_none", 0, nullptr, nullptr, nullptr, 0)));  // 26000
  append(t, step(c, PQsendPrepare(c, "itc_bad", "SELECT FROM WHERE", 0, nullptr)));   // 42601
  // The unnamed statement, and a portal described by name.
  const char* text[] = {"unnamed"};
  append(t, step(c, PQsendPrepare(c, "", "SELECT $1::text || '?' AS q", 1, nullptr)));
  append(t, step(c, PQsendQueryPrepared(c, "", 1, text, nullptr, nullptr, 0)));
  append(t, exec(c, "BEGIN; DECLARE itc_portal CURSOR FOR SELECT 1::int8 AS one, 'two'::varchar(10) AS two"));
  append(t, step(c, PQsendDescribePortal(c, "itc_portal")));
  append(t, exec(c, "FETCH ALL FROM itc_portal; COMMIT"));
  append(t, exec(c, "DEALLOCATE itc_s1"));
  append(t, step(c, PQsendQueryPrepared(c, "itc_s1", 3, a, nullptr, nullptr, 0)));  // 26000 again
  return t;
}

// --- ParameterStatus at startup and after SET ---------------------------------------------
Transcript parameter_status(PGconn* c) {
  static constexpr const char* kReported[] = {
      "server_version", "server_encoding", "client_encoding", "application_name", "DateStyle",
      "IntervalStyle", "TimeZone", "integer_datetimes", "standard_conforming_strings", "is_superuser",
      "session_authorization", "default_transaction_read_only", "in_hot_standby"};
  Transcript t;
  auto snapshot = [&](const std::string& when) {
    std::string line = when + ":";
    for (const char* name : kReported) {
      const char* value = PQparameterStatus(c, name);
      line += std::string(" ") + name + "=" + (value != nullptr ? value : "<none>");
    }
    t.push_back(line);
  };
  snapshot("startup");
  t.push_back("server " + std::to_string(PQserverVersion(c)) + " protocol " + std::to_string(PQprotocolVersion(c)));
  append(t, exec(c, "SET DateStyle = 'SQL, DMY'"));
  append(t, exec(c, "SELECT '2024-02-29'::date::text"));
  append(t, exec(c, "SET application_name = 'renamed ✓'; SET TimeZone = 'Asia/Kolkata'"));
  snapshot("after SET");
  append(t, exec(c, "BEGIN; SET LOCAL DateStyle = 'German'"));
  snapshot("in transaction");
  append(t, exec(c, "ROLLBACK"));
  snapshot("after ROLLBACK");
  append(t, exec(c, "RESET ALL"));
  snapshot("after RESET ALL");
  return t;
}

const char* value_of(const Transcript& t, std::size_t i) { return i < t.size() ? t[i].c_str() : "<missing>"; }

// Runs `flow` on a fresh connection to each side and returns {direct, proxied}.
template <typename Flow>
std::pair<Transcript, Transcript> both(const ClientsSetup& setup, Flow flow, std::string_view extra = {}) {
  std::pair<Transcript, Transcript> out;
  auto direct = PgConn::must_connect(setup.direct(extra));
  out.first = flow(direct.get());
  auto proxied = PgConn::must_connect(setup.proxied(extra));
  out.second = flow(proxied.get());
  return out;
}

}  // namespace

TEST_CASE("clients/libpq: PQexecParams with binary parameters and results", "[relay][clients][libpq]") {
  ClientsSetup setup;
  const auto [direct, proxied] = both(setup, binary_results);
  REQUIRE(direct.size() == 3);
  CHECK_THAT(direct[0], StartsWith("PGRES_TUPLES_OK tag=[SELECT 1] cols=[i4:23:f1:m-1:s4,i8:20:f1"));
  CHECK_THAT(direct[0], Contains("(0x0000002a|0xfffffee08e04fb35|0x400c000000000000|0x68c3a96c6c6f20e29c93|0x00ff10|NULL|"));
  CHECK_THAT(direct[0], Contains("|0x00000008|0x70c3a472c3a16d|0x000102ff)"));
  CHECK_THAT(direct[1], Contains("(42|-1234567890123|3.5|h\\xc3\\xa9llo \\xe2\\x9c\\x93|\\x5cx00ff10|NULL|"));
  CHECK_THAT(direct[2], Contains("rows=300"));
  CHECK(proxied == direct);
}

TEST_CASE("clients/libpq: pipeline mode with Flush, prepared statements and an error", "[relay][clients][libpq]") {
  ClientsSetup setup;
  const auto [direct, proxied] = both(setup, pipeline);
  INFO("pgveil log:\n" << setup.pgveil().log());
  const Transcript expected_shape = {
      "PGRES_TUPLES_OK tag=[SELECT 1] cols=[answer:23:f0:m-1:s4] rows=1 (42)", "NULL-RESULT",
      "PGRES_COMMAND_OK tag=[]", "NULL-RESULT",
      "PGRES_TUPLES_OK tag=[SELECT 1] cols=[shout:25:f0:m-1:s-1] rows=1 (hi!)", "NULL-RESULT"};
  REQUIRE(direct.size() >= expected_shape.size());
  CHECK(Transcript(direct.begin(), direct.begin() + 6) == expected_shape);
  CHECK_THAT(value_of(direct, 6), StartsWith("PGRES_FATAL_ERROR severity=[ERROR] sqlstate=[22012]"));
  CHECK(std::string(value_of(direct, 8)) == "PGRES_PIPELINE_ABORTED tag=[]");
  CHECK(std::string(value_of(direct, 10)) == "PGRES_PIPELINE_SYNC tag=[]");
  CHECK_THAT(value_of(direct, 11), Contains("rows=3 (1) (2) (3)"));
  CHECK_THAT(value_of(direct, 13), Contains("(0x686921)"));
  CHECK(direct.back() == "PGRES_TUPLES_OK tag=[SELECT 1] cols=[?column?:25:f0:m-1:s-1] rows=1 (after pipeline)");
  CHECK(std::find(direct.begin(), direct.end(), "TIMEOUT") == direct.end());
  CHECK(proxied == direct);
}

TEST_CASE("clients/libpq: PQcancel of pg_sleep(30) answers 57014 quickly", "[relay][clients][libpq][cancel]") {
  ClientsSetup setup;
  auto direct_conn = PgConn::must_connect(setup.direct());
  const auto direct = cancel_sleep(direct_conn.get(), "itc-cancel-direct");
  REQUIRE(direct.started);
  REQUIRE(direct.result.size() == 1);
  CHECK_THAT(direct.result[0], Contains("sqlstate=[57014] message=[canceling statement due to user request]"));

  auto proxied_conn = PgConn::must_connect(setup.proxied());
  const auto proxied = cancel_sleep(proxied_conn.get(), "itc-cancel-proxied");
  INFO("pgveil log:\n" << setup.pgveil().log());
  REQUIRE(proxied.started);
  CHECK(proxied.seconds < 5.0);
  CHECK(proxied.result == direct.result);  // every error field, LOCATION included
  CHECK(proxied.after == direct.after);
  CHECK(PgCluster::shared().query_value("SELECT count(*) FROM pg_stat_activity WHERE query LIKE '%itc-cancel-proxied%' "
                                        "AND state = 'active' AND pid <> pg_backend_pid()") == "0");
}

TEST_CASE("clients/libpq: large objects through FunctionCall", "[relay][clients][libpq]") {
  ClientsSetup setup;
  testsupport::TempDir dir_direct("itc-lo"), dir_proxied("itc-lo");
  auto direct_conn = PgConn::must_connect(setup.direct());
  const auto direct = large_objects(direct_conn.get(), dir_direct.path());
  auto proxied_conn = PgConn::must_connect(setup.proxied());
  const auto proxied = large_objects(proxied_conn.get(), dir_proxied.path());
  INFO("pgveil log:\n" << setup.pgveil().log());
  CHECK_THAT(value_of(direct, 2), Contains("written 300000 tell 300000"));
  CHECK(std::find(direct.begin(), direct.end(), "read back 300000 matches") != direct.end());
  CHECK(std::find(direct.begin(), direct.end(), "exported file matches") != direct.end());
  CHECK(std::find(direct.begin(), direct.end(), "unlink 1 1") != direct.end());
  CHECK_THAT(direct.back(), StartsWith("PGRES_COMMAND_OK tag=[ROLLBACK]"));
  CHECK(proxied == direct);
}

TEST_CASE("clients/libpq: prepared statements and describe", "[relay][clients][libpq]") {
  ClientsSetup setup;
  const auto [direct, proxied] = both(setup, prepared);
  const std::string joined = [&] {
    std::string s;
    for (const auto& line : direct) s += line + "\n";
    return s;
  }();
  CHECK_THAT(joined, Contains("params 23 23 25 PGRES_COMMAND_OK"));
  CHECK_THAT(joined, Contains("rows=1 (3|ABC)"));
  CHECK_THAT(joined, Contains("rows=1 (NULL|\\xc3\\x9cN\\xc3\\x8f \\xe2\\x9c\\x93)"));
  CHECK_THAT(joined, Contains("rows=1 (0x00000003|0x414243)"));
  CHECK_THAT(joined, Contains("sqlstate=[22P02]"));
  CHECK_THAT(joined, Contains("sqlstate=[42P05]"));
  CHECK_THAT(joined, Contains("sqlstate=[26000]"));
  CHECK_THAT(joined, Contains("sqlstate=[42601]"));
  CHECK_THAT(joined, Contains("(unnamed?)"));
  CHECK_THAT(joined, Contains("cols=[one:20:f0:m-1:s8,two:1043:f0:m14:s-1] rows=0"));
  CHECK(proxied == direct);
}

TEST_CASE("clients/libpq: ParameterStatus at startup and after SET", "[relay][clients][libpq]") {
  ClientsSetup setup;
  const auto [direct, proxied] =
      both(setup, parameter_status, "application_name='itc params' options='-c IntervalStyle=iso_8601'");
  REQUIRE(direct.size() > 5);
  CHECK_THAT(direct[0], Contains("server_version=15."));
  CHECK_THAT(direct[0], Contains("client_encoding=UTF8"));
  CHECK_THAT(direct[0], Contains("application_name=itc params DateStyle=ISO, MDY IntervalStyle=iso_8601"));
  CHECK_THAT(direct[0], Contains("session_authorization=itc_app"));
  const std::string joined = [&] {
    std::string s;
    for (const auto& line : direct) s += line + "\n";
    return s;
  }();
  CHECK_THAT(joined, Contains("(29/02/2024)"));
  CHECK_THAT(joined, Contains("after SET: server_version=15."));
  // PostgreSQL keeps only printable ASCII in application_name: each byte of the check mark becomes '?'.
  CHECK_THAT(joined, Contains("application_name=renamed ??? DateStyle=SQL, DMY"));
  CHECK_THAT(joined, Contains("TimeZone=Asia/Kolkata"));
  CHECK_THAT(joined, Contains("in transaction: ") && Contains("DateStyle=German, DMY"));
  CHECK(proxied == direct);
}

TEST_CASE("clients/libpq: a self-notification carries the session's own PQbackendPID", "[relay][clients][libpq][notify]") {
  // PostgreSQL docs (LISTEN; libpq "Asynchronous Notification"): clients detect their own
  // notifications by comparing be_pid with PQbackendPID. pgveil mints its own cancel key but
  // passes the backend's pid, so NotificationResponse, pg_backend_pid() and PQbackendPID agree.
  ClientsSetup setup;
  for (const bool through_pgveil : {false, true}) {
    DYNAMIC_SECTION((through_pgveil ? "through pgveil" : "direct")) {
      auto conn = PgConn::must_connect(through_pgveil ? setup.proxied() : setup.direct());
      conn.must("LISTEN itc_self");
      conn.must("NOTIFY itc_self, 'me'");
      PQconsumeInput(conn.get());
      PGnotify* n = PQnotifies(conn.get());
      REQUIRE(n != nullptr);
      CHECK(std::string(n->relname) == "itc_self");
      CHECK(std::string(n->extra) == "me");
      CHECK(n->be_pid == PQbackendPID(conn.get()));
      CHECK(conn.value("SELECT pg_backend_pid()") == std::to_string(PQbackendPID(conn.get())));
      PQfreemem(n);
    }
  }
}
