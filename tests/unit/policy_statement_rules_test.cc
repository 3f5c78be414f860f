// Statement rules on a corpus of allowed and refused SQL, adversarial forms included.
#include <catch2/catch.hpp>

#include "policy/statement_rules.h"

using policy::check_statement;
using policy::StatementMode;
using policy::StatementRefusal;
using policy::StatementRules;

namespace {

StatementRules read_only() { return StatementRules{StatementMode::kReadOnly, {}, {}}; }

std::string verdict(const StatementRules& rules, std::string_view sql) {
  auto refusal = check_statement(rules, sql);
  return refusal ? "refused: " + refusal->reason : "allowed";
}

}  // namespace

TEST_CASE("read-only allows reads, session settings, transactions, cursors and prepared statements", "[policy][statements]") {
  const auto rules = read_only();
  const char* allowed[] = {
      "SELECT 1",
      "select * from customers where id = $1",
      "SELECT c.email, count(*) FROM public.customers c JOIN orders o ON o.customer_id = c.id GROUP BY 1",
      "WITH recent AS (SELECT * FROM orders WHERE created_at > now() - interval '1 day') SELECT count(*) FROM recent",
      "WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r WHERE n < 5) SELECT * FROM r",
      "SELECT * FROM orders UNION SELECT * FROM orders",
      "VALUES (1, 'a'), (2, 'b')",
      "TABLE customers",
      "SELECT (SELECT max(id) FROM orders), lower(email), currval('orders_id_seq'), lastval() FROM customers",
      "SELECT current_setting('search_path'), pg_backend_pid(), version(), now(), pg_sleep(0)",
      "SELECT lo_get(16384)",
      "EXPLAIN SELECT * FROM customers",
      "EXPLAIN (FORMAT JSON, COSTS OFF) SELECT 1",
      "EXPLAIN ANALYZE SELECT * FROM orders",
      "EXPLAIN (ANALYZE, BUFFERS) SELECT 1",
      "EXPLAIN INSERT INTO orders VALUES (1)",          // plans only, runs nothing
      "EXPLAIN (ANALYZE false) DELETE FROM orders",
      "EXPLAIN (ANALYZE off) UPDATE orders SET total = 0",
      "SHOW search_path",
      "SHOW ALL",
      "SET search_path = public",
      "SET LOCAL statement_timeout = '5s'",
      "SET application_name TO 'psql'",
      "SET TIME ZONE 'UTC'",
      "SET default_transaction_read_only = on",
      "SET transaction_read_only TO true",
      "RESET search_path",
      "RESET ALL",
      "RESET ROLE",
      "RESET SESSION AUTHORIZATION",
      "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY",
      "SELECT set_config('search_path', 'public', false)",
      "SELECT pg_catalog.set_config('application_name', 'x', true)",
      "BEGIN",
      "BEGIN ISOLATION LEVEL SERIALIZABLE, READ ONLY",
      "START TRANSACTION READ ONLY",
      "COMMIT",
      "ROLLBACK",
      "END",
      "SAVEPOINT s1",
      "RELEASE SAVEPOINT s1",
      "ROLLBACK TO SAVEPOINT s1",
      "DECLARE c CURSOR WITH HOLD FOR SELECT * FROM customers",
      "FETCH 10 FROM c",
      "MOVE NEXT IN c",
      "CLOSE c",
      "CLOSE ALL",
      "PREPARE q(int) AS SELECT * FROM orders WHERE id = $1",
      "EXECUTE q(1)",
      "DEALLOCATE q",
      "DEALLOCATE ALL",
      "DISCARD ALL",
      "LISTEN orders_changed",
      "UNLISTEN *",
      "COPY customers TO STDOUT",
      "COPY (SELECT id FROM orders) TO STDOUT WITH (FORMAT csv)",
      "SET CONSTRAINTS ALL DEFERRED",
      "",
      "  ;  ",
      "-- only a comment",
      "SELECT 1; SELECT 2; SHOW work_mem",
      "SELECT 'pg_read_file(''/etc/passwd'')' AS not_a_call",   // a string is not a call
      "SELECT email AS nextval FROM customers",                     // nor is an alias
  };
  for (const char* sql : allowed) {
    INFO(sql);
    CHECK(verdict(rules, sql) == "allowed");
  }
}

