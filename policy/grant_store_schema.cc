#include "policy/grant_store_schema.h"

#include <fmt/format.h>

#include <array>

#include "policy/sql_connection.h"

namespace policy {
namespace {

// Migration N (1-based) takes user_version N-1 to N. Append only: never edit a shipped step.
// Times are integer microseconds since the Unix epoch, UTC (the resolution of PostgreSQL's
// timestamptz, so a later PostgreSQL store holds exactly the same values).
constexpr std::array kMigrations = {
    R"sql(
CREATE TABLE grants (
  id            INTEGER PRIMARY KEY AUTOINCREMENT,  -- AUTOINCREMENT: ids are never reused; audit events cite them
  person        TEXT    NOT NULL CHECK (person <> ''),
  database      TEXT    NOT NULL CHECK (database <> ''),
  role          TEXT    NOT NULL CHECK (role <> ''),
  reason        TEXT    NOT NULL,
  created_by    TEXT    NOT NULL,
  created_at_us INTEGER NOT NULL,
  not_before_us INTEGER NOT NULL,
  not_after_us  INTEGER NOT NULL,
  revoked_at_us INTEGER,
  revoked_by    TEXT    NOT NULL DEFAULT '',
  revoke_reason TEXT    NOT NULL DEFAULT '',
  verifier      TEXT    NOT NULL,                  -- SCRAM-SHA-256 verifier; the secret is never stored
  CHECK (not_after_us > not_before_us)
);
CREATE INDEX grants_by_person_database ON grants (person, database);

-- One row: bumped by triggers on every change to grants, whichever process made it (the CLI and
-- every proxy share the file), so proxies can poll one integer to learn that grants moved.
CREATE TABLE grant_changes (
  singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
  counter   INTEGER NOT NULL
);
INSERT INTO grant_changes (singleton, counter) VALUES (1, 0);
CREATE TRIGGER grants_changed_on_insert AFTER INSERT ON grants
  BEGIN UPDATE grant_changes SET counter = counter + 1; END;
CREATE TRIGGER grants_changed_on_update AFTER UPDATE ON grants
  BEGIN UPDATE grant_changes SET counter = counter + 1; END;
CREATE TRIGGER grants_changed_on_delete AFTER DELETE ON grants
  BEGIN UPDATE grant_changes SET counter = counter + 1; END;
)sql",
    // 2: the access workflow (issue #3). Grants get a status and may exist before their window is
    // known (requested), so not_before/not_after become nullable: SQLite cannot drop a CHECK, so
    // the table is rebuilt (its triggers go with it and are recreated). Every transition is a row
    // of grant_events; existing grants get their "issue" (and "revoke") events back-filled.
    // API tokens are stored as SHA-256 digests only.
    R"sql(
CREATE TABLE grants_v2 (
  id                 INTEGER PRIMARY KEY AUTOINCREMENT,
  person             TEXT    NOT NULL CHECK (person <> ''),
  database           TEXT    NOT NULL CHECK (database <> ''),
  role               TEXT    NOT NULL CHECK (role <> ''),
  reason             TEXT    NOT NULL,
  created_by         TEXT    NOT NULL,
  created_at_us      INTEGER NOT NULL,
  status             TEXT    NOT NULL CHECK (status IN ('requested', 'approved', 'denied', 'cancelled', 'revoked')),
  duration_us        INTEGER NOT NULL CHECK (duration_us > 0),
  requested_start_us INTEGER,
  approvals_required INTEGER NOT NULL DEFAULT 1 CHECK (approvals_required >= 1),
  not_before_us      INTEGER,
  not_after_us       INTEGER,
  revoked_at_us      INTEGER,
  revoked_by         TEXT    NOT NULL DEFAULT '',
  revoke_reason      TEXT    NOT NULL DEFAULT '',
  updated_at_us      INTEGER NOT NULL,
  verifier           TEXT    NOT NULL DEFAULT '',   -- '' until the requester collects the secret
  CHECK ((not_before_us IS NULL) = (not_after_us IS NULL)),
  CHECK (not_after_us IS NULL OR not_after_us > not_before_us),
  CHECK (status <> 'approved' OR not_before_us IS NOT NULL)
);
INSERT INTO grants_v2 (id, person, database, role, reason, created_by, created_at_us, status, duration_us,
                       not_before_us, not_after_us, revoked_at_us, revoked_by, revoke_reason, updated_at_us, verifier)
  SELECT id, person, database, role, reason, created_by, created_at_us,
         CASE WHEN revoked_at_us IS NULL THEN 'approved' ELSE 'revoked' END, not_after_us - not_before_us,
         not_before_us, not_after_us, revoked_at_us, revoked_by, revoke_reason,
         COALESCE(revoked_at_us, created_at_us), verifier
  FROM grants;
DROP TABLE grants;
ALTER TABLE grants_v2 RENAME TO grants;
CREATE INDEX grants_by_person_database ON grants (person, database);
CREATE INDEX grants_by_status ON grants (status);
CREATE TRIGGER grants_changed_on_insert AFTER INSERT ON grants
  BEGIN UPDATE grant_changes SET counter = counter + 1; END;
CREATE TRIGGER grants_changed_on_update AFTER UPDATE ON grants
  BEGIN UPDATE grant_changes SET counter = counter + 1; END;
CREATE TRIGGER grants_changed_on_delete AFTER DELETE ON grants
  BEGIN UPDATE grant_changes SET counter = counter + 1; END;

CREATE TABLE grant_events (
  id       INTEGER PRIMARY KEY AUTOINCREMENT,
  grant_id INTEGER NOT NULL REFERENCES grants (id),
  at_us    INTEGER NOT NULL,
  actor    TEXT    NOT NULL CHECK (actor <> ''),
  action   TEXT    NOT NULL CHECK (action <> ''),
  reason   TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX grant_events_by_grant ON grant_events (grant_id, id);
INSERT INTO grant_events (grant_id, at_us, actor, action, reason)
  SELECT id, created_at_us, CASE WHEN created_by = '' THEN 'unknown' ELSE created_by END, 'issue', reason
  FROM grants ORDER BY id;
INSERT INTO grant_events (grant_id, at_us, actor, action, reason)
  SELECT id, revoked_at_us, CASE WHEN revoked_by = '' THEN 'unknown' ELSE revoked_by END, 'revoke', revoke_reason
  FROM grants WHERE revoked_at_us IS NOT NULL ORDER BY id;

CREATE TABLE api_tokens (
  id            INTEGER PRIMARY KEY AUTOINCREMENT,
  person        TEXT    NOT NULL CHECK (person <> ''),
  token_sha256  TEXT    NOT NULL UNIQUE,           -- hex SHA-256 of the token; the token is never stored
  created_at_us INTEGER NOT NULL,
  created_by    TEXT    NOT NULL,
  revoked_at_us INTEGER,
  revoked_by    TEXT    NOT NULL DEFAULT ''
);
)sql",
    // 3: pending requests expire (workflow.request_ttl). The deadline is fixed when the request is
    // made; requests already waiting get the default 24 hours from when they were made.
    R"sql(
ALTER TABLE grants ADD COLUMN request_expires_at_us INTEGER;
UPDATE grants SET request_expires_at_us = created_at_us + 86400000000 WHERE status = 'requested';
)sql",
};

