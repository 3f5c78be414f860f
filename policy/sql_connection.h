// The grant store's view of a SQL database: one connection, statements with positional
// parameters ($1, $2 … in both dialects), whole results, and the two kinds of transaction the
// store needs. GrantStore's logic is written once against this; policy/sql_sqlite.cc and
// policy/sql_postgres.cc adapt it to SQLite and libpq. Internal to policy.
//
// Not thread-safe: GrantStore guards its connection with a mutex.
#pragma once

#include <chrono>
#include <cstdint>
#include <expected>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace policy::sql {

// A parameter or a result cell. monostate is SQL NULL.
using Value = std::variant<std::monostate, std::int64_t, std::string>;

using Params = std::vector<Value>;
inline Value text(std::string_view v) { return Value(std::string(v)); }
inline Value nullable(std::optional<std::int64_t> v) { return v ? Value(*v) : Value(); }
inline Value nullable(const std::optional<std::string>& v) { return v ? Value(*v) : Value(); }

// One result row. Cells PostgreSQL returns as text are converted on access.
class Row {
 public:
  explicit Row(const std::vector<Value>& cells) : cells_(&cells) {}
  std::int64_t int64_at(int column) const;
  std::optional<std::int64_t> optional_int64_at(int column) const;
  std::string text_at(int column) const;  // "" for NULL

 private:
  const std::vector<Value>* cells_;
};

struct Result {
  std::vector<std::vector<Value>> rows;
  std::int64_t affected = 0;  // rows inserted, updated or deleted
  bool empty() const { return rows.empty(); }
  Row row(std::size_t i) const { return Row(rows.at(i)); }
};

enum class Dialect { kSqlite, kPostgres };

enum class TxKind {
  kRead,   // one consistent snapshot; no writes
  kWrite,  // serialized with every other writer of the store, in any process
};

class Connection {
 public:
  virtual ~Connection() = default;
  virtual Dialect dialect() const = 0;
  // Runs one statement. Errors name the cause (and the SQLSTATE for PostgreSQL).
  virtual std::expected<Result, std::string> query(std::string_view sql, std::span<const Value> params = {}) = 0;
  // Runs a script of several statements without parameters (schema migrations).
  virtual std::expected<void, std::string> run_script(const std::string& sql) = 0;
  virtual std::expected<void, std::string> begin(TxKind kind) = 0;
  virtual std::expected<void, std::string> commit() = 0;
  virtual void rollback() = 0;  // best effort: a failed rollback leaves nothing to report to
};

// Rolls back on destruction unless commit() succeeded.
class Transaction {
 public:
  static std::expected<Transaction, std::string> begin(Connection& db, TxKind kind);
  Transaction(Transaction&& other) noexcept : db_(other.db_) { other.db_ = nullptr; }
  Transaction& operator=(Transaction&&) = delete;
  ~Transaction() {
    if (db_ != nullptr) db_->rollback();
  }
  std::expected<void, std::string> commit();

 private:
  explicit Transaction(Connection& db) : db_(&db) {}
  Connection* db_;  // null once committed or moved from
};

// First column of the first row as an integer; an error if there is no row.
std::expected<std::int64_t, std::string> query_int64(Connection& db, std::string_view sql,
                                                     std::span<const Value> params = {});

}  // namespace policy::sql

namespace policy::sql {

// A SQLite connection on `path` (which must exist): WAL mode, synchronous=FULL, extended error
// codes, writers waiting up to `busy_timeout` for each other.
std::expected<std::unique_ptr<Connection>, std::string> connect_sqlite(const std::string& path,
                                                                       std::chrono::milliseconds busy_timeout);

// A PostgreSQL connection (libpq connection string or URI). Every connect and statement is
// bounded by `timeout` (connect_timeout, tcp_user_timeout, statement_timeout) unless the
// connection string says otherwise; a lost connection is re-established on the next
// transaction. Errors never repeat the connection string (it may hold a password).
std::expected<std::unique_ptr<Connection>, std::string> connect_postgres(const std::string& conninfo,
                                                                         std::chrono::seconds timeout);

}  // namespace policy::sql
