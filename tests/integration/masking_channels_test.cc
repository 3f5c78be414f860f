// Every channel that carries data, under a masking profile, through the real pgveil in front of
// PostgreSQL 15 with real clients (issue #4 items 2-3): each mask on table mask_matrix in text
// and binary result format, simple and extended protocol (libpq PQexec, PQexecParams, PQprepare/
// PQexecPrepared without Describe, pipeline mode with a refusal in the middle, single-row mode,
// an Execute with max_rows continued by a second Execute), psql, psycopg 3, COPY TO in text and
// CSV (binary refused), error and notice fields, NOTIFY payloads.
//
// The expected masked values come from `pgveil mask` (the CLI runs the same plan); binary values
// are checked by handing them back to PostgreSQL as binary parameters: the server must parse
// them (so drivers can) and read them as the same value as the text result.
#include <libpq-fe.h>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "proxy/wire/frontend_messages.h"
#include "support/itf_raw_client.h"
#include "support/masking_probe.h"
#include "support/masking_shop.h"
#include "support/pg_cluster.h"
#include "support/pq.h"
#include "support/process.h"

using Catch::Matchers::Contains;
using testsupport::PgCluster;
using testsupport::PgConn;
using testsupport::masking_shop::Probe;
using testsupport::masking_shop::Protocol;
using testsupport::masking_shop::World;

namespace {

const std::string kSourceDir = PGVEIL_SOURCE_DIR;

struct Column {
  std::string name, type;  // type as SQL spells it, for the binary round trip
};
const std::vector<Column> kColumns = {
    {"r_text", "text"},      {"n_text", "text"},        {"p_text", "text"},  {"e_text", "text"},
    {"h_text", "text"},      {"t_text", "text"},        {"x_text", "text"},  {"g_date", "date"},
    {"g_int", "int4"},       {"h_int", "int4"},         {"h_bigint", "int8"}, {"t_numeric", "numeric"},
    {"r_ts", "timestamptz"}, {"h_uuid", "uuid"},        {"e_json", "jsonb"}, {"p_array", "text[]"},
    {"free", "text"}};

using Values = std::vector<std::optional<std::string>>;   // one column, rows in id order

Values column_of(PGresult* r) {
  Values out;
  for (int row = 0; row < PQntuples(r); ++row) {
    if (PQgetisnull(r, row, 0)) {
      out.emplace_back();
    } else {
      out.emplace_back(std::string(PQgetvalue(r, row, 0), static_cast<std::size_t>(PQgetlength(r, row, 0))));
    }
  }
  return out;
}

Values read_column(PGconn* c, const std::string& sql, int format) {
  PGresult* r = PQexecParams(c, sql.c_str(), 0, nullptr, nullptr, nullptr, nullptr, format);
  INFO(sql << ": " << PQresultErrorMessage(r));
  REQUIRE(PQresultStatus(r) == PGRES_TUPLES_OK);
  Values v = column_of(r);
  PQclear(r);
  return v;
}

// The text PostgreSQL makes of a value given as a binary (format 1) or text (0) parameter.
std::string server_reads(PGconn* direct, const std::string& type, const std::string& value, int format) {
  const std::string sql = "SELECT $1::" + type + "::text";
  const char* values[] = {value.data()};
  const int lengths[] = {static_cast<int>(value.size())};
  const int formats[] = {format};
  PGresult* r = PQexecParams(direct, sql.c_str(), 1, nullptr, values, lengths, formats, 0);
  INFO("the server reads the " << (format ? "binary" : "text") << " " << type << " value: " << PQresultErrorMessage(r));
  REQUIRE(PQresultStatus(r) == PGRES_TUPLES_OK);
  std::string out = PQgetvalue(r, 0, 0);
  PQclear(r);
  return out;
}

// What `pgveil mask` says the profile makes of a value (nullopt: NULL).
std::optional<std::string> cli_mask(const std::string& column, const std::string& type, const std::string& value) {
  auto& world = World::shared();
  const auto r = world.pgveil().cli({"--config", world.config_path(), "mask", "--profile", "matrix", "--table",
                                     "public.mask_matrix", "--column", column, "--type", type, "--value", value,
                                     "--json"});
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
  const auto out = nlohmann::json::parse(r.out);
  if (out["output"].is_null()) return std::nullopt;
  return out["output"].get<std::string>();
}

}  // namespace

