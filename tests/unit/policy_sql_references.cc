#include <catch2/catch.hpp>

#include "policy/sql_references.h"

using policy::analyze_sql;

TEST_CASE("sql references: columns, relations, aliases, functions", "[policy][sql]") {
  auto r = analyze_sql("SELECT lower(c.email), count(*) FROM public.customers AS c WHERE ssn LIKE '1%'");
  REQUIRE(r);
  CHECK(r->columns == std::set<std::string>{"email", "ssn"});
  CHECK(r->relations == std::set<std::string>{"customers", "c"});
  // c.email may also be email(c) (attribute notation), so its name counts as a call too; LIKE
  // runs the operator ~~.
  CHECK(r->functions == std::set<std::string>{"lower", "count", "email", "~~"});
  CHECK_FALSE(r->whole_row);
}

TEST_CASE("sql references: attribute notation counts as a function call", "[policy][sql]") {
  CHECK(analyze_sql("SELECT (16384::oid).lo_get")->functions.contains("lo_get"));
  CHECK(analyze_sql("SELECT ('/etc/hostname'::text).pg_read_file")->functions.contains("pg_read_file"));
  CHECK(analyze_sql("SELECT c.query_to_xml FROM (SELECT 'select 1'::text) c")->functions.contains("query_to_xml"));
  CHECK_FALSE(analyze_sql("SELECT id FROM customers")->functions.contains("id"));
}

