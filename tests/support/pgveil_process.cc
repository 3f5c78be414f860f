#include "support/pgveil_process.h"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <system_error>
#include <thread>

#include "support/net.h"
#include "support/pg_cluster.h"

#ifndef PGVEIL_BINARY
#define PGVEIL_BINARY "pgveil"
#endif

namespace testsupport {
namespace {

constexpr auto kListenTimeout = std::chrono::seconds(20);

int open_for_append(const std::string& path) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (fd < 0) throw std::system_error(errno, std::generic_category(), "open " + path);
  return fd;
}

}  // namespace

PgveilProcess::PgveilProcess(std::string yaml, std::vector<std::string> env, std::string binary,
                             std::vector<std::string> serve_args)
    : dir_(std::make_unique<TempDir>("pgveil-proc")),
      binary_(binary.empty() ? std::string(PGVEIL_BINARY) : std::move(binary)),
      env_(std::move(env)) {
  config_path_ = dir() + "/pgveil.yaml";
  stderr_path_ = dir() + "/pgveil.stderr";
  port_ = free_port();
  if (yaml.find("{{PG_PORT}}") != std::string::npos) {
    yaml = replace_all(std::move(yaml), "{{PG_PORT}}", std::to_string(PgCluster::shared().port()));
  }
  yaml = replace_all(std::move(yaml), "{{LISTEN_PORT}}", std::to_string(port_));
  if (yaml.find("{{ADMIN_PORT}}") != std::string::npos) {
    do admin_port_ = free_port();
    while (admin_port_ == port_);
    yaml = replace_all(std::move(yaml), "{{ADMIN_PORT}}", std::to_string(admin_port_));
  }
  yaml = replace_all(std::move(yaml), "{{DIR}}", dir());
  write_file(config_path_, yaml, 0600);

  const int out_fd = open_for_append(dir() + "/pgveil.stdout");
  const int err_fd = open_for_append(stderr_path_);
  SpawnSpec spec;
  // --config before the subcommand: it is an option of the top-level command (README).
  spec.argv = {binary_, "--config", config_path_, "serve"};
  spec.argv.insert(spec.argv.end(), serve_args.begin(), serve_args.end());
  spec.env = env_;
  spec.cwd = dir();
  spec.stdout_fd = out_fd;
  spec.stderr_fd = err_fd;
  try {
    pid_ = spawn(spec);
  } catch (...) {
    ::close(out_fd);
    ::close(err_fd);
    throw;
  }
  ::close(out_fd);
  ::close(err_fd);
  wait_until_listening();
}

PgveilProcess::~PgveilProcess() { stop(); }

void PgveilProcess::wait_until_listening() {
  const auto deadline = std::chrono::steady_clock::now() + kListenTimeout;
  for (;;) {
    if (!running()) {
      throw std::runtime_error("pgveil exited with code " + std::to_string(exit_code_) +
                               " before listening on port " + std::to_string(port_) +
                               "; stderr:\n" + log());
    }
    if (port_accepts(port_)) return;
    if (std::chrono::steady_clock::now() >= deadline) {
      stop(std::chrono::seconds(2));
      throw std::runtime_error("pgveil did not listen on port " + std::to_string(port_) +
                               " within 20 s; stderr:\n" + log());
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
}

std::string PgveilProcess::log() const {
  try {
    return read_file(stderr_path_);
  } catch (const std::exception&) {
    return {};
  }
}

void PgveilProcess::signal(int sig) {
  if (pid_ > 0 && exit_code_ < 0) ::kill(pid_, sig);
}

bool PgveilProcess::running() {
  if (pid_ <= 0) return false;
  if (exit_code_ >= 0) return false;
  int status = 0;
  const pid_t r = ::waitpid(pid_, &status, WNOHANG);
  if (r == pid_) {
    exit_code_ = decode_wait_status(status);
    return false;
  }
  return true;
}

int PgveilProcess::stop(std::chrono::seconds grace) {
  if (!running()) return exit_code_;
  ::kill(pid_, SIGTERM);
  int code = wait_for_exit(pid_, grace);
  if (code < 0) {
    ::kill(-pid_, SIGKILL);  // its process group: anything it started goes too
    ::kill(pid_, SIGKILL);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    code = decode_wait_status(status);
  }
  exit_code_ = code;
  return code;
}

RunResult PgveilProcess::cli(const std::vector<std::string>& args,
                             std::chrono::seconds timeout) const {
  std::vector<std::string> argv = {binary_};
  argv.insert(argv.end(), args.begin(), args.end());
  return run_with(argv, RunOptions{{}, env_, timeout, dir()});
}

IssuedSecret PgveilProcess::issue_grant(std::string_view user, std::string_view db,
                                        std::string_view role, std::string_view duration,
                                        std::string_view reason) {
  const auto r = cli({"--config", config_path_, "grant", "create", "--user", std::string(user),
                      "--db", std::string(db), "--role", std::string(role), "--for",
                      std::string(duration), "--reason", std::string(reason), "--json"});
  if (r.exit_code != 0) {
    throw std::runtime_error("pgveil grant create failed (" + std::to_string(r.exit_code) +
                             "): " + r.err + r.out);
  }
  // The JSON object is the last non-empty line of stdout (anything before it is informational).
  std::string json_line;
  std::size_t end = r.out.size();
  while (end > 0 && json_line.empty()) {
    const auto start = r.out.rfind('\n', end - 1);
    const auto from = start == std::string::npos ? 0 : start + 1;
    json_line = r.out.substr(from, end - from);
    if (json_line.find_first_not_of(" \t\r") == std::string::npos) json_line.clear();
    end = start == std::string::npos ? 0 : start;
  }
  const auto parsed = nlohmann::json::parse(json_line, nullptr, /*allow_exceptions=*/false);
  if (!parsed.is_object() || !parsed.contains("secret") || !parsed["secret"].is_string()) {
    throw std::runtime_error("pgveil grant create printed no JSON with a secret: " + r.out);
  }
  IssuedSecret issued;
  issued.secret = parsed["secret"].get<std::string>();
  if (parsed.contains("id") && parsed["id"].is_number_integer()) {
    issued.id = parsed["id"].get<std::int64_t>();
  }
  if (parsed.contains("psql") && parsed["psql"].is_string()) {
    issued.psql = parsed["psql"].get<std::string>();
  }
  return issued;
}

std::string PgveilProcess::grant(std::string_view user, std::string_view db,
                                 std::string_view role, std::string_view duration,
                                 std::string_view reason) {
  return issue_grant(user, db, role, duration, reason).secret;
}

std::string PgveilProcess::conninfo(std::string_view user, std::string_view db,
                                    std::string_view secret) const {
  return "host=127.0.0.1 port=" + std::to_string(port_) + " user=" + conninfo_value(user) +
         " dbname=" + conninfo_value(db) + " password=" + conninfo_value(secret) +
         " connect_timeout=10 gssencmode=disable";
}

}  // namespace testsupport
