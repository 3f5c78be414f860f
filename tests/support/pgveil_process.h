// `pgveil --config FILE serve` in a child process, with a config written by the test.
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

struct IssuedSecret {
  std::int64_t id = 0;
  std::string secret;
  std::string psql;  // the ready-to-paste command pgveil prints
};

class PgveilProcess {
 public:
  // yaml: the whole config. Placeholders replaced before it is written to <dir>/pgveil.yaml:
  //   {{PG_PORT}}      port of PgCluster::shared() (started only if the placeholder is used)
  //   {{LISTEN_PORT}}  a free loopback port, also returned by port()
  //   {{DIR}}          a fresh temp dir for state.db, secrets, certificates
  //   {{ADMIN_PORT}}   another free loopback port (admin API), also returned by admin_port()
  // env: "KEY=VALUE" entries for pgveil (e.g. password_env variables), also used by grant().
  // Waits at most 20 s until the listen port accepts TCP; throws std::runtime_error with
  // pgveil's stderr if it exits first or never listens.
  // binary: the executable to run; empty = PGVEIL_BINARY (the harness's own tests use a fake).
  // serve_args: more arguments after `serve` (e.g. --test-clock).
  explicit PgveilProcess(std::string yaml, std::vector<std::string> env = {},
                         std::string binary = {}, std::vector<std::string> serve_args = {});
  PgveilProcess(const PgveilProcess&) = delete;
  PgveilProcess& operator=(const PgveilProcess&) = delete;
  ~PgveilProcess();  // stop()

  std::uint16_t port() const { return port_; }
  std::uint16_t admin_port() const { return admin_port_; }
  const std::string& dir() const { return dir_->path(); }
  const std::string& config_path() const { return config_path_; }
  std::string log() const;  // its stderr so far
  void signal(int sig);
  int pid() const { return pid_; }
  bool running();  // false once it has exited (the exit code is then in exit_code())
  int exit_code() const { return exit_code_; }
  // SIGTERM, wait up to `grace`, then SIGKILL. Returns the exit code (128+signal if killed).
  int stop(std::chrono::seconds grace = std::chrono::seconds(10));

  // `pgveil --config C grant create --user U --db D --role R --for DUR --reason R --json`;
  // returns the one-time secret. Throws with pgveil's stderr if the command fails.
  std::string grant(std::string_view user, std::string_view db, std::string_view role,
                    std::string_view duration = "1h", std::string_view reason = "test");
  IssuedSecret issue_grant(std::string_view user, std::string_view db, std::string_view role,
                           std::string_view duration = "1h", std::string_view reason = "test");
  // Any other CLI command: runs `pgveil <args...>` with this process's env and cwd = dir()
  // (pass {"--config", config_path(), "grant", "list"} and the like yourself).
  RunResult cli(const std::vector<std::string>& args,
                std::chrono::seconds timeout = std::chrono::seconds(60)) const;

  // libpq connection string for a client of this pgveil.
  std::string conninfo(std::string_view user, std::string_view db, std::string_view secret) const;

 private:
  void wait_until_listening();

  std::unique_ptr<TempDir> dir_;
  std::string binary_, config_path_, stderr_path_;
  std::vector<std::string> env_;
  std::uint16_t port_ = 0;
  std::uint16_t admin_port_ = 0;
  pid_t pid_ = -1;
  int exit_code_ = -1;
};

}  // namespace testsupport
