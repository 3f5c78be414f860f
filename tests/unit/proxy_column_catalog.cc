// ColumnCatalog: what each view column shows, from the origins and reads the loader collects.
#include <catch2/catch.hpp>

#include <optional>
#include <string>
#include <vector>

#include "masking_test_support.h"
#include "policy/sql_references.h"
#include "proxy/column_catalog.h"
#include "proxy/statement_risk.h"

namespace {

constexpr std::uint32_t kCustomers = 100, kView = 200, kViewOfView = 300;

void add(proxy::ColumnCatalog& catalog, std::uint32_t oid, int attnum, const std::string& table,
         const std::string& column, const std::string& kind, const std::string& type = "25",
         const std::string& type_names = "text", const std::string& parents = "") {
  const std::vector<std::string> texts{std::to_string(oid), std::to_string(attnum), "public", table, column, kind,
                                       type, type_names, parents};
  std::vector<pgwire::Value> values;
  for (const auto& t : texts) values.emplace_back(pgwire::as_bytes(t));
  std::string message;
  pgwire::encode_data_row(message, values);
  auto row = pgwire::parse_data_row(pgwire::as_bytes(std::string_view(message).substr(5)));
  REQUIRE(row);
  REQUIRE(catalog.add_row(*row));
}

}  // namespace

TEST_CASE("column catalog: view columns resolve to the table columns they show", "[proxy][masking]") {
  proxy::ColumnCatalog catalog;
  add(catalog, kCustomers, 1, "customers", "id", "r");
  add(catalog, kCustomers, 2, "customers", "ssn", "r");
  add(catalog, kView, 1, "contacts", "tax_id", "v");   // customers.ssn as is
  add(catalog, kView, 2, "contacts", "shout", "v");    // upper(ssn)
  add(catalog, kViewOfView, 1, "again", "t", "v");     // contacts.tax_id as is
  catalog.add_view_origin(kView, 1, kCustomers, 2);
  catalog.add_view_origin(kView, 2, 0, 0);
  catalog.add_view_read(kView, kCustomers, 1);
  catalog.add_view_read(kView, kCustomers, 2);
  catalog.add_view_origin(kViewOfView, 1, kView, 1);
  catalog.add_view_read(kViewOfView, kView, 1);
  catalog.add_user_function("ssn_of");
  catalog.resolve_views();

  const auto table = catalog.find(kCustomers, 2);
  REQUIRE(table);
  CHECK_FALSE(table->view);
  const auto plain = catalog.find(kView, 1);
  REQUIRE(plain);
  CHECK(plain->view);
  CHECK(plain->plain);
  REQUIRE(plain->reads.size() == 1);
  CHECK(plain->reads[0].column == "ssn");
  const auto computed = catalog.find(kView, 2);
  REQUIRE(computed);
  CHECK_FALSE(computed->plain);
  CHECK(computed->reads.size() == 2);   // every column the view reads
  const auto through = catalog.find(kViewOfView, 1);
  REQUIRE(through);
  CHECK(through->plain);
  CHECK(through->reads.at(0).table == "customers");
  CHECK(through->reads.at(0).column == "ssn");
  CHECK(catalog.is_user_function("ssn_of"));
  CHECK_FALSE(catalog.is_user_function("upper"));
  CHECK_FALSE(catalog.find(kCustomers, 9).has_value());
}

