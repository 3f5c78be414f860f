// The admin API over HTTPS (admin.tls): the CLI trusts it with --ca / PGVEIL_CA and refuses a
// certificate it cannot verify; a plain HTTP request on the HTTPS port gets no answer; a
// non-loopback admin listen without TLS stops start-up.
#include <httplib.h>

#include <catch2/catch.hpp>
#include <string>

#include "support/files.h"
#include "support/itf_env.h"
#include "support/workflow_env.h"

using Catch::Matchers::Contains;
using testsupport::PgveilProcess;

namespace {

// wf::config() with admin.tls set to <dir>/admin.crt and .key.
std::string https_config(const std::string& dir) {
  const std::string plain = "admin: { listen: \"127.0.0.1:{{ADMIN_PORT}}\", token_env: ADMIN_TOKEN }\n";
  const std::string yaml = wf::config();
  if (yaml.find(plain) == std::string::npos) FAIL("wf::config() no longer has the admin line this test rewrites");
  return testsupport::replace_all(yaml, plain,
                                  "admin:\n  listen: \"127.0.0.1:{{ADMIN_PORT}}\"\n  token_env: ADMIN_TOKEN\n"
                                  "  tls: { cert: " + dir + "/admin.crt, key: " + dir + "/admin.key }\n");
}

}  // namespace

TEST_CASE("admin API over HTTPS: the CLI with --ca, refusals without trust, no plain HTTP", "[workflow][admin][itf]") {
  testsupport::TempDir certs("itf-admin-tls");
  itf::make_certificate(certs.path(), "admin");      // self-signed for 127.0.0.1: its own CA
  itf::make_certificate(certs.path(), "stranger");   // a CA that signed nothing pgveil uses
  PgveilProcess pgveil(https_config(certs.path()), wf::env());
  const std::string admin(wf::kAdminToken);
  const std::string https = "https://127.0.0.1:" + std::to_string(pgveil.admin_port());
  const std::string ca = certs.path() + "/admin.crt";
  INFO(pgveil.log());
  CHECK_THAT(pgveil.log(), Contains("admin API listening on " + https));

  // --ca on the command line, then PGVEIL_CA.
  auto issued = wf::cli_at(pgveil, https, admin, {"token", "issue", "alice", "--ca", ca});
  INFO(issued.err);
  REQUIRE(issued.exit_code == 0);
  const auto token_at = issued.out.find("pgv_");
  REQUIRE(token_at != std::string::npos);
  const std::string alice = issued.out.substr(token_at, issued.out.find_first_of(" \n", token_at) - token_at);
  auto asked = wf::cli_at(pgveil, https, alice,
                          {"request", "--db", "prod", "--role", "support", "--reason", "INC-5", "--for", "1h"},
                          {"PGVEIL_CA=" + ca});
  INFO(asked.err);
  CHECK(asked.exit_code == 0);
  CHECK_THAT(asked.out, Contains("Request 1 recorded"));
  auto listed = wf::cli_at(pgveil, https, alice, {"grants", "--json"}, {"PGVEIL_CA=" + ca});
  REQUIRE(listed.exit_code == 0);
  CHECK(nlohmann::json::parse(listed.out).size() == 1);

  {
    INFO("no CA: the self-signed certificate is not trusted");
    const auto r = wf::cli_at(pgveil, https, alice, {"grants"});
    CHECK(r.exit_code == 1);
    CHECK_THAT(r.err, Contains("pass --ca FILE (or PGVEIL_CA)"));
  }
  {
    INFO("a CA that did not sign the admin API's certificate");
    const auto r = wf::cli_at(pgveil, https, alice, {"grants", "--ca", certs.path() + "/stranger.crt"});
    CHECK(r.exit_code == 1);
    CHECK_THAT(r.err, Contains("not trusted"));
  }
  {
    INFO("--ca with an http:// server is a usage error; a missing CA file too");
    const auto http = "http://127.0.0.1:" + std::to_string(pgveil.admin_port());
    CHECK(wf::cli_at(pgveil, http, alice, {"grants", "--ca", ca}).exit_code == 2);
    const auto missing = wf::cli_at(pgveil, https, alice, {"grants", "--ca", certs.path() + "/nope.crt"});
    CHECK(missing.exit_code == 2);
    CHECK_THAT(missing.err, Contains("nope.crt"));
  }
  {
    INFO("plain HTTP on the HTTPS port gets no HTTP answer");
    const auto r = wf::cli_at(pgveil, "http://127.0.0.1:" + std::to_string(pgveil.admin_port()), alice, {"grants"});
    CHECK(r.exit_code == 1);
    CHECK_THAT(r.err, Contains("cannot reach the pgveil admin API"));
    httplib::Client plain("127.0.0.1", pgveil.admin_port());
    plain.set_connection_timeout(5, 0);
    plain.set_read_timeout(5, 0);
    const auto got = plain.Get("/healthz");
    CHECK_FALSE(static_cast<bool>(got));   // the TLS server answers a plaintext request with a failed handshake, not HTTP
    CHECK(pgveil.running());
  }
}

