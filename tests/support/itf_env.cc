#include "support/itf_env.h"

#include <openssl/bio.h>
#include <openssl/ssl.h>
#include <poll.h>

#include <cerrno>
#include <stdexcept>
#include <thread>

#include "support/pg_cluster.h"
#include "support/process.h"

namespace itf {
namespace {

using Clock = std::chrono::steady_clock;
using testsupport::PgCluster;

std::string field(const PGresult* result, int code) {
  const char* value = PQresultErrorField(result, code);
  return value != nullptr ? value : "";
}

}  // namespace

void ensure_upstream() {
  static bool done = false;
  if (done) return;
  auto& cluster = PgCluster::shared();
  cluster.create_database(kDatabase);
  cluster.exec("DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '" +
               std::string(kAppUser) + "') THEN CREATE ROLE " + std::string(kAppUser) +
               " LOGIN PASSWORD '" + std::string(kAppPassword) + "'; END IF; END $$;");
  cluster.exec("GRANT ALL ON DATABASE " + std::string(kDatabase) + " TO " + std::string(kAppUser));
  done = true;
}

std::vector<std::string> pgveil_env() { return {"APP_PW=" + std::string(kAppPassword)}; }

nlohmann::json grant(const testsupport::PgveilProcess& pgveil, std::string_view user,
                     std::string_view db, std::string_view role, std::string_view duration,
                     const std::vector<std::string>& extra) {
  std::vector<std::string> args = {"grant", "create", "--user", std::string(user), "--db",
                                   std::string(db), "--role", std::string(role), "--for",
                                   std::string(duration), "--reason", "test"};
  args.insert(args.end(), extra.begin(), extra.end());
  args.push_back("--json");
  const auto r = cli(pgveil, args);
  if (r.exit_code != 0) {
    throw std::runtime_error("pgveil grant create failed (" + std::to_string(r.exit_code) + "): " + r.err + r.out);
  }
  auto parsed = nlohmann::json::parse(r.out, nullptr, /*allow_exceptions=*/false);
  if (!parsed.is_object() || !parsed.contains("secret")) {
    throw std::runtime_error("pgveil grant create printed no JSON with a secret: " + r.out);
  }
  return parsed;
}

std::string secret_of(const nlohmann::json& grant) { return grant.at("secret").get<std::string>(); }
std::int64_t id_of(const nlohmann::json& grant) { return grant.at("id").get<std::int64_t>(); }

testsupport::RunResult cli(const testsupport::PgveilProcess& pgveil, std::vector<std::string> args) {
  args.insert(args.begin(), {"--config", pgveil.config_path()});
  return pgveil.cli(args);
}

std::string config(const ConfigParts& parts) {
  ensure_upstream();
  std::string limits = parts.limits;
  // PgveilProcess stops pgveil with SIGTERM and waits 10 s; the default 30 s drain would turn a
  // test that leaves a session open into a SIGKILL.
  if (limits.find("drain_timeout") == std::string::npos) limits += "  drain_timeout: 1s\n";
  std::string yaml =
      "listen: 127.0.0.1:{{LISTEN_PORT}}\n"
      "workers: 2\n"
      "store: { sqlite: \"{{DIR}}/state.db\" }\n"
      "limits:\n" + limits +
      "databases:\n"
      "  prod:\n"
      "    host: 127.0.0.1\n"
      "    port: " + parts.prod_port + "\n"
      "    dbname: " + std::string(kDatabase) + "\n"
      "    connect_timeout: 3s\n"
      "    tls: " + parts.prod_tls + "\n"
      "    logins:\n"
      "      app: { user: " + std::string(kAppUser) + ", password_env: APP_PW }\n" +
      parts.databases +
      "roles:\n"
      "  support: { databases: [prod], login: app, max_duration: 4h }\n" +
      parts.roles + parts.top;
  return yaml;
}

int backends_named(std::string_view app) {
  return std::stoi(PgCluster::shared().query_value(
      "SELECT count(*) FROM pg_stat_activity WHERE application_name = '" + std::string(app) + "'"));
}

bool wait_backends(std::string_view app, int expected, std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    if (backends_named(app) == expected) return true;
    if (Clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

std::string Outcome::describe() const {
  std::string text = finished ? (ok ? "ok" : "error") : "not finished";
  if (connection_lost) text += ", connection lost";
  if (!sqlstate.empty()) text += ", " + severity + " " + sqlstate + ": " + message;
  if (!raw.empty()) text += " (" + raw + ")";
  return text;
}

Outcome await_results(PGconn* conn, std::chrono::milliseconds timeout) {
  Outcome outcome;
  outcome.ok = true;
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    while (!PQisBusy(conn)) {
      PGresult* result = PQgetResult(conn);
      if (result == nullptr) {
        outcome.finished = true;
        if (PQstatus(conn) == CONNECTION_BAD) outcome.connection_lost = true;
        return outcome;
      }
      const auto status = PQresultStatus(result);
      if (status == PGRES_FATAL_ERROR || status == PGRES_NONFATAL_ERROR) {
        if (outcome.sqlstate.empty() && outcome.raw.empty()) {
          outcome.ok = false;
          outcome.sqlstate = field(result, PG_DIAG_SQLSTATE);
          outcome.severity = field(result, PG_DIAG_SEVERITY_NONLOCALIZED);
          outcome.message = field(result, PG_DIAG_MESSAGE_PRIMARY);
          outcome.hint = field(result, PG_DIAG_MESSAGE_HINT);
          outcome.raw = PQresultErrorMessage(result);
        }
      }
      PQclear(result);
    }
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) return outcome;
    pollfd p{PQsocket(conn), POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left.count())) < 0 && errno != EINTR) return outcome;
    if (PQconsumeInput(conn) == 0) {
      outcome.connection_lost = true;
      if (outcome.raw.empty()) outcome.raw = PQerrorMessage(conn);
      outcome.ok = false;
      // Whatever libpq parsed before the close (the FATAL) is still delivered by PQgetResult.
    }
  }
}

