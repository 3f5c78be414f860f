#include "support/pg_cluster.h"

#include <fcntl.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <stdexcept>
#include <system_error>

#include "support/net.h"
#include "support/pq.h"

namespace testsupport {
namespace {

constexpr int kStartAttempts = 5;  // free_port() can lose a race with another process

// Settings appended to postgresql.conf. fsync/full_page_writes off: the cluster is thrown away,
// and tests should measure pgveil, not the disk. max_connections=600: connection-limit and
// many-session tests. A small shared_buffers keeps several concurrent test clusters cheap.
constexpr std::string_view kServerSettings = R"(
# --- pgveil test harness ---
listen_addresses = '127.0.0.1'
password_encryption = 'scram-sha-256'
fsync = off
synchronous_commit = off
full_page_writes = off
max_connections = 600
shared_buffers = 32MB
max_wal_size = 1GB
timezone = 'UTC'
log_timezone = 'UTC'
log_line_prefix = '%m [%p] %q%u@%d '
include 'pgveil_port.conf'
)";

// First match wins (PostgreSQL docs, "The pg_hba.conf File"): the two auth-method test users
// come before the catch-all SCRAM line.
constexpr std::string_view kHba = R"(# pgveil test harness
local all all                scram-sha-256
host  all trustuser 127.0.0.1/32 trust
host  all md5user   127.0.0.1/32 md5
host  all all       127.0.0.1/32 scram-sha-256
)";

struct OsUser {
  uid_t uid;
  gid_t gid;
};

// Creates the unprivileged cluster owner when we run as root. Several test processes may race
// here; useradd failing because the user now exists is fine.
OsUser ensure_os_user() {
  const std::string name(PgCluster::kOsUser);
  if (const passwd* pw = ::getpwnam(name.c_str())) return {pw->pw_uid, pw->pw_gid};
  const auto r = run({"useradd", "--system", "--no-create-home", "--home-dir", "/nonexistent",
                      "--shell", "/usr/sbin/nologin", name},
                     {}, {}, std::chrono::seconds(60));
  if (const passwd* pw = ::getpwnam(name.c_str())) return {pw->pw_uid, pw->pw_gid};
  throw std::runtime_error("cannot create OS user " + name + " for initdb: " + r.err);
}

void chown_path(const std::string& path, uid_t uid, gid_t gid) {
  if (::chown(path.c_str(), uid, gid) != 0) {
    throw std::system_error(errno, std::generic_category(), "chown " + path);
  }
}

std::string tail(const std::string& text, std::size_t max) {
  return text.size() <= max ? text : "..." + text.substr(text.size() - max);
}

}  // namespace

std::string conninfo_value(std::string_view value) {
  std::string quoted = "'";
  for (char c : value) {
    if (c == '\'' || c == '\\') quoted += '\\';
    quoted += c;
  }
  quoted += '\'';
  return quoted;
}

std::string quote_ident(std::string_view name) {
  std::string quoted = "\"";
  for (char c : name) {
    if (c == '"') quoted += '"';
    quoted += c;
  }
  quoted += '"';
  return quoted;
}

std::string PgCluster::bin(std::string_view program) {
  const char* dir = std::getenv("PGVEIL_PG_BINDIR");
  return std::string(dir != nullptr ? dir : "/usr/lib/postgresql/15/bin") + "/" +
         std::string(program);
}

std::vector<std::string> PgCluster::as_owner() const {
  if (!as_other_user_) return {};
  return {"runuser", "-u", std::string(kOsUser), "--"};
}

PgCluster::PgCluster() {
  if (::geteuid() == 0) {
    const auto user = ensure_os_user();
    as_other_user_ = true;
    uid_ = user.uid;
    gid_ = user.gid;
  }
  root_ = std::make_unique<TempDir>("pgveil-pg");
  data_dir_ = root_->path() + "/data";
  log_path_ = root_->path() + "/server.log";
  if (as_other_user_) chown_path(root_->path(), uid_, gid_);
  start_guardian();
  init_database_dir();
  start();
}

