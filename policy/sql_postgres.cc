// sql::Connection over libpq.
#include <libpq-fe.h>

#include <fmt/format.h>

#include <algorithm>

#include "policy/pg_conninfo.h"
#include "policy/sql_connection.h"

namespace policy::sql {
namespace {

// Every writer takes this transaction-scoped advisory lock first: workflow steps serialize across
// all pgveil processes exactly as SQLite's single writer lock does, so a step decides on the
// state the previous one committed (READ COMMITTED re-reads after the wait).
constexpr std::int64_t kWriteLockKey = 0x7067766c'00000001;  // "pgvl", 1

constexpr Oid kInt8Oid = 20;
constexpr Oid kTextOid = 25;

class PgConnection final : public Connection {
 public:
  PgConnection(std::string conninfo, std::chrono::seconds timeout)
      : conninfo_(std::move(conninfo)), timeout_(timeout) {}
  ~PgConnection() override { disconnect(); }

  std::expected<void, std::string> connect() {
    disconnect();
    auto conn = pg::connect(conninfo_, timeout_, "pgveil-store");
    if (!conn) return std::unexpected(conn.error());
    conn_ = *conn;
    return {};
  }

  Dialect dialect() const override { return Dialect::kPostgres; }

  std::expected<Result, std::string> query(std::string_view sql, std::span<const Value> params) override {
    if (!in_tx_) {
      if (auto ok = ensure_connected(); !ok) return std::unexpected(ok.error());
    }
    return run(sql, params);
  }

  std::expected<void, std::string> run_script(const std::string& sql) override {
    if (conn_ == nullptr) return std::unexpected("not connected to the PostgreSQL grant store");
    std::unique_ptr<PGresult, decltype(&PQclear)> res(PQexec(conn_, sql.c_str()), &PQclear);
    if (PQresultStatus(res.get()) != PGRES_COMMAND_OK && PQresultStatus(res.get()) != PGRES_TUPLES_OK) {
      return std::unexpected(pg::error_of(conn_, res.get()));
    }
    return {};
  }

  std::expected<void, std::string> begin(TxKind kind) override {
    if (auto ok = ensure_connected(); !ok) return std::unexpected(ok.error());
    const std::string_view sql = kind == TxKind::kWrite ? "BEGIN ISOLATION LEVEL READ COMMITTED"
                                                        : "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY";
    auto begun = run(sql, {});
    if (!begun && PQstatus(conn_) == CONNECTION_BAD) {
      // The server restarted or the connection idled out since the last use: nothing ran yet,
      // so one fresh connection and a second BEGIN are safe.
      if (auto ok = connect(); !ok) return std::unexpected(ok.error());
      begun = run(sql, {});
    }
    if (!begun) return std::unexpected(begun.error());
    in_tx_ = true;
    if (kind == TxKind::kWrite) {
      const Value key[] = {kWriteLockKey};
      if (auto locked = run("SELECT pg_advisory_xact_lock($1)", key); !locked) {
        rollback();
        return std::unexpected(locked.error());
      }
    }
    return {};
  }

  std::expected<void, std::string> commit() override {
    auto done = run("COMMIT", {});
    in_tx_ = false;
    if (!done) return std::unexpected(done.error());
    return {};
  }

  void rollback() override {
    if (conn_ != nullptr && PQstatus(conn_) == CONNECTION_OK) PQclear(PQexec(conn_, "ROLLBACK"));
    in_tx_ = false;
  }

 private:
  void disconnect() {
    if (conn_ != nullptr) PQfinish(conn_);
    conn_ = nullptr;
    in_tx_ = false;
  }

  std::expected<void, std::string> ensure_connected() {
    if (conn_ != nullptr && PQstatus(conn_) == CONNECTION_OK) return {};
    return connect();
  }

  std::expected<Result, std::string> run(std::string_view sql, std::span<const Value> params) {
    if (conn_ == nullptr) return std::unexpected("not connected to the PostgreSQL grant store");
    std::vector<Oid> types;
    std::vector<std::string> texts;
    std::vector<const char*> values;
    types.reserve(params.size());
    texts.reserve(params.size());
    for (const auto& p : params) {
      if (const auto* i = std::get_if<std::int64_t>(&p)) {
        types.push_back(kInt8Oid);
        texts.push_back(std::to_string(*i));
      } else if (const auto* s = std::get_if<std::string>(&p)) {
        types.push_back(kTextOid);
        texts.push_back(*s);
      } else {
        types.push_back(0);  // NULL: the server infers the type from the context
        texts.emplace_back();
      }
    }
    for (std::size_t i = 0; i < params.size(); ++i)
      values.push_back(std::holds_alternative<std::monostate>(params[i]) ? nullptr : texts[i].c_str());
    const std::string text(sql);
    PGresult* raw = PQexecParams(conn_, text.c_str(), static_cast<int>(params.size()), types.data(), values.data(),
                                 nullptr, nullptr, 0);
    std::unique_ptr<PGresult, decltype(&PQclear)> res(raw, &PQclear);
    const auto status = PQresultStatus(raw);
    if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) return std::unexpected(pg::error_of(conn_, raw));
    Result result;
    const int rows = PQntuples(raw);
    const int columns = PQnfields(raw);
    result.rows.reserve(static_cast<std::size_t>(rows));
    for (int r = 0; r < rows; ++r) {
      auto& row = result.rows.emplace_back();
      for (int c = 0; c < columns; ++c) {
        if (PQgetisnull(raw, r, c)) {
          row.emplace_back();
        } else {
          row.emplace_back(std::string(PQgetvalue(raw, r, c), static_cast<std::size_t>(PQgetlength(raw, r, c))));
        }
      }
    }
    const char* affected = PQcmdTuples(raw);
    if (affected != nullptr && *affected != '\0') result.affected = std::stoll(affected);
    return result;
  }

  std::string conninfo_;
  std::chrono::seconds timeout_;
  PGconn* conn_ = nullptr;
  bool in_tx_ = false;
};

}  // namespace

std::expected<std::unique_ptr<Connection>, std::string> connect_postgres(const std::string& conninfo,
                                                                         std::chrono::seconds timeout) {
  auto conn = std::make_unique<PgConnection>(conninfo, timeout);
  if (auto ok = conn->connect(); !ok) return std::unexpected(ok.error());
  return conn;
}

}  // namespace policy::sql
