#include "policy/grant_store.h"

#include <fcntl.h>
#include <unistd.h>

#include <fmt/format.h>

#include <cerrno>
#include <cstring>
#include <exception>
#include <limits>

#include "policy/grant_rows.h"
#include "policy/grant_store_schema.h"
#include "policy/pg_conninfo.h"
#include "policy/secret.h"
#include "policy/time_format.h"
#include "proxy/wire/scram.h"

namespace policy {
namespace {

using rows::from_us;
using rows::to_us;

std::expected<void, std::string> validate(const NewGrant& request, TimePoint now) {
  const std::pair<std::string_view, const std::string*> required[] = {
      {"user", &request.person},     {"database", &request.database},
      {"role", &request.role},       {"reason", &request.reason},
      {"created_by", &request.created_by},
  };
  for (const auto& [name, value] : required) {
    if (value->empty()) return std::unexpected(fmt::format("cannot issue grant: {} is empty", name));
  }
  // Compare at storage resolution, so what passes here also passes the table's CHECK.
  if (to_us(request.not_after) <= to_us(request.not_before)) {
    return std::unexpected(fmt::format("cannot issue grant: it ends ({}) before it starts ({})",
                                       format_time(request.not_after),
                                       format_time(request.not_before)));
  }
  // An already-ended grant would admit no one, yet would still supersede (revoke) the live one.
  if (to_us(request.not_after) <= to_us(now)) {
    return std::unexpected(fmt::format("cannot issue grant: it ends ({}) before now ({})",
                                       format_time(request.not_after), format_time(now)));
  }
  return {};
}

std::expected<void, std::string> check_options(const GrantStore::Options& options) {
  if (options.scram_iterations < pgwire::scram::kDefaultIterations ||
      options.scram_iterations > pgwire::scram::kMaxIterations) {
    // RFC 7677 section 4: at least 4096 iterations; the ceiling is what clients will accept.
    return std::unexpected(fmt::format("scram_iterations must be between {} and {}, not {}",
                                       pgwire::scram::kDefaultIterations, pgwire::scram::kMaxIterations,
                                       options.scram_iterations));
  }
  if (options.request_ttl <= std::chrono::seconds{0}) return std::unexpected("request_ttl must be positive");
  return {};
}

}  // namespace

GrantStore::GrantStore(std::unique_ptr<sql::Connection> db, Options options, std::string conninfo)
    : db_(std::move(db)), options_(options), conninfo_(std::move(conninfo)) {}

GrantStore::~GrantStore() = default;

std::expected<std::unique_ptr<GrantStore>, std::string> GrantStore::open_sqlite(const std::string& path) {
  return open_sqlite(path, Options{});
}

std::expected<std::unique_ptr<GrantStore>, std::string> GrantStore::open_sqlite(
    const std::string& path, const Options& options) {
  auto fail = [&path](std::string_view why) {
    return std::unexpected(fmt::format("cannot open grant store \"{}\": {}", path, why));
  };
  if (auto ok = check_options(options); !ok) return fail(ok.error());
  if (path.empty()) return fail("empty path");
  // Create the file ourselves so it is private from the first byte: it holds verifiers, which
  // allow offline guessing. SQLite gives its -wal and -shm files the database file's mode.
  if (path != ":memory:") {
    const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) return fail(std::strerror(errno));
    ::close(fd);
  }
  auto db = sql::connect_sqlite(path, options.busy_timeout);
  if (!db) return fail(db.error());
  if (auto ok = migrate_sqlite_store(**db); !ok) return fail(ok.error());
  return std::unique_ptr<GrantStore>(new GrantStore(std::move(*db), options, {}));
}

