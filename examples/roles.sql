-- examples/roles.sql — the upstream logins pgveil brokers (DESIGN.md: people never see them).
--
--   support_ro  read-only access to the shop tables, nothing else: no writes, no temp tables,
--               no server files or programs, a statement timeout. pgveil's "support" role.
--   dba         full rights on the shop's tables and schema, but not a superuser: break-glass
--               access is powerful and still cannot read server files or become another role.
--
-- Run as a superuser in the shop database, after schema.sql (grants name its tables). The
-- passwords come from psql variables so that they never sit in a file in the repository:
--   psql -X -v ON_ERROR_STOP=1 -d shop -v support_ro_password=... -v dba_password=... \
--        -f examples/roles.sql
-- Idempotent: a second run updates the passwords and re-applies the grants.

\set ON_ERROR_STOP on
\if :{?support_ro_password}
\else
  \warn 'roles.sql: pass the passwords: -v support_ro_password=... -v dba_password=...'
  DO $$ BEGIN RAISE EXCEPTION 'psql variable support_ro_password is not set'; END $$;
\endif
\if :{?dba_password}
\else
  \warn 'roles.sql: pass the passwords: -v support_ro_password=... -v dba_password=...'
  DO $$ BEGIN RAISE EXCEPTION 'psql variable dba_password is not set'; END $$;
\endif

SET client_min_messages = warning;
-- Stored as SCRAM verifiers whatever the server default: pgveil logs in with SCRAM.
SET password_encryption = 'scram-sha-256';

-- Roles are cluster-wide: create them once, update them on every run.
SELECT 'CREATE ROLE support_ro' WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'support_ro')
\gexec
SELECT 'CREATE ROLE dba' WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'dba')
\gexec

ALTER ROLE support_ro WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS
  NOINHERIT CONNECTION LIMIT 100 PASSWORD :'support_ro_password';
-- Belt and braces: even a statement that slips past pgveil's read-only rule cannot write.
ALTER ROLE support_ro SET default_transaction_read_only = on;
ALTER ROLE support_ro SET statement_timeout = '60s';
ALTER ROLE support_ro SET idle_in_transaction_session_timeout = '5min';

ALTER ROLE dba WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS
  INHERIT CONNECTION LIMIT 10 PASSWORD :'dba_password';

-- This database: only the brokered logins (and superusers) may connect; PUBLIC also loses TEMP.
REVOKE ALL ON DATABASE :"DBNAME" FROM PUBLIC;
GRANT CONNECT ON DATABASE :"DBNAME" TO support_ro;
GRANT CONNECT, TEMPORARY ON DATABASE :"DBNAME" TO dba;

REVOKE ALL ON SCHEMA public FROM PUBLIC;
GRANT USAGE ON SCHEMA public TO support_ro;
GRANT USAGE, CREATE ON SCHEMA public TO dba;

GRANT SELECT ON customers, orders, payments, support_tickets TO support_ro;
GRANT ALL ON ALL TABLES IN SCHEMA public TO dba;
GRANT ALL ON ALL SEQUENCES IN SCHEMA public TO dba;
GRANT pg_signal_backend, pg_read_all_stats TO dba;   -- cancel runaway queries, see pg_stat_*

-- Check the promise above rather than trust it: fail the load if either login could read or
-- write server files, run programs, or bypass row security.
DO $$
DECLARE
  login text;
  privileged text;
BEGIN
  FOREACH login IN ARRAY ARRAY['support_ro', 'dba'] LOOP
    FOREACH privileged IN ARRAY ARRAY['pg_read_server_files', 'pg_write_server_files',
                                      'pg_execute_server_program', 'pg_read_all_data',
                                      'pg_write_all_data'] LOOP
      IF pg_has_role(login, privileged, 'USAGE') THEN
        RAISE EXCEPTION 'role % must not have the privileges of %', login, privileged;
      END IF;
    END LOOP;
    IF has_function_privilege(login, 'pg_read_file(text)', 'EXECUTE')
       OR has_function_privilege(login, 'pg_read_binary_file(text)', 'EXECUTE')
       OR has_function_privilege(login, 'pg_ls_dir(text)', 'EXECUTE') THEN
      RAISE EXCEPTION 'role % must not read server files', login;
    END IF;
  END LOOP;
  IF has_table_privilege('support_ro', 'customers', 'INSERT, UPDATE, DELETE, TRUNCATE') THEN
    RAISE EXCEPTION 'support_ro must be read-only';
  END IF;
END
$$;
