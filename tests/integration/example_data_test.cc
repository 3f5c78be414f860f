// examples/schema.sql and examples/roles.sql: the data the demo, the integration tests and the
// benchmarks mask. The masking tests rely on these properties (valid checksums so detectors fire,
// reserved domains and ranges so nothing is real, determinism so expected outputs stay put).
#include <catch2/catch.hpp>
#include <string>

#include "support/example_shop.h"
#include "support/pg_cluster.h"
#include "support/pq.h"

using Catch::Matchers::Contains;
using testsupport::PgCluster;
using testsupport::PgConn;

namespace {

const std::string kSourceDir = PGVEIL_SOURCE_DIR;

void load_example(PgCluster& cluster, const std::string& db) {
  testsupport::load_example_shop(cluster, db);
}

bool luhn_valid(const std::string& number) {
  int sum = 0, digits = 0;
  for (auto it = number.rbegin(); it != number.rend(); ++it) {
    if (*it == ' ') continue;
    if (*it < '0' || *it > '9') return false;
    int d = *it - '0';
    if (digits++ % 2 == 1) d = d * 2 > 9 ? d * 2 - 9 : d * 2;
    sum += d;
  }
  return digits >= 13 && sum % 10 == 0;
}

// ISO 13616: country code and check digits move to the end, letters become 10..35, mod 97 == 1.
bool iban_valid(const std::string& formatted) {
  std::string iban;
  for (char c : formatted) {
    if (c != ' ') iban += c;
  }
  if (iban.size() < 15 || iban.size() > 34) return false;
  const std::string rearranged = iban.substr(4) + iban.substr(0, 4);
  int remainder = 0;
  for (char c : rearranged) {
    const int value = c >= 'A' && c <= 'Z' ? c - 'A' + 10 : c - '0';
    if (value < 0 || value > 35) return false;
    remainder = (remainder * (value >= 10 ? 100 : 10) + value) % 97;
  }
  return remainder == 1;
}

std::string fingerprint(PgConn& conn) {
  return conn.value(
      "SELECT md5(string_agg(t, '|')) FROM ("
      " SELECT (SELECT md5(string_agg(c::text, ',' ORDER BY id)) FROM customers c) AS t"
      " UNION ALL SELECT (SELECT md5(string_agg(o::text, ',' ORDER BY id)) FROM orders o)"
      " UNION ALL SELECT (SELECT md5(string_agg(p::text, ',' ORDER BY id)) FROM payments p)"
      " UNION ALL SELECT (SELECT md5(string_agg(s::text, ',' ORDER BY id)) FROM support_tickets s)"
      ") AS parts");
}

}  // namespace

