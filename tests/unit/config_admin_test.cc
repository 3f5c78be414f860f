// admin: and roles.*.auto_approve.
#include <catch2/catch.hpp>

#include "config_test_support.h"
#include "proxy/config/config.h"

using config_test::errors_of;
using config_test::fake_env;
using config_test::load_ok;
using config_test::problem_at;

namespace {
const std::string kBase = std::string(config_test::kMinimalDatabases) + std::string(config_test::kMinimalRoles);
const std::string kToken(40, 't');
}  // namespace

TEST_CASE("admin: listen and a token from env or file", "[config][admin]") {
  {
    const auto config = load_ok(kBase);
    CHECK_FALSE(config->admin.enabled);
  }
  {
    const auto config = load_ok(kBase + "admin: { token_env: ADMIN }\n", fake_env({{"ADMIN", kToken}}));
    CHECK(config->admin.enabled);
    CHECK(config->admin.listen.host == "127.0.0.1");
    CHECK(config->admin.listen.port == 6433);
    CHECK(config->admin.token == kToken);
    CHECK(config->admin.token_source == "env ADMIN");
  }
  {
    config_test::TempDir dir;
    const auto file = dir.write("admin", kToken + "\n");
    std::filesystem::permissions(file, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
    const auto config = load_ok(kBase + "admin: { listen: 127.0.0.1:7000, token_file: " + file + " }\n");
    CHECK(config->admin.listen.port == 7000);
    CHECK(config->admin.token == kToken);  // the trailing newline is not part of it
    CHECK(config->warnings.empty());
    std::filesystem::permissions(file, std::filesystem::perms::others_read, std::filesystem::perm_options::add);
    const auto readable = load_ok(kBase + "admin: { token_file: " + file + " }\n");
    REQUIRE(readable->warnings.size() == 1);
    CHECK_THAT(readable->warnings[0].message, Catch::Contains("readable by every user"));
  }
  {
    INFO("a non-loopback listen in plain HTTP only when explicitly allowed, and still warned about");
    const auto config = load_ok(kBase + "admin: { listen: 0.0.0.0:7000, allow_plain_http: true }\n");
    REQUIRE(config->warnings.size() == 1);
    CHECK_THAT(config->warnings[0].message, Catch::Contains("plain HTTP on 0.0.0.0 (allow_plain_http: true)"));
    CHECK(config->admin.token.empty());
    CHECK_FALSE(config->admin.https());
  }
}

TEST_CASE("admin: tls makes the API HTTPS, also on other addresses", "[config][admin]") {
  config_test::TempDir dir;
  const auto cert = dir.write("admin.crt", "not parsed at load: the server loads it at start\n");
  const auto key = dir.write("admin.key", "key\n");
  const auto config = load_ok(kBase + "admin:\n  listen: 0.0.0.0:7000\n  tls: { cert: " + cert + ", key: " + key + " }\n");
  CHECK(config->admin.https());
  CHECK(config->admin.tls_cert_file == cert);
  CHECK(config->admin.tls_key_file == key);
  CHECK(config->warnings.empty());
  // Relative paths are relative to the config file's directory.
  const auto relative = load_ok(kBase + "admin: { tls: { cert: admin.crt, key: admin.key } }\n", fake_env(),
                                (dir.path() / "pgveil.yaml").string());
  CHECK(relative->admin.tls_cert_file == cert);
}

TEST_CASE("admin: problems point at their line", "[config][admin]") {
  const int line = 1 + static_cast<int>(std::count(kBase.begin(), kBase.end(), '\n'));
  problem_at(errors_of(kBase + "admin: { token_env: ADMIN }\n"), line, "environment variable ADMIN is not set");
  problem_at(errors_of(kBase + "admin: { token_env: ADMIN }\n", fake_env({{"ADMIN", "short"}})), line,
             "is 5 characters; use at least 32");
  problem_at(errors_of(kBase + "admin: { token_env: A, token_file: /x }\n"), line, "one way only");
  problem_at(errors_of(kBase + "admin: { listen: nowhere:port }\n"), line, "admin.listen");
  problem_at(errors_of(kBase + "admin: { tokn_env: A }\n"), line, "unknown key 'tokn_env'");
  problem_at(errors_of(kBase + "admin: { listen: 0.0.0.0:7000 }\n"), line,
             "0.0.0.0 is not a loopback address and admin.tls is not set: bearer tokens and connection secrets "
             "would cross the network unencrypted");
  problem_at(errors_of(kBase + "admin: { listen: 10.0.0.1:7000, allow_plain_http: false }\n"), line,
             "not a loopback address");
  problem_at(errors_of(kBase + "admin: { tls: { cert: /nonexistent/admin.crt, key: /nonexistent/admin.key } }\n"),
             line, "/nonexistent/admin.crt");
  problem_at(errors_of(kBase + "admin: { tls: { cert: /nonexistent/a.crt } }\n"), line, "cert and key go together");
  problem_at(errors_of(kBase + "admin: { tls: {} }\n"), line, "give cert and key");
  problem_at(errors_of(kBase + "admin: { allow_plain_http: maybe }\n"), line, "allow_plain_http");
}

TEST_CASE("roles: auto_approve groups", "[config][admin]") {
  const auto config = load_ok(std::string(config_test::kMinimalDatabases) + R"(people:
  erin: { groups: [oncall] }
roles:
  support:
    databases: [prod]
    login: ro
    auto_approve: [oncall]
)");
  CHECK(config->role("support")->auto_approve == std::vector<std::string>{"oncall"});
}
