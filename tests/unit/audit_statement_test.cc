#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "audit/event.h"
#include "audit/statement.h"

using audit::analyze_statement;

namespace {

struct LeakCase {
  std::string sql;
  std::vector<std::string> literals;  // none of these may appear in the event line
};

// The literal values, comments and constants of every case are distinctive strings that appear
// nowhere else in an event, so a substring test is exact.
const std::vector<LeakCase> kLeakCases = {
    {"SELECT * FROM customers WHERE email = 'alice@example.com' AND id = 424242",
     {"alice@example.com", "424242"}},
    {"SELECT 1 FROM t WHERE a = 1 -- ssn 078-05-1120\n AND b = 2 /* card 4111111111111111 */",
     {"078-05-1120", "4111111111111111"}},
    {"INSERT INTO customers(name, iban) VALUES ('Zoë Quixote', 'DE89370400440532013000')",
     {"Zoë Quixote", "DE89370400440532013000"}},
    {"UPDATE customers SET phone = '+44 20 7946 0958' WHERE id = 918273", {"+44 20 7946 0958", "918273"}},
    {"SELECT date '1987-06-05', interval '17 days', B'101101', X'DEADBEEF', 6.02e23, -7777",
     {"1987-06-05", "17 days", "101101", "DEADBEEF", "6.02e23", "7777"}},
    {"SELECT E'esc-secret\\there', U&'d\\0061t\\+000061', $tag$dollar quoted secret$tag$",
     {"esc-secret", "d\\0061t", "dollar quoted secret"}},
    {"COPY customers FROM '/srv/exports/people-2026.csv'", {"/srv/exports/people-2026.csv"}},
    {"EXECUTE fetch_customer('cust-5551234')", {"cust-5551234"}},
    {"ALTER ROLE bob PASSWORD 'hunter2-correct-horse'", {"hunter2-correct-horse"}},
    {"SET application_name = 'secret-app-name'", {"secret-app-name"}},
    {"DO $$ BEGIN RAISE NOTICE 'inside-do-block'; END $$", {"inside-do-block"}},
    {"SELECT 'one-literal'; SELECT 'two-literal'", {"one-literal", "two-literal"}},
    {"SELECT * FROM t LIMIT 31337 OFFSET 27182", {"31337", "27182"}},
};

std::string statement_line(const audit::StatementInfo& info) {
  audit::Statement s;
  s.session.person = "alice";
  s.protocol = "simple";
  s.info = info;
  return audit::to_line(audit::Event(std::move(s)));
}

}  // namespace

TEST_CASE("normalized statements: no literal of the statement's constants reaches the event", "[audit][statement]") {
  for (const auto& c : kLeakCases) {
    INFO("sql: " << c.sql);
    const auto info = analyze_statement(c.sql);
    REQUIRE(info.parsed());
    REQUIRE(info.normalized);
    const std::string line = statement_line(info);
    INFO("event: " << line);
    for (const auto& literal : c.literals) CHECK(line.find(literal) == std::string::npos);
    CHECK(line.find("\"text\"") == std::string::npos);
  }
}

TEST_CASE("normalized text replaces constants with $n and drops comments", "[audit][statement]") {
  CHECK(*analyze_statement("SELECT a FROM t WHERE b = 'x' AND c = 5").normalized == "SELECT a FROM t WHERE b = $1 AND c = $2");
  CHECK(*analyze_statement("SELECT 1 -- note\n").normalized == "SELECT $1");
  // Leftover constants continue after the highest existing parameter.
  CHECK(*analyze_statement("COPY t FROM '/x'").normalized == "COPY t FROM $1");
  CHECK(*analyze_statement("SELECT $1, 'lit'").normalized == "SELECT $1, $2");
}

TEST_CASE("a statement that does not parse is 'unparsed' with no text", "[audit][statement]") {
  for (const std::string sql : {"SELECT 'unterminated secret-xyz", "SELEKT secret-xyz FROM t", "SELECT $$unclosed secret-xyz"}) {
    INFO(sql);
    const auto info = analyze_statement(sql, audit::TextMode::kRaw);
    CHECK(info.kind == "unparsed");
    CHECK_FALSE(info.parsed());
    CHECK_FALSE(info.normalized);
    CHECK_FALSE(info.text);
    CHECK(statement_line(info).find("secret-xyz") == std::string::npos);
  }
}