std::expected<std::unique_ptr<GrantStore>, std::string> GrantStore::open_postgres(const std::string& conninfo,
                                                                                 const Options& options) {
  auto label = pg::describe(conninfo);
  if (!label) return std::unexpected(fmt::format("cannot open the PostgreSQL grant store: {}", label.error()));
  auto fail = [&label](std::string_view why) {
    return std::unexpected(fmt::format("cannot open grant store {}: {}", *label, why));
  };
  if (auto ok = check_options(options); !ok) return fail(ok.error());
  auto db = sql::connect_postgres(conninfo, options.postgres_timeout);
  if (!db) return fail(db.error());
  if (auto ok = migrate_postgres_store(**db); !ok) return fail(ok.error());
  return std::unique_ptr<GrantStore>(new GrantStore(std::move(*db), options, conninfo));
}

std::expected<std::string, std::string> GrantStore::describe_postgres(const std::string& conninfo) {
  return pg::describe(conninfo);
}

std::string_view GrantStore::backend() const {
  return db_->dialect() == sql::Dialect::kPostgres ? "postgres" : "sqlite";
}

std::unique_ptr<GrantChangeListener> GrantStore::listen(std::function<void()> changed) const {
  if (db_->dialect() != sql::Dialect::kPostgres) return nullptr;
  return std::make_unique<GrantChangeListener>(conninfo_, options_.postgres_timeout, std::move(changed));
}

std::expected<IssuedGrant, std::string> GrantStore::issue(const NewGrant& request, TimePoint now) {
  if (auto ok = validate(request, now); !ok) return std::unexpected(ok.error());
  auto secret = try_generate_secret();
  if (!secret) return std::unexpected(secret.error());

  IssuedGrant issued;
  Grant& grant = issued.grant;
  grant.person = request.person;
  grant.database = request.database;
  grant.role = request.role;
  grant.reason = request.reason;
  grant.created_by = request.created_by;
  grant.created_at = rows::stored(now);
  grant.status = GrantStatus::kApproved;
  grant.not_before = rows::stored(request.not_before);
  grant.not_after = rows::stored(request.not_after);
  grant.duration = std::chrono::ceil<std::chrono::seconds>(grant.not_after - grant.not_before);
  grant.history.push_back({grant.created_at, grant.created_by, "issue", grant.reason});
  // PBKDF2 takes milliseconds: compute it before taking the lock.
  try {
    grant.verifier = pgwire::scram::make_verifier(*secret, options_.scram_iterations).to_string();
  } catch (const std::exception& e) {
    // Only a CSPRNG/KDF failure (a broken host invariant); report it instead of unwinding the CLI.
    return std::unexpected(fmt::format("cannot compute the grant verifier: {}", e.what()));
  }
  issued.secret = std::move(*secret);

  std::lock_guard lock(mutex_);
  sql::Connection& db = *db_;
  auto tx = sql::Transaction::begin(db, sql::TxKind::kWrite);
  if (!tx) return std::unexpected(tx.error());
  if (auto ok = rows::insert_grant(db, grant); !ok) return std::unexpected(ok.error());
  if (auto ok = rows::supersede_others(db, grant, grant.created_by, now); !ok) return std::unexpected(ok.error());
  if (auto ok = tx->commit(); !ok) return std::unexpected(ok.error());
  return issued;
}

std::expected<std::optional<Grant>, std::string> GrantStore::get(std::int64_t id) {
  std::lock_guard lock(mutex_);
  auto tx = sql::Transaction::begin(*db_, sql::TxKind::kRead);
  if (!tx) return std::unexpected(tx.error());
  return rows::select_grant(*db_, id);
}