TEST_CASE("masking: every mask in text and binary format, simple and extended protocol", "[masking][channels]") {
  auto& world = World::shared();
  auto direct = PgConn::must_connect(world.direct());
  auto proxied = PgConn::must_connect(world.proxied("matrix"));
  for (const auto& col : kColumns) {
    const std::string sql = "SELECT " + col.name + " FROM mask_matrix ORDER BY id";
    INFO("column " << col.name << " (" << col.type << ")");
    const Values raw = read_column(direct.get(), sql, 0);
    const Values text = read_column(proxied.get(), sql, 0);
    const auto simple = proxied.query(sql);
    REQUIRE(simple.has_value());
    REQUIRE(raw.size() == 2);
    REQUIRE(text.size() == raw.size());
    // Every type here has a binary codec in pgveil (numeric and text[] included).
    const Values binary = read_column(proxied.get(), sql, 1);
    REQUIRE(binary.size() == raw.size());
    for (std::size_t i = 0; i < raw.size(); ++i) {
      INFO("row " << i + 1 << " raw " << raw[i].value_or("NULL") << " masked " << text[i].value_or("NULL"));
      CHECK((*simple)[i][0] == text[i]);   // simple protocol = extended text
      CHECK(binary[i].has_value() == text[i].has_value());
      if (raw[i]) {
        CHECK(text[i] == cli_mask(col.name, col.type, *raw[i]));   // what `pgveil mask` promises
        const bool personal = col.name != "free" || raw[i]->find('@') != std::string::npos;
        if (personal && *raw[i] != "{}") CHECK(text[i] != raw[i]);
      }
      if (text[i] && binary[i]) {
        CHECK(server_reads(direct.get(), col.type, *binary[i], 1) == server_reads(direct.get(), col.type, *text[i], 0));
      }
    }
  }
  // A few masks spelled out, so a wrong CLI cannot hide a wrong mask.
  CHECK(read_column(proxied.get(), "SELECT r_text FROM mask_matrix WHERE id = 1", 0)[0] == "[redacted]");
  CHECK_FALSE(read_column(proxied.get(), "SELECT n_text FROM mask_matrix WHERE id = 1", 0)[0].has_value());
  CHECK(read_column(proxied.get(), "SELECT p_text FROM mask_matrix WHERE id = 1", 0)[0] == "***************1111");
  CHECK(read_column(proxied.get(), "SELECT e_text FROM mask_matrix WHERE id = 1", 0)[0] == "***@example.com");
  CHECK(read_column(proxied.get(), "SELECT x_text FROM mask_matrix WHERE id = 1", 0)[0] == "call ###-####");
  CHECK(read_column(proxied.get(), "SELECT g_date FROM mask_matrix WHERE id = 1", 0)[0] == "1985-01-01");
  const auto free = read_column(proxied.get(), "SELECT free FROM mask_matrix WHERE id = 1", 0)[0];
  CHECK(free == "write to [redacted] or call [redacted]");
  // Arrays and numerics a statement computes are scanned in binary too, and stay valid binary.
  const auto array = read_column(proxied.get(), "SELECT ARRAY['mail sam.smith@example.org', NULL, 'ok']", 1)[0];
  REQUIRE(array.has_value());
  CHECK(server_reads(direct.get(), "text[]", *array, 1) == R"({"mail [redacted]",NULL,ok})");
  const auto ints = read_column(proxied.get(), "SELECT ARRAY[4217, NULL, -1]::int8[]", 1)[0];
  REQUIRE(ints.has_value());
  CHECK(server_reads(direct.get(), "int8[]", *ints, 1) == "{4217,NULL,-1}");
  // Deterministic pseudonyms: the same input gives the same hash in every row and session.
  const auto h1 = read_column(proxied.get(), "SELECT h_text FROM mask_matrix WHERE id = 2", 0)[0];
  CHECK(h1 == cli_mask("h_text", "text", "Jürgen Müller"));
  CHECK(h1->size() == 12);
}

