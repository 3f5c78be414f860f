// pgveil.yaml -> a validated, immutable Config.
//
// Loading is start-up (and SIGHUP reload) code, so it may use exceptions internally, but the public
// entry points return std::expected: every problem in the file is collected and reported together,
// each with a 1-based line and column, so an SRE fixes a config in one pass instead of one error
// per restart. A Config that loads is complete: cross references (role -> database -> login) are
// resolved and secrets are read, so the proxy never discovers a config mistake mid-session.
#pragma once

#include "masking/profile.h"
#include "policy/statement_rules.h"

#include <chrono>
#include <cstdint>
#include <expected>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "proxy/config/audit_config.h"
#include "proxy/config/units.h"

namespace proxy {

using Millis = std::chrono::milliseconds;

// Accepted forms: "host:port", "[::1]:6432", ":6432" (keeps the default host, loopback: listening
// on every interface must be asked for explicitly with 0.0.0.0 or [::]), or a bare port number.
struct Endpoint {
  std::string host = "127.0.0.1";
  std::uint16_t port = 6432;
};
std::expected<Endpoint, std::string> parse_endpoint(std::string_view text, Endpoint defaults = {});

// TLS towards clients. No cert -> SSLRequest is answered with 'N' (PROTOCOL.md rule 2).
// require without a cert is a config error.
struct ServerTls {
  std::string cert_file, key_file;
  bool require = false;
};

// libpq sslmode names: disable | prefer | require | verify-ca | verify-full.
enum class UpstreamTlsMode { kDisable, kPrefer, kRequire, kVerifyCa, kVerifyFull };
std::optional<UpstreamTlsMode> parse_upstream_tls_mode(std::string_view name);
std::string_view to_string(UpstreamTlsMode mode);

struct UpstreamTls {
  UpstreamTlsMode mode = UpstreamTlsMode::kPrefer;
  std::string ca_file;  // empty = the system's default trust store
};

// A brokered upstream credential; never shown to people.
struct Login {
  std::string name;      // key in databases.<db>.logins
  std::string user;      // defaults to the key
  std::string password;  // resolved at load time; may be empty (trust / cert auth upstream)
  // Where the password came from, for messages (never the value): "env NAME", "file /path",
  // "inline" or "none".
  std::string password_source;
};

struct Database {
  std::string name;  // what clients put in dbname
  std::string host = "127.0.0.1";
  std::uint16_t port = 5432;
  std::string dbname;  // upstream database name; defaults to name
  UpstreamTls tls;
  std::map<std::string, Login, std::less<>> logins;
  Millis connect_timeout{5000};
};

struct Role {
  std::string name;
  std::string description;             // free text for requesters and reports
  std::vector<std::string> databases;  // each exists in Config::databases
  std::string login;                   // key into databases.<db>.logins, present in every listed db
  // Masking profile: a name in masking.profiles, or "none".
  std::string masking = "none";
  std::string statements = "all";  // "all" | "read-only", as written
  // statements + deny_functions + allow_functions, as the relay enforces them.
  policy::StatementRules statement_rules;
  std::chrono::seconds max_duration{4 * 3600};
  std::vector<std::string> requesters, approvers;  // group names
  // Requests by members of these groups are approved at once (still recorded, by "pgveil").
  std::vector<std::string> auto_approve;
  int approvals = 1;
  std::chrono::seconds idle_timeout{0};  // 0 = none
  // audit_statements: raw | normalized; unset = audit.statements.
  std::optional<audit::TextMode> audit_statements;
};

struct Person {
  std::string name;
  std::vector<std::string> groups;
};

struct Limits {
  // Frontend messages larger than this are refused (08P01/54000). 1 KiB .. 1 GiB: PostgreSQL
  // itself refuses anything larger (PQ_LARGE_MESSAGE_LIMIT, pqcomm.c).
  std::uint32_t max_message_size = 64u << 20;
  std::uint32_t buffer_size = 64u << 10;  // relay read buffer per direction, 4 KiB .. 64 MiB
  Millis startup_timeout{10000};          // whole startup + auth phase (PROTOCOL.md rule 7)
  Millis idle_timeout{0};                 // 0 = none: client idle with no query running
  std::uint32_t max_sessions = 10000;
  Millis drain_timeout{30000};  // SIGTERM: time given to sessions to finish
};

// admin: the HTTP API, /metrics and /healthz (issue #3). Loopback by default. Bearer tokens and
// connection secrets cross it, so a non-loopback listen needs tls (or allow_plain_http: true when
// a TLS proxy in front terminates it).
struct Admin {
  bool enabled = false;  // an admin: section is present
  Endpoint listen{"127.0.0.1", 6433};
  std::string tls_cert_file, tls_key_file;   // admin.tls: both set = HTTPS only
  bool allow_plain_http = false;
  bool https() const { return !tls_cert_file.empty(); }
  // The bootstrap admin token (token_env or token_file), resolved at load time; empty = none
  // (then only personal tokens work, and nobody can issue them).
  std::string token;
  std::string token_source;  // "env NAME" / "file PATH" / "none", for messages
};

struct Logging {
  std::string level = "info";   // trace | debug | info | warn | error | critical | off
  std::string format = "text";  // text | json
  std::string file;             // empty = stderr
};

struct ConfigProblem {
  std::string file;
  int line = 0;    // 1-based; 0 = the whole file
  int column = 0;  // 1-based; 0 = unknown
  std::string message;  // starts with the dotted key path, e.g. "roles.support.max_duration: ..."
  // "pgveil.yaml:12:5: roles.support.max_duration: '4x' is not a duration (use 30s, 15m, 4h, 1h30m)"
  std::string to_string() const;
};

struct Config {
  std::string source;  // path it was loaded from
  Endpoint listen;
  int workers = 0;  // 0 = std::thread::hardware_concurrency()
  ServerTls tls;
  Limits limits;
  // store: { sqlite: PATH }. Relative paths (here and for every file the config names) are
  // resolved against the config file's directory. Empty = no store section.
  std::string store_sqlite;
  std::map<std::string, Database, std::less<>> databases;
  std::map<std::string, Role, std::less<>> roles;
  std::map<std::string, Person, std::less<>> people;  // optional; empty = anyone may hold a grant
  masking::ProfileMap masking_profiles;               // masking.profiles, compiled
  Logging logging;
  Admin admin;
  AuditSettings audit;  // audit.*; no sinks = audit off
  // Things that load but deserve a look (inline passwords, ignored reserved sections, groups
  // nobody is in). Print them at start-up and in `pgveil check-config`.
  std::vector<ConfigProblem> warnings;

  const Database* database(std::string_view name) const;
  const Role* role(std::string_view name) const;
  // The role's compiled profile; nullptr for masking: none.
  std::shared_ptr<const masking::Profile> masking_profile(const Role& role) const;
  // The login `role` uses on `database`; nullptr if the role does not cover that database.
  const Login* login_for(const Role& role, std::string_view database) const;
  // How the audit log keeps `role`'s statements (its audit_statements, else audit.statements).
  audit::TextMode statement_text(const Role* role) const;
};

using EnvLookup = std::function<std::optional<std::string>(const std::string&)>;
using ConfigResult = std::expected<std::shared_ptr<const Config>, std::vector<ConfigProblem>>;

// Loads and validates everything; collects ALL problems (sorted by position), not just the first.
// env: lookup for password_env (injectable for tests; empty = getenv).
ConfigResult load_config(const std::string& path, EnvLookup env = {});
// As load_config, from text. source_name is used in problems and, as a path, to resolve relative
// file names (its directory; the working directory when it has none).
ConfigResult parse_config(std::string_view yaml_text, const std::string& source_name,
                          EnvLookup env = {});

}  // namespace proxy
