// TLS on both sides of pgveil (README "What a client sees", PROTOCOL.md rules 2, 3, 6, 12): libpq
// clients with sslmode=require and channel binding against pgveil's own certificate, tls.require
// refusing plaintext, plaintext smuggled after an SSLRequest, and upstream TLS against a second
// throwaway cluster started with ssl=on (the shared cluster has no TLS).
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <csignal>
#include <memory>
#include <string>
#include <thread>

#include "support/files.h"
#include "support/itf_env.h"
#include "support/itf_raw_client.h"
#include "support/pg_cluster.h"
#include "support/pgveil_process.h"
#include "support/pq.h"

using Catch::Matchers::Contains;
using namespace std::chrono_literals;
using testsupport::PgCluster;
using testsupport::PgConn;
using testsupport::PgveilProcess;
using testsupport::TempDir;

namespace {

using Clock = std::chrono::steady_clock;

// Certificates shared by the file: pgveil's server certificate and an unrelated one (a CA that
// signed nothing we use).
struct Certificates {
  TempDir dir{"itf-tls"};
  Certificates() {
    itf::make_certificate(dir.path(), "server");
    itf::make_certificate(dir.path(), "stranger");
  }
  std::string crt(std::string_view name) const { return dir.path() + "/" + std::string(name) + ".crt"; }
  std::string key(std::string_view name) const { return dir.path() + "/" + std::string(name) + ".key"; }
};

const Certificates& certificates() {
  static const Certificates certs;
  return certs;
}

itf::ConfigParts with_tls(bool require) {
  itf::ConfigParts parts;
  parts.top = "tls: { cert: " + certificates().crt("server") + ", key: " + certificates().key("server") +
              ", require: " + (require ? "true" : "false") + " }\n";
  return parts;
}

// A second cluster with ssl=on, its certificate being server.crt (SAN IP:127.0.0.1).
PgCluster& tls_cluster() {
  static const std::unique_ptr<PgCluster> cluster = [] {
    auto made = std::make_unique<PgCluster>();  // stopped at exit
    struct stat owner {};
    REQUIRE(::stat(made->data_dir().c_str(), &owner) == 0);
    for (const char* ext : {"crt", "key"}) {
      const std::string path = made->data_dir() + "/itf_server." + ext;
      testsupport::write_file(path, testsupport::read_file(certificates().dir.path() + "/server." + ext), 0600);
      REQUIRE(::chown(path.c_str(), owner.st_uid, owner.st_gid) == 0);
    }
    made->exec("ALTER SYSTEM SET ssl_cert_file = 'itf_server.crt'");
    made->exec("ALTER SYSTEM SET ssl_key_file = 'itf_server.key'");
    made->exec("ALTER SYSTEM SET ssl = on");
    made->exec("SELECT pg_reload_conf()");
    const auto deadline = Clock::now() + 10s;
    while (made->query_value("SHOW ssl") != "on" && Clock::now() < deadline) std::this_thread::sleep_for(50ms);
    INFO(made->log());
    REQUIRE(made->query_value("SHOW ssl") == "on");
    return made;
  }();
  return *cluster;
}

// A database entry "secure" on the TLS cluster, logging in as its superuser.
itf::ConfigParts upstream_tls(std::string_view tls, std::uint16_t port) {
  itf::ConfigParts parts;
  parts.databases = "  secure:\n"
                    "    host: 127.0.0.1\n"
                    "    port: " + std::to_string(port) + "\n"
                    "    dbname: postgres\n"
                    "    connect_timeout: 3s\n"
                    "    tls: " + std::string(tls) + "\n"
                    "    logins:\n"
                    "      su: { user: postgres, password_env: SU_PW }\n";
  parts.roles = "  secure_role: { databases: [secure], login: su, max_duration: 1h }\n";
  return parts;
}

std::vector<std::string> env_with_su() {
  auto env = itf::pgveil_env();
  env.push_back("SU_PW=" + std::string(PgCluster::kSuperuserPassword));
  return env;
}

}  // namespace