TEST_CASE("masking: libpq prepared without Describe, pipeline, single-row mode", "[masking][channels]") {
  auto& world = World::shared();
  auto direct = PgConn::must_connect(world.direct());
  auto proxied = PgConn::must_connect(world.proxied("matrix"));
  PGconn* c = proxied.get();
  const std::string sql = "SELECT p_text, h_int, e_json FROM mask_matrix ORDER BY id";
  PGresult* expected = PQexecParams(c, sql.c_str(), 0, nullptr, nullptr, nullptr, nullptr, 1);
  REQUIRE(PQresultStatus(expected) == PGRES_TUPLES_OK);
  const auto same_as_expected = [&](PGresult* r) {
    REQUIRE((PQresultStatus(r) == PGRES_TUPLES_OK || PQresultStatus(r) == PGRES_SINGLE_TUPLE));
    for (int row = 0; row < PQntuples(r); ++row)
      for (int col = 0; col < 3; ++col)
        CHECK(std::string(PQgetvalue(r, row, col), PQgetlength(r, row, col)) ==
              std::string(PQgetvalue(expected, row, col), PQgetlength(expected, row, col)));
  };
  CHECK(std::string(PQgetvalue(expected, 0, 0)) == "***************1111");

  SECTION("PQprepare + PQexecPrepared in binary: Execute of a statement never Described") {
    PQclear(PQprepare(c, "masked_stmt", sql.c_str(), 0, nullptr));
    PGresult* r = PQexecPrepared(c, "masked_stmt", 0, nullptr, nullptr, nullptr, 1);
    same_as_expected(r);
    CHECK(PQntuples(r) == 2);
    PQclear(r);
  }
  SECTION("pipeline mode: masked rows, a refused statement, the rest aborted as the server would") {
    REQUIRE(PQenterPipelineMode(c) == 1);
    REQUIRE(PQsendQueryParams(c, sql.c_str(), 0, nullptr, nullptr, nullptr, nullptr, 1) == 1);
    REQUIRE(PQsendQueryParams(c, "SELECT upper(p_text) FROM mask_matrix", 0, nullptr, nullptr, nullptr, nullptr, 0) == 1);
    REQUIRE(PQsendQueryParams(c, "SELECT 1", 0, nullptr, nullptr, nullptr, nullptr, 0) == 1);
    REQUIRE(PQpipelineSync(c) == 1);
    REQUIRE(PQsendQueryParams(c, sql.c_str(), 0, nullptr, nullptr, nullptr, nullptr, 1) == 1);
    REQUIRE(PQpipelineSync(c) == 1);
    std::vector<ExecStatusType> statuses;
    std::string refusal;
    for (int results = 0; results < 6;) {
      PGresult* r = PQgetResult(c);
      if (r == nullptr) continue;   // the end of one query's results
      const auto status = PQresultStatus(r);
      statuses.push_back(status);
      if (status == PGRES_TUPLES_OK) same_as_expected(r);
      if (status == PGRES_FATAL_ERROR) refusal = PQresultErrorField(r, PG_DIAG_SQLSTATE);
      PQclear(r);
      ++results;
    }
    CHECK(statuses == std::vector<ExecStatusType>{PGRES_TUPLES_OK, PGRES_FATAL_ERROR, PGRES_PIPELINE_ABORTED,
                                                  PGRES_PIPELINE_SYNC, PGRES_TUPLES_OK, PGRES_PIPELINE_SYNC});
    CHECK(refusal == "42501");
    CHECK(PQexitPipelineMode(c) == 1);
  }
  SECTION("single-row mode") {
    REQUIRE(PQsendQueryParams(c, sql.c_str(), 0, nullptr, nullptr, nullptr, nullptr, 1) == 1);
    REQUIRE(PQsetSingleRowMode(c) == 1);
    int rows = 0;
    while (PGresult* r = PQgetResult(c)) {
      if (PQresultStatus(r) == PGRES_SINGLE_TUPLE) {
        CHECK(std::string(PQgetvalue(r, 0, 0), PQgetlength(r, 0, 0)) ==
              std::string(PQgetvalue(expected, rows, 0), PQgetlength(expected, rows, 0)));
        ++rows;
      }
      PQclear(r);
    }
    CHECK(rows == 2);
  }
  PQclear(expected);
}

