// A small libpq wrapper for tests: connect and query with errors as values carrying the
// server's SQLSTATE, so a test can assert `28000` for a refused login or `42501` for a refused
// statement instead of matching message text.
#pragma once

#include <libpq-fe.h>

#include <chrono>
#include <expected>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace testsupport {

struct PgError {
  std::string sqlstate;  // "" when the failure did not come from a server (refused TCP, timeout)
  std::string severity;  // FATAL, ERROR, ...
  std::string message, detail, hint;
  std::string raw;       // libpq's full text
  std::string to_string() const;
};

using Row = std::vector<std::optional<std::string>>;  // nullopt = SQL NULL
using Rows = std::vector<Row>;

class PgConn {
 public:
  // Non-blocking connect bounded by `timeout`. Startup errors (FATAL from the server or the
  // proxy) come back with their SQLSTATE: libpq has no API for it before a connection exists,
  // so the connection is put in verbose error mode and the code is read from the message.
  static std::expected<PgConn, PgError> connect(
      const std::string& conninfo, std::chrono::milliseconds timeout = std::chrono::seconds(30));
  // Same, but throws std::runtime_error with the error text: for tests where failure is a bug.
  static PgConn must_connect(const std::string& conninfo);

  PgConn(PgConn&& other) noexcept;
  PgConn& operator=(PgConn&& other) noexcept;
  PgConn(const PgConn&) = delete;
  PgConn& operator=(const PgConn&) = delete;
  ~PgConn();

  // Simple-query protocol (several statements allowed: the last result is returned).
  std::expected<Rows, PgError> query(const std::string& sql);
  // Extended protocol (Parse/Bind/Execute) with text parameters; nullopt is NULL.
  std::expected<Rows, PgError> query_params(const std::string& sql,
                                            const std::vector<std::optional<std::string>>& params);
  Rows must(const std::string& sql);              // throws on error
  std::string value(const std::string& sql);      // first column of first row; "" for NULL; throws

  PGconn* get() const { return conn_; }
  bool ok() const { return conn_ != nullptr && PQstatus(conn_) == CONNECTION_OK; }

 private:
  explicit PgConn(PGconn* conn) : conn_(conn) {}
  std::expected<Rows, PgError> take(PGresult* result);
  PGconn* conn_ = nullptr;
};

}  // namespace testsupport