TEST_CASE("tls: a client over TLS gets a real TLS session with channel binding", "[tls][itf]") {
  PgveilProcess pgveil(itf::config(with_tls(false)), itf::pgveil_env());
  const auto secret = itf::secret_of(itf::grant(pgveil, "tina", "prod", "support"));
  SECTION("sslmode=require") {
    auto conn = PgConn::connect(pgveil.conninfo("tina", "prod", secret) + " sslmode=require", 10s);
    INFO((conn ? "" : conn.error().to_string()));
    REQUIRE(conn.has_value());
    CHECK(PQsslInUse(conn->get()) == 1);
    const std::string protocol = PQsslAttribute(conn->get(), "protocol");
    CHECK((protocol == "TLSv1.3" || protocol == "TLSv1.2"));
    CHECK(conn->value("SELECT 'over tls'") == "over tls");
  }
  SECTION("verify-ca against pgveil's certificate, and SCRAM-SHA-256-PLUS required") {
    auto conn = PgConn::connect(pgveil.conninfo("tina", "prod", secret) +
                                    " sslmode=verify-ca sslrootcert=" + certificates().crt("server") +
                                    " channel_binding=require",
                                10s);
    INFO((conn ? "" : conn.error().to_string()));
    REQUIRE(conn.has_value());
    CHECK(PQsslInUse(conn->get()) == 1);
  }
  SECTION("verify-ca with another CA fails on the client side") {
    auto conn = PgConn::connect(pgveil.conninfo("tina", "prod", secret) +
                                    " sslmode=verify-ca sslrootcert=" + certificates().crt("stranger"),
                                10s);
    REQUIRE_FALSE(conn.has_value());
    CHECK_THAT(conn.error().raw, Contains("certificate verify failed"));
  }
  SECTION("plaintext is still allowed without tls.require") {
    auto conn = PgConn::connect(pgveil.conninfo("tina", "prod", secret) + " sslmode=disable", 10s);
    REQUIRE(conn.has_value());
    CHECK(PQsslInUse(conn->get()) == 0);
  }
  CHECK(pgveil.running());
}

TEST_CASE("tls: tls.require refuses plaintext clients with 28000", "[tls][itf]") {
  PgveilProcess pgveil(itf::config(with_tls(true)), itf::pgveil_env());
  const auto secret = itf::secret_of(itf::grant(pgveil, "tina", "prod", "support"));
  auto plain = PgConn::connect(pgveil.conninfo("tina", "prod", secret) + " sslmode=disable", 10s);
  REQUIRE_FALSE(plain.has_value());
  CHECK(plain.error().severity == "FATAL");
  CHECK(plain.error().sqlstate == "28000");
  CHECK_THAT(plain.error().message, Contains("pgveil requires an encrypted connection"));
  CHECK_THAT(plain.error().hint, Contains("sslmode=require"));

  auto secure = PgConn::connect(pgveil.conninfo("tina", "prod", secret) + " sslmode=require", 10s);
  INFO((secure ? "" : secure.error().to_string()));
  REQUIRE(secure.has_value());
  CHECK(PQsslInUse(secure->get()) == 1);
}

TEST_CASE("tls: plaintext sent with the SSLRequest is refused (CVE-2021-23214)", "[tls][itf]") {
  PgveilProcess pgveil(itf::config(with_tls(false)), itf::pgveil_env());
  auto c = itf::RawClient::connect(pgveil.port());
  REQUIRE(c.send(itf::ssl_request() + itf::startup_packet({{"user", "tina"}, {"database", "prod"}})));
  // No 'S': the answer is the ErrorResponse itself, then the close.
  auto m = c.read_message(3s);
  REQUIRE(m.has_value());
  REQUIRE(m->type == 'E');
  const auto e = itf::error_of(*m);
  REQUIRE(e.has_value());
  CHECK(e->severity == "FATAL");
  CHECK(e->sqlstate == "08P01");
  CHECK_THAT(e->message, Contains("unencrypted data after SSL request"));
  CHECK(c.wait_closed(3s));
  CHECK(pgveil.running());
}

