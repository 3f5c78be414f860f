#include "policy/grant_store.h"

#include <fcntl.h>
#include <sqlite3.h>
#include <unistd.h>

#include <fmt/format.h>

#include <cerrno>
#include <cstring>
#include <exception>
#include <limits>

#include "policy/grant_rows.h"
#include "policy/grant_store_schema.h"
#include "policy/secret.h"
#include "policy/sqlite_db.h"
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

}  // namespace

void GrantStore::DbCloser::operator()(sqlite3* db) const { sqlite3_close_v2(db); }

GrantStore::GrantStore(std::unique_ptr<sqlite3, DbCloser> db, Options options)
    : db_(std::move(db)), options_(options) {}

GrantStore::~GrantStore() = default;

std::expected<std::unique_ptr<GrantStore>, std::string> GrantStore::open_sqlite(const std::string& path) {
  return open_sqlite(path, Options{});
}

std::expected<std::unique_ptr<GrantStore>, std::string> GrantStore::open_sqlite(
    const std::string& path, const Options& options) {
  auto fail = [&path](std::string_view why) {
    return std::unexpected(fmt::format("cannot open grant store \"{}\": {}", path, why));
  };
  if (options.scram_iterations < pgwire::scram::kDefaultIterations ||
      options.scram_iterations > pgwire::scram::kMaxIterations) {
    // RFC 7677 section 4: at least 4096 iterations; the ceiling is what clients will accept.
    return fail(fmt::format("scram_iterations must be between {} and {}, not {}",
                            pgwire::scram::kDefaultIterations, pgwire::scram::kMaxIterations,
                            options.scram_iterations));
  }
  if (path.empty()) return fail("empty path");
  // Create the file ourselves so it is private from the first byte: it holds verifiers, which
  // allow offline guessing. SQLite gives its -wal and -shm files the database file's mode.
  if (path != ":memory:") {
    const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) return fail(std::strerror(errno));
    ::close(fd);
  }
  sqlite3* raw = nullptr;
  const int rc = sqlite3_open_v2(path.c_str(), &raw,
                                 SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                                 nullptr);
  std::unique_ptr<sqlite3, DbCloser> db(raw);
  if (rc != SQLITE_OK) return fail(db ? sqlite::error_of(db.get()) : "out of memory");
  sqlite3_extended_result_codes(db.get(), 1);
  // Before anything that locks: switching to WAL and migrating may wait for other openers.
  sqlite3_busy_timeout(db.get(), static_cast<int>(options.busy_timeout.count()));
  // WAL: readers (admission checks) never wait for a writer. synchronous=FULL: a committed
  // revocation survives a power cut (NORMAL could lose it); writes are rare.
  if (auto ok = sqlite::exec(db.get(), "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;"); !ok) {
    return fail(ok.error());
  }
  if (auto ok = migrate_store(db.get()); !ok) return fail(ok.error());
  return std::unique_ptr<GrantStore>(new GrantStore(std::move(db), options));
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
  sqlite3* db = db_.get();
  auto tx = sqlite::Transaction::begin_immediate(db);
  if (!tx) return std::unexpected(tx.error());
  if (auto ok = rows::insert_grant(db, grant); !ok) return std::unexpected(ok.error());
  if (auto ok = rows::supersede_others(db, grant, grant.created_by, now); !ok) return std::unexpected(ok.error());
  if (auto ok = tx->commit(); !ok) return std::unexpected(ok.error());
  return issued;
}

std::expected<std::optional<Grant>, std::string> GrantStore::get(std::int64_t id) {
  std::lock_guard lock(mutex_);
  auto tx = sqlite::Transaction::begin_read(db_.get());
  if (!tx) return std::unexpected(tx.error());
  return rows::select_grant(db_.get(), id);
}

std::expected<std::optional<Grant>, std::string> GrantStore::find_for(std::string_view person,
                                                                      std::string_view database,
                                                                      TimePoint now) {
  // One statement, so the choice is made on one consistent snapshot even while another process
  // writes. Buckets: 0 active, 1 scheduled (soonest first), 2 awaiting approval (newest first),
  // 3 ended (most recently ended first) — so a refusal can say why. The bucket conditions are
  // state_at's, in SQL.
  static constexpr std::string_view kLive = "status = 'approved' AND revoked_at_us IS NULL";
  const std::string order = fmt::format(
      " ORDER BY"
      "   CASE WHEN {0} AND not_before_us <= ?3 AND not_after_us > ?3 THEN 0"
      "        WHEN {0} AND not_before_us > ?3 THEN 1"
      "        WHEN status = 'requested' THEN 2"
      "        ELSE 3 END,"
      "   CASE WHEN {0} AND not_before_us <= ?3 AND not_after_us > ?3 THEN 0"
      "        WHEN {0} AND not_before_us > ?3 THEN not_before_us"
      "        WHEN status = 'requested' THEN -id"
      "        ELSE -COALESCE(revoked_at_us, CASE WHEN status = 'approved' THEN not_after_us"
      "                                           ELSE updated_at_us END) END,"
      "   id DESC"
      " LIMIT 1",
      kLive);
  std::lock_guard lock(mutex_);
  auto tx = sqlite::Transaction::begin_read(db_.get());
  if (!tx) return std::unexpected(tx.error());
  auto select = sqlite::Statement::prepare(
      db_.get(),
      fmt::format("SELECT {} FROM grants WHERE person = ?1 AND database = ?2{}", rows::kGrantColumns, order));
  if (!select) return std::unexpected(select.error());
  select->bind(1, person).bind(2, database).bind(3, to_us(now));
  auto row = select->step();
  if (!row) return std::unexpected(row.error());
  if (!*row) return std::optional<Grant>();
  Grant grant = rows::read_grant(*select);
  if (auto ok = rows::load_history(db_.get(), grant); !ok) return std::unexpected(ok.error());
  return grant;
}

std::expected<std::vector<Grant>, std::string> GrantStore::list(const std::optional<std::string>& person,
                                                                const std::optional<std::string>& database) {
  std::lock_guard lock(mutex_);
  auto tx = sqlite::Transaction::begin_read(db_.get());
  if (!tx) return std::unexpected(tx.error());
  return rows::select_grants(db_.get(), " WHERE (?1 IS NULL OR person = ?1) AND (?2 IS NULL OR database = ?2)",
                             person, database);
}

std::expected<bool, std::string> GrantStore::revoke(std::int64_t id, std::string_view by,
                                                    std::string_view reason, TimePoint now) {
  // Accountability (DESIGN.md): every revocation names who did it.
  if (by.empty()) return std::unexpected(fmt::format("cannot revoke grant {}: revoked_by is empty", id));
  std::lock_guard lock(mutex_);
  sqlite3* db = db_.get();
  auto tx = sqlite::Transaction::begin_immediate(db);
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
  auto select = sqlite::Statement::prepare(db_.get(), "SELECT counter FROM grant_changes");
  if (!select) return std::unexpected(select.error());
  auto row = select->step();
  if (!row) return std::unexpected(row.error());
  if (!*row) return std::unexpected("grant store is damaged: grant_changes has no row");
  return select->int64_at(0);
}

}  // namespace policy
