#include "support/itc_clients.h"

#include <poll.h>
#include <sys/socket.h>

#include <cctype>
#include <cerrno>
#include <mutex>
#include <stdexcept>

#include "support/pg_cluster.h"
#include "support/pq.h"

namespace testsupport::itc {
namespace {

using Clock = std::chrono::steady_clock;

constexpr std::string_view kConfig = R"(listen: 127.0.0.1:{{LISTEN_PORT}}
workers: 2
store: { sqlite: "{{DIR}}/state.db" }
databases:
  prod:
    host: 127.0.0.1
    port: {{PG_PORT}}
    dbname: itc_clients
    tls: { mode: disable }
    logins:
      app: { user: itc_app, password_env: APP_PW }
roles:
  support: { databases: [prod], login: app, max_duration: 4h }
)";

// The upstream role and database, once per process (the cluster outlives every test case).
void ensure_upstream() {
  static std::once_flag once;
  std::call_once(once, [] {
    auto& cluster = PgCluster::shared();
    cluster.exec("DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '" +
                 std::string(kLogin) + "') THEN CREATE ROLE " + std::string(kLogin) +
                 " LOGIN PASSWORD '" + std::string(kLoginPassword) + "'; END IF; END $$;");
    cluster.create_database(kDatabase);
    // PostgreSQL 15: the database owner owns schema public (pg_database_owner), so the login
    // may create the tables pgbench -i and the scripts need, and nothing in other databases.
    cluster.exec("ALTER DATABASE " + quote_ident(kDatabase) + " OWNER TO " + quote_ident(kLogin));
  });
}

std::string field_line(const PGresult* r) {
  static constexpr std::pair<int, const char*> kFields[] = {
      {PG_DIAG_SEVERITY_NONLOCALIZED, "severity"}, {PG_DIAG_SQLSTATE, "sqlstate"},
      {PG_DIAG_MESSAGE_PRIMARY, "message"},        {PG_DIAG_MESSAGE_DETAIL, "detail"},
      {PG_DIAG_MESSAGE_HINT, "hint"},              {PG_DIAG_STATEMENT_POSITION, "position"},
      {PG_DIAG_INTERNAL_POSITION, "internal_position"},
      {PG_DIAG_INTERNAL_QUERY, "internal_query"},  {PG_DIAG_CONTEXT, "context"},
      {PG_DIAG_SCHEMA_NAME, "schema"},             {PG_DIAG_TABLE_NAME, "table"},
      {PG_DIAG_COLUMN_NAME, "column"},             {PG_DIAG_DATATYPE_NAME, "datatype"},
      {PG_DIAG_CONSTRAINT_NAME, "constraint"},     {PG_DIAG_SOURCE_FILE, "file"},
      {PG_DIAG_SOURCE_LINE, "line"},               {PG_DIAG_SOURCE_FUNCTION, "function"}};
  std::string out;
  for (const auto& [code, name] : kFields) {
    const char* value = PQresultErrorField(r, code);
    if (value == nullptr) continue;
    out += std::string(" ") + name + "=[" + value + "]";
  }
  return out;
}

// Printable ASCII stays as is (readable diffs); anything else is \xNN.
std::string escaped(std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : bytes) {
    if (c >= 0x20 && c < 0x7f && c != '\\') {
      out += static_cast<char>(c);
    } else {
      out += "\\x";
      out += kDigits[c >> 4];
      out += kDigits[c & 15];
    }
  }
  return out;
}

}  // namespace

ClientsSetup::ClientsSetup() {
  ensure_upstream();
  pgveil_ = std::make_unique<PgveilProcess>(std::string(kConfig),
                                            std::vector<std::string>{"APP_PW=" + std::string(kLoginPassword)});
  secret_ = pgveil_->grant(kPerson, kProxyDatabase, "support", "1h", "itc client transparency");
}

std::string ClientsSetup::direct(std::string_view extra) const {
  std::string info = PgCluster::shared().conninfo(kDatabase, kLogin, kLoginPassword);
  if (!extra.empty()) info += " " + std::string(extra);
  return info;
}

std::string ClientsSetup::proxied(std::string_view extra) const {
  std::string info = pgveil_->conninfo(kPerson, kProxyDatabase, secret_);
  if (!extra.empty()) info += " " + std::string(extra);
  return info;
}

