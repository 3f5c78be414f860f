// Support for the client-transparency tests (tests/integration/relay_clients*_test.cc): the same
// work is done by a real client directly against PostgreSQL and through pgveil, as the same
// upstream login, and the outputs are compared. These helpers set up both ends and render what
// a client saw into comparable text.
#pragma once

#include <libpq-fe.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "support/pgveil_process.h"
#include "support/process.h"

namespace testsupport::itc {

// The upstream side: database kDatabase owned by kLogin (so pgbench -i and the scripts may create
// tables), created once per test process in PgCluster::shared(). pgveil brokers kLogin for
// kPerson on the configured database kProxyDatabase ("prod").
inline constexpr std::string_view kDatabase = "itc_clients";
inline constexpr std::string_view kLogin = "itc_app";
inline constexpr std::string_view kLoginPassword = "itc-app-pw-1";
inline constexpr std::string_view kPerson = "carol";
inline constexpr std::string_view kProxyDatabase = "prod";

// One pgveil in front of the shared cluster with an active 1 h grant for kPerson.
class ClientsSetup {
 public:
  ClientsSetup();  // throws std::runtime_error (with pgveil's stderr) when anything fails
  ClientsSetup(const ClientsSetup&) = delete;
  ClientsSetup& operator=(const ClientsSetup&) = delete;

  // libpq connection strings; `extra` is appended (e.g. "application_name=x").
  std::string direct(std::string_view extra = {}) const;
  std::string proxied(std::string_view extra = {}) const;
  const std::string& secret() const { return secret_; }
  PgveilProcess& pgveil() { return *pgveil_; }

 private:
  std::unique_ptr<PgveilProcess> pgveil_;
  std::string secret_;
};

// Runs psql -X -d CONNINFO ARGS... in `cwd` (empty = inherit), bounded by `timeout`.
RunResult run_psql(const std::string& conninfo, const std::vector<std::string>& args,
                   const std::string& cwd = {},
                   std::chrono::seconds timeout = std::chrono::seconds(60));

// Replaces every "PID <digits>" by "PID <pid>": psql prints the notifying backend's pid, which
// differs from run to run.
std::string mask_pids(std::string text);

// libpq, bounded: the next result of the current command (nullptr when there is none). Sets
// *timed_out and returns nullptr if nothing arrives before `deadline`.
PGresult* next_result(PGconn* conn, std::chrono::steady_clock::time_point deadline,
                      bool* timed_out);

// One line describing a result the way a client can observe it: status; for errors every
// field (severity, SQLSTATE, message, detail, hint, position, context, schema/table/column/
// constraint); for rows the column descriptions (name, type OID, format, typmod, size), the
// command tag and every value (binary values and bytes outside printable ASCII hex-escaped).
std::string render(const PGresult* result);

// Renders and clears results until libpq returns nullptr (end of the current command), bounded.
// A timeout appends the line "TIMEOUT".
std::vector<std::string> drain(PGconn* conn, std::chrono::steady_clock::time_point deadline);

// Bounds blocking libpq calls (PQexec, lo_*, PQfn wait in poll() without a timeout): if the
// guarded scope outlives `limit`, the connection's socket is shut down, so the call fails with
// a connection error instead of hanging the test. fired() says whether that happened.
class SocketWatchdog {
 public:
  SocketWatchdog(PGconn* conn, std::chrono::milliseconds limit);
  SocketWatchdog(const SocketWatchdog&) = delete;
  SocketWatchdog& operator=(const SocketWatchdog&) = delete;
  ~SocketWatchdog();
  bool fired() const { return fired_.load(); }

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  bool done_ = false;
  std::atomic<bool> fired_{false};
  std::thread thread_;
};

// Hex of arbitrary bytes, for messages and renderings.
std::string hex(std::string_view bytes);

}  // namespace testsupport::itc
