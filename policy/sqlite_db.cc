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

std::expected<Statement, std::string> Statement::prepare(sqlite3* db, std::string_view sql) {
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v2(db, sql.data(), static_cast<int>(sql.size()), &stmt, nullptr) != SQLITE_OK) {
    sqlite3_finalize(stmt);
    return std::unexpected(error_of(db));
  }
  return Statement(db, stmt);
}

void Statement::note_bind(int rc) {
  if (rc != SQLITE_OK && bind_error_.empty()) bind_error_ = error_of(db_);
}

Statement& Statement::bind(int index, std::int64_t value) {
  note_bind(sqlite3_bind_int64(stmt_.get(), index, value));
  return *this;
}

Statement& Statement::bind(int index, std::string_view value) {
  note_bind(sqlite3_bind_text64(stmt_.get(), index, value.data(), value.size(), SQLITE_TRANSIENT,
                                SQLITE_UTF8));
  return *this;
}

Statement& Statement::bind(int index, std::optional<std::int64_t> value) {
  note_bind(value ? sqlite3_bind_int64(stmt_.get(), index, *value)
                  : sqlite3_bind_null(stmt_.get(), index));
  return *this;
}

Statement& Statement::bind(int index, const std::optional<std::string>& value) {
  if (value) return bind(index, std::string_view(*value));
  note_bind(sqlite3_bind_null(stmt_.get(), index));
  return *this;
}

std::expected<bool, std::string> Statement::step() {
  if (!bind_error_.empty()) return std::unexpected(bind_error_);
  switch (sqlite3_step(stmt_.get())) {
    case SQLITE_ROW: return true;
    case SQLITE_DONE: return false;
    default: return std::unexpected(error_of(db_));
  }
}

std::expected<void, std::string> Statement::run() {
  for (;;) {
    auto row = step();
    if (!row) return std::unexpected(row.error());
    if (!*row) return {};
  }
}

std::int64_t Statement::int64_at(int column) const {
  return sqlite3_column_int64(stmt_.get(), column);
}

std::optional<std::int64_t> Statement::optional_int64_at(int column) const {
  if (sqlite3_column_type(stmt_.get(), column) == SQLITE_NULL) return std::nullopt;
  return sqlite3_column_int64(stmt_.get(), column);
}

std::string Statement::text_at(int column) const {
  const auto* text = sqlite3_column_text(stmt_.get(), column);
  if (text == nullptr) return {};
  return std::string(reinterpret_cast<const char*>(text),
                     static_cast<std::size_t>(sqlite3_column_bytes(stmt_.get(), column)));
}

std::expected<Transaction, std::string> Transaction::begin_immediate(sqlite3* db) {
  if (auto ok = exec(db, "BEGIN IMMEDIATE"); !ok) return std::unexpected(ok.error());
  return Transaction(db);
}

std::expected<Transaction, std::string> Transaction::begin_read(sqlite3* db) {
  if (auto ok = exec(db, "BEGIN DEFERRED"); !ok) return std::unexpected(ok.error());
  return Transaction(db);
}

Transaction::~Transaction() {
  // Best effort: if ROLLBACK itself fails SQLite has already rolled back (e.g. after an I/O
  // error), and a destructor has nowhere to report to.
  if (db_ != nullptr) sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
}

std::expected<void, std::string> Transaction::commit() {
  auto ok = exec(db_, "COMMIT");
  if (ok) db_ = nullptr;
  return ok;
}

}  // namespace policy::sqlite