RunResult run_psql(const std::string& conninfo, const std::vector<std::string>& args,
                   const std::string& cwd, std::chrono::seconds timeout) {
  std::vector<std::string> argv = {PgCluster::bin("psql"), "-X", "-d", conninfo};
  argv.insert(argv.end(), args.begin(), args.end());
  RunOptions options;
  options.timeout = timeout;
  options.cwd = cwd;
  // Same rendering whatever the caller's environment says.
  options.env = {"PGCLIENTENCODING=UTF8", "LC_ALL=C.UTF-8", "PGTZ=UTC", "PGDATESTYLE", "PGOPTIONS"};
  return run_with(argv, options);
}

std::string mask_pids(std::string text) {
  static constexpr std::string_view kMarker = "PID ";
  std::size_t at = 0;
  while ((at = text.find(kMarker, at)) != std::string::npos) {
    const std::size_t digits = at + kMarker.size();
    std::size_t end = digits;
    while (end < text.size() && std::isdigit(static_cast<unsigned char>(text[end]))) ++end;
    if (end > digits) text.replace(digits, end - digits, "<pid>");
    at = digits;
  }
  return text;
}

PGresult* next_result(PGconn* conn, Clock::time_point deadline, bool* timed_out) {
  *timed_out = false;
  while (PQisBusy(conn)) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) {
      *timed_out = true;
      return nullptr;
    }
    pollfd p{PQsocket(conn), POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left.count())) < 0 && errno != EINTR) return nullptr;
    if (PQconsumeInput(conn) == 0) break;  // connection trouble: PQgetResult reports it
  }
  return PQgetResult(conn);
}

std::string render(const PGresult* r) {
  if (r == nullptr) return "NULL-RESULT";
  const auto status = PQresultStatus(r);
  std::string out = PQresStatus(status);
  if (status == PGRES_FATAL_ERROR || status == PGRES_NONFATAL_ERROR) return out + field_line(r);
  const char* tag = PQcmdStatus(const_cast<PGresult*>(r));
  out += " tag=[" + std::string(tag != nullptr ? tag : "") + "]";
  const int n_cols = PQnfields(r);
  if (n_cols > 0 || status == PGRES_TUPLES_OK) {
    out += " cols=[";
    for (int c = 0; c < n_cols; ++c) {
      out += std::string(c > 0 ? "," : "") + PQfname(r, c) + ":" + std::to_string(PQftype(r, c)) +
             ":f" + std::to_string(PQfformat(r, c)) + ":m" + std::to_string(PQfmod(r, c)) + ":s" +
             std::to_string(PQfsize(r, c));
    }
    out += "] rows=" + std::to_string(PQntuples(r));
    for (int row = 0; row < PQntuples(r); ++row) {
      out += " (";
      for (int c = 0; c < n_cols; ++c) {
        if (c > 0) out += "|";
        if (PQgetisnull(r, row, c)) {
          out += "NULL";
          continue;
        }
        const std::string_view value(PQgetvalue(r, row, c), static_cast<std::size_t>(PQgetlength(r, row, c)));
        out += PQfformat(r, c) == 1 ? "0x" + hex(value) : escaped(value);
      }
      out += ")";
    }
  }
  return out;
}

std::vector<std::string> drain(PGconn* conn, Clock::time_point deadline) {
  std::vector<std::string> lines;
  for (;;) {
    bool timed_out = false;
    PGresult* r = next_result(conn, deadline, &timed_out);
    if (timed_out) {
      lines.emplace_back("TIMEOUT");
      return lines;
    }
    if (r == nullptr) return lines;
    lines.push_back(render(r));
    const auto status = PQresultStatus(r);
    PQclear(r);
    // COPY states never end by themselves; the callers here do not start COPY through drain.
    if (status == PGRES_COPY_IN || status == PGRES_COPY_OUT || status == PGRES_COPY_BOTH) return lines;
  }
}

SocketWatchdog::SocketWatchdog(PGconn* conn, std::chrono::milliseconds limit) {
  const int fd = PQsocket(conn);
  thread_ = std::thread([this, fd, limit] {
    std::unique_lock lock(mutex_);
    if (!cv_.wait_for(lock, limit, [this] { return done_; })) {
      fired_ = true;
      ::shutdown(fd, SHUT_RDWR);
    }
  });
}

SocketWatchdog::~SocketWatchdog() {
  {
    std::lock_guard lock(mutex_);
    done_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

std::string hex(std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) {
    out += kDigits[c >> 4];
    out += kDigits[c & 15];
  }
  return out;
}

}  // namespace testsupport::itc