TEST_CASE("raw text is kept only when the role asks for it", "[audit][statement]") {
  const std::string sql = "SELECT * FROM t WHERE x = 'visible'";
  CHECK_FALSE(analyze_statement(sql).text);
  const auto raw = analyze_statement(sql, audit::TextMode::kRaw);
  REQUIRE(raw.text);
  CHECK(*raw.text == sql);
}

TEST_CASE("statement kinds", "[audit][statement]") {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"SELECT 1", "SELECT"},
      {"INSERT INTO t VALUES (1)", "INSERT"},
      {"UPDATE t SET a = 1", "UPDATE"},
      {"DELETE FROM t", "DELETE"},
      {"CREATE TABLE t (a int)", "DDL"},
      {"ALTER TABLE t ADD COLUMN b int", "DDL"},
      {"DROP TABLE t", "DDL"},
      {"CREATE INDEX ON t (a)", "DDL"},
      {"SELECT * INTO t2 FROM t", "DDL"},
      {"GRANT SELECT ON t TO bob", "DCL"},
      {"BEGIN", "TRANSACTION"},
      {"COMMIT", "TRANSACTION"},
      {"SET search_path = public", "SET"},
      {"SHOW search_path", "SHOW"},
      {"EXPLAIN SELECT 1", "EXPLAIN"},
      {"COPY t TO STDOUT", "COPY"},
      {"TRUNCATE t", "TRUNCATE"},
      {"VACUUM t", "MAINTENANCE"},
      {"PREPARE p AS SELECT 1", "PREPARE"},
      {"EXECUTE p", "EXECUTE"},
      {"", "EMPTY"},
      {"-- only a comment", "EMPTY"},
  };
  for (const auto& [sql, kind] : cases) {
    INFO(sql);
    CHECK(analyze_statement(sql).kind == kind);
  }
  const auto multi = analyze_statement("BEGIN; SELECT 1; COMMIT");
  CHECK(multi.kind == "MULTI");
  CHECK(multi.kinds == std::vector<std::string>{"TRANSACTION", "SELECT", "TRANSACTION"});
  CHECK(analyze_statement("SELECT 1; SELECT 2").kind == "SELECT");
}

TEST_CASE("tables read and written", "[audit][statement]") {
  using V = std::vector<std::string>;
  auto join = analyze_statement("SELECT * FROM customers c JOIN public.orders o ON o.cid = c.id WHERE c.id IN (SELECT cid FROM refunds)");
  CHECK(join.tables_read == V{"customers", "public.orders", "refunds"});
  CHECK(join.tables_written.empty());

  auto cte = analyze_statement("WITH recent AS (SELECT * FROM orders) SELECT * FROM recent JOIN customers ON true");
  CHECK(cte.tables_read == V{"customers", "orders"});

  auto insert = analyze_statement("INSERT INTO archive SELECT * FROM orders");
  CHECK(insert.tables_written == V{"archive"});
  CHECK(insert.tables_read == V{"orders"});

  auto update = analyze_statement("UPDATE customers SET x = 1 FROM blocked b WHERE b.id = customers.id");
  CHECK(update.tables_written == V{"customers"});
  CHECK(update.tables_read == V{"blocked"});

  CHECK(analyze_statement("COPY customers TO STDOUT").tables_read == V{"customers"});
  CHECK(analyze_statement("COPY customers FROM STDIN").tables_written == V{"customers"});
  CHECK(analyze_statement("TRUNCATE a, b").tables_written == V{"a", "b"});
}

TEST_CASE("fingerprints ignore constant values", "[audit][statement]") {
  const auto a = analyze_statement("SELECT * FROM t WHERE id = 1");
  const auto b = analyze_statement("SELECT * FROM t WHERE id = 999");
  const auto c = analyze_statement("SELECT * FROM u WHERE id = 1");
  REQUIRE(a.fingerprint);
  CHECK(a.fingerprint->size() == 16);
  CHECK(a.fingerprint == b.fingerprint);
  CHECK(a.fingerprint != c.fingerprint);
}