TEST_CASE("tls: a revoked grant ends a TLS session as quickly as a plain one", "[tls][itf]") {
  PgveilProcess pgveil(itf::config(with_tls(false)), itf::pgveil_env());
  const auto issued = itf::grant(pgveil, "tina", "prod", "support");
  auto busy = PgConn::connect(pgveil.conninfo("tina", "prod", itf::secret_of(issued)) +
                                  " sslmode=require application_name=itf_tls_busy", 10s);
  REQUIRE(busy.has_value());
  auto idle = PgConn::connect(pgveil.conninfo("tina", "prod", itf::secret_of(issued)) +
                                  " sslmode=require application_name=itf_tls_idle", 10s);
  REQUIRE(idle.has_value());
  REQUIRE(PQsendQuery(busy->get(), "SELECT pg_sleep(30)") == 1);
  REQUIRE(itf::wait_backends("itf_tls_busy", 1, 2s));
  const auto r = pgveil.cli({"--config", pgveil.config_path(), "grant", "revoke",
                             std::to_string(itf::id_of(issued)), "--reason", "tls check"});
  REQUIRE(r.exit_code == 0);
  const auto revoked = Clock::now();
  const auto outcome = itf::await_results(busy->get(), 5s);
  INFO(outcome.describe());
  REQUIRE(outcome.finished);
  CHECK(outcome.sqlstate == "57P01");
  CHECK(itf::seconds_since(revoked) <= 1.5);
  CHECK(itf::await_close(idle->get(), 2s));
  CHECK(itf::wait_backends("itf_tls_busy", 0, 1500ms));
  CHECK(itf::wait_backends("itf_tls_idle", 0, 1500ms));
}

TEST_CASE("tls: upstream TLS is negotiated on its own", "[tls][itf]") {
  auto& secure_cluster = tls_cluster();
  SECTION("mode require: the upstream session is encrypted") {
    PgveilProcess pgveil(itf::config(upstream_tls("{ mode: require }", secure_cluster.port())), env_with_su());
    const auto secret = itf::secret_of(itf::grant(pgveil, "tina", "secure", "secure_role"));
    auto conn = PgConn::connect(pgveil.conninfo("tina", "secure", secret), 10s);
    INFO((conn ? "" : conn.error().to_string()) << pgveil.log());
    REQUIRE(conn.has_value());
    CHECK(PQsslInUse(conn->get()) == 0);  // client side plain, upstream encrypted
    CHECK(conn->value("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()") == "t");
  }
  SECTION("mode verify-full with the server's CA") {
    PgveilProcess pgveil(
        itf::config(upstream_tls("{ mode: verify-full, ca: " + certificates().crt("server") + " }",
                                 secure_cluster.port())),
        env_with_su());
    const auto secret = itf::secret_of(itf::grant(pgveil, "tina", "secure", "secure_role"));
    auto conn = PgConn::connect(pgveil.conninfo("tina", "secure", secret), 10s);
    INFO((conn ? "" : conn.error().to_string()) << pgveil.log());
    REQUIRE(conn.has_value());
    CHECK(conn->value("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()") == "t");
  }
  SECTION("mode verify-full with a CA that did not sign the server's certificate") {
    PgveilProcess pgveil(
        itf::config(upstream_tls("{ mode: verify-full, ca: " + certificates().crt("stranger") + " }",
                                 secure_cluster.port())),
        env_with_su());
    const auto secret = itf::secret_of(itf::grant(pgveil, "tina", "secure", "secure_role"));
    auto conn = PgConn::connect(pgveil.conninfo("tina", "secure", secret), 10s);
    REQUIRE_FALSE(conn.has_value());
    INFO(conn.error().to_string());
    CHECK(conn.error().sqlstate == "08006");
    CHECK_THAT(conn.error().message, Contains("127.0.0.1:" + std::to_string(secure_cluster.port())));
  }
  SECTION("mode require against a server without TLS") {
    itf::ConfigParts parts;
    parts.prod_tls = "{ mode: require }";
    PgveilProcess pgveil(itf::config(parts), itf::pgveil_env());
    const auto secret = itf::secret_of(itf::grant(pgveil, "tina", "prod", "support"));
    auto conn = PgConn::connect(pgveil.conninfo("tina", "prod", secret), 10s);
    REQUIRE_FALSE(conn.has_value());
    INFO(conn.error().to_string());
    CHECK(conn.error().sqlstate == "08006");
    CHECK_THAT(conn.error().message, Contains("does not accept TLS"));
  }
  SECTION("mode prefer against a server without TLS stays plain") {
    itf::ConfigParts parts;
    parts.prod_tls = "{ mode: prefer }";
    PgveilProcess pgveil(itf::config(parts), itf::pgveil_env());
    const auto secret = itf::secret_of(itf::grant(pgveil, "tina", "prod", "support"));
    auto conn = PgConn::connect(pgveil.conninfo("tina", "prod", secret), 10s);
    INFO((conn ? "" : conn.error().to_string()));
    REQUIRE(conn.has_value());
    CHECK(conn->value("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()") == "f");
  }
}
