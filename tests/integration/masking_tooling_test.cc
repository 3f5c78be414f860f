// Masking tooling and reloads (issue #4 items 5-6): check-config compiles every pattern and
// points at the line of a bad one; `pgveil mask` shows which rule or detector applies and the
// output (table and --json, exit codes); a SIGHUP that changes a profile applies to a live
// session at its next statement.
#include <catch2/catch.hpp>
#include <chrono>
#include <csignal>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "support/example_shop.h"
#include "support/files.h"
#include "support/masking_probe.h"
#include "support/masking_shop.h"
#include "support/pgveil_process.h"
#include "support/pq.h"
#include "support/process.h"

using Catch::Matchers::Contains;
using testsupport::masking_shop::World;

namespace {

testsupport::RunResult pgveil_cli(const std::vector<std::string>& args, const std::vector<std::string>& env = {}) {
  std::vector<std::string> argv = {PGVEIL_BINARY};
  argv.insert(argv.end(), args.begin(), args.end());
  return testsupport::run(argv, {}, env, std::chrono::seconds(30));
}

}  // namespace

TEST_CASE("masking: check-config reports bad patterns with their line numbers", "[masking][tooling]") {
  testsupport::TempDir dir("masking-check");
  const std::string path = dir.path() + "/pgveil.yaml";
  testsupport::write_file(path,
                          "listen: 127.0.0.1:6432\n"                                            // 1
                          "store: { sqlite: ./state.db }\n"                                     // 2
                          "databases:\n"                                                        // 3
                          "  prod:\n"                                                           // 4
                          "    host: 127.0.0.1\n"                                               // 5
                          "    logins: { app: { user: app, password_env: PW } }\n"              // 6
                          "roles:\n"                                                            // 7
                          "  support: { databases: [prod], login: app, masking: p, max_duration: 4h }\n"  // 8
                          "masking:\n"                                                          // 9
                          "  profiles:\n"                                                       // 10
                          "    p:\n"                                                            // 11
                          "      columns:\n"                                                    // 12
                          "        - match: { name: '(?i)^(e-?mail' }\n"                        // 13
                          "          mask: redact\n"                                            // 14
                          "        - match: { name: ssn }\n"                                    // 15
                          "          mask: { replace: { pattern: '[0-9', replacement: x } }\n"  // 16
                          "      values:\n"                                                     // 17
                          "        detect: [email, { pattern: 'a{2,1}', name: bad }]\n");       // 18
  const auto r = pgveil_cli({"--config", path, "check-config"}, {"PW=x"});
  INFO(r.out << r.err);
  CHECK(r.exit_code == 2);
  CHECK_THAT(r.err, Contains(path + ":13:") && Contains("missing )"));
  CHECK_THAT(r.err, Contains(path + ":16:") && Contains("missing ]"));
  CHECK_THAT(r.err, Contains(path + ":18:"));
}

