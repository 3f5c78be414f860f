#include "support/masking_probe.h"

#include <chrono>
#include <poll.h>

namespace testsupport::masking_shop {
namespace {

constexpr auto kStatementTimeout = std::chrono::seconds(20);

void keep_fields(const PGresult* r, Seen& seen) {
  static constexpr int kFields[] = {PG_DIAG_SEVERITY, PG_DIAG_SQLSTATE, PG_DIAG_MESSAGE_PRIMARY,
                                    PG_DIAG_MESSAGE_DETAIL, PG_DIAG_MESSAGE_HINT, PG_DIAG_CONTEXT,
                                    PG_DIAG_INTERNAL_QUERY, PG_DIAG_SCHEMA_NAME, PG_DIAG_TABLE_NAME,
                                    PG_DIAG_COLUMN_NAME, PG_DIAG_CONSTRAINT_NAME};
  for (const int f : kFields) {
    if (const char* v = PQresultErrorField(r, f)) seen.bytes.append(v).push_back('\n');
  }
}

// Waits for the connection to be readable, bounded, so a hung proxy fails the test.
bool wait_readable(PGconn* c, std::chrono::steady_clock::time_point deadline) {
  while (PQisBusy(c)) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    pollfd p{PQsocket(c), POLLIN, 0};
    if (poll(&p, 1, static_cast<int>(left.count())) < 0) return false;
    if (PQconsumeInput(c) == 0) return false;
  }
  return true;
}

}  // namespace

const char* to_string(Protocol p) {
  switch (p) {
    case Protocol::kSimple: return "simple";
    case Protocol::kExtendedText: return "extended/text";
    case Protocol::kExtendedBinary: return "extended/binary";
  }
  return "?";
}

bool Seen::refused() const {
  for (const auto& s : sqlstates)
    if (s == "42501") return true;
  return false;
}

std::string Seen::summary() const {
  std::string out = "states [";
  for (const auto& s : sqlstates) out += s + " ";
  out += "] messages [";
  for (const auto& m : messages) out += m + " | ";
  out += "] tuples " + std::to_string(tuples) + " bytes: " + bytes.substr(0, 600);
  return out;
}

Probe::Probe(const std::string& conninfo) {
  conn_ = PQconnectdb(conninfo.c_str());
  PQsetNoticeProcessor(
      conn_, [](void* arg, const char* message) { static_cast<std::string*>(arg)->append(message); }, &notices_);
}

Probe::~Probe() {
  if (conn_ != nullptr) PQfinish(conn_);
}

bool Probe::ok() const { return conn_ != nullptr && PQstatus(conn_) == CONNECTION_OK; }
std::string Probe::error() const { return conn_ ? PQerrorMessage(conn_) : "no connection"; }

Seen Probe::run(const std::string& sql, Protocol protocol) {
  Seen seen;
  seen.connected = ok();
  if (!seen.connected) return seen;
  notices_.clear();
  const int sent = protocol == Protocol::kSimple
                       ? PQsendQuery(conn_, sql.c_str())
                       : PQsendQueryParams(conn_, sql.c_str(), 0, nullptr, nullptr, nullptr, nullptr,
                                           protocol == Protocol::kExtendedBinary ? 1 : 0);
  if (sent == 0) {
    seen.sqlstates.push_back("send failed");
    seen.messages.push_back(PQerrorMessage(conn_));
    return seen;
  }
  const auto deadline = std::chrono::steady_clock::now() + kStatementTimeout;
  for (;;) {
    if (!wait_readable(conn_, deadline)) {
      seen.sqlstates.push_back("timeout");
      seen.messages.push_back(PQerrorMessage(conn_));
      break;
    }
    PGresult* r = PQgetResult(conn_);
    if (r == nullptr) break;
    const auto status = PQresultStatus(r);
    if (status == PGRES_FATAL_ERROR || status == PGRES_NONFATAL_ERROR) {
      const char* state = PQresultErrorField(r, PG_DIAG_SQLSTATE);
      const char* message = PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY);
      seen.sqlstates.push_back(state ? state : "");
      seen.messages.push_back(message ? message : PQresultErrorMessage(r));
      keep_fields(r, seen);
    } else if (status == PGRES_COPY_OUT) {
      char* line = nullptr;
      int n = 0;
      while ((n = PQgetCopyData(conn_, &line, 0)) > 0) {
        seen.bytes.append(line, static_cast<std::size_t>(n));
        PQfreemem(line);
      }
    }
    seen.tuples += PQntuples(r);
    for (int row = 0; row < PQntuples(r); ++row) {
      for (int col = 0; col < PQnfields(r); ++col) {
        seen.bytes.append(PQgetvalue(r, row, col), static_cast<std::size_t>(PQgetlength(r, row, col)));
        seen.bytes.push_back('\t');
      }
      seen.bytes.push_back('\n');
    }
    PQclear(r);
  }
  while (PGnotify* n = PQnotifies(conn_)) {
    seen.bytes.append(n->relname).append(": ").append(n->extra).push_back('\n');
    PQfreemem(n);
  }
  if (const char* app = PQparameterStatus(conn_, "application_name")) seen.bytes.append(app).push_back('\n');
  seen.bytes += notices_;
  return seen;
}

}  // namespace testsupport::masking_shop
