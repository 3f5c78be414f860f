// Thin RAII over the SQLite C API for the grant store: owned handles, prepared statements with
// errors as values (STYLE.md: no exceptions on the data path), and an IMMEDIATE transaction guard.
// Internal to policy; callers use GrantStore.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <expected>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

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

class Statement {
 public:
  static std::expected<Statement, std::string> prepare(sqlite3* db, std::string_view sql);

  Statement(Statement&&) noexcept = default;
  Statement& operator=(Statement&&) noexcept = default;

  // Parameters are 1-based, as in sqlite3_bind_*. A bind error is remembered and reported by
  // the next step(), so call sites read as one chain.
  Statement& bind(int index, std::int64_t value);
  Statement& bind(int index, std::string_view value);
  Statement& bind(int index, std::optional<std::int64_t> value);
  Statement& bind(int index, const std::optional<std::string>& value);

  // true: a row is available; false: done.
  std::expected<bool, std::string> step();
  // Steps to completion, for statements that return no rows.
  std::expected<void, std::string> run();

  std::int64_t int64_at(int column) const;
  std::optional<std::int64_t> optional_int64_at(int column) const;
  std::string text_at(int column) const;

 private:
  struct Finalizer {
    void operator()(sqlite3_stmt* stmt) const { sqlite3_finalize(stmt); }
  };
  Statement(sqlite3* db, sqlite3_stmt* stmt) : db_(db), stmt_(stmt) {}
  void note_bind(int rc);

  sqlite3* db_;
  std::unique_ptr<sqlite3_stmt, Finalizer> stmt_;
  std::string bind_error_;
};

// BEGIN IMMEDIATE takes the write lock up front, so the busy timeout applies to it and a
// read-then-write transaction can never fail half-way with SQLITE_BUSY_SNAPSHOT (WAL mode) —
// the "database is locked" failures concurrent writers would otherwise see.
// Rolls back on destruction unless commit() succeeded.
class Transaction {
 public:
  static std::expected<Transaction, std::string> begin_immediate(sqlite3* db);
  static std::expected<Transaction, std::string> begin_read(sqlite3* db);
  Transaction(Transaction&& other) noexcept : db_(other.db_) { other.db_ = nullptr; }
  Transaction& operator=(Transaction&&) = delete;
  ~Transaction();
  std::expected<void, std::string> commit();

 private:
  explicit Transaction(sqlite3* db) : db_(db) {}
  sqlite3* db_;  // null once committed or moved from
};

}  // namespace policy::sqlite
