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

proxy::SqlRisk risk(const std::string& profile, const std::string& sql) {
  const auto p = masking::test::load_profile(kRules, profile);
  auto refs = policy::analyze_sql(sql);
  REQUIRE(refs);
  return proxy::assess_sql(*p, *refs, nullptr);
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
