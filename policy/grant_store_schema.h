// The grant store's schema and its migrations, one list per dialect (the SQL differs: SQLite
// rebuilds tables and keeps its version in PRAGMAs; PostgreSQL has types, identity columns and
// NOTIFY). Both hold the same tables and columns, so GrantStore's queries serve both.
#pragma once

#include <expected>
#include <string>
#include <string_view>

#include "policy/sql_connection.h"

namespace policy {

// PRAGMA application_id of a pgveil SQLite store ("pgvl"), so pgveil refuses to write into some
// other program's SQLite file that a config typo pointed it at.
inline constexpr int kStoreApplicationId = 0x7067766c;

// The channel a PostgreSQL store NOTIFYs, in the transaction of every change to grants.
inline constexpr std::string_view kGrantChangesChannel = "pgveil_grant_changes";

// Schema version this build writes (SQLite: PRAGMA user_version; PostgreSQL: pgveil_store).
int sqlite_schema_version();
int postgres_schema_version();

// Bring the schema up to this build's version. Safe when several processes open a new store at
// once: each step runs in a write transaction (SQLite: IMMEDIATE; PostgreSQL: under the store's
// advisory lock) and re-reads the version inside it. Refuse a store whose schema is newer than
// this build (a downgrade would misread it) or that belongs to another application.
std::expected<void, std::string> migrate_sqlite_store(sql::Connection& db);
std::expected<void, std::string> migrate_postgres_store(sql::Connection& db);

}  // namespace policy
