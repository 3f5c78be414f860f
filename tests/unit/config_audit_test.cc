// The audit: section: sinks by kind, the chain key, policies, and per-role statement text.
#include <catch2/catch.hpp>

#include "config_test_support.h"
#include "proxy/config/config.h"

using config_test::errors_of;
using config_test::fake_env;
using config_test::line_of;
using config_test::load_ok;
using config_test::problem_at;
using config_test::TempDir;

namespace {
const std::string kBase = std::string(config_test::kMinimalDatabases) + std::string(config_test::kMinimalRoles);
const auto kEnv = fake_env({{"AUDIT_KEY", "0123456789abcdef0123456789abcdef"}});
}  // namespace

TEST_CASE("audit: file and stdout sinks with every option", "[config][audit]") {
  TempDir dir;
  const std::string yaml = kBase + R"(audit:
  sinks:
    - file: { path: audit.jsonl, fsync: always, rotate: { size: 64MB, age: 1h } }
    - stdout: {}
  key: { env: AUDIT_KEY }
  on_failure: continue
  queue: 500
  statements: raw
)";
  const auto config = load_ok(yaml, kEnv, (dir.path() / "pgveil.yaml").string());
  const auto& audit = config->audit;
  REQUIRE(audit.enabled());
  REQUIRE(audit.sinks.size() == 2);
  const auto& file = std::get<proxy::AuditFileSink>(audit.sinks[0]);
  CHECK(file.path == (dir.path() / "audit.jsonl").string());
  CHECK(file.fsync == audit::FsyncMode::kAlways);
  CHECK(file.rotate_size == 64ull << 20);
  CHECK(file.rotate_age == std::chrono::hours(1));
  CHECK(std::holds_alternative<proxy::AuditStdoutSink>(audit.sinks[1]));
  CHECK(audit.key_source == "env AUDIT_KEY");
  REQUIRE(audit.key);
  CHECK(audit.on_failure == audit::FailurePolicy::kContinue);
  CHECK(audit.queue == 500);
  CHECK(audit.statements == audit::TextMode::kRaw);
}

TEST_CASE("audit: defaults are block, normalized; a role may ask for raw text", "[config][audit]") {
  const std::string yaml = std::string(config_test::kMinimalDatabases) + R"(roles:
  support:
    databases: [prod]
    login: ro
  debug:
    databases: [prod]
    login: ro
    audit_statements: raw
audit:
  sinks: [ { stdout: {} } ]
)";
  const auto config = load_ok(yaml);
  CHECK(config->audit.on_failure == audit::FailurePolicy::kBlock);
  CHECK(config->audit.statements == audit::TextMode::kNormalized);
  CHECK(config->statement_text(config->role("support")) == audit::TextMode::kNormalized);
  CHECK(config->statement_text(config->role("debug")) == audit::TextMode::kRaw);
  CHECK_FALSE(load_ok(kBase + "audit: {}\n")->audit.enabled());
}

TEST_CASE("audit: problems are reported with their lines", "[config][audit]") {
  const std::string yaml = kBase + R"(audit:
  sinks:
    - file: { fsync: sometimes }
    - syslogg: {}
    - { file: { path: /nonexistent-dir/a.jsonl }, stdout: {} }
    - file: { path: /nonexistent-dir/a.jsonl }
  on_failure: maybe
  queue: 0
  statements: verbatim
)";
  const auto problems = errors_of(yaml, kEnv);
  problem_at(problems, line_of(yaml, "file: { fsync"), "path is missing");
  problem_at(problems, line_of(yaml, "file: { fsync"), "sometimes");
  problem_at(problems, line_of(yaml, "syslogg"), "syslogg");
  problem_at(problems, line_of(yaml, "- { file"), "one sink per entry");
  problem_at(problems, line_of(yaml, "- file: { path: /nonexistent-dir"), "directory /nonexistent-dir does not exist");
  problem_at(problems, line_of(yaml, "audit:"), "key is missing");
  problem_at(problems, line_of(yaml, "on_failure"), "maybe");
  problem_at(problems, line_of(yaml, "queue"), "queue");
  problem_at(problems, line_of(yaml, "statements: verbatim"), "verbatim");
}

