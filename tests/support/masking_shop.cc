#include "support/masking_shop.h"

#include <stdexcept>

#include "support/example_shop.h"
#include "support/files.h"
#include "support/pg_cluster.h"
#include "support/pq.h"

namespace testsupport::masking_shop {
namespace {

// What the adversary finds: views and functions a superuser created over the masked columns,
// fresh statistics, and the typed table of the mask matrix.
constexpr std::string_view kObjects = R"sql(
CREATE OR REPLACE VIEW customer_contacts AS
  SELECT id, ssn AS tax_id, first_name AS given, email AS contact, city FROM customers;
CREATE OR REPLACE VIEW contact_digest AS
  SELECT id, upper(ssn) AS shout, first_name || ' ' || last_name AS full_name, city FROM customers;
CREATE OR REPLACE VIEW contacts_again AS SELECT id, tax_id AS t, city FROM customer_contacts;
CREATE OR REPLACE FUNCTION ssn_of(cid int) RETURNS text LANGUAGE sql STABLE
  AS $$ SELECT ssn FROM customers WHERE id = cid $$;
CREATE OR REPLACE FUNCTION customers_named(p text) RETURNS SETOF customers LANGUAGE sql STABLE
  AS $$ SELECT * FROM customers WHERE last_name LIKE p $$;
CREATE OR REPLACE VIEW order_owners AS SELECT id, customer_id, ssn_of(customer_id) AS owner FROM orders;
GRANT SELECT ON customer_contacts, contact_digest, contacts_again, order_owners TO support_ro;
DROP TABLE IF EXISTS handles;
DROP DOMAIN IF EXISTS contact_handle;
DROP DOMAIN IF EXISTS handle_base;
CREATE DOMAIN handle_base AS text;
CREATE DOMAIN contact_handle AS handle_base CHECK (VALUE LIKE 'h:%');
CREATE TABLE handles (id int PRIMARY KEY, handle contact_handle);
INSERT INTO handles SELECT id, 'h:' || email FROM customers WHERE id <= 25;
GRANT SELECT ON handles TO support_ro;
DROP TABLE IF EXISTS tax_records;
CREATE TABLE tax_records (id int, tax_ref text) PARTITION BY RANGE (id);
CREATE TABLE tax_records_low PARTITION OF tax_records FOR VALUES FROM (0) TO (13);
CREATE TABLE tax_records_high PARTITION OF tax_records FOR VALUES FROM (13) TO (1000);
INSERT INTO tax_records SELECT id, 'ref ' || last_name FROM customers WHERE id <= 25;
GRANT SELECT ON tax_records, tax_records_low, tax_records_high TO support_ro;
ANALYZE customers;

DROP TABLE IF EXISTS mask_matrix;
CREATE TABLE mask_matrix (
  id int PRIMARY KEY,
  r_text text, n_text text, p_text text, e_text text, h_text text, t_text text, x_text text,
  g_date date, g_int int4, h_int int4, h_bigint int8, t_numeric numeric, r_ts timestamptz,
  h_uuid uuid, e_json jsonb, p_array text[], free text);
INSERT INTO mask_matrix VALUES
  (1, 'Jürgen Müller', '078-05-1120', '4111-1111-1111-1111', 'jane.doe@example.com', 'Ångström', 'AB-1234 x', 'call 555-0142',
   '1985-03-14', 4217, 123456, 9876543210, 12345.67, '2024-02-29 13:45:00+00',
   'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '{"to": "jane.doe@example.com", "n": 3}', '{alpha,"beta gamma",NULL}',
   'write to sam.smith@example.org or call +49 30 5550142'),
  (2, NULL, 'x', 'ab', 'not-an-email', 'Jürgen Müller', 'Z9', '2024', '2000-12-31', -15, -7, -1, -0.5,
   '1999-12-31 23:59:59+00', '00000000-0000-0000-0000-000000000000', '[1, "bob@example.net"]', '{}',
   'nothing personal here');
GRANT SELECT ON mask_matrix TO support_ro, dba;
)sql";

std::string column_rules() {
  return R"(      columns:
        - match: { table: public.customers, column: ssn }
          mask: { partial: { keep_last: 4 } }
        - match: { name: '(?i)^e-?mail' }
          mask: email
        - match: { name: '(?i)^(first|last)_?name$' }
          mask: { hash: { length: 12 } }
        - match: { table: public.customers, column: date_of_birth }
          mask: { generalize: { date: year } }
        - match: { name: '(?i)^(iban|card_number|phone)$' }
          mask: { partial: { keep_last: 4 } }
        - match: { table: public.customers, column: address }
          mask: redact
        - match: { type: inet }
          mask: redact
        - match: { table: public.tax_records, column: tax_ref }
          mask: redact
        - match: { user_type: handle_base }
          mask: { hash: { length: 10 } }
      values:
        detect: [email, payment_card, iban, phone, national_id]
        mask: redact
)";
}

}  // namespace

