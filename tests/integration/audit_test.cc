// The audit log of a running pgveil (issue #5): statement events written before the statement
// runs, no literal in the log by default, session/auth/refusal events, the chain verified by
// `pgveil audit verify`, on_failure block/continue against a file system that cannot write, and
// parameters under a masking profile.
#include <sys/mount.h>
#include <sys/resource.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <csignal>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "support/audit_log.h"
#include "support/files.h"
#include "support/itc_clients.h"
#include "support/itf_env.h"
#include "support/pg_cluster.h"
#include "support/pgveil_process.h"
#include "support/pq.h"
#include "support/workflow_env.h"

using namespace std::chrono_literals;
using nlohmann::json;
using testsupport::PgConn;
using testsupport::PgveilProcess;

namespace {

constexpr std::string_view kKey = "0123456789abcdef0123456789abcdef";

std::vector<std::string> audit_env() {
  auto env = itf::pgveil_env();
  env.push_back("AUDIT_KEY=" + std::string(kKey));
  return env;
}

// The audit section for a file sink at `path` (absolute, or {{DIR}}/...).
std::string audit_section(const std::string& path, std::string_view on_failure = "block",
                          std::string_view fsync = "batch") {
  return "audit:\n  sinks:\n    - file: { path: \"" + path + "\", fsync: " + std::string(fsync) +
         " }\n  key: { env: AUDIT_KEY }\n  on_failure: " + std::string(on_failure) + "\n";
}

std::vector<json> events(const std::string& path) { return testsupport::audit_events(path); }

std::vector<json> of_type(const std::vector<json>& all, std::string_view type) {
  std::vector<json> out;
  for (const auto& e : all) {
    if (e.value("type", "") == type) out.push_back(e);
  }
  return out;
}

template <class Pred>
json wait_event(const std::string& path, Pred pred, std::chrono::milliseconds timeout = 5s) {
  return testsupport::wait_audit_event(path, pred, timeout);
}

bool normalized_has(const json& e, std::string_view text) {
  return e.contains("normalized") && e["normalized"].is_string() &&
         e["normalized"].get<std::string>().find(text) != std::string::npos;
}

testsupport::RunResult verify(const PgveilProcess& pgveil, const std::string& path) {
  return pgveil.cli({"audit", "verify", path, "--key-env", "AUDIT_KEY"});
}

// Makes the audit directory's writes fail and work again. A small tmpfs filled up is a real "disk
// full" (ENOSPC); where mounting is not allowed (an unprivileged container) a file size limit on
// pgveil (prlimit RLIMIT_FSIZE; pgveil ignores SIGXFSZ) makes the same writes fail with EFBIG.
class FullDisk {
 public:
  // 256 KiB: less than the room a file sink preallocates (4 MiB), so every event waits for its
  // write(2) and the first statement after fill() finds the disk full.
  explicit FullDisk(const std::string& size = "256k") {
    char templ[] = "/tmp/pgveil-audit-fs-XXXXXX";
    REQUIRE(::mkdtemp(templ) != nullptr);
    dir_ = templ;
    // PGVEIL_TEST_NO_MOUNT=1 runs the fallback where mounting would work too.
    mounted_ = std::getenv("PGVEIL_TEST_NO_MOUNT") == nullptr &&
               ::mount("tmpfs", dir_.c_str(), "tmpfs", 0, ("size=" + size + ",mode=0700").c_str()) == 0;
    if (!mounted_) WARN("no tmpfs (" << (std::getenv("PGVEIL_TEST_NO_MOUNT") ? "PGVEIL_TEST_NO_MOUNT" : std::strerror(errno))
                        << "): using a file size limit instead");
  }
  ~FullDisk() {
    if (mounted_) ::umount2(dir_.c_str(), MNT_DETACH);
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  std::string path() const { return dir_ + "/audit.jsonl"; }
  bool mounted() const { return mounted_; }

  void fill(int pid) {
    if (mounted_) {
      std::ofstream filler(dir_ + "/filler", std::ios::binary);
      const std::string chunk(4096, 'x');
      while (filler.write(chunk.data(), chunk.size()) && filler.flush()) {
      }
    } else {
      const rlimit limit{static_cast<rlim_t>(std::filesystem::file_size(path())), RLIM_INFINITY};
      REQUIRE(::prlimit(pid, RLIMIT_FSIZE, &limit, nullptr) == 0);
    }
  }
  void repair(int pid) {
    if (mounted_) {
      std::filesystem::remove(dir_ + "/filler");
    } else {
      const rlimit limit{RLIM_INFINITY, RLIM_INFINITY};
      REQUIRE(::prlimit(pid, RLIMIT_FSIZE, &limit, nullptr) == 0);
    }
  }

 private:
  std::string dir_;
  bool mounted_ = false;
};

// pgveil's configuration auditing to `disk` (a FullDisk), with `extra` added at the top level.
std::string config_on(const FullDisk& disk, std::string_view on_failure, std::string_view fsync,
                      const std::string& extra = "") {
  itf::ConfigParts parts;
  parts.top = audit_section(disk.path(), on_failure, fsync) + extra;
  return itf::config(parts);
}

}  // namespace

TEST_CASE("audit: statements are recorded before they run, normalized, and the chain verifies",
          "[audit][itf]") {
  itf::ConfigParts parts;
  parts.top = audit_section("{{DIR}}/audit.jsonl");
  PgveilProcess pgveil(itf::config(parts), audit_env());
  const std::string path = pgveil.dir() + "/audit.jsonl";
  const auto grant = itf::grant(pgveil, "alice", "prod", "support");
  const std::string secret = itf::secret_of(grant);

  {
    auto conn = PgConn::must_connect(pgveil.conninfo("alice", "prod", secret) + " application_name=audit-itf");
    // Write-ahead: the event is in the file while the statement still runs upstream.
    REQUIRE(PQsendQuery(conn.get(), "SELECT pg_sleep(1.5), 'sleep-literal-1234' AS v") == 1);
    const json running = wait_event(path, [](const json& e) {
      return e["type"] == "statement" && normalized_has(e, "pg_sleep");
    }, 1200ms);
    REQUIRE_FALSE(running.is_null());
    CHECK(running["normalized"] == "SELECT pg_sleep($1), $2 AS v");
    CHECK(running["kind"] == "SELECT");
    CHECK(running["protocol"] == "simple");
    CHECK(itf::backends_named("audit-itf") == 1);
    const auto id = running["statement_id"];
    CHECK(of_type(events(path), "statement_done").empty());   // still running
    const auto finished = itf::await_results(conn.get(), 10s);
    REQUIRE(finished.ok);
    const json done = wait_event(path, [&](const json& e) { return e["type"] == "statement_done" && e["statement_id"] == id; });
    REQUIRE_FALSE(done.is_null());
    CHECK(done["rows"] == 1);
    CHECK(done["command_tag"] == "SELECT 1");
    CHECK(done["duration_us"].get<std::int64_t>() >= 1'400'000);

    // Extended protocol with a parameter (libpq PQexecParams): counted, not recorded.
    auto rows = conn.query_params("SELECT $1::text AS v, 'ext-literal-5678' AS w", {std::string("param-secret-4321")});
    REQUIRE(rows.has_value());
    CHECK((*rows)[0][0] == "param-secret-4321");
    auto failed = conn.query("SELECT 1/0");
    REQUIRE_FALSE(failed.has_value());
    CHECK(failed.error().sqlstate == "22012");
  }
  // psql, simple protocol.
  const auto psql = testsupport::itc::run_psql(pgveil.conninfo("alice", "prod", secret), {"-At", "-c", "SELECT 'psql-literal-9876'"});
  REQUIRE(psql.exit_code == 0);
  CHECK(psql.out.find("psql-literal-9876") != std::string::npos);
  // A wrong secret, and a person without a grant.
  CHECK_FALSE(PgConn::connect(pgveil.conninfo("alice", "prod", "wrong-secret"), 10s).has_value());
  CHECK_FALSE(PgConn::connect(pgveil.conninfo("mallory", "prod", "x"), 10s).has_value());

  REQUIRE_FALSE(wait_event(path, [](const json& e) { return e["type"] == "refusal"; }).is_null());
  REQUIRE(of_type(events(path), "session_end").size() >= 2);
  pgveil.stop();
  const std::string text = testsupport::read_file(path);
  for (const char* literal : {"sleep-literal-1234", "param-secret-4321", "ext-literal-5678", "psql-literal-9876", "wrong-secret"}) {
    INFO(literal);
    CHECK(text.find(literal) == std::string::npos);
  }
  const auto all = events(path);
  const auto extended = of_type(all, "statement");
  const auto ext = std::find_if(extended.begin(), extended.end(), [](const json& e) { return e["protocol"] == "extended"; });
  REQUIRE(ext != extended.end());
  CHECK((*ext)["normalized"] == "SELECT $1::text AS v, $2 AS w");
  CHECK((*ext)["param_count"] == 1);
  CHECK_FALSE(ext->contains("params"));
  const auto errors = of_type(all, "statement_done");
  CHECK(std::any_of(errors.begin(), errors.end(), [](const json& e) { return e["sqlstate"] == "22012"; }));

  const auto starts = of_type(all, "session_start");
  REQUIRE(starts.size() >= 2);
  CHECK(starts[0]["person"] == "alice");
  CHECK(starts[0]["grant"] == itf::id_of(grant));
  CHECK(starts[0]["role"] == "support");
  CHECK(starts[0]["database"] == "prod");
  CHECK(starts[0]["application_name"] == "audit-itf");
  CHECK(starts[0]["tls"].is_null());
  CHECK(starts[0]["client_addr"].get<std::string>().starts_with("127.0.0.1:"));
  const auto ends = of_type(all, "session_end");
  CHECK(ends[0]["session"] == starts[0]["session"]);
  CHECK(ends[0]["statements"] == 3);
  CHECK(ends[0]["rows"].get<int>() >= 2);
  CHECK(ends[0]["reason"] == "client terminated");
  CHECK(ends[0]["bytes_to_client"].get<int>() > 0);
  const auto auth = of_type(all, "auth_failure");
  REQUIRE(auth.size() == 1);
  CHECK(auth[0]["person"] == "alice");
  CHECK(auth[0]["sqlstate"] == "28P01");
  CHECK(auth[0]["grant"] == itf::id_of(grant));
  const auto refusals = of_type(all, "refusal");
  REQUIRE(refusals.size() == 1);
  CHECK(refusals[0]["person"] == "mallory");
  CHECK(refusals[0]["stage"] == "admission");
  CHECK(refusals[0]["sqlstate"] == "28000");

  const auto verified = verify(pgveil, path);
  INFO(verified.out << verified.err);
  CHECK(verified.exit_code == 0);
}

TEST_CASE("audit: on_failure block refuses statements while the disk is full and recovers", "[audit][itf]") {
  FullDisk disk;
  PgveilProcess pgveil(config_on(disk, "block", "always", "admin: { listen: \"127.0.0.1:{{ADMIN_PORT}}\" }\n"),
                       audit_env());
  const std::string secret = pgveil.grant("bob", "prod", "support");
  CHECK(wf::call(pgveil, "", "GET", "/healthz").status == 200);
  auto conn = PgConn::must_connect(pgveil.conninfo("bob", "prod", secret));
  REQUIRE(conn.value("SELECT 'before'") == "before");
  conn.must("CREATE TEMP TABLE t(x int)");
  disk.fill(pgveil.pid());
  // The audit file's last page may still take a few records; the first refusal comes soon after.
  int recorded = 0;
  while (recorded < 100 && conn.query("SELECT 'filling the last page'").has_value()) ++recorded;
  REQUIRE(recorded < 100);

  // Simple protocol.
  auto refused = conn.query("INSERT INTO t VALUES (1)");
  REQUIRE_FALSE(refused.has_value());
  CHECK(refused.error().sqlstate == "58030");
  CHECK_THAT(refused.error().message, Catch::Contains("audit log cannot record"));
  CHECK_THAT(refused.error().hint, Catch::Contains("Try again"));
  // Extended protocol: the refusal sits where the Execute's reply would, the session stays usable.
  auto refused_ext = conn.query_params("INSERT INTO t VALUES ($1::int)", {std::string("2")});
  REQUIRE_FALSE(refused_ext.has_value());
  CHECK(refused_ext.error().sqlstate == "58030");
  REQUIRE(PQtransactionStatus(conn.get()) == PQTRANS_IDLE);
  // While the audit cannot record, pgveil is not healthy, and says which sink and why.
  const auto unhealthy = wf::call(pgveil, "", "GET", "/healthz");
  CHECK(unhealthy.status == 503);
  CHECK(unhealthy.body["audit"][0]["sink"] == "file:" + disk.path());
  CHECK_FALSE(unhealthy.body["audit"][0]["error"].get<std::string>().empty());

  disk.repair(pgveil.pid());
  // Recovers by itself: the next statement is recorded and runs.
  REQUIRE(conn.value("SELECT count(*) FROM t") == "0");
  CHECK(wf::call(pgveil, "", "GET", "/healthz").status == 200);
  auto rows = conn.query_params("INSERT INTO t VALUES ($1::int) RETURNING x", {std::string("3")});
  REQUIRE(rows.has_value());
  CHECK(conn.value("SELECT count(*) FROM t") == "1");
  pgveil.stop();
  const auto all = events(disk.path());
  const auto statements = of_type(all, "statement");
  CHECK(std::none_of(statements.begin(), statements.end(), [](const json& e) { return normalized_has(e, "VALUES ($1)"); }));
  CHECK(std::any_of(statements.begin(), statements.end(), [](const json& e) { return normalized_has(e, "RETURNING"); }));
  const auto ends = of_type(all, "session_end");
  REQUIRE(ends.size() == 1);
  CHECK(ends[0]["refusals"] == 3);   // the filler that found the disk full, and the two above
  const auto verified = verify(pgveil, disk.path());
  INFO(verified.out << verified.err);
  CHECK(verified.exit_code == 0);
}

TEST_CASE("audit: with fsync batch a full disk stops statements only once the room kept for their records is used",
          "[audit][itf]") {
  FullDisk disk("16m");
  if (!disk.mounted()) {
    WARN("SKIPPED: cannot mount a tmpfs; a file size limit is not a full disk for preallocated room");
    return;
  }
  PgveilProcess pgveil(config_on(disk, "block", "batch"), audit_env());
  const std::string secret = pgveil.grant("bob", "prod", "support");
  auto conn = PgConn::must_connect(pgveil.conninfo("bob", "prod", secret));
  REQUIRE(conn.value("SELECT 'before'") == "before");
  disk.fill(pgveil.pid());
  // Each statement is accepted into the disk blocks the sink set aside (4 MiB) and runs; once
  // they are used up, the next one waits for its own write(2), which finds the disk full.
  int ran = 0;
  std::optional<testsupport::PgError> refusal;
  while (ran < 50'000) {
    auto rows = conn.query("SELECT current_user AS in_the_room");
    if (!rows) {
      refusal = rows.error();
      break;
    }
    ++ran;
  }
  REQUIRE(refusal.has_value());
  CHECK(refusal->sqlstate == "58030");
  CHECK(ran > 1000);   // a few thousand records fit in 4 MiB
  CHECK(pgveil.log().find("no disk room could be preallocated") == std::string::npos);
  pgveil.stop();
  // Every statement that ran has its record: none was accepted into room that was not there.
  const auto statements = of_type(events(disk.path()), "statement");
  const auto recorded = std::count_if(statements.begin(), statements.end(),
                                      [](const json& e) { return normalized_has(e, "in_the_room"); });
  CHECK(recorded == ran);
  const auto verified = verify(pgveil, disk.path());
  INFO(verified.out << verified.err);
  CHECK(verified.exit_code == 0);
}

TEST_CASE("audit: a file system too full to keep room says so, and statements wait for their writes", "[audit][itf]") {
  FullDisk disk;   // 256 KiB: less than the 4 MiB of room
  if (!disk.mounted()) {
    WARN("SKIPPED: cannot mount a tmpfs");
    return;
  }
  PgveilProcess pgveil(config_on(disk, "block", "batch"), audit_env());
  CHECK_THAT(pgveil.log(), Catch::Contains("no disk room could be preallocated"));
  const std::string secret = pgveil.grant("bob", "prod", "support");
  auto conn = PgConn::must_connect(pgveil.conninfo("bob", "prod", secret));
  REQUIRE(conn.value("SELECT 'recorded' AS no_room") == "recorded");
  // Written before it ran (no room to acknowledge it earlier): in the file at once.
  const auto statements = of_type(events(disk.path()), "statement");
  CHECK(std::any_of(statements.begin(), statements.end(), [](const json& e) { return normalized_has(e, "no_room"); }));
}

TEST_CASE("audit: on_failure continue runs statements unrecorded and counts them", "[audit][itf]") {
  FullDisk disk;
  PgveilProcess pgveil(config_on(disk, "continue", "always"), audit_env());
  const std::string secret = pgveil.grant("carol", "prod", "support");
  {
    auto conn = PgConn::must_connect(pgveil.conninfo("carol", "prod", secret));
    REQUIRE(conn.value("SELECT 'before'") == "before");
    disk.fill(pgveil.pid());
    // Statements keep running; once the last page is full they run unrecorded.
    int statements = 1;
    while (statements < 100 && pgveil.log().find("runs unrecorded") == std::string::npos) {
      CHECK(conn.value("SELECT 'while-full'") == "while-full");
      ++statements;
    }
    REQUIRE(statements < 100);
    auto rows = conn.query_params("SELECT $1::text", {std::string("while-full-2")});
    REQUIRE(rows.has_value());
    ++statements;
    disk.repair(pgveil.pid());
    CHECK(conn.value("SELECT 'after' AS after_repair") == "after");
    ++statements;
    const json end = wait_event(disk.path(), [](const json& e) { return e["type"] == "session_end"; }, 0ms);
    CHECK(end.is_null());
    CHECK_FALSE(wait_event(disk.path(), [](const json& e) { return normalized_has(e, "after_repair"); }).is_null());
    conn = PgConn::must_connect(pgveil.conninfo("carol", "prod", secret));   // ends the first session
    const json ended = wait_event(disk.path(), [](const json& e) { return e["type"] == "session_end"; });
    REQUIRE_FALSE(ended.is_null());
    CHECK(ended["statements"] == statements);
    const std::string log = pgveil.log();
    std::size_t unrecorded = 0;
    for (auto at = log.find("runs unrecorded"); at != std::string::npos; at = log.find("runs unrecorded", at + 1)) ++unrecorded;
    CHECK(unrecorded >= 2);   // the one that was noticed and the extended one
    CHECK(ended["audit_dropped"] == unrecorded);
  }
}

TEST_CASE("audit: parameters under a masking profile are recorded masked, with masked column counts",
          "[audit][itf]") {
  itf::ensure_upstream();
  auto& cluster = testsupport::PgCluster::shared();
  cluster.exec("CREATE TABLE IF NOT EXISTS audit_people (id int, email text);"
               "TRUNCATE audit_people; INSERT INTO audit_people VALUES (1, 'ann@example.com'), (2, 'ben@example.com');"
               "GRANT SELECT ON audit_people TO " + std::string(itf::kAppUser),
               itf::kDatabase);
  itf::ConfigParts parts;
  parts.roles = "  masked: { databases: [prod], login: app, masking: strict }\n";
  parts.top = audit_section("{{DIR}}/audit.jsonl") +
              "masking:\n  profiles:\n    strict:\n      columns:\n        - match: { name: '(?i)email' }\n"
              "          mask: redact\n"
              "admin: { listen: \"127.0.0.1:{{ADMIN_PORT}}\" }\n";   // for /metrics
  PgveilProcess pgveil(itf::config(parts), audit_env());
  const std::string path = pgveil.dir() + "/audit.jsonl";
  const std::string secret = pgveil.grant("dora", "prod", "masked");
  {
    auto conn = PgConn::must_connect(pgveil.conninfo("dora", "prod", secret));
    auto rows = conn.query_params("SELECT id, email FROM audit_people WHERE email <> $1 ORDER BY id",
                                  {std::string("zed@example.com")});
    REQUIRE(rows.has_value());
    REQUIRE(rows->size() == 2);
    CHECK((*rows)[0][1] == "[redacted]");
  }
  const json done = wait_event(path, [](const json& e) { return e["type"] == "statement_done" && e["rows"] == 2; });
  REQUIRE_FALSE(done.is_null());
  CHECK(done["masked_columns"]["public.audit_people.email"] == 2);
  const auto metrics = wf::call(pgveil, "", "GET", "/metrics");
  REQUIRE(metrics.status == 200);
  CHECK_THAT(metrics.body.get<std::string>(), Catch::Contains("\npgveil_masked_values_total 2\n"));
  pgveil.stop();
  const std::string text = testsupport::read_file(path);
  for (const char* value : {"zed@example.com", "ann@example.com", "ben@example.com"}) {
    INFO(value);
    CHECK(text.find(value) == std::string::npos);
  }
  const auto statements = of_type(events(path), "statement");
  const auto ext = std::find_if(statements.begin(), statements.end(), [](const json& e) { return e["protocol"] == "extended"; });
  REQUIRE(ext != statements.end());
  CHECK((*ext)["params"] == json::array({"[redacted]"}));
  CHECK((*ext)["tables_read"] == json::array({"audit_people"}));
}

TEST_CASE("audit: check-config reports audit problems; a reload that changes sinks is refused", "[audit][itf]") {
  itf::ConfigParts parts;
  parts.top = audit_section("{{DIR}}/audit.jsonl");
  PgveilProcess pgveil(itf::config(parts), audit_env());
  const std::string path = pgveil.dir() + "/audit.jsonl";
  std::string yaml = testsupport::read_file(pgveil.config_path());
  const std::string changed = testsupport::replace_all(yaml, "on_failure: block", "on_failure: continue");
  testsupport::write_file(pgveil.config_path(), changed, 0600);
  pgveil.signal(SIGHUP);
  const json refused = wait_event(path, [](const json& e) { return e["type"] == "config_reload"; });
  REQUIRE_FALSE(refused.is_null());
  CHECK(refused["ok"] == false);
  CHECK_THAT(refused["problems"][0].get<std::string>(), Catch::Contains("restart pgveil"));
  testsupport::write_file(pgveil.config_path(),
                          testsupport::replace_all(yaml, "on_failure: block", "on_failure: block\n  statements: raw"), 0600);
  pgveil.signal(SIGHUP);
  REQUIRE_FALSE(wait_event(path, [](const json& e) { return e["type"] == "config_reload" && e["ok"] == true; }).is_null());

  testsupport::write_file(pgveil.config_path(),
                          testsupport::replace_all(yaml, "fsync: batch", "fsync: sometimes"), 0600);
  const auto check = pgveil.cli({"--config", pgveil.config_path(), "check-config"});
  CHECK(check.exit_code == 2);
  CHECK_THAT(check.err, Catch::Contains("audit.sinks[0].file.fsync"));
}
