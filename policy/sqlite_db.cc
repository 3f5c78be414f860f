#include "policy/sqlite_db.h"

#include <fmt/format.h>

namespace policy::sqlite {

std::string error_of(sqlite3* db) {
  return fmt::format("{} (sqlite error {})", sqlite3_errmsg(db), sqlite3_extended_errcode(db));
}

std::expected<void, std::string> exec(sqlite3* db, const char* sql) {
  char* message = nullptr;
  if (sqlite3_exec(db, sql, nullptr, nullptr, &message) != SQLITE_OK) {
    std::string error = message != nullptr
                            ? fmt::format("{} (sqlite error {})", message, sqlite3_extended_errcode(db))
                            : error_of(db);
    sqlite3_free(message);
    return std::unexpected(std::move(error));
  }
  return {};
}

}  // namespace policy::sqlite
