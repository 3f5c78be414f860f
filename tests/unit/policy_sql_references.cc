#include <catch2/catch.hpp>

#include "policy/sql_references.h"

using policy::analyze_sql;

TEST_CASE("sql references: columns, relations, aliases, functions", "[policy][sql]") {
  auto r = analyze_sql("SELECT lower(c.email), count(*) FROM public.customers AS c WHERE ssn LIKE '1%'");
  REQUIRE(r);
  CHECK(r->columns == std::set<std::string>{"email", "ssn"});
  CHECK(r->relations == std::set<std::string>{"customers", "c"});
  CHECK(r->functions == std::set<std::string>{"lower", "count"});
  CHECK_FALSE(r->whole_row);
}

TEST_CASE("sql references: names inside subqueries, CTEs, set operations and casts", "[policy][sql]") {
  auto r = analyze_sql(
      "WITH x AS (SELECT ssn AS s FROM customers) SELECT s::int FROM x UNION SELECT (SELECT \"Email\" FROM t LIMIT 1)");
  REQUIRE(r);
  CHECK(r->columns.contains("ssn"));
  CHECK(r->columns.contains("s"));
  CHECK(r->columns.contains("Email"));   // quoted identifiers keep their case
  CHECK(r->relations.contains("x"));
  CHECK(r->relations.contains("customers"));
}

TEST_CASE("sql references: whole-row references, not top-level stars", "[policy][sql]") {
  CHECK_FALSE(analyze_sql("SELECT * FROM customers")->whole_row);
  CHECK(analyze_sql("SELECT * FROM customers")->star);
  CHECK_FALSE(analyze_sql("SELECT id FROM customers")->star);
  CHECK_FALSE(analyze_sql("SELECT c.*, 1 FROM customers c")->whole_row);
  CHECK(analyze_sql("SELECT row_to_json(c) FROM customers c")->whole_row);
  CHECK(analyze_sql("SELECT customers::text FROM customers")->whole_row);
  CHECK(analyze_sql("SELECT to_jsonb(c.*) FROM customers c")->whole_row);
  CHECK(analyze_sql("SELECT (SELECT array_agg(t) FROM (SELECT * FROM customers) t)")->whole_row);
  // A function's alias names its output, not a table row.
  CHECK_FALSE(analyze_sql("SELECT g, g * 2 FROM generate_series(1, 4) AS g")->whole_row);
}

TEST_CASE("sql references: several statements in one text; errors are reported", "[policy][sql]") {
  auto r = analyze_sql("SELECT 1; SELECT ssn FROM customers; SHOW search_path");
  REQUIRE(r);
  CHECK(r->columns == std::set<std::string>{"ssn"});
  auto bad = analyze_sql("SELEC ssn FROM");
  REQUIRE_FALSE(bad);
  CHECK_THAT(bad.error(), Catch::Contains("syntax error"));
}

TEST_CASE("sql references: COPY of a whole table vs COPY of a query", "[policy][sql]") {
  CHECK(analyze_sql("COPY customers TO STDOUT")->copy_relation);
  CHECK(analyze_sql("COPY public.customers (id, email) TO STDOUT WITH (FORMAT csv)")->copy_relation);
  auto q = analyze_sql("COPY (SELECT id, city FROM customers) TO STDOUT");
  REQUIRE(q);
  CHECK_FALSE(q->copy_relation);
  CHECK(q->columns == std::set<std::string>{"id", "city"});
}

TEST_CASE("sql references: cursors declared and fetched", "[policy][sql]") {
  auto d = analyze_sql("DECLARE \"c1\" CURSOR WITHOUT HOLD FOR SELECT upper(email) FROM customers");
  REQUIRE(d);
  CHECK(d->declared_cursors == std::set<std::string>{"c1"});
  CHECK(d->columns.contains("email"));
  CHECK(analyze_sql("FETCH FORWARD 5 FROM c1")->fetched_cursors == std::set<std::string>{"c1"});
  CHECK(analyze_sql("MOVE ALL IN c2")->fetched_cursors == std::set<std::string>{"c2"});
}
