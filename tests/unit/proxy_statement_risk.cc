// What a statement may reveal under a masking profile (proxy/statement_risk.h): names from the
// parser against the profile's rules.
#include <catch2/catch.hpp>

#include "masking_test_support.h"
#include "policy/sql_references.h"
#include "proxy/statement_risk.h"

namespace {

const char* const kRules = R"(
keys: { hmac: { env: K } }
profiles:
  p:
    columns:
      - match: { table: public.customers, column: ssn }
        mask: redact
      - match: { name: '(?i)^e-?mail' }
        mask: email
  strict:
    columns:
      - match: { table: public.customers, column: ssn }
        mask: redact
    refuse_predicates: true
  detect_only:
    values: { detect: [email] }
)";

proxy::SqlRisk risk(const std::string& profile, const std::string& sql, const proxy::SessionFacts& session = {}) {
  const auto p = masking::test::load_profile(kRules, profile);
  auto refs = policy::analyze_sql(sql);
  REQUIRE(refs);
  return proxy::assess_sql(*p, *refs, nullptr, session);
}

}  // namespace

TEST_CASE("statement risk: reads of masked columns, whole rows, renames, DO", "[proxy][masking]") {
  CHECK_FALSE(risk("p", "SELECT id, city FROM customers").derived);
  CHECK(risk("p", "SELECT upper(ssn) FROM customers").derived);
  CHECK(risk("p", "SELECT lower(\"Email\") FROM customers").derived);
  CHECK(risk("p", "SELECT c::text FROM customers c").derived);
  CHECK(risk("p", "SELECT upper(f) FROM customers c(i, f)").derived);
  CHECK(risk("p", "DO $$ BEGIN NULL; END $$").derived);
  CHECK(risk("p", "SELECT query_to_xml('select 1', true, false, '')").derived);
  CHECK_FALSE(risk("p", "SELECT id FROM customers").copy_unsafe);
  CHECK(risk("p", "SELECT * FROM customers").copy_unsafe);
  CHECK(risk("p", "COPY customers TO STDOUT").copy_unsafe);
  CHECK_FALSE(risk("detect_only", "SELECT upper(email) FROM customers").derived);   // no column rules
}

TEST_CASE("statement risk: predicates refused only under refuse_predicates", "[proxy][masking]") {
  CHECK(risk("p", "SELECT id FROM customers WHERE ssn LIKE '1%'").refusal.empty());
  const auto r = risk("strict", "SELECT id FROM customers WHERE ssn LIKE '1%'");
  CHECK_THAT(r.refusal, Catch::Contains("\"ssn\"") && Catch::Contains("line") && Catch::Contains("strict"));
  CHECK(risk("strict", "SELECT id FROM customers ORDER BY ssn").refusal.size() > 0);
  CHECK(risk("strict", "SELECT ssn FROM customers WHERE id = 1").refusal.empty());
}

TEST_CASE("statement risk: planner statistics are refused whole", "[proxy][masking]") {
  CHECK_THAT(risk("p", "SELECT most_common_vals FROM pg_stats").refusal, Catch::Contains("pg_stats"));
  CHECK_THAT(risk("detect_only", "SELECT * FROM pg_catalog.pg_stats_ext").refusal, Catch::Contains("pg_stats_ext"));
}

TEST_CASE("statement risk: storing, notifying or redefining masked columns is refused before it runs",
          "[proxy][masking]") {
  CHECK_FALSE(risk("p", "CREATE TEMP TABLE t AS SELECT ssn FROM customers").write_refusal.empty());
  CHECK_FALSE(risk("p", "SELECT ssn INTO TEMP t FROM customers").write_refusal.empty());
  CHECK_FALSE(risk("p", "INSERT INTO t SELECT * FROM customers").write_refusal.empty());
  CHECK_FALSE(risk("p", "CREATE VIEW v AS SELECT email AS x FROM customers").write_refusal.empty());
  CHECK(risk("p", "INSERT INTO t SELECT id, city FROM customers").write_refusal.empty());
  CHECK(risk("p", "INSERT INTO customers (ssn) VALUES ('x')").write_refusal.empty());
  CHECK_FALSE(risk("p", "SELECT pg_notify('c', ssn) FROM customers").write_refusal.empty());
  CHECK(risk("p", "SELECT pg_notify('c', city) FROM customers").write_refusal.empty());
  CHECK_FALSE(risk("p", "ALTER TABLE customers RENAME COLUMN ssn TO x").write_refusal.empty());
  CHECK(risk("detect_only", "ALTER TABLE customers RENAME COLUMN ssn TO x").write_refusal.empty());   // no column rules
}

