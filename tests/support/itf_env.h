// Shared set-up for the admission, bad-input, TLS and operations integration tests: the upstream
// database and brokered login they use on the shared cluster, pgveil configurations built from
// one template, libpq queries awaited with a deadline, and the upstream view of sessions
// (pg_stat_activity read directly as the superuser).
#pragma once

#include <libpq-fe.h>

#include <chrono>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "support/pgveil_process.h"

namespace itf {

// Upstream database "itf" and login role "itf_app" on PgCluster::shared(), created once.
inline constexpr std::string_view kDatabase = "itf";
inline constexpr std::string_view kAppUser = "itf_app";
inline constexpr std::string_view kAppPassword = "itf-app-secret";
void ensure_upstream();

// "APP_PW=<kAppPassword>": the environment every pgveil of these tests gets.
std::vector<std::string> pgveil_env();

// `pgveil --config C grant create --user U --db D --role R --for DUR --reason test [extra...]
// --json`; REQUIREs exit 0 and returns the printed JSON (id, secret, not_before, not_after...).
// (PgveilProcess::grant puts --config after the subcommand, which pgveil's CLI rejects.)
nlohmann::json grant(const testsupport::PgveilProcess& pgveil, std::string_view user,
                     std::string_view db, std::string_view role, std::string_view duration = "1h",
                     const std::vector<std::string>& extra = {});
std::string secret_of(const nlohmann::json& grant);
std::int64_t id_of(const nlohmann::json& grant);
// Any other CLI command with --config first.
testsupport::RunResult cli(const testsupport::PgveilProcess& pgveil, std::vector<std::string> args);

struct ConfigParts {
  std::string limits;      // YAML lines for limits:, indented by 2 ("  startup_timeout: 1s\n")
  std::string top;         // extra top-level YAML (tls: ..., logging: ...)
  std::string databases;   // extra entries under databases:, indented by 2
  std::string roles;       // extra entries under roles:, indented by 2
  std::string prod_tls = "{ mode: disable }";
  std::string prod_port = "{{PG_PORT}}";
};
// listen/workers/store, database "prod" (-> itf on the shared cluster, login app = itf_app), role
// support (prod, login app, max_duration 4h), plus the parts given.
std::string config(const ConfigParts& parts = {});

// Number of upstream backends whose application_name is `app` (superuser query on the cluster).
int backends_named(std::string_view app);
// Polls backends_named until it equals `expected`; true if it did within `timeout`.
bool wait_backends(std::string_view app, int expected, std::chrono::milliseconds timeout);

// The outcome of a libpq query awaited with a deadline.
struct Outcome {
  bool finished = false;        // results came back (success or error) before the deadline
  bool ok = false;              // no error result
  bool connection_lost = false; // libpq reported the connection closed
  std::string sqlstate, severity, message, hint, raw;
  std::string describe() const;
};
// Waits for the results of a query started with PQsendQuery, at most `timeout`.
Outcome await_results(PGconn* conn, std::chrono::milliseconds timeout);
// Waits until an asynchronous ErrorResponse (e.g. FATAL while idle) reaches the notice receiver
// installed by capture_async_errors, or the connection closes.
struct AsyncErrors {
  std::vector<std::string> sqlstates, messages;
};
void capture_async_errors(PGconn* conn, AsyncErrors& into);
bool await_close(PGconn* conn, std::chrono::milliseconds timeout);

double seconds_since(std::chrono::steady_clock::time_point start);

// A self-signed certificate (EC P-256) for CN=localhost with subjectAltName DNS:localhost and
// IP:127.0.0.1, written to <dir>/<name>.crt and <dir>/<name>.key by the openssl CLI.
void make_certificate(const std::string& dir, const std::string& name);

// A real TLS ClientHello (OpenSSL client over memory BIOs, ALPN "postgresql"): what a client
// using direct SSL, or any TLS client pointed at pgveil's plain port, sends first.
std::string tls_client_hello();

}  // namespace itf