TEST_CASE("read-only refuses writes, DDL, maintenance, procedures and server-side effects", "[policy][statements]") {
  const auto rules = read_only();
  const std::pair<const char*, const char*> refused[] = {
      {"INSERT INTO orders VALUES (1)", "INSERT is not allowed"},
      {"insert into orders select * from orders", "INSERT is not allowed"},
      {"UPDATE customers SET email = 'x'", "UPDATE is not allowed"},
      {"DELETE FROM orders", "DELETE is not allowed"},
      {"MERGE INTO orders o USING orders n ON o.id = n.id WHEN MATCHED THEN DELETE", "MERGE is not allowed"},
      {"TRUNCATE orders", "TRUNCATE is not allowed"},
      {"CREATE TABLE t (a int)", "CREATE TABLE is not allowed"},
      {"CREATE TEMP TABLE t AS SELECT 1", "CREATE TABLE AS is not allowed"},
      {"CREATE INDEX ON orders (id)", "CREATE INDEX is not allowed"},
      {"CREATE VIEW v AS SELECT 1", "CREATE VIEW is not allowed"},
      {"CREATE FUNCTION f() RETURNS int LANGUAGE sql AS 'select 1'", "CREATE FUNCTION is not allowed"},
      {"ALTER TABLE orders ADD COLUMN x int", "ALTER TABLE is not allowed"},
      {"ALTER TABLE orders RENAME TO o", "ALTER ... RENAME is not allowed"},
      {"DROP TABLE orders", "DROP is not allowed"},
      {"ALTER SYSTEM SET work_mem = '1GB'", "ALTER SYSTEM is not allowed"},
      {"CREATE ROLE mallory SUPERUSER", "CREATE ROLE is not allowed"},
      {"GRANT SELECT ON orders TO PUBLIC", "GRANT is not allowed"},
      {"REVOKE SELECT ON orders FROM support_ro", "REVOKE is not allowed"},
      {"COMMENT ON TABLE orders IS 'x'", "COMMENT is not allowed"},
      {"VACUUM orders", "VACUUM is not allowed"},
      {"ANALYZE orders", "ANALYZE is not allowed"},
      {"CLUSTER orders USING orders_pkey", "CLUSTER is not allowed"},
      {"REINDEX TABLE orders", "REINDEX is not allowed"},
      {"REFRESH MATERIALIZED VIEW mv", "REFRESH MATERIALIZED VIEW is not allowed"},
      {"CHECKPOINT", "CHECKPOINT is not allowed"},
      {"LOCK TABLE orders IN ACCESS EXCLUSIVE MODE", "LOCK is not allowed"},
      {"DO $$ BEGIN DELETE FROM orders; END $$", "DO is not allowed"},
      {"CALL cleanup()", "CALL is not allowed"},
      {"LOAD 'auto_explain'", "LOAD is not allowed"},
      {"NOTIFY orders_changed, 'x'", "NOTIFY is not allowed"},
      {"COPY orders FROM STDIN", "COPY FROM is not allowed"},
      {"COPY orders TO '/tmp/orders.csv'", "COPY TO a server file or program is not allowed"},
      {"COPY orders TO PROGRAM 'sh -c id'", "COPY TO a server file or program is not allowed"},
      {"COPY (DELETE FROM orders RETURNING *) TO STDOUT", "DELETE is not allowed (in COPY)"},
      {"SELECT 1 INTO t2", "SELECT INTO is not allowed"},
      {"SELECT * FROM orders FOR UPDATE", "SELECT ... FOR UPDATE/SHARE is not allowed"},
      {"SELECT * FROM (SELECT * FROM orders FOR SHARE) s", "SELECT ... FOR UPDATE/SHARE is not allowed"},
      {"WITH gone AS (DELETE FROM orders RETURNING *) SELECT count(*) FROM gone", "(DELETE) inside a query is not allowed"},
      {"SELECT * FROM customers WHERE id IN (WITH x AS (UPDATE orders SET total = 0 RETURNING id) SELECT id FROM x)",
       "(UPDATE) inside a query is not allowed"},
      {"EXPLAIN ANALYZE DELETE FROM orders", "DELETE is not allowed (in EXPLAIN ANALYZE)"},
      {"EXPLAIN (ANALYZE) INSERT INTO orders VALUES (1)", "INSERT is not allowed (in EXPLAIN ANALYZE)"},
      {"EXPLAIN (ANALYZE 1, VERBOSE) UPDATE orders SET total = 0", "UPDATE is not allowed (in EXPLAIN ANALYZE)"},
      {"EXPLAIN (VERBOSE, ANALYZE on) WITH d AS (DELETE FROM orders RETURNING 1) SELECT * FROM d", "(DELETE)"},
      {"EXPLAIN ANALYZE CREATE TABLE t AS SELECT 1", "CREATE TABLE AS is not allowed (in EXPLAIN ANALYZE)"},
      {"PREPARE p AS INSERT INTO orders VALUES ($1)", "INSERT is not allowed (in PREPARE)"},
      {"PREPARE p AS SELECT pg_read_file('/etc/passwd')", "function pg_read_file() is not allowed"},
      {"DECLARE c CURSOR FOR SELECT * FROM orders FOR UPDATE", "SELECT ... FOR UPDATE/SHARE is not allowed"},
      {"DECLARE c CURSOR FOR SELECT nextval('orders_id_seq')", "function nextval() is not allowed"},
      {"SET ROLE postgres", "SET role is not allowed"},
      {"SET LOCAL ROLE dba", "SET role is not allowed"},
      {"SET \"ROLE\" = 'dba'", "SET role is not allowed"},
      {"SET SESSION AUTHORIZATION postgres", "SET session_authorization is not allowed"},
      {"SET default_transaction_read_only = off", "SET default_transaction_read_only is not allowed"},
      {"SET transaction_read_only = 0", "SET transaction_read_only is not allowed"},
      {"SET session_replication_role = replica", "SET session_replication_role is not allowed"},
      {"SET pgaudit.log = 'none'", "SET pgaudit.log is not allowed"},
      {"SET SESSION CHARACTERISTICS AS TRANSACTION READ WRITE", "SET SESSION CHARACTERISTICS READ WRITE is not allowed"},
      {"SET TRANSACTION READ WRITE", "SET TRANSACTION READ WRITE is not allowed"},
      {"BEGIN READ WRITE", "BEGIN READ WRITE is not allowed"},
      {"START TRANSACTION ISOLATION LEVEL SERIALIZABLE, READ WRITE", "START TRANSACTION READ WRITE is not allowed"},
      {"PREPARE TRANSACTION 'x'", "two-phase commit"},
      {"COMMIT PREPARED 'someone_elses'", "two-phase commit"},
      {"ROLLBACK PREPARED 'someone_elses'", "two-phase commit"},
      // Functions: schema-qualified, quoted, in any case, nested anywhere, attribute notation.
      {"SELECT pg_read_file('/etc/passwd')", "function pg_read_file() is not allowed"},
      {"SELECT pg_catalog.pg_read_file('/etc/passwd')", "function pg_read_file() is not allowed"},
      {"SELECT \"pg_read_file\"('/etc/passwd')", "function pg_read_file() is not allowed"},
      {"SELECT pg_catalog.\"PG_READ_FILE\"('/etc/passwd')", "function pg_read_file() is not allowed"},
      {"SELECT U&\"pg\\005fread\\005ffile\"('/etc/passwd')", "function pg_read_file() is not allowed"},
      {"SELECT ('/etc/passwd'::text).pg_read_file", "function pg_read_file() is not allowed"},
      {"SELECT (p).pg_stat_file FROM paths", "function pg_stat_file() is not allowed"},
      {"SELECT t.p.pg_read_binary_file FROM paths t", "function pg_read_binary_file() is not allowed"},
      {"SELECT * FROM pg_ls_dir('.')", "function pg_ls_dir() is not allowed"},
      {"SELECT pg_ls_waldir()", "function pg_ls_waldir() is not allowed"},
      {"SELECT lo_import('/etc/passwd')", "function lo_import() is not allowed"},
      {"SELECT lo_export(16384, '/tmp/x')", "function lo_export() is not allowed"},
      {"SELECT lo_unlink(16384)", "function lo_unlink() is not allowed"},
      {"SELECT lo_put(16384, 0, 'x')", "function lo_put() is not allowed"},
      {"SELECT lowrite(0, 'x')", "function lowrite() is not allowed"},
      {"SELECT * FROM dblink('host=evil', 'select 1') AS t(a int)", "function dblink() is not allowed"},
      {"SELECT dblink_exec('host=evil', 'drop table x')", "function dblink_exec() is not allowed"},
      {"SELECT pg_terminate_backend(pid) FROM pg_stat_activity", "function pg_terminate_backend() is not allowed"},
      {"SELECT pg_cancel_backend(1)", "function pg_cancel_backend() is not allowed"},
      {"SELECT pg_reload_conf()", "function pg_reload_conf() is not allowed"},
      {"SELECT pg_rotate_logfile()", "function pg_rotate_logfile() is not allowed"},
      {"SELECT nextval('orders_id_seq')", "function nextval() is not allowed"},
      {"SELECT setval('orders_id_seq', 1)", "function setval() is not allowed"},
      {"SELECT pg_advisory_lock(1)", "function pg_advisory_lock() is not allowed"},
      {"SELECT pg_try_advisory_xact_lock(1)", "function pg_try_advisory_xact_lock() is not allowed"},
      {"SELECT pg_notify('c', 'x')", "function pg_notify() is not allowed"},
      {"SELECT query_to_xml('select pg_read_file(''/etc/passwd'')', true, true, '')", "function query_to_xml() is not allowed"},
      {"SELECT ts_stat('select pg_read_file(''x'')::tsvector')", "function ts_stat() is not allowed"},
      {"SELECT pg_create_logical_replication_slot('s', 'pgoutput')", "function pg_create_logical_replication_slot() is not allowed"},
      {"SELECT 1 WHERE EXISTS (SELECT pg_read_file('x'))", "function pg_read_file() is not allowed"},
      {"WITH x AS (SELECT pg_ls_dir('.') AS f) SELECT * FROM x", "function pg_ls_dir() is not allowed"},
      {"SELECT * FROM orders ORDER BY pg_read_file('x') LIMIT 1", "function pg_read_file() is not allowed"},
      {"SELECT coalesce(NULL, (SELECT pg_read_file('x')))", "function pg_read_file() is not allowed"},
      {"EXPLAIN SELECT pg_read_file('x')", "function pg_read_file() is not allowed"},
      {"EXECUTE q(pg_read_file('x'))", "function pg_read_file() is not allowed"},
      {"COPY (SELECT pg_read_file('x')) TO STDOUT", "function pg_read_file() is not allowed"},
      {"SELECT /* pg_read_file is fine */ pg_read_file /* really */ ('x') -- hidden", "function pg_read_file() is not allowed"},
      {"SELECT set_config('role', 'postgres', false)", "set_config('role', ...) is not allowed"},
      {"SELECT set_config('ROLE', 'postgres', false)", "set_config('role', ...) is not allowed"},
      {"SELECT set_config('session_authorization', 'postgres', false)", "set_config('session_authorization', ...)"},
      {"SELECT set_config('default_transaction_read_only', 'off', false)", "set_config('default_transaction_read_only'"},
      {"SELECT set_config(new_value => 'off', setting_name => 'transaction_read_only', is_local => true)",
       "set_config('transaction_read_only'"},
      {"SELECT set_config(lower('ROLE'), 'postgres', false)", "setting name that is not a constant"},
      // Several statements: one refused refuses the string.
      {"SELECT 1; DELETE FROM orders; SELECT 2", "DELETE is not allowed"},
      {"BEGIN; SELECT 1; COMMIT; TRUNCATE orders", "TRUNCATE is not allowed"},
  };
  for (const auto& [sql, reason] : refused) {
    INFO(sql);
    CHECK_THAT(verdict(rules, sql), Catch::StartsWith("refused: ") && Catch::Contains(reason));
  }
  CHECK(std::size(refused) >= 60);
}