TEST_CASE("statement risk: nested stars, NATURAL joins and hidden predicates", "[proxy][masking]") {
  CHECK(risk("p", "SELECT * FROM customers UNION ALL SELECT * FROM customers").derived);
  CHECK(risk("p", "SELECT * FROM customers NATURAL FULL JOIN people").derived);
  CHECK_FALSE(risk("p", "SELECT * FROM customers").derived);
  CHECK_FALSE(risk("p", "SELECT x FROM (VALUES (1)) v(x)").derived);
  CHECK(risk("strict", "SELECT id, ssn FROM customers ORDER BY 2").refusal.size() > 0);
  CHECK(risk("strict", "SELECT id, ssn AS s FROM customers ORDER BY s").refusal.size() > 0);
  CHECK(risk("strict", "SELECT id FROM customers c WHERE c::text LIKE '%1%'").refusal.size() > 0);
  CHECK(risk("strict", "SELECT c.id FROM customers c JOIN people p USING (ssn)").refusal.size() > 0);
  CHECK(risk("strict", "SELECT id FROM customers LIMIT (SELECT length(ssn) FROM customers LIMIT 1)").refusal.size() > 0);
  CHECK(risk("strict", "SELECT id, ssn FROM customers ORDER BY 1").refusal.empty());
}

TEST_CASE("statement risk: what a statement reading masked columns does besides its result is refused before it runs",
          "[proxy][masking]") {
  // pg_advisory_lock(k) leaves k in pg_locks, set_config in a setting, setseed in random()'s
  // sequence, pg_sleep in the time the statement takes.
  const auto lock = risk("p", "SELECT pg_advisory_lock(replace(ssn, '-', '')::bigint) FROM customers WHERE id = 1");
  CHECK_THAT(lock.effect_refusal, Catch::Contains("\"ssn\"") && Catch::Contains("line") &&
                                      Catch::Contains("pg_advisory_lock"));
  CHECK_FALSE(risk("p", "SELECT id FROM customers WHERE pg_try_advisory_lock(ascii(email))").effect_refusal.empty());
  CHECK_FALSE(risk("p", "SELECT setseed(ascii(ssn) / 255.0) FROM customers").effect_refusal.empty());
  CHECK_FALSE(risk("p", "SELECT pg_sleep(ascii(ssn) - 48) FROM customers WHERE id = 1").effect_refusal.empty());
  CHECK_FALSE(risk("p", "SELECT set_config('a.b', ssn, false) FROM customers").effect_refusal.empty());
  CHECK(risk("p", "SELECT pg_advisory_lock(id) FROM customers").effect_refusal.empty());   // reads nothing masked
  CHECK(risk("p", "SELECT ssn, random() FROM customers").effect_refusal.empty());          // effects on nothing
  // DO blocks run code the parser does not see into: set_config, locks, temp tables ...
  CHECK_FALSE(risk("p", "DO $$ BEGIN PERFORM set_config('a.b', 'x', false); END $$").effect_refusal.empty());
  CHECK(risk("detect_only", "DO $$ BEGIN NULL; END $$").effect_refusal.empty());   // no column rules
  // A function the session created may do anything.
  const std::set<std::string> created{"leak"};
  CHECK_FALSE(risk("p", "SELECT id FROM orders WHERE leak(id) IS NULL", {&created}).effect_refusal.empty());
}

TEST_CASE("statement risk: query texts run by functions, what EXECUTE stores, tainted defaults", "[proxy][masking]") {
  CHECK(risk("p", "SELECT word FROM ts_stat('SELECT name::tsvector FROM customers')").derived);
  CHECK(risk("p", "SELECT ts_rewrite('a'::tsquery, 'SELECT x, y FROM t')").derived);
  // CREATE TABLE ... AS EXECUTE p stores what p reads.
  proxy::SessionFacts executed;
  executed.inherited.derived = executed.inherited.copy_unsafe = true;
  CHECK_FALSE(risk("p", "CREATE TEMP TABLE t AS EXECUTE p", executed).write_refusal.empty());
  CHECK(risk("p", "CREATE TEMP TABLE t AS EXECUTE p").write_refusal.empty());
  // After set_config, a default that reads the setting would store it in every new row.
  proxy::SessionFacts tainted;
  tainted.settings_tainted = true;
  CHECK_FALSE(risk("p", "CREATE TEMP TABLE t (x text DEFAULT current_setting('a.b'))", tainted).write_refusal.empty());
  CHECK(risk("p", "CREATE TEMP TABLE t (x text DEFAULT current_setting('a.b'))").write_refusal.empty());
  CHECK(risk("p", "CREATE TEMP TABLE t (id int, note text)", tainted).write_refusal.empty());
}
