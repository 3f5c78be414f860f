// A throwaway PostgreSQL 15 cluster for integration tests (DESIGN.md: real PostgreSQL
// everywhere it matters, no mock database).
//
// initdb refuses to run as root, so when the test runs as root the cluster belongs to the OS
// user "pgveiltest" (created with useradd when missing) and every server command runs through
// `runuser -u pgveiltest --`. The data directory is a fresh mkdtemp under /tmp; the server
// listens on 127.0.0.1 only, on a random free port, with its unix socket inside the data dir.
// A detached guardian process stops the server and deletes the directory if the test process
// dies without running destructors (ctest timeout, abort, sanitizer report).
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "support/files.h"
#include "support/process.h"

namespace testsupport {

class PgCluster {
 public:
  // Superuser and the accounts pg_hba.conf singles out for authentication-method tests.
  static constexpr std::string_view kSuperuser = "postgres";
  static constexpr std::string_view kSuperuserPassword = "postgres";
  static constexpr std::string_view kMd5User = "md5user";          // hba method md5, md5-hashed password
  static constexpr std::string_view kMd5Password = "md5user";
  static constexpr std::string_view kTrustUser = "trustuser";      // hba method trust, no password
  static constexpr std::string_view kOsUser = "pgveiltest";

  PgCluster();  // initdb + start; throws std::runtime_error with the server's log on failure
  PgCluster(const PgCluster&) = delete;
  PgCluster& operator=(const PgCluster&) = delete;
  ~PgCluster();  // pg_ctl stop -m immediate, then the directory is deleted

  // Started on first use, once per test process; stopped by static destruction at exit.
  static PgCluster& shared();

  std::uint16_t port() const { return port_; }
  std::string conninfo(std::string_view dbname = "postgres", std::string_view user = "postgres",
                       std::string_view password = "postgres") const;

  // Runs SQL (several statements allowed) as the superuser; throws std::runtime_error carrying
  // the server's SQLSTATE and message on error.
  void exec(const std::string& sql, std::string_view dbname = "postgres");
  // First column of the first row ("" for NULL); throws if the query fails or returns no row.
  std::string query_value(const std::string& sql, std::string_view dbname = "postgres");
  void create_database(std::string_view name);  // idempotent, also under concurrent callers

  // Runs psql as the superuser: -X (no psqlrc), ON_ERROR_STOP=1, -At, then `args` (for example
  // {"-c", sql} or {"-f", path, "-v", "name=value"}). Bounded by `timeout`.
  RunResult psql(const std::vector<std::string>& args, std::string_view dbname = "postgres",
                 std::chrono::seconds timeout = std::chrono::seconds(300)) const;

  // Stops the server (immediate shutdown, as a crash would) and starts it again on the same
  // port: for tests of clients that must survive a server restart.
  void stop_server();
  void start_server();

  const std::string& data_dir() const { return data_dir_; }
  std::string log() const;  // the server log so far

  // Path of a PostgreSQL 15 program (initdb, pg_ctl, psql, pgbench, ...). PGVEIL_PG_BINDIR
  // overrides the default /usr/lib/postgresql/15/bin.
  static std::string bin(std::string_view program);
  // Prefix that runs a command as the cluster's OS user ({} when we are not root).
  std::vector<std::string> as_owner() const;

 private:
  void init_database_dir();
  void start();
  RunResult pg_ctl_start();
  void start_guardian();
  void stop();

  std::unique_ptr<TempDir> root_;  // holds data/, the log, the pwfile
  std::string data_dir_, log_path_;
  std::uint16_t port_ = 0;
  bool running_ = false;
  bool as_other_user_ = false;
  uid_t uid_ = 0;
  gid_t gid_ = 0;
  int guardian_fd_ = -1;  // write end of the guardian's stdin pipe: closing it wakes the guardian
  pid_t guardian_pid_ = -1;
};

// Quotes a value for a libpq key=value connection string.
std::string conninfo_value(std::string_view value);
// Quotes an SQL identifier ("name" with embedded quotes doubled).
std::string quote_ident(std::string_view name);

}  // namespace testsupport