TEST_CASE("read-only refuses what it cannot parse, with the parser's message and position", "[policy][statements]") {
  auto refusal = check_statement(read_only(), "SELEC * FROM orders");
  REQUIRE(refusal);
  CHECK(refusal->rule == StatementRefusal::Rule::kUnparsed);
  CHECK(refusal->reason == "syntax error at or near \"SELEC\"");
  CHECK(refusal->position == 1);
  // A statement cut in the middle, as an attacker might send to confuse a parser.
  auto cut = check_statement(read_only(), "SELECT 1; DELETE FROM orders WHERE id = '");
  REQUIRE(cut);
  CHECK(cut->rule == StatementRefusal::Rule::kUnparsed);
}

TEST_CASE("the rule of a refusal: read-only kinds and defaults vs the role's own deny list", "[policy][statements]") {
  auto rules = read_only();
  rules.deny_functions = {"pg_sleep", "my_schema_*"};
  CHECK(check_statement(rules, "INSERT INTO t VALUES (1)")->rule == StatementRefusal::Rule::kReadOnly);
  CHECK(check_statement(rules, "SELECT pg_read_file('x')")->rule == StatementRefusal::Rule::kReadOnly);
  auto own = check_statement(rules, "SELECT pg_sleep(10)");
  REQUIRE(own);
  CHECK(own->rule == StatementRefusal::Rule::kDeniedFunction);
  CHECK(own->reason == "function pg_sleep() is on the role's deny list");
  CHECK(check_statement(rules, "SELECT my_schema_helper()")->rule == StatementRefusal::Rule::kDeniedFunction);
}