std::expected<std::optional<Grant>, std::string> GrantStore::find_for(std::string_view person,
                                                                      std::string_view database,
                                                                      TimePoint now) {
  // One statement, so the choice is made on one consistent snapshot even while another process
  // writes. Buckets: 0 active, 1 scheduled (soonest first), 2 awaiting approval (newest first),
  // 3 ended (most recently ended first) — so a refusal can say why. The bucket conditions are
  // state_at's, in SQL.
  static constexpr std::string_view kLive = "status = 'approved' AND revoked_at_us IS NULL";
  static constexpr std::string_view kPending =
      "status = 'requested' AND (request_expires_at_us IS NULL OR request_expires_at_us > $3)";
  static const std::string kSelect = fmt::format(
      "SELECT {2} FROM grants WHERE person = $1 AND database = $2"
      " ORDER BY"
      "   CASE WHEN {0} AND not_before_us <= $3 AND not_after_us > $3 THEN 0"
      "        WHEN {0} AND not_before_us > $3 THEN 1"
      "        WHEN {1} THEN 2"
      "        ELSE 3 END,"
      "   CASE WHEN {0} AND not_before_us <= $3 AND not_after_us > $3 THEN 0"
      "        WHEN {0} AND not_before_us > $3 THEN not_before_us"
      "        WHEN {1} THEN -id"
      "        ELSE -COALESCE(revoked_at_us, CASE WHEN status = 'approved' THEN not_after_us"
      "                                           WHEN status = 'requested' THEN request_expires_at_us"
      "                                           ELSE updated_at_us END) END,"
      "   id DESC"
      " LIMIT 1",
      kLive, kPending, rows::kGrantColumns);
  std::lock_guard lock(mutex_);
  auto tx = sql::Transaction::begin(*db_, sql::TxKind::kRead);
  if (!tx) return std::unexpected(tx.error());
  auto selected = db_->query(kSelect, sql::Params{sql::text(person), sql::text(database), to_us(now)});
  if (!selected) return std::unexpected(selected.error());
  if (selected->empty()) return std::optional<Grant>();
  Grant grant = rows::read_grant(selected->row(0));
  if (auto ok = rows::load_history(*db_, grant); !ok) return std::unexpected(ok.error());
  return grant;
}

std::expected<std::vector<Grant>, std::string> GrantStore::list(const std::optional<std::string>& person,
                                                                const std::optional<std::string>& database) {
  std::lock_guard lock(mutex_);
  auto tx = sql::Transaction::begin(*db_, sql::TxKind::kRead);
  if (!tx) return std::unexpected(tx.error());
  return rows::select_grants(
      *db_, " WHERE (CAST($1 AS TEXT) IS NULL OR person = $1) AND (CAST($2 AS TEXT) IS NULL OR database = $2)",
      sql::Params{sql::nullable(person), sql::nullable(database)});
}

std::expected<bool, std::string> GrantStore::revoke(std::int64_t id, std::string_view by,
                                                    std::string_view reason, TimePoint now) {
  // Accountability (DESIGN.md): every revocation names who did it.
  if (by.empty()) return std::unexpected(fmt::format("cannot revoke grant {}: revoked_by is empty", id));
  std::lock_guard lock(mutex_);
  sql::Connection& db = *db_;
  auto tx = sql::Transaction::begin(db, sql::TxKind::kWrite);
  if (!tx) return std::unexpected(tx.error());
  auto grant = rows::select_grant(db, id);
  if (!grant) return std::unexpected(grant.error());
  if (!*grant) return std::unexpected(fmt::format("no pgveil grant {}", id));
  const GrantState state = state_at(**grant, now);
  if (state != GrantState::kActive && state != GrantState::kScheduled) return false;
  const Change change{GrantStatus::kRevoked, GrantEvent{now, std::string(by), "revoke", std::string(reason)}, {}, {},
                      false};
  if (auto ok = rows::apply_change(db, **grant, change); !ok) return std::unexpected(ok.error());
  if (auto ok = tx->commit(); !ok) return std::unexpected(ok.error());
  return true;
}

std::expected<std::int64_t, std::string> GrantStore::change_counter() {
  std::lock_guard lock(mutex_);
  auto selected = db_->query("SELECT counter FROM grant_changes");
  if (!selected) return std::unexpected(selected.error());
  if (selected->empty()) return std::unexpected("grant store is damaged: grant_changes has no row");
  return selected->row(0).int64_at(0);
}

}  // namespace policy
