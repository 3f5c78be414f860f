#include "support/pq.h"

#include <poll.h>

#include <cerrno>
#include <stdexcept>
#include <utility>

namespace testsupport {
namespace {

std::string field(const PGresult* result, int code) {
  const char* value = PQresultErrorField(result, code);
  return value != nullptr ? value : "";
}

// Verbose libpq text looks like
//   connection to server at "127.0.0.1", port 6432 failed: FATAL:  28000: no active grant ...
//   HINT:  Ask for access: ...
// (DETAIL / HINT / LOCATION lines follow the first line). Parsed by hand: GCC 12 with
// -O2 -fsanitize=address reports false -Wmaybe-uninitialized inside <regex>.
std::string line_after(const std::string& text, std::size_t from) {
  const auto end = text.find('\n', from);
  return text.substr(from, end == std::string::npos ? std::string::npos : end - from);
}

bool is_sqlstate(std::string_view s) {
  if (s.size() != 5) return false;
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z'))) return false;
  }
  return true;
}

PgError parse_verbose_message(std::string raw) {
  PgError error;
  error.raw = raw;
  error.message = raw;
  for (const std::string_view severity : {"FATAL", "ERROR", "PANIC"}) {
    const std::string marker = std::string(severity) + ":  ";
    const auto at = raw.find(marker);
    if (at == std::string::npos) continue;
    const std::string rest = line_after(raw, at + marker.size());
    if (rest.size() > 7 && is_sqlstate(std::string_view(rest).substr(0, 5)) &&
        rest.compare(5, 2, ": ") == 0) {
      error.severity = severity;
      error.sqlstate = rest.substr(0, 5);
      error.message = rest.substr(7);
    } else {
      error.severity = severity;
      error.message = rest;
    }
    break;
  }
  if (const auto at = raw.find("\nDETAIL:  "); at != std::string::npos) {
    error.detail = line_after(raw, at + 10);
  }
  if (const auto at = raw.find("\nHINT:  "); at != std::string::npos) {
    error.hint = line_after(raw, at + 8);
  }
  return error;
}

}  // namespace

std::string PgError::to_string() const {
  std::string text = sqlstate.empty() ? std::string() : severity + " " + sqlstate + ": ";
  text += message;
  if (!detail.empty()) text += " DETAIL: " + detail;
  if (!hint.empty()) text += " HINT: " + hint;
  if (sqlstate.empty() && raw != message) text += " (" + raw + ")";
  return text;
}

std::expected<PgConn, PgError> PgConn::connect(const std::string& conninfo,
                                               std::chrono::milliseconds timeout) {
  PGconn* raw = PQconnectStart(conninfo.c_str());
  if (raw == nullptr) return std::unexpected(PgError{"", "", "out of memory", "", "", ""});
  PgConn conn(raw);
  PQsetErrorVerbosity(raw, PQERRORS_VERBOSE);
  if (PQstatus(raw) == CONNECTION_BAD) {
    return std::unexpected(parse_verbose_message(PQerrorMessage(raw)));
  }
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  // libpq: behave as if PQconnectPoll had just returned PGRES_POLLING_WRITING.
  PostgresPollingStatusType status = PGRES_POLLING_WRITING;
  while (status != PGRES_POLLING_OK && status != PGRES_POLLING_FAILED) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      return std::unexpected(PgError{"", "", "connect timed out after " +
                                     std::to_string(timeout.count()) + " ms", "", "", ""});
    }
    pollfd p{PQsocket(raw), static_cast<short>(status == PGRES_POLLING_READING ? POLLIN : POLLOUT),
             0};
    if (::poll(&p, 1, static_cast<int>(left.count())) < 0 && errno != EINTR) break;
    status = PQconnectPoll(raw);
  }
  if (PQstatus(raw) != CONNECTION_OK) {
    return std::unexpected(parse_verbose_message(PQerrorMessage(raw)));
  }
  PQsetErrorVerbosity(raw, PQERRORS_DEFAULT);
  PQsetNoticeProcessor(raw, [](void*, const char*) {}, nullptr);  // keep test output readable
  return conn;
}

PgConn PgConn::must_connect(const std::string& conninfo) {
  auto conn = connect(conninfo);
  if (!conn) throw std::runtime_error("connect failed: " + conn.error().to_string());
  return std::move(*conn);
}

PgConn::PgConn(PgConn&& other) noexcept : conn_(std::exchange(other.conn_, nullptr)) {}

PgConn& PgConn::operator=(PgConn&& other) noexcept {
  if (this != &other) {
    if (conn_ != nullptr) PQfinish(conn_);
    conn_ = std::exchange(other.conn_, nullptr);
  }
  return *this;
}

PgConn::~PgConn() {
  if (conn_ != nullptr) PQfinish(conn_);
}

std::expected<Rows, PgError> PgConn::take(PGresult* result) {
  if (result == nullptr) {
    return std::unexpected(parse_verbose_message(PQerrorMessage(conn_)));
  }
  const auto status = PQresultStatus(result);
  if (status != PGRES_TUPLES_OK && status != PGRES_COMMAND_OK && status != PGRES_EMPTY_QUERY) {
    PgError error{field(result, PG_DIAG_SQLSTATE), field(result, PG_DIAG_SEVERITY),
                  field(result, PG_DIAG_MESSAGE_PRIMARY), field(result, PG_DIAG_MESSAGE_DETAIL),
                  field(result, PG_DIAG_MESSAGE_HINT), PQresultErrorMessage(result)};
    if (error.message.empty()) error.message = error.raw;
    PQclear(result);
    return std::unexpected(std::move(error));
  }
  Rows rows;
  const int n_rows = PQntuples(result);
  const int n_cols = PQnfields(result);
  rows.reserve(static_cast<std::size_t>(n_rows));
  for (int r = 0; r < n_rows; ++r) {
    Row row;
    row.reserve(static_cast<std::size_t>(n_cols));
    for (int c = 0; c < n_cols; ++c) {
      if (PQgetisnull(result, r, c)) {
        row.emplace_back(std::nullopt);
      } else {
        row.emplace_back(std::string(PQgetvalue(result, r, c),
                                     static_cast<std::size_t>(PQgetlength(result, r, c))));
      }
    }
    rows.push_back(std::move(row));
  }
  PQclear(result);
  return rows;
}

std::expected<Rows, PgError> PgConn::query(const std::string& sql) {
  return take(PQexec(conn_, sql.c_str()));
}

std::expected<Rows, PgError> PgConn::query_params(
    const std::string& sql, const std::vector<std::optional<std::string>>& params) {
  std::vector<const char*> values;
  values.reserve(params.size());
  for (const auto& p : params) values.push_back(p ? p->c_str() : nullptr);
  return take(PQexecParams(conn_, sql.c_str(), static_cast<int>(values.size()), nullptr,
                           values.data(), nullptr, nullptr, 0));
}

Rows PgConn::must(const std::string& sql) {
  auto rows = query(sql);
  if (!rows) throw std::runtime_error("query failed: " + rows.error().to_string() + "\n  " + sql);
  return std::move(*rows);
}

std::string PgConn::value(const std::string& sql) {
  const auto rows = must(sql);
  if (rows.empty() || rows.front().empty()) {
    throw std::runtime_error("query returned no rows: " + sql);
  }
  return rows.front().front().value_or("");
}

}  // namespace testsupport