std::expected<std::int64_t, std::string> pragma_int(sql::Connection& db, const char* pragma) {
  auto result = db.query(fmt::format("PRAGMA {}", pragma));
  if (!result) return std::unexpected(result.error());
  return result->empty() ? 0 : result->row(0).int64_at(0);
}

}  // namespace

int sqlite_schema_version() { return static_cast<int>(kMigrations.size()); }

std::expected<void, std::string> migrate_sqlite_store(sql::Connection& db) {
  for (;;) {
    auto tx = sql::Transaction::begin(db, sql::TxKind::kWrite);
    if (!tx) return std::unexpected(tx.error());
    auto application_id = pragma_int(db, "application_id");
    if (!application_id) return std::unexpected(application_id.error());
    auto version = pragma_int(db, "user_version");
    if (!version) return std::unexpected(version.error());
    if (*application_id != 0 && *application_id != kStoreApplicationId) {
      return std::unexpected(fmt::format(
          "not a pgveil grant store (SQLite application_id is {:#x}, expected {:#x})",
          *application_id, kStoreApplicationId));
    }
    if (*version > sqlite_schema_version()) {
      return std::unexpected(fmt::format(
          "grant store schema version {} is newer than this pgveil supports ({}); upgrade pgveil",
          *version, sqlite_schema_version()));
    }
    if (*version == sqlite_schema_version()) return tx->commit();
    if (*version == 0) {
      // A fresh file must be empty: a user_version-0 file with tables is someone else's data.
      auto objects = sql::query_int64(db, "SELECT count(*) FROM sqlite_schema");
      if (!objects) return std::unexpected(objects.error());
      if (*objects != 0) {
        return std::unexpected(
            "not a pgveil grant store (the SQLite file already holds tables of another program)");
      }
      auto tagged = db.run_script(fmt::format("PRAGMA application_id = {}", kStoreApplicationId));
      if (!tagged) return std::unexpected(tagged.error());
    }
    const auto next = *version + 1;
    if (auto ok = db.run_script(kMigrations[static_cast<std::size_t>(*version)]); !ok) {
      return std::unexpected(fmt::format("schema migration {} failed: {}", next, ok.error()));
    }
    // PRAGMA cannot take a bound parameter; `next` is our own integer.
    if (auto ok = db.run_script(fmt::format("PRAGMA user_version = {}", next)); !ok) {
      return std::unexpected(ok.error());
    }
    if (auto ok = tx->commit(); !ok) return std::unexpected(ok.error());
  }
}

}  // namespace policy
