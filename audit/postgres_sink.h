// A sink that inserts events into a PostgreSQL table (issue #5 point 3; table in SCHEMA.md).
//
// One round trip per batch: the batch travels as a single jsonb array parameter and the server
// spreads it into rows (INSERT ... SELECT FROM jsonb_array_elements), so a batch is one
// statement and lands all or nothing. The table is created if missing on every new connection.
//
// Failure handling stays the Writer's (writer.h): write() returns the error and the Writer
// decides to block or to drop. The sink only reconnects: after a failed connection or a lost
// one it waits (exponential backoff, min_backoff doubling up to max_backoff) before it tries
// again, and a write() during that wait fails at once with the last error, without a connect.
// If the connection drops after the server committed a batch but before its reply arrived, the
// batch is reported failed although its rows are in the table: the table may hold an event the
// Writer counted as failed, never lack one it counted as recorded.
#pragma once

#include <chrono>
#include <expected>
#include <functional>
#include <memory>
#include <string>

#include "audit/sink.h"

struct pg_conn;

namespace audit {

struct PostgresSinkOptions {
  std::string dsn;                      // libpq connection string or URI
  std::string table = "pgveil_audit";   // "name" or "schema.name": letters, digits, _
  std::size_t max_batch = 500;
  std::chrono::milliseconds min_backoff{200};
  std::chrono::milliseconds max_backoff{30'000};
  // Bounds every connect and every insert, so a hung server cannot stall the sink's thread
  // forever (libpq connect_timeout, tcp_user_timeout and statement_timeout). Settings given in
  // the dsn win.
  std::chrono::seconds timeout{10};
  std::function<std::chrono::steady_clock::time_point()> now = [] { return std::chrono::steady_clock::now(); };
};

class PostgresSink final : public Sink {
 public:
  // Checks the options (dsn syntax, table name) without connecting: the database may come up
  // after pgveil, and the Writer's policy decides what happens to events until it does.
  static std::expected<std::unique_ptr<PostgresSink>, SinkError> open(PostgresSinkOptions options);

  ~PostgresSink() override;
  PostgresSink(const PostgresSink&) = delete;
  PostgresSink& operator=(const PostgresSink&) = delete;

  std::string name() const override;
  std::size_t max_batch() const override;
  std::expected<void, SinkError> write(std::span<const std::string> events) override;

  bool connected() const { return conn_ != nullptr; }
  std::uint64_t connects() const { return connects_; }  // successful connections so far

  // The CREATE TABLE statement for `table` (validated, quoted), as documented in SCHEMA.md.
  static std::string create_table_sql(const std::string& quoted_table);

 private:
  PostgresSink(PostgresSinkOptions options, std::string quoted_table, std::string label);
  std::expected<void, SinkError> ensure_connected();
  SinkError fail(std::string cause);  // drops the connection if it broke, schedules a retry
  void disconnect();

  PostgresSinkOptions options_;
  std::string quoted_table_;
  std::string label_;  // "postgres:host/dbname/table", never the password
  std::string insert_sql_;
  pg_conn* conn_ = nullptr;
  std::chrono::milliseconds backoff_{0};
  std::chrono::steady_clock::time_point retry_at_{};
  std::string last_error_;
  std::uint64_t connects_ = 0;
};

}  // namespace audit
