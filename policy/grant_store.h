// GrantStore: the durable record of grants and API tokens, shared by the CLI and every proxy
// process.
//
// Two backends behind one logic (policy/sql_connection.h): embedded SQLite (DESIGN.md: the
// single-instance default) and PostgreSQL (a control database several pgveil instances share).
// One GrantStore is one connection, guarded by one mutex, so it is safe to share between threads.
// Several processes (or GrantStore objects) may use the same store at once: every write runs in
// a transaction serialized with all other writers — SQLite: WAL mode and BEGIN IMMEDIATE, waiting
// up to Options::busy_timeout; PostgreSQL: a transaction-scoped advisory lock taken first — so a
// workflow step always decides on the state the previous step committed.
#pragma once

#include <chrono>
#include <cstdint>
#include <expected>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "policy/api_token.h"
#include "policy/grant.h"
#include "policy/grant_change_listener.h"
#include "policy/sql_connection.h"
#include "policy/workflow.h"

namespace policy {

class GrantStore {
 public:
  struct Options {
    // PBKDF2 rounds of the SCRAM verifier (RFC 7677 minimum, PostgreSQL's default).
    int scram_iterations = 4096;
    // How long a writer waits for another writer (another thread or process) before failing.
    std::chrono::milliseconds busy_timeout{10'000};
    // PostgreSQL: bound on each connect and statement, so a store that stops answering fails
    // admissions (closed) instead of hanging them.
    std::chrono::seconds postgres_timeout{5};
    // A request not approved within this time expires (workflow.request_ttl).
    std::chrono::seconds request_ttl{24 * 3600};
  };

  // Opens (creating if needed, with mode 0600: it holds verifiers) and migrates the store at
  // `path`. Errors name the path and the cause.
  static std::expected<std::unique_ptr<GrantStore>, std::string> open_sqlite(const std::string& path);
  static std::expected<std::unique_ptr<GrantStore>, std::string> open_sqlite(const std::string& path,
                                                                             const Options& options);

  // Connects to the PostgreSQL database `conninfo` names (a libpq connection string or URI; the
  // password may come from PGPASSWORD or a passfile) and creates or migrates the schema.
  // Errors never repeat the connection string.
  static std::expected<std::unique_ptr<GrantStore>, std::string> open_postgres(const std::string& conninfo,
                                                                               const Options& options);

  // Checks a connection string's syntax without connecting; returns "postgres://HOST/DBNAME" for
  // messages (never the password).
  static std::expected<std::string, std::string> describe_postgres(const std::string& conninfo);

  ~GrantStore();
  GrantStore(const GrantStore&) = delete;
  GrantStore& operator=(const GrantStore&) = delete;

  // Generates a secret and its verifier and records the grant. Requires non-empty person,
  // database, role, reason and created_by, not_after > not_before and not_after > now. In the same
  // transaction, supersedes the person's other live grants for that database as of this grant's
  // start (rows::supersede_others; actor = created_by): one person has at most one live grant per
  // database, so admission is never ambiguous. Times are stored, and returned, at microsecond
  // resolution (truncated toward the past).
  std::expected<IssuedGrant, std::string> issue(const NewGrant& request, TimePoint now);

  std::expected<std::optional<Grant>, std::string> get(std::int64_t id);

  // The grant deciding admission for (person, database) at `now`: the active one if any, else the
  // scheduled one starting soonest, else the one that ended (expired or was revoked) most
  // recently — so a refusal can say why. nullopt if the person never had a grant there.
  std::expected<std::optional<Grant>, std::string> find_for(std::string_view person,
                                                            std::string_view database, TimePoint now);

  // All grants, optionally filtered, oldest first (by id), with their history.
  std::expected<std::vector<Grant>, std::string> list(const std::optional<std::string>& person = {},
                                                      const std::optional<std::string>& database = {});

  // Ends grant `id` at `now`. false if it had already ended (expired or revoked); an error if
  // there is no such grant.
  std::expected<bool, std::string> revoke(std::int64_t id, std::string_view by,
                                          std::string_view reason, TimePoint now);

  // --- The access workflow (issue #3); refusals come from policy/workflow.h, decided on the
  // grant as read inside the same IMMEDIATE transaction, so concurrent steps serialize.

  // Records a request planned by plan_request (an auto-approved one supersedes the live grant as of
  // its start). A pending request gets its deadline, now + Options::request_ttl.
  std::expected<Grant, Refusal> create_request(const Actor& requester, const RoleRules* role,
                                               const AccessRequest& request, TimePoint now);
  // Approve / deny / cancel / revoke grant `id`. `role` is the grant's role in the current
  // configuration, looked up by the caller from the stored grant's role name (role_of).
  using RoleLookup = std::function<const RoleRules*(std::string_view role)>;
  std::expected<Grant, Refusal> change(std::int64_t id, const RoleLookup& role_of, const Actor& actor,
                                       Action action, std::string_view reason, TimePoint now);
  // The requester collects the connection secret, once (check_secret_claim): a fresh secret is
  // generated, only its verifier stored, and a "secret" event recorded.
  std::expected<IssuedGrant, Refusal> claim_secret(std::int64_t id, const Actor& actor, TimePoint now);
  // Records an "expire" event (actor "pgveil") for every approved grant that ended by time, and
  // every request that was not approved in time, at or before `now`, that has none yet. Returns
  // how many. Idempotent across processes.
  std::expected<int, std::string> record_expiries(TimePoint now);

  // --- API tokens (policy/api_token.h); only digests are stored.

  // A new token for `person`; the token itself is returned once and never stored.
  std::expected<std::pair<ApiToken, std::string>, std::string> issue_token(std::string_view person,
                                                                           std::string_view by, TimePoint now);
  // The unrevoked token with this value, if any.
  std::expected<std::optional<ApiToken>, std::string> find_token(std::string_view token);
  std::expected<std::vector<ApiToken>, std::string> list_tokens();
  // false if it was already revoked; an error if there is no such token.
  std::expected<bool, std::string> revoke_token(std::int64_t id, std::string_view by, TimePoint now);

  // Monotonic counter bumped on every change to any grant, by any process sharing the store (it
  // is maintained by triggers in the database). Proxies poll it and re-check their sessions'
  // grants when it moves.
  std::expected<std::int64_t, std::string> change_counter();

  // PostgreSQL only (nullptr for SQLite): a listener on the store's NOTIFY channel, on its own
  // connection and thread, calling `changed` after every committed grant change by any process
  // (policy/grant_change_listener.h).
  std::unique_ptr<GrantChangeListener> listen(std::function<void()> changed) const;

  // "sqlite" or "postgres".
  std::string_view backend() const;

 private:
  GrantStore(std::unique_ptr<sql::Connection> db, Options options, std::string conninfo);

  std::mutex mutex_;  // guards db_: one connection, used by one thread at a time
  std::unique_ptr<sql::Connection> db_;
  Options options_;
  std::string conninfo_;  // PostgreSQL: for the listener's own connection
};

}  // namespace policy