PgCluster::~PgCluster() {
  stop();
  if (guardian_fd_ >= 0) {
    ::close(guardian_fd_);  // the guardian wakes, finds nothing left to do, exits
    wait_for_exit(guardian_pid_, std::chrono::seconds(10));
  }
}

PgCluster& PgCluster::shared() {
  static PgCluster cluster;
  return cluster;
}

void PgCluster::start_guardian() {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) throw std::system_error(errno, std::generic_category(), "pipe2");
  // `cat` returns when the last write end closes: at our exit, however it happens.
  std::vector<std::string> argv = {
      "/bin/sh", "-c",
      "cat >/dev/null; \"$@\" >/dev/null 2>&1; [ -n \"$PGVEIL_TEST_KEEP\" ] || rm -rf \"$0\"",
      root_->path()};
  for (const auto& a : as_owner()) argv.push_back(a);
  for (const auto& a : {bin("pg_ctl"), std::string("-D"), data_dir_, std::string("-m"),
                        std::string("immediate"), std::string("-w"), std::string("-t"),
                        std::string("30"), std::string("stop")}) {
    argv.push_back(a);
  }
  SpawnSpec spec;
  spec.argv = std::move(argv);
  spec.stdin_fd = fds[0];
  spec.die_with_parent = false;
  spec.new_session = true;  // outlive a kill of the test's process group
  spec.cwd = "/";
  try {
    guardian_pid_ = spawn(spec);
  } catch (...) {
    ::close(fds[0]);
    ::close(fds[1]);
    throw;
  }
  ::close(fds[0]);
  guardian_fd_ = fds[1];
}

void PgCluster::init_database_dir() {
  const std::string pwfile = root_->path() + "/pwfile";
  write_file(pwfile, std::string(kSuperuserPassword) + "\n", 0600);
  if (as_other_user_) chown_path(pwfile, uid_, gid_);

  auto argv = as_owner();
  for (const auto& a : {bin("initdb"), std::string("-D"), data_dir_, std::string("-U"),
                        std::string(kSuperuser), "--pwfile=" + pwfile,
                        std::string("--auth=scram-sha-256"), std::string("--encoding=UTF8"),
                        std::string("--locale=C.UTF-8"), std::string("--no-sync"),
                        std::string("--no-instructions")}) {
    argv.push_back(a);
  }
  const auto r = run_with(argv, RunOptions{{}, {}, std::chrono::seconds(180), root_->path()});
  ::unlink(pwfile.c_str());
  if (r.exit_code != 0) {
    throw std::runtime_error("initdb failed (" + std::to_string(r.exit_code) + "): " + r.out +
                             r.err);
  }
  const std::string conf = data_dir_ + "/postgresql.conf";
  std::string settings = read_file(conf);
  settings += kServerSettings;
  settings += "unix_socket_directories = '" + data_dir_ + "'\n";
  write_file(conf, settings, 0600);
  write_file(data_dir_ + "/pg_hba.conf", kHba, 0600);
  if (as_other_user_) {
    chown_path(conf, uid_, gid_);
    chown_path(data_dir_ + "/pg_hba.conf", uid_, gid_);
  }
}

void PgCluster::start() {
  std::string last_failure;
  for (int attempt = 0; attempt < kStartAttempts; ++attempt) {
    port_ = free_port();
    const std::string port_conf = data_dir_ + "/pgveil_port.conf";
    write_file(port_conf, "port = " + std::to_string(port_) + "\n", 0600);
    if (as_other_user_) chown_path(port_conf, uid_, gid_);

    const auto r = pg_ctl_start();
    if (r.exit_code == 0) {
      running_ = true;
      break;
    }
    last_failure = r.out + r.err + "\n" + tail(log(), 4000);
    // A lost port race shows up as a bind failure; anything else will not fix itself.
    if (last_failure.find("could not bind") == std::string::npos &&
        last_failure.find("could not create any TCP/IP sockets") == std::string::npos) {
      break;
    }
  }
  if (!running_) throw std::runtime_error("PostgreSQL did not start: " + last_failure);

  // Accounts for authentication-method tests (see kHba). md5user's password must be stored as
  // an MD5 hash: with a SCRAM verifier the server would silently upgrade md5 to SCRAM.
  exec(R"(SET password_encryption = 'md5';
          CREATE ROLE md5user LOGIN PASSWORD 'md5user';
          RESET password_encryption;
          CREATE ROLE trustuser LOGIN;)");
}

