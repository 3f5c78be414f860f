// Thin RAII over the SQLite C API for the grant store's SQLite connection (policy/sql_sqlite.cc),
// with errors as values (STYLE.md: no exceptions on the data path). Internal to policy.
#pragma once

#include <sqlite3.h>

#include <expected>
#include <memory>
#include <string>

namespace policy::sqlite {

struct DbCloser {
  void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
};
using Db = std::unique_ptr<sqlite3, DbCloser>;

// The connection's last error, with the extended code so "database is locked" (5) and
// "disk I/O error" (10/...) are distinguishable in reports.
std::string error_of(sqlite3* db);

// Runs one or more statements that return no rows of interest.
std::expected<void, std::string> exec(sqlite3* db, const char* sql);

}  // namespace policy::sqlite