TEST_CASE("sql references: called functions and operators, not attribute notation", "[policy][sql]") {
  auto r = analyze_sql("SELECT c.email, lower(x) FROM t c WHERE a ### b AND c.n BETWEEN 1 AND 2 AND d ~~ 'x'");
  REQUIRE(r);
  CHECK(r->called_functions == std::set<std::string>{"lower", "###", "~~"});   // c.email may be a column
  CHECK(r->functions.contains("email"));
  CHECK(r->functions.contains("###"));
  CHECK(analyze_sql("CALL archive_orders(3)")->called_functions.contains("archive_orders"));
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

TEST_CASE("sql references: predicate columns decide which rows come back or their order", "[policy][sql]") {
  auto r = analyze_sql(
      "SELECT c.id, email FROM customers c JOIN orders o ON o.customer_id = c.id AND c.city = 'x' "
      "WHERE ssn LIKE '1%' GROUP BY c.id, email HAVING max(last_name) > 'a' ORDER BY first_name");
  REQUIRE(r);
  CHECK(r->predicate_columns == std::set<std::string>{"customer_id", "id", "city", "ssn", "email", "last_name",
                                                       "first_name"});
  CHECK(analyze_sql("SELECT email FROM customers")->predicate_columns.empty());
  CHECK(analyze_sql("SELECT row_number() OVER (PARTITION BY phone) FROM customers")->predicate_columns.contains("phone"));
  CHECK(analyze_sql("SELECT count(*) FILTER (WHERE ssn > '5') FROM customers")->predicate_columns.contains("ssn"));
}

TEST_CASE("sql references: predicates hidden behind positions, aliases, USING, LIMIT and whole rows",
          "[policy][sql]") {
  const auto predicates = [](const char* sql) {
    auto r = analyze_sql(sql);
    REQUIRE(r);
    return r->predicate_columns;
  };
  CHECK(predicates("SELECT id, ssn FROM customers ORDER BY 2").contains("ssn"));
  CHECK(predicates("SELECT id, ssn AS x FROM customers ORDER BY x").contains("ssn"));
  CHECK(predicates("SELECT lower(email) AS e, count(*) FROM customers GROUP BY e").contains("email"));
  CHECK(predicates("SELECT DISTINCT ON (1) email, id FROM customers").contains("email"));
  CHECK_FALSE(predicates("SELECT id, ssn FROM customers ORDER BY 1").contains("ssn"));
  CHECK(predicates("SELECT c.id FROM customers c JOIN customers d USING (email)").contains("email"));
  CHECK(predicates("SELECT id FROM customers LIMIT (SELECT length(ssn) FROM customers WHERE id = 1)").contains("ssn"));
  CHECK(predicates("SELECT id FROM customers OFFSET (SELECT ascii(ssn) FROM customers LIMIT 1)").contains("ssn"));
  CHECK(predicates("SELECT c.id FROM customers c, generate_series(1, length(c.ssn)) g").contains("ssn"));
  CHECK(analyze_sql("SELECT id FROM customers c WHERE c::text LIKE '%1%'")->predicate_any);
  CHECK(analyze_sql("SELECT id FROM customers c WHERE (c).ssn LIKE '1%'")->predicate_any);
  CHECK(analyze_sql("SELECT id FROM customers c WHERE row_to_json(c.*)::text LIKE '%1%'")->predicate_any);
  CHECK(analyze_sql("SELECT * FROM customers ORDER BY 3")->predicate_any);
  CHECK(analyze_sql("SELECT id FROM customers NATURAL JOIN people")->predicate_any);
  CHECK_FALSE(analyze_sql("SELECT id, row_to_json(c) FROM customers c WHERE id = 1")->predicate_any);
}

TEST_CASE("sql references: stars that may come out computed, NATURAL joins", "[policy][sql]") {
  CHECK_FALSE(analyze_sql("SELECT * FROM customers")->nested_star);
  CHECK_FALSE(analyze_sql("CREATE TABLE t AS SELECT * FROM customers")->nested_star);
  CHECK(analyze_sql("SELECT * FROM customers UNION ALL SELECT * FROM customers")->nested_star);
  CHECK(analyze_sql("TABLE customers UNION TABLE customers")->nested_star);
  CHECK(analyze_sql("SELECT c || '' FROM (SELECT * FROM customers) AS q(a, b, c)")->nested_star);
  CHECK(analyze_sql("WITH x(a, b) AS (SELECT * FROM customers) SELECT b || '' FROM x")->nested_star);
  CHECK(analyze_sql("SELECT x.* FROM customers c, LATERAL (SELECT c.*) x")->nested_star);
  CHECK(analyze_sql("SELECT * FROM customers NATURAL FULL JOIN people")->natural_join);
  CHECK(analyze_sql("SELECT id, ssn FROM customers UNION SELECT 1, 'x' ORDER BY 2")->predicate_columns.contains("ssn"));
}

TEST_CASE("sql references: statements that store rows, functions the session creates", "[policy][sql]") {
  CHECK(analyze_sql("CREATE TEMP TABLE t AS SELECT ssn FROM customers")->writes);
  CHECK(analyze_sql("SELECT ssn INTO TEMP t FROM customers")->writes);
  CHECK(analyze_sql("INSERT INTO notes SELECT email FROM customers")->writes);
  CHECK(analyze_sql("UPDATE notes SET body = (SELECT email FROM customers LIMIT 1)")->writes);
  CHECK(analyze_sql("CREATE TEMP VIEW v AS SELECT ssn AS x FROM customers")->writes);
  CHECK_FALSE(analyze_sql("SELECT ssn FROM customers")->writes);
  CHECK_FALSE(analyze_sql("DELETE FROM notes WHERE id = 1")->writes);
  CHECK(analyze_sql("ALTER TABLE customers RENAME COLUMN first_name TO x")->redefines);
  CHECK(analyze_sql("ALTER TABLE customers ADD COLUMN x text GENERATED ALWAYS AS (first_name) STORED")->redefines);
  CHECK(analyze_sql("ALTER TABLE customers SET SCHEMA archive")->redefines);
  CHECK(analyze_sql("CREATE TRIGGER t AFTER INSERT ON customers FOR EACH ROW EXECUTE FUNCTION f()")->redefines);
  CHECK_FALSE(analyze_sql("CREATE TABLE notes (id int)")->redefines);
  // Defaults are evaluated into rows later: a table or domain definition stores what it computes.
  CHECK(analyze_sql("CREATE TEMP TABLE t (x text DEFAULT current_setting('a.b'))")->writes);
  CHECK(analyze_sql("CREATE DOMAIN d AS text DEFAULT f()")->writes);
  const auto f = analyze_sql("CREATE FUNCTION pg_temp.leak() RETURNS text LANGUAGE sql AS 'SELECT 1'");
  REQUIRE(f);
  CHECK(f->created_functions == std::set<std::string>{"leak"});
}

TEST_CASE("sql references: renamed columns, DO blocks, SHOW, PREPARE/EXECUTE", "[policy][sql]") {
  CHECK(analyze_sql("SELECT upper(f) FROM customers AS c(i, f)")->renamed_columns);
  CHECK(analyze_sql("SELECT j.a FROM (customers JOIN orders USING (id)) AS j(a)")->renamed_columns);
  CHECK_FALSE(analyze_sql("SELECT x FROM (VALUES (1)) v(x)")->renamed_columns);
  CHECK_FALSE(analyze_sql("SELECT g FROM generate_series(1, 3) AS g(n)")->renamed_columns);
  CHECK(analyze_sql("DO $$ BEGIN RAISE NOTICE 'x'; END $$")->procedural);
  CHECK(analyze_sql("SHOW search_path")->shows_setting);
  auto p = analyze_sql("PREPARE p1(int) AS SELECT upper(ssn) FROM customers WHERE id = $1");
  REQUIRE(p);
  CHECK(p->prepared_statements == std::set<std::string>{"p1"});
  CHECK(p->columns.contains("ssn"));
  CHECK(analyze_sql("EXECUTE p1(3)")->executed_statements == std::set<std::string>{"p1"});
}