RunResult PgCluster::pg_ctl_start() {
  auto argv = as_owner();
  for (const auto& a : {bin("pg_ctl"), std::string("-D"), data_dir_, std::string("-l"), log_path_,
                        std::string("-w"), std::string("-t"), std::string("60"), std::string("start")}) {
    argv.push_back(a);
  }
  return run_with(argv, RunOptions{{}, {}, std::chrono::seconds(90), root_->path()});
}

void PgCluster::stop_server() { stop(); }

void PgCluster::start_server() {
  if (running_) return;
  const auto r = pg_ctl_start();
  if (r.exit_code != 0) throw std::runtime_error("PostgreSQL did not restart: " + r.out + r.err + tail(log(), 4000));
  running_ = true;
}

void PgCluster::stop() {
  if (!running_) return;
  running_ = false;
  auto argv = as_owner();
  for (const auto& a : {bin("pg_ctl"), std::string("-D"), data_dir_, std::string("-m"),
                        std::string("immediate"), std::string("-w"), std::string("-t"),
                        std::string("30"), std::string("stop")}) {
    argv.push_back(a);
  }
  run_with(argv, RunOptions{{}, {}, std::chrono::seconds(60), "/"});
}

std::string PgCluster::log() const {
  try {
    return read_file(log_path_);
  } catch (const std::exception&) {
    return {};
  }
}

std::string PgCluster::conninfo(std::string_view dbname, std::string_view user,
                                std::string_view password) const {
  // gssencmode=disable: Debian's libpq would otherwise try GSSAPI first when a Kerberos
  // credential cache happens to exist; sslmode stays libpq's default (the server has no TLS).
  std::string info = "host=127.0.0.1 port=" + std::to_string(port_) +
                     " dbname=" + conninfo_value(dbname) + " user=" + conninfo_value(user);
  if (!password.empty()) info += " password=" + conninfo_value(password);
  info += " connect_timeout=10 gssencmode=disable";
  return info;
}

void PgCluster::exec(const std::string& sql, std::string_view dbname) {
  auto conn = PgConn::must_connect(conninfo(dbname));
  conn.must(sql);
}

std::string PgCluster::query_value(const std::string& sql, std::string_view dbname) {
  auto conn = PgConn::must_connect(conninfo(dbname));
  return conn.value(sql);
}

void PgCluster::create_database(std::string_view name) {
  auto conn = PgConn::must_connect(conninfo());
  const auto exists = conn.query_params("SELECT 1 FROM pg_database WHERE datname = $1",
                                        {std::string(name)});
  if (!exists) throw std::runtime_error(exists.error().to_string());
  if (!exists->empty()) return;
  const auto created = conn.query("CREATE DATABASE " + quote_ident(name));
  // 42P04 duplicate_database: another caller won the race, which is what we wanted anyway.
  if (!created && created.error().sqlstate != "42P04") {
    throw std::runtime_error("CREATE DATABASE " + std::string(name) + ": " +
                             created.error().to_string());
  }
}

RunResult PgCluster::psql(const std::vector<std::string>& args, std::string_view dbname,
                          std::chrono::seconds timeout) const {
  std::vector<std::string> argv = {bin("psql"), "-X", "-At", "-v", "ON_ERROR_STOP=1",
                                   "-d", conninfo(dbname)};
  argv.insert(argv.end(), args.begin(), args.end());
  return run(argv, {}, {}, timeout);
}

}  // namespace testsupport