TEST_CASE("masking: a portal fetched by several Executes with max_rows", "[masking][channels]") {
  auto& world = World::shared();
  // The raw protocol: libpq never sends Execute with a row limit.
  auto conninfo = world.proxied("matrix");
  const auto field = [&](std::string_view key) {
    const auto at = conninfo.find(std::string(key) + "=");
    const auto begin = at + key.size() + 1;
    std::string v = conninfo.substr(begin, conninfo.find(' ', begin) - begin);
    if (v.size() >= 2 && v.front() == '\'') v = v.substr(1, v.size() - 2);
    return v;
  };
  auto client = itf::RawClient::connect(world.pgveil().port());
  REQUIRE(client.send(itf::startup_packet({{"user", field("user")}, {"database", "prod"}})));
  const auto login = itf::scram_login(client, field("password"));
  INFO(login.describe());
  REQUIRE(login.ok);
  std::string out;
  pgwire::encode_parse(out, "", "SELECT p_text, e_text FROM mask_matrix ORDER BY id");
  const std::int16_t text_format[] = {0};
  pgwire::encode_bind(out, "", "", {}, {}, text_format);
  pgwire::encode_execute(out, "", 1);
  pgwire::encode_execute(out, "", 1);
  pgwire::encode_execute(out, "", 1);
  pgwire::encode_sync(out);
  REQUIRE(client.send(out));
  std::string types;
  std::string rows;
  for (;;) {
    auto m = client.read_message(itf::Millis(10000));
    REQUIRE(m.has_value());
    types.push_back(m->type);
    if (m->type == 'D') rows += m->body;
    if (m->type == 'Z') break;
  }
  // No RowDescription reaches the client (it did not Describe); both suspensions are kept.
  CHECK(types == "12DsDsCZ");
  CHECK_THAT(rows, Contains("***************1111") && Contains("***@example.com"));
  CHECK(world.leaked_in(rows).empty());
}

TEST_CASE("masking: psql and psycopg 3 see masked values their types parse", "[masking][channels]") {
  auto& world = World::shared();
  const auto r = testsupport::run({PgCluster::bin("psql"), "-X", "-At", "-F", "|", "-d", world.proxied("matrix"), "-c",
                                   "SELECT p_text, e_text, g_date, x_text FROM mask_matrix ORDER BY id"});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK_THAT(r.out, Contains("***************1111|***@example.com|1985-01-01|call ###-####"));
  CHECK(world.leaked_in(r.out).empty());

  const auto py = testsupport::run(
      {"/usr/bin/python3", kSourceDir + "/tests/integration/masking_psycopg.py", world.proxied("matrix")});
  INFO(py.out << py.err);
  REQUIRE(py.exit_code == 0);
  const auto out = nlohmann::json::parse(py.out);
  CHECK(out["text"] == out["binary"]);          // binary values parse to the same Python values
  CHECK(out["binary_2d"] == "42501");            // no binary codec for 2-D arrays: refused, not passed
  CHECK(out["text"] == out["server_cursor"]);   // DECLARE/FETCH in batches of one
  CHECK(out["types"] == nlohmann::json::parse(
                            R"(["int","str","NoneType","str","str","date","int","int","int","Decimal","UUID","dict","list"])"));
  CHECK(out["text"][0][3] == "***************1111");
  CHECK(out["refused"] == "42501");
  CHECK(out["after"] == 2);
  CHECK_THAT(out["copy"].get<std::string>(), Contains("[redacted]"));
  CHECK(world.leaked_in(py.out).empty());
}