TEST_CASE("examples: schema.sql generates realistic, fake, deterministic PII", "[examples][pg]") {
  auto& cluster = PgCluster::shared();
  load_example(cluster, "harness_shop_a");
  auto conn = PgConn::must_connect(cluster.conninfo("harness_shop_a"));

  CHECK(conn.value("SELECT count(*) FROM customers") == "10000");
  CHECK(conn.value("SELECT count(*) FROM orders") == "30000");
  CHECK(std::stoi(conn.value("SELECT count(*) FROM payments")) > 20000);
  CHECK(conn.value("SELECT count(*) FROM support_tickets") == "3000");
  CHECK(conn.value("SELECT count(DISTINCT email) FROM customers") == "10000");

  SECTION("nothing real: reserved domains and documentation address ranges") {
    CHECK(conn.value("SELECT count(*) FROM customers WHERE email !~ '@(mail\\.)?example\\.(com|org|net)$'") == "0");
    CHECK(conn.value("SELECT count(*) FROM customers WHERE NOT (ip_address << inet '192.0.2.0/24'"
                     " OR ip_address << inet '198.51.100.0/24' OR ip_address << inet '203.0.113.0/24'"
                     " OR ip_address << inet '2001:db8::/32')") == "0");
    CHECK(conn.value("SELECT count(*) FROM customers WHERE country = 'US' AND phone !~ ' 555-01[0-9]{2}$'") == "0");
    CHECK(conn.value("SELECT count(*) FROM customers WHERE ssn !~ '^[1-6][0-9]{2}-[0-9]{2}-[0-9]{4}$'") == "0");
  }
  SECTION("card numbers pass Luhn, IBANs pass mod 97") {
    const auto cards = conn.must("SELECT card_number FROM customers WHERE card_number IS NOT NULL"
                                 " UNION ALL SELECT card_number FROM payments WHERE card_number IS NOT NULL");
    REQUIRE(cards.size() > 8000);
    int bad_cards = 0;
    for (const auto& row : cards) bad_cards += luhn_valid(*row[0]) ? 0 : 1;
    CHECK(bad_cards == 0);
    CHECK_FALSE(luhn_valid("4111111111111112"));  // the checker itself can say no

    const auto ibans = conn.must("SELECT iban FROM customers WHERE iban IS NOT NULL"
                                 " UNION ALL SELECT iban FROM payments WHERE iban IS NOT NULL");
    REQUIRE(ibans.size() > 8000);
    int bad_ibans = 0;
    for (const auto& row : ibans) bad_ibans += iban_valid(*row[0]) ? 0 : 1;
    CHECK(bad_ibans == 0);
    CHECK(iban_valid("GB82 WEST 1234 5698 7654 32"));  // the ISO 13616 example
    CHECK_FALSE(iban_valid("GB82 WEST 1234 5698 7654 33"));
  }
  SECTION("free text embeds contact details, names are not all ASCII") {
    CHECK(std::stoi(conn.value("SELECT count(*) FROM customers WHERE notes ~ '@example\\.'")) > 500);
    CHECK(std::stoi(conn.value("SELECT count(*) FROM customers WHERE notes ~ '\\+[0-9]+ '")) > 300);
    CHECK(std::stoi(conn.value("SELECT count(*) FROM support_tickets WHERE body ~ '@'")) > 500);
    CHECK(std::stoi(conn.value("SELECT count(*) FROM support_tickets WHERE body ~ '\\+[0-9]'")) > 500);
    CHECK(std::stoi(conn.value("SELECT count(*) FROM customers WHERE first_name || last_name ~ '[^ -~]'")) > 1000);
    CHECK(std::stoi(conn.value("SELECT count(*) FROM customers WHERE iban IS NULL")) > 500);
  }
  SECTION("loading twice gives identical data") {
    load_example(cluster, "harness_shop_b");
    auto other = PgConn::must_connect(cluster.conninfo("harness_shop_b"));
    CHECK(fingerprint(conn) == fingerprint(other));
  }
}

TEST_CASE("examples: roles.sql gives least-privilege upstream logins", "[examples][pg]") {
  auto& cluster = PgCluster::shared();
  load_example(cluster, "harness_shop_roles");

  auto support = PgConn::connect(cluster.conninfo("harness_shop_roles", "support_ro", "support-secret"));
  REQUIRE(support.has_value());
  CHECK(support->value("SELECT count(*) FROM customers") == "10000");
  const auto write = support->query("UPDATE customers SET notes = 'x' WHERE id = 1");
  REQUIRE_FALSE(write.has_value());
  CHECK(write.error().sqlstate == "25006");  // read_only_sql_transaction
  const auto explicit_write = support->query(
      "BEGIN READ WRITE; DELETE FROM orders WHERE id = 1");
  REQUIRE_FALSE(explicit_write.has_value());
  CHECK(explicit_write.error().sqlstate == "42501");  // no privilege even in a read-write transaction
  support->must("ROLLBACK");
  const auto file = support->query("SELECT pg_read_file('/etc/hostname')");
  REQUIRE_FALSE(file.has_value());
  CHECK(file.error().sqlstate == "42501");

  auto dba = PgConn::connect(cluster.conninfo("harness_shop_roles", "dba", "dba-secret"));
  REQUIRE(dba.has_value());
  CHECK(dba->value("BEGIN; DELETE FROM support_tickets WHERE id = 1 RETURNING id") == "1");
  dba->must("ROLLBACK");
  const auto dba_file = dba->query("SELECT pg_read_file('/etc/hostname')");
  REQUIRE_FALSE(dba_file.has_value());
  CHECK(dba_file.error().sqlstate == "42501");
  CHECK(cluster.query_value("SELECT rolsuper::text FROM pg_roles WHERE rolname = 'dba'") == "false");

  // Wrong password: refused (SCRAM verifiers, see pg_hba.conf of the test cluster).
  const auto wrong = PgConn::connect(cluster.conninfo("harness_shop_roles", "support_ro", "guess"));
  REQUIRE_FALSE(wrong.has_value());
  CHECK(wrong.error().sqlstate == "28P01");
  CHECK(cluster.query_value("SELECT left(rolpassword, 13) FROM pg_authid WHERE rolname = 'support_ro'") ==
        "SCRAM-SHA-256");

  // Without the password variables the script stops with a clear message.
  const auto missing = cluster.psql({"-q", "-f", kSourceDir + "/examples/roles.sql"}, "harness_shop_roles");
  CHECK(missing.exit_code != 0);
  CHECK_THAT(missing.err, Contains("support_ro_password"));
}
