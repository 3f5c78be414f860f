// sql::Connection over the SQLite C API.
#include <fmt/format.h>

#include "policy/sql_connection.h"
#include "policy/sqlite_db.h"

namespace policy::sql {
namespace {

// The store's SQL numbers parameters PostgreSQL's way ($1); SQLite's numbered form is ?1
// ("$1" would be a *named* parameter, numbered by first appearance).
std::string to_sqlite_params(std::string_view sql) {
  std::string out(sql);
  bool quoted = false;
  for (std::size_t i = 0; i + 1 < out.size(); ++i) {
    if (out[i] == '\'') quoted = !quoted;
    if (!quoted && out[i] == '$' && out[i + 1] >= '0' && out[i + 1] <= '9') out[i] = '?';
  }
  return out;
}

class SqliteConnection final : public Connection {
 public:
  explicit SqliteConnection(sqlite::Db db) : db_(std::move(db)) {}

  Dialect dialect() const override { return Dialect::kSqlite; }

  std::expected<Result, std::string> query(std::string_view sql, std::span<const Value> params) override {
    const std::string text = to_sqlite_params(sql);
    sqlite3* db = db_.get();
    sqlite3_stmt* raw = nullptr;
    if (sqlite3_prepare_v2(db, text.data(), static_cast<int>(text.size()), &raw, nullptr) != SQLITE_OK) {
      sqlite3_finalize(raw);
      return std::unexpected(sqlite::error_of(db));
    }
    std::unique_ptr<sqlite3_stmt, decltype(&sqlite3_finalize)> stmt(raw, &sqlite3_finalize);
    for (std::size_t i = 0; i < params.size(); ++i) {
      const int index = static_cast<int>(i) + 1;
      int rc = SQLITE_OK;
      if (const auto* v = std::get_if<std::int64_t>(&params[i])) {
        rc = sqlite3_bind_int64(raw, index, *v);
      } else if (const auto* s = std::get_if<std::string>(&params[i])) {
        rc = sqlite3_bind_text64(raw, index, s->data(), s->size(), SQLITE_TRANSIENT, SQLITE_UTF8);
      } else {
        rc = sqlite3_bind_null(raw, index);
      }
      if (rc != SQLITE_OK) return std::unexpected(sqlite::error_of(db));
    }
    Result result;
    const int columns = sqlite3_column_count(raw);
    for (;;) {
      const int rc = sqlite3_step(raw);
      if (rc == SQLITE_DONE) break;
      if (rc != SQLITE_ROW) return std::unexpected(sqlite::error_of(db));
      auto& row = result.rows.emplace_back();
      row.reserve(static_cast<std::size_t>(columns));
      for (int c = 0; c < columns; ++c) {
        switch (sqlite3_column_type(raw, c)) {
          case SQLITE_NULL: row.emplace_back(); break;
          case SQLITE_INTEGER: row.emplace_back(static_cast<std::int64_t>(sqlite3_column_int64(raw, c))); break;
          default: {
            const auto* t = reinterpret_cast<const char*>(sqlite3_column_text(raw, c));
            row.emplace_back(std::string(t != nullptr ? t : "", static_cast<std::size_t>(sqlite3_column_bytes(raw, c))));
          }
        }
      }
    }
    result.affected = sqlite3_changes64(db);
    return result;
  }

  std::expected<void, std::string> run_script(const std::string& sql) override {
    return sqlite::exec(db_.get(), sql.c_str());
  }

  std::expected<void, std::string> begin(TxKind kind) override {
    // IMMEDIATE takes the write lock up front, so the busy timeout applies to it and a
    // read-then-write transaction can never fail half-way with SQLITE_BUSY_SNAPSHOT (WAL mode).
    return sqlite::exec(db_.get(), kind == TxKind::kWrite ? "BEGIN IMMEDIATE" : "BEGIN DEFERRED");
  }
  std::expected<void, std::string> commit() override { return sqlite::exec(db_.get(), "COMMIT"); }
  // If ROLLBACK itself fails SQLite has already rolled back (e.g. after an I/O error).
  void rollback() override { sqlite3_exec(db_.get(), "ROLLBACK", nullptr, nullptr, nullptr); }

 private:
  sqlite::Db db_;
};

}  // namespace

std::expected<std::unique_ptr<Connection>, std::string> connect_sqlite(const std::string& path,
                                                                       std::chrono::milliseconds busy_timeout) {
  sqlite3* raw = nullptr;
  const int rc = sqlite3_open_v2(path.c_str(), &raw,
                                 SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  sqlite::Db db(raw);
  if (rc != SQLITE_OK) return std::unexpected(db ? sqlite::error_of(db.get()) : "out of memory");
  sqlite3_extended_result_codes(db.get(), 1);
  // Before anything that locks: switching to WAL and migrating may wait for other openers.
  sqlite3_busy_timeout(db.get(), static_cast<int>(busy_timeout.count()));
  // WAL: readers (admission checks) never wait for a writer. synchronous=FULL: a committed
  // revocation survives a power cut (NORMAL could lose it); writes are rare.
  if (auto ok = sqlite::exec(db.get(), "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;"); !ok) {
    return std::unexpected(ok.error());
  }
  return std::make_unique<SqliteConnection>(std::move(db));
}

}  // namespace policy::sql