TEST_CASE("allow_functions takes functions out of the default list", "[policy][statements]") {
  auto rules = read_only();
  rules.allow_functions = {"nextval", "pg_advisory_xact_lock"};
  CHECK(verdict(rules, "SELECT nextval('s')") == "allowed");
  CHECK(verdict(rules, "SELECT pg_advisory_xact_lock(1)") == "allowed");
  CHECK(verdict(rules, "SELECT pg_advisory_lock(1)") != "allowed");   // the rest of the prefix stays
  CHECK(verdict(rules, "SELECT setval('s', 1)") != "allowed");
  CHECK(verdict(rules, "INSERT INTO t VALUES (nextval('s'))") != "allowed");   // kinds are not functions
}

TEST_CASE("statements: all allows everything, except what its deny list names", "[policy][statements]") {
  const StatementRules all;
  CHECK(all.unrestricted());
  CHECK(verdict(all, "DROP TABLE orders") == "allowed");
  CHECK(verdict(all, "SELEC garbage") == "allowed");   // unrestricted: never parsed at all

  StatementRules guarded{StatementMode::kAll, {"pg_terminate_backend", "dblink*"}, {}};
  CHECK_FALSE(guarded.unrestricted());
  CHECK(verdict(guarded, "DELETE FROM orders WHERE id = 1") == "allowed");
  CHECK(verdict(guarded, "SET ROLE postgres") == "allowed");
  CHECK(verdict(guarded, "SELECT pg_read_file('x')") == "allowed");   // only read-only has defaults
  CHECK_THAT(verdict(guarded, "SELECT pg_catalog.pg_terminate_backend(42)"), Catch::Contains("deny list"));
  CHECK_THAT(verdict(guarded, "DELETE FROM t WHERE id IN (SELECT a FROM dblink_get_result('c') AS r(a int))"),
             Catch::Contains("dblink_get_result"));
  CHECK_THAT(verdict(guarded, "WITH x AS (SELECT pg_terminate_backend(1)) INSERT INTO log SELECT * FROM x"),
             Catch::Contains("pg_terminate_backend"));
  // A deny list sees only SQL: what it cannot parse is refused, not passed (fail closed).
  CHECK(check_statement(guarded, "SELEC pg_terminate_backend(1)")->rule == StatementRefusal::Rule::kUnparsed);
}

TEST_CASE("function patterns: exact names and prefixes, case-insensitive", "[policy][statements]") {
  CHECK(policy::function_matches("lo_*", "lo_import"));
  CHECK(policy::function_matches("PG_READ_FILE", "pg_read_file"));
  CHECK_FALSE(policy::function_matches("lo_*", "lower"));
  CHECK_FALSE(policy::function_matches("nextval", "nextval2"));
  CHECK(policy::function_matches("*", "anything"));
}