TEST_CASE("admin API: a non-loopback listen needs TLS or allow_plain_http", "[workflow][admin][itf]") {
  testsupport::TempDir dir("itf-admin-expose");
  const std::string path = dir.path() + "/pgveil.yaml";
  std::string yaml = testsupport::replace_all(wf::config(), "127.0.0.1:{{ADMIN_PORT}}", "0.0.0.0:6433");
  yaml = testsupport::replace_all(yaml, "{{DIR}}", dir.path());
  yaml = testsupport::replace_all(yaml, "{{LISTEN_PORT}}", "6432");
  yaml = testsupport::replace_all(yaml, "{{PG_PORT}}", "5432");
  testsupport::write_file(path, yaml, 0600);
  auto env = wf::env();
  testsupport::RunOptions options;
  options.env = env;
  const auto refused = testsupport::run_with({PGVEIL_BINARY, "--config", path, "serve"}, options);
  CHECK(refused.exit_code == 2);
  CHECK_THAT(refused.err, Contains("0.0.0.0 is not a loopback address and admin.tls is not set"));
  CHECK_THAT(refused.err, Contains("would cross the network unencrypted"));

  testsupport::write_file(path, testsupport::replace_all(yaml, "token_env: ADMIN_TOKEN",
                                                         "token_env: ADMIN_TOKEN, allow_plain_http: true"),
                          0600);
  const auto allowed = testsupport::run_with({PGVEIL_BINARY, "--config", path, "check-config"}, options);
  INFO(allowed.out << allowed.err);
  CHECK(allowed.exit_code == 0);
  CHECK_THAT(allowed.out + allowed.err, Contains("allow_plain_http: true"));

  // With TLS that address is fine, and check-config loads the certificate and key as serve would.
  itf::make_certificate(dir.path(), "admin");
  testsupport::write_file(dir.path() + "/bad.key", "not a key\n", 0600);
  const std::string with_tls = testsupport::replace_all(
      yaml, "token_env: ADMIN_TOKEN", "token_env: ADMIN_TOKEN, tls: { cert: admin.crt, key: admin.key }");
  testsupport::write_file(path, with_tls, 0600);
  const auto good = testsupport::run_with({PGVEIL_BINARY, "--config", path, "check-config"}, options);
  INFO(good.out << good.err);
  CHECK(good.exit_code == 0);
  testsupport::write_file(path, testsupport::replace_all(with_tls, "key: admin.key", "key: bad.key"), 0600);
  const auto bad = testsupport::run_with({PGVEIL_BINARY, "--config", path, "check-config"}, options);
  CHECK(bad.exit_code == 2);
  CHECK_THAT(bad.err, Contains("admin.tls: cannot load TLS key " + dir.path() + "/bad.key"));
}