void capture_async_errors(PGconn* conn, AsyncErrors& into) {
  PQsetNoticeReceiver(
      conn,
      [](void* arg, const PGresult* result) {
        auto* errors = static_cast<AsyncErrors*>(arg);
        errors->sqlstates.push_back(field(result, PG_DIAG_SQLSTATE));
        errors->messages.push_back(field(result, PG_DIAG_MESSAGE_PRIMARY));
      },
      &into);
}

bool await_close(PGconn* conn, std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) return false;
    pollfd p{PQsocket(conn), POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left.count())) < 0 && errno != EINTR) return false;
    if (PQconsumeInput(conn) == 0 || PQstatus(conn) == CONNECTION_BAD) return true;
    // Drain notices/results so libpq keeps reading.
    while (!PQisBusy(conn)) {
      PGresult* r = PQgetResult(conn);
      if (r == nullptr) break;
      PQclear(r);
    }
  }
}

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

void make_certificate(const std::string& dir, const std::string& name) {
  const auto r = testsupport::run(
      {"openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
       "-nodes", "-days", "2", "-subj", "/CN=localhost", "-addext",
       "subjectAltName=DNS:localhost,IP:127.0.0.1", "-keyout", dir + "/" + name + ".key", "-out",
       dir + "/" + name + ".crt"},
      {}, {}, std::chrono::seconds(30));
  if (r.exit_code != 0) throw std::runtime_error("openssl req failed: " + r.err);
}

}  // namespace itf

namespace itf {

std::string tls_client_hello() {
  SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
  if (ctx == nullptr) throw std::runtime_error("SSL_CTX_new failed");
  SSL* ssl = SSL_new(ctx);
  BIO* in = BIO_new(BIO_s_mem());
  BIO* out = BIO_new(BIO_s_mem());
  SSL_set_bio(ssl, in, out);  // ssl owns both BIOs now
  static const unsigned char kAlpn[] = {10, 'p', 'o', 's', 't', 'g', 'r', 'e', 's', 'q', 'l'};
  SSL_set_alpn_protos(ssl, kAlpn, sizeof kAlpn);
  SSL_set_tlsext_host_name(ssl, "localhost");
  SSL_connect(ssl);  // wants to read the ServerHello: the ClientHello is in `out`
  std::string hello;
  char chunk[4096];
  int n = 0;
  while ((n = BIO_read(out, chunk, sizeof chunk)) > 0) hello.append(chunk, static_cast<std::size_t>(n));
  SSL_free(ssl);
  SSL_CTX_free(ctx);
  if (hello.empty() || static_cast<unsigned char>(hello[0]) != 0x16) {
    throw std::runtime_error("OpenSSL produced no ClientHello");
  }
  return hello;
}

}  // namespace itf