std::string config_yaml(const std::string& password_file, const std::string& hmac_file) {
  return "listen: 127.0.0.1:{{LISTEN_PORT}}\n"
         "workers: 2\n"
         "store: { sqlite: \"{{DIR}}/state.db\" }\n"
         "limits: { drain_timeout: 1s }\n"
         "databases:\n"
         "  prod:\n"
         "    host: 127.0.0.1\n"
         "    port: {{PG_PORT}}\n"
         "    dbname: " + std::string(kDatabase) + "\n"
         "    tls: { mode: disable }\n"
         "    logins:\n"
         "      support_ro: { user: support_ro, password_file: " + password_file + " }\n"
         "      dba: { user: dba, password_env: DBA_PW }\n"
         "roles:\n"
         "  support: { databases: [prod], login: support_ro, masking: pii-strict, max_duration: 4h }\n"
         "  strict: { databases: [prod], login: support_ro, masking: pii-predicates, max_duration: 4h }\n"
         "  detecting: { databases: [prod], login: support_ro, masking: pii-detect, max_duration: 4h }\n"
         "  matrix: { databases: [prod], login: support_ro, masking: matrix, max_duration: 4h }\n"
         "  writer: { databases: [prod], login: dba, masking: pii-strict, max_duration: 4h }\n"
         "masking:\n"
         "  keys: { hmac: { file: " + hmac_file + " } }\n"
         "  profiles:\n"
         "    pii-strict:\n" + column_rules() +
         "    pii-predicates:\n" + column_rules() + "      refuse_predicates: true\n"
         "    pii-detect:\n" + column_rules() + "      on_unprovable: detect\n"
         "    matrix:\n"
         "      columns:\n"
         "        - { match: { table: mask_matrix, column: r_text }, mask: redact }\n"
         "        - { match: { table: mask_matrix, column: n_text }, mask: 'null' }\n"
         "        - { match: { table: mask_matrix, column: p_text }, mask: { partial: { keep_last: 4 } } }\n"
         "        - { match: { table: mask_matrix, column: e_text }, mask: email }\n"
         "        - { match: { table: mask_matrix, column: h_text }, mask: { hash: { length: 12 } } }\n"
         "        - { match: { table: mask_matrix, column: t_text }, mask: tokenize }\n"
         "        - { match: { table: mask_matrix, column: x_text }, mask: { replace: { pattern: '[0-9]', replacement: '#' } } }\n"
         "        - { match: { table: mask_matrix, column: g_date }, mask: { generalize: { date: year } } }\n"
         "        - { match: { table: mask_matrix, column: g_int }, mask: { generalize: { number: 100 } } }\n"
         "        - { match: { table: mask_matrix, column: h_int }, mask: hash }\n"
         "        - { match: { table: mask_matrix, column: h_bigint }, mask: hash }\n"
         "        - { match: { table: mask_matrix, column: t_numeric }, mask: tokenize }\n"
         "        - { match: { table: mask_matrix, column: r_ts }, mask: redact }\n"
         "        - { match: { table: mask_matrix, column: h_uuid }, mask: hash }\n"
         "        - { match: { table: mask_matrix, column: e_json }, mask: email }\n"
         "        - { match: { table: mask_matrix, column: p_array }, mask: { partial: { keep_first: 1 } } }\n"
         "      values:\n"
         "        detect: [email, payment_card, iban, phone, national_id]\n"
         "        mask: redact\n";
}

World& World::shared() {
  static World world;
  return world;
}

World::World() {
  auto& cluster = PgCluster::shared();
  load_example_shop(cluster, std::string(kDatabase));
  cluster.exec(std::string(kObjects), kDatabase);
  static TempDir secrets("pgveil-masking");
  const std::string password_file = secrets.path() + "/support_ro";
  const std::string hmac_file = secrets.path() + "/hmac";
  write_file(password_file, std::string(kSupportRoPassword) + "\n", 0600);
  write_file(hmac_file, "masking-tests-hmac-key-0123456789\n", 0600);
  pgveil_ = std::make_unique<PgveilProcess>(config_yaml(password_file, hmac_file),
                                            std::vector<std::string>{"DBA_PW=" + std::string(kDbaPassword)});
  const std::pair<std::string_view, std::string_view> people[] = {
      {"support", "alice"}, {"strict", "bob"}, {"detecting", "carol"}, {"matrix", "dave"}, {"writer", "erin"}};
  for (const auto& [role, person] : people) {
    access_.push_back({std::string(role), std::string(person), pgveil_->grant(person, "prod", role, "2h", "masking tests")});
  }
  auto conn = PgConn::must_connect(cluster.conninfo(kDatabase));
  const auto rows = conn.must(
      "SELECT ssn, email, first_name, last_name, phone, iban, card_number, address, date_of_birth::text, "
      "host(ip_address) "
      "FROM customers WHERE id <= " + std::to_string(kSampleCustomers));
  for (const auto& row : rows) {
    for (const auto& v : row) {
      if (v && v->size() >= 5) raw_.push_back(*v);
    }
  }
  for (const std::string v : {"078-05-1120", "4111-1111-1111-1111", "jane.doe@example.com", "Jürgen Müller",
                              "Ångström", "sam.smith@example.org", "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"}) {
    raw_.push_back(v);
  }
}

std::string World::proxied(std::string_view role) const {
  for (const auto& a : access_) {
    if (a.role == role) return pgveil_->conninfo(a.person, "prod", a.secret);
  }
  throw std::runtime_error("no role " + std::string(role) + " in the masking world");
}

std::string World::direct() const {
  return PgCluster::shared().conninfo(kDatabase, "support_ro", kSupportRoPassword);
}

std::string World::leaked_in(std::string_view text) const {
  for (const auto& raw : raw_) {
    if (text.find(raw) != std::string_view::npos) return raw;
  }
  return {};
}

}  // namespace testsupport::masking_shop