TEST_CASE("audit: key problems name the source, never the key", "[config][audit]") {
  TempDir dir;
  const std::string short_key = dir.write("short.key", "tooshort\n");
  const std::string base = kBase + "audit:\n  sinks: [ { file: { path: " + (dir.path() / "a.jsonl").string() + " } } ]\n";
  std::string yaml = base + "  key: { file: " + short_key + " }\n";
  auto problems = errors_of(yaml, kEnv);
  problem_at(problems, line_of(yaml, "  key:"), short_key);
  CHECK(config_test::dump(problems).find("tooshort") == std::string::npos);
  yaml = base + "  key: { env: NOT_SET }\n";
  problems = errors_of(yaml, kEnv);
  problem_at(problems, line_of(yaml, "  key:"), "NOT_SET is not set");
  yaml = base + "  key: { env: AUDIT_KEY, file: x }\n";
  problems = errors_of(yaml, kEnv);
  problem_at(problems, line_of(yaml, "  key:"), "exactly one of file or env");
}

TEST_CASE("audit: same_writer tells what a reload may not change", "[config][audit]") {
  TempDir dir;
  const std::string path = (dir.path() / "a.jsonl").string();
  const auto with = [&](const std::string& extra) {
    return load_ok(kBase + "audit:\n  sinks: [ { file: { path: " + path + " } } ]\n  key: { env: AUDIT_KEY }\n" + extra,
                   kEnv)->audit;
  };
  const auto base = with("");
  CHECK(base.same_writer(with("")));
  CHECK(base.same_writer(with("  statements: raw\n")));   // reloadable
  CHECK_FALSE(base.same_writer(with("  on_failure: continue\n")));
  CHECK_FALSE(base.same_writer(with("  queue: 7\n")));
  CHECK_FALSE(base.same_writer(load_ok(kBase)->audit));
}

TEST_CASE("audit: postgres and syslog sinks", "[config][audit]") {
  const std::string yaml = kBase + R"(audit:
  sinks:
    - postgres: { dsn: "host=audit-db dbname=audit", table: audit.pgveil_events }
    - syslog: { host: "collector.example:1514", facility: local3, app_name: pgveil-prod }
    - syslog: {}
)";
  const auto config = load_ok(yaml, kEnv);
  const auto& sinks = config->audit.sinks;
  REQUIRE(sinks.size() == 3);
  const auto& pg = std::get<proxy::AuditPostgresSink>(sinks[0]);
  CHECK(pg.dsn == "host=audit-db dbname=audit");
  CHECK(pg.table == "audit.pgveil_events");
  const auto& udp = std::get<proxy::AuditSyslogSink>(sinks[1]);
  CHECK(udp.host == "collector.example:1514");
  CHECK(udp.facility == "local3");
  CHECK(udp.app_name == "pgveil-prod");
  const auto& local = std::get<proxy::AuditSyslogSink>(sinks[2]);
  CHECK(local.socket == "/dev/log");
  CHECK(local.host.empty());
  CHECK(local.facility == "authpriv");
}

TEST_CASE("audit: postgres and syslog sink problems are reported with their lines", "[config][audit]") {
  const std::string yaml = kBase + R"(audit:
  sinks:
    - postgres: { table: t }
    - postgres: { dsn: "host=x", table: "bad table; drop" }
    - postgres: { dsn: "host=x", colour: red }
    - syslog: { socket: /dev/log, host: "a:514" }
    - syslog: { facility: kernel-ish }
    - syslog: { host: "a:99999" }
)";
  const auto problems = errors_of(yaml, kEnv);
  problem_at(problems, line_of(yaml, "postgres: { table: t }"), "dsn is missing");
  problem_at(problems, line_of(yaml, "bad table"), "table");
  problem_at(problems, line_of(yaml, "colour"), "colour");
  problem_at(problems, line_of(yaml, "socket: /dev/log, host"), "not both");
  problem_at(problems, line_of(yaml, "kernel-ish"), "unknown facility");
  problem_at(problems, line_of(yaml, "a:99999"), "99999");
}