TEST_CASE("masking: pgveil mask shows the rule or detector and the output", "[masking][tooling]") {
  auto& world = World::shared();
  const auto mask = [&](std::vector<std::string> args) {
    std::vector<std::string> argv = {"--config", world.config_path(), "mask"};
    argv.insert(argv.end(), args.begin(), args.end());
    return world.pgveil().cli(argv);
  };
  SECTION("a column rule, in a table for people") {
    const auto r = mask({"--profile", "pii-strict", "--column", "email", "--type", "text", "--value", "x@y.com"});
    INFO(r.out << r.err);
    CHECK(r.exit_code == 0);
    CHECK_THAT(r.out, Contains("name ~ '(?i)^e-?mail'") && Contains("output   ***@y.com"));
  }
  SECTION("a table rule needs the table; --json for scripts") {
    const auto r = mask({"--profile", "pii-strict", "--table", "public.customers", "--column", "ssn", "--value",
                         "321-54-9876", "--json"});
    INFO(r.out << r.err);
    REQUIRE(r.exit_code == 0);
    const auto out = nlohmann::json::parse(r.out);
    CHECK(out["action"] == "mask");
    CHECK(out["output"] == "*******9876");
    CHECK(out["rule"]["line"].get<int>() > 0);
    CHECK_THAT(out["rule"]["mask"].get<std::string>(), Contains("partial(") && Contains("keep_last=4"));
    // Without the table, the table rule does not apply: the value detectors do.
    const auto free = nlohmann::json::parse(
        mask({"--profile", "pii-strict", "--column", "ssn", "--value", "321-54-9876", "--json"}).out);
    CHECK(free["action"] == "detect");
    CHECK_FALSE(free["detected"].empty());
    CHECK(free["output"] == "[redacted]");
  }
  SECTION("type-aware: an int4 hashed stays an int4; NULL stays NULL") {
    const auto r = nlohmann::json::parse(mask({"--profile", "matrix", "--table", "mask_matrix", "--column", "h_int",
                                               "--type", "int4", "--value", "123456", "--json"})
                                             .out);
    CHECK(r["action"] == "mask");
    const std::string out = r["output"];
    CHECK(out != "123456");
    CHECK(std::to_string(std::stoll(out)) == out);
    const auto null = nlohmann::json::parse(
        mask({"--profile", "pii-strict", "--column", "email", "--null", "--json"}).out);
    CHECK(null["output"].is_null());
  }
  SECTION("a user_type rule matches the declared type and the domains it is over: --user-type") {
    const std::vector<std::string> args{"--profile", "pii-strict", "--table", "handles", "--column", "handle",
                                        "--value", "h:x@y.com", "--json"};
    auto with = args;
    with.insert(with.end(), {"--user-type", "contact_handle,handle_base"});
    const auto r = nlohmann::json::parse(mask(with).out);
    CHECK(r["action"] == "mask");
    CHECK(r["output"].get<std::string>().size() == 10);   // hash length 10
    const auto plain = nlohmann::json::parse(mask(args).out);
    CHECK(plain["action"] == "detect");   // a text column: the value detectors
  }
  SECTION("usage errors exit 2; --help exits 0") {
    CHECK(mask({"--profile", "nope", "--column", "email", "--value", "x"}).exit_code == 2);
    CHECK(mask({"--profile", "pii-strict", "--column", "email", "--type", "notatype", "--value", "x"}).exit_code == 2);
    CHECK(mask({"--profile", "pii-strict", "--column", "email"}).exit_code == 2);
    const auto help = mask({"--help"});
    CHECK(help.exit_code == 0);
    CHECK_THAT(help.out, Contains("--profile") && Contains("--json") && Contains("--table"));
  }
}

TEST_CASE("masking: a SIGHUP that changes a profile applies to live sessions at their next statement",
          "[masking][tooling]") {
  auto& world = World::shared();
  (void)world;   // the shop database and its objects
  testsupport::TempDir secrets("masking-reload");
  const std::string password_file = secrets.path() + "/pw";
  const std::string hmac_file = secrets.path() + "/hmac";
  testsupport::write_file(password_file, std::string(testsupport::kSupportRoPassword) + "\n", 0600);
  testsupport::write_file(hmac_file, "masking-reload-hmac-key-0123456789\n", 0600);
  testsupport::PgveilProcess pgveil(testsupport::masking_shop::config_yaml(password_file, hmac_file),
                                    {"DBA_PW=" + std::string(testsupport::kDbaPassword)});
  const std::string secret = pgveil.grant("alice", "prod", "support", "1h", "reload test");
  auto conn = testsupport::PgConn::must_connect(pgveil.conninfo("alice", "prod", secret));
  CHECK(conn.value("SELECT email FROM customers WHERE id = 1").starts_with("***@"));

  const std::string before = testsupport::read_file(pgveil.config_path());
  const std::string after = testsupport::replace_all(before, "          mask: email\n", "          mask: redact\n");
  REQUIRE(after != before);
  testsupport::write_file(pgveil.config_path(), after);
  pgveil.signal(SIGHUP);
  for (int i = 0; i < 100 && pgveil.log().find("configuration reloaded") == std::string::npos; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  REQUIRE_THAT(pgveil.log(), Contains("configuration reloaded"));
  CHECK(conn.value("SELECT email FROM customers WHERE id = 1") == "[redacted]");   // same session
}