TEST_CASE("statement risk: type rules and view aliases hold through expressions", "[proxy][masking]") {
  constexpr std::uint32_t kHosts = 400, kInet = 869;
  proxy::ColumnCatalog catalog;
  add(catalog, kCustomers, 1, "customers", "id", "r", "23", "int4");
  add(catalog, kCustomers, 2, "customers", "ssn", "r");
  add(catalog, kCustomers, 3, "customers", "contact", "r", "25", "email_address\x1ftext");   // a domain over text
  add(catalog, kHosts, 1, "hosts", "ip", "r", std::to_string(kInet), "inet");
  add(catalog, 500, 1, "customers_2024", "ssn", "r", "25", "text", "public\x1e" "customers");   // a partition
  add(catalog, kView, 1, "contacts", "tax_id", "v");   // customers.ssn as is
  catalog.add_view_origin(kView, 1, kCustomers, 2);
  catalog.add_view_read(kView, kCustomers, 2);
  catalog.resolve_views();
  const auto by_name = catalog.find_by_name("contact");
  REQUIRE(by_name.size() == 1);
  CHECK(by_name[0]->type_names == std::vector<std::string>{"email_address", "text"});
  const auto partition = catalog.find(500, 1);
  REQUIRE(partition);
  CHECK(partition->parents == std::vector<std::pair<std::string, std::string>>{{"public", "customers"}});
  CHECK(masking::rule_covering(*masking::test::load_profile(
                                   "profiles:\n  q:\n    columns:\n      - match: { table: public.customers, column: ssn }\n"
                                   "        mask: redact\n",
                                   "q"),
                               *partition) != nullptr);

  const auto profile = masking::test::load_profile(R"(
keys: { hmac: { env: K } }
profiles:
  p:
    columns:
      - match: { type: inet }
        mask: redact
      - match: { user_type: Email_Address }
        mask: email
      - match: { table: public.customers, column: ssn }
        mask: redact
    refuse_predicates: true
)",
                                                   "p");
  const auto risk = [&](const std::string& sql) {
    auto refs = policy::analyze_sql(sql);
    REQUIRE(refs);
    return proxy::assess_sql(*profile, *refs, &catalog);
  };
  CHECK(risk("SELECT ip::text FROM hosts").derived);            // a type rule holds through a cast
  CHECK(risk("SELECT host(ip) FROM hosts").derived);
  CHECK(risk("SELECT upper(contact) FROM customers").derived);  // and a user_type (domain) rule
  CHECK(risk("SELECT tax_id || '' FROM contacts").derived);     // a view's alias of a masked column
  CHECK_FALSE(risk("SELECT id + 1 FROM customers").derived);
  CHECK_FALSE(risk("SELECT id::text FROM customers").derived);
  CHECK(risk("SELECT id FROM hosts h JOIN customers c ON true ORDER BY ip").refusal.size() > 0);
  CHECK(risk("SELECT id FROM contacts WHERE tax_id LIKE '1%'").refusal.size() > 0);
  CHECK(risk("SELECT id FROM customers WHERE id < 3").refusal.empty());
}

TEST_CASE("statement risk: functions unknown to the catalog or volatile ones", "[proxy][masking]") {
  proxy::ColumnCatalog catalog;
  add(catalog, kCustomers, 1, "customers", "id", "r");
  add(catalog, kCustomers, 2, "customers", "ssn", "r");
  catalog.add_function("upper", false, false);
  catalog.add_function("pg_advisory_lock", false, true);
  catalog.add_function("random", false, true);
  catalog.add_function("=", false, false);
  catalog.add_function("ssn_of", true, false);
  catalog.resolve_views();
  CHECK(catalog.is_known_function("upper"));
  CHECK_FALSE(catalog.is_known_function("made_later"));
  CHECK(catalog.is_volatile_function("pg_advisory_lock"));
  CHECK(catalog.is_user_function("ssn_of"));
  const auto profile = masking::test::load_profile(
      "profiles:\n  q:\n    columns:\n      - match: { table: public.customers, column: ssn }\n        mask: redact\n",
      "q");
  const auto risk = [&](const std::string& sql) {
    auto refs = policy::analyze_sql(sql);
    REQUIRE(refs);
    return proxy::assess_sql(*profile, *refs, &catalog);
  };
  // Created after the catalog was loaded (by another session, say): unknown code.
  CHECK(risk("SELECT made_later(1)").derived);
  CHECK_FALSE(risk("SELECT made_later(1)").effect_refusal.empty());
  CHECK(risk("SELECT 1 FROM customers WHERE id <<<>>> 2").derived);   // an operator made later
  CHECK_FALSE(risk("SELECT upper(c.id::text) FROM customers c WHERE c.id = 1").derived);   // c.id: a column
  CHECK_FALSE(risk("SELECT pg_advisory_lock(ascii(ssn)) FROM customers").effect_refusal.empty());
  CHECK(risk("SELECT pg_advisory_lock(id) FROM customers").effect_refusal.empty());
  CHECK(risk("SELECT ssn FROM customers ORDER BY random()").effect_refusal.empty());
  CHECK_FALSE(risk("SELECT ssn_of(1)").effect_refusal.empty());   // a user-defined function: any effect
}
