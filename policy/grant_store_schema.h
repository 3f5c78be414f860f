// The grant store's SQLite schema and its migrations.
#pragma once

#include <sqlite3.h>

#include <expected>
#include <string>

namespace policy {

// PRAGMA application_id of a pgveil store ("pgvl"), so pgveil refuses to write into some other
// program's SQLite file that a config typo pointed it at.
inline constexpr int kStoreApplicationId = 0x7067766c;

// Schema version this build writes (PRAGMA user_version).
int store_schema_version();

// Brings the schema up to store_schema_version(). Safe when several processes open a new file at
// once: each step runs in an IMMEDIATE transaction and re-reads user_version inside it. Refuses a
// file whose schema is newer than this build (a downgrade would misread it) or that belongs to
// another application.
std::expected<void, std::string> migrate_store(sqlite3* db);

}  // namespace policy