TEST_CASE("masking: COPY TO in text and CSV is masked, binary COPY refused", "[masking][channels]") {
  auto& world = World::shared();
  Probe probe(world.proxied("matrix"));
  REQUIRE(probe.ok());
  for (const std::string format : {"text", "csv"}) {
    const auto seen = probe.run("COPY (SELECT id, free FROM mask_matrix ORDER BY id) TO STDOUT (FORMAT " + format + ")",
                                Protocol::kSimple);
    INFO(format << ": " << seen.summary());
    CHECK_FALSE(seen.failed());
    CHECK_THAT(seen.bytes, Contains("write to [redacted] or call [redacted]") && Contains("nothing personal here"));
    CHECK(world.leaked_in(seen.bytes).empty());
  }
  const auto binary = probe.run("COPY (SELECT id, free FROM mask_matrix) TO STDOUT (FORMAT binary)", Protocol::kSimple);
  CHECK(binary.refused());
  const auto masked_column = probe.run("COPY (SELECT p_text FROM mask_matrix) TO STDOUT", Protocol::kSimple);
  CHECK(masked_column.refused());
  CHECK(probe.run("SELECT 1", Protocol::kSimple).tuples == 1);
}

TEST_CASE("masking: error and notice fields, NOTIFY payloads", "[masking][channels]") {
  auto& world = World::shared();
  auto direct = PgConn::must_connect(PgCluster::shared().conninfo(std::string(testsupport::masking_shop::kDatabase)));
  const std::string email = direct.value("SELECT email FROM customers WHERE id = 1");

  SECTION("a unique violation's DETAIL Key (email)=(...) is hidden") {
    Probe probe(world.proxied("writer"));
    REQUIRE(probe.ok());
    const auto seen = probe.run("INSERT INTO customers (first_name, last_name, email, country, created_at) "
                                "VALUES ('A', 'B', '" + email + "', 'DE', now())",
                                Protocol::kExtendedText);
    INFO(seen.summary());
    REQUIRE(seen.sqlstates == std::vector<std::string>{"23505"});
    CHECK(seen.bytes.find(email) == std::string::npos);
    CHECK_THAT(seen.bytes, Contains("detail hidden by pgveil"));
  }
  SECTION("a cast error quoting a masked value (on_unprovable: detect lets the cast run)") {
    Probe probe(world.proxied("detecting"));
    const auto seen = probe.run("SELECT email::int FROM customers WHERE id = 1", Protocol::kSimple);
    INFO(seen.summary());
    REQUIRE(seen.sqlstates == std::vector<std::string>{"22P02"});
    CHECK(seen.bytes.find(email) == std::string::npos);
  }
  SECTION("procedural code is refused before it runs, a server notice keeps its text") {
    Probe probe(world.proxied("support"));
    const auto raised = probe.run("DO $$ BEGIN RAISE NOTICE 'mail %', (SELECT email FROM customers WHERE id = 1); END $$",
                                  Protocol::kSimple);
    INFO(raised.summary());
    CHECK(raised.bytes.find(email) == std::string::npos);
    CHECK(raised.sqlstates == std::vector<std::string>{"42501"});
    CHECK_THAT(raised.bytes, Contains("DO block"));
    // A statement that reads nothing masked keeps the server's wording.
    const auto plain = probe.run("ROLLBACK", Protocol::kSimple);
    CHECK_THAT(plain.bytes, Contains("there is no transaction in progress"));
  }
  SECTION("NOTIFY payloads go through the value detectors") {
    Probe probe(world.proxied("support"));
    REQUIRE(probe.run("LISTEN masking_channel", Protocol::kSimple).sqlstates.empty());
    direct.must("SELECT pg_notify('masking_channel', 'card 4111 1111 1111 1111 of " + email + " paid')");
    const auto seen = probe.run("SELECT 1", Protocol::kSimple);
    INFO(seen.summary());
    CHECK_THAT(seen.bytes, Contains("masking_channel: card [redacted] of [redacted] paid"));
    CHECK(seen.bytes.find(email) == std::string::npos);
  }
}
