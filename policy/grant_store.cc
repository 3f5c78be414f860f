#include "policy/grant_store.h"

#include <fcntl.h>
#include <sqlite3.h>
#include <unistd.h>

#include <fmt/format.h>

#include <cerrno>
#include <cstring>
#include <exception>
#include <limits>

#include "policy/grant_store_schema.h"
#include "policy/secret.h"
#include "policy/sqlite_db.h"
#include "policy/time_format.h"
#include "proxy/wire/scram.h"

namespace policy {
namespace {

using std::chrono::microseconds;

// Microseconds since the epoch, floored (toward the past, also before 1970).
std::int64_t to_us(TimePoint time) {
  return std::chrono::floor<microseconds>(time.time_since_epoch()).count();
}

// Saturates instead of overflowing Clock::duration on values written by someone else.
TimePoint from_us(std::int64_t us) {
  constexpr auto kMaxUs = std::chrono::duration_cast<microseconds>(Clock::duration::max()).count();
  constexpr auto kMinUs = std::chrono::duration_cast<microseconds>(Clock::duration::min()).count();
  if (us >= kMaxUs) return TimePoint::max();
  if (us <= kMinUs) return TimePoint::min();
  return TimePoint(std::chrono::duration_cast<Clock::duration>(microseconds(us)));
}

constexpr std::string_view kGrantColumns =
    "id, person, database, role, reason, created_by, created_at_us, not_before_us, "
    "not_after_us, revoked_at_us, revoked_by, revoke_reason, verifier";

Grant read_grant(const sqlite::Statement& row) {
  Grant grant;
  grant.id = row.int64_at(0);
  grant.person = row.text_at(1);
  grant.database = row.text_at(2);
  grant.role = row.text_at(3);
  grant.reason = row.text_at(4);
  grant.created_by = row.text_at(5);
  grant.created_at = from_us(row.int64_at(6));
  grant.not_before = from_us(row.int64_at(7));
  grant.not_after = from_us(row.int64_at(8));
  if (auto revoked = row.optional_int64_at(9)) grant.revoked_at = from_us(*revoked);
  grant.revoked_by = row.text_at(10);
  grant.revoke_reason = row.text_at(11);
  grant.verifier = row.text_at(12);
  return grant;
}

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
  grant.created_at = from_us(to_us(now));
  grant.not_before = from_us(to_us(request.not_before));
  grant.not_after = from_us(to_us(request.not_after));
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
  {
    auto insert = sqlite::Statement::prepare(
        db,
        "INSERT INTO grants (person, database, role, reason, created_by, created_at_us, "
        "not_before_us, not_after_us, verifier) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)");
    if (!insert) return std::unexpected(insert.error());
    insert->bind(1, std::string_view(grant.person))
        .bind(2, std::string_view(grant.database))
        .bind(3, std::string_view(grant.role))
        .bind(4, std::string_view(grant.reason))
        .bind(5, std::string_view(grant.created_by))
        .bind(6, to_us(grant.created_at))
        .bind(7, to_us(grant.not_before))
        .bind(8, to_us(grant.not_after))
        .bind(9, std::string_view(grant.verifier));
    if (auto ok = insert->run(); !ok) return std::unexpected(ok.error());
  }
  grant.id = sqlite3_last_insert_rowid(db);
  {
    // Same condition as "not ended at now" in state_at: not revoked and not_after > now.
    auto supersede = sqlite::Statement::prepare(
        db,
        "UPDATE grants SET revoked_at_us = ?1, revoked_by = ?2, revoke_reason = ?3 "
        "WHERE person = ?4 AND database = ?5 AND id <> ?6 AND revoked_at_us IS NULL "
        "AND not_after_us > ?1");
    if (!supersede) return std::unexpected(supersede.error());
    supersede->bind(1, to_us(now))
        .bind(2, std::string_view(grant.created_by))
        .bind(3, std::string_view(fmt::format("superseded by grant {}", grant.id)))
        .bind(4, std::string_view(grant.person))
        .bind(5, std::string_view(grant.database))
        .bind(6, grant.id);
    if (auto ok = supersede->run(); !ok) return std::unexpected(ok.error());
  }
  if (auto ok = tx->commit(); !ok) return std::unexpected(ok.error());
  return issued;
}

std::expected<std::optional<Grant>, std::string> GrantStore::get(std::int64_t id) {
  std::lock_guard lock(mutex_);
  auto select = sqlite::Statement::prepare(
      db_.get(), fmt::format("SELECT {} FROM grants WHERE id = ?1", kGrantColumns));
  if (!select) return std::unexpected(select.error());
  select->bind(1, id);
  auto row = select->step();
  if (!row) return std::unexpected(row.error());
  if (!*row) return std::optional<Grant>();
  return read_grant(*select);
}

std::expected<std::optional<Grant>, std::string> GrantStore::find_for(std::string_view person,
                                                                      std::string_view database,
                                                                      TimePoint now) {
  // One statement, so the choice is made on one consistent snapshot even while another process
  // writes. Buckets: 0 active, 1 scheduled (soonest first), 2 ended (most recently ended first).
  // The bucket conditions are state_at's, in SQL.
  static constexpr std::string_view kOrder =
      " ORDER BY"
      "   CASE WHEN revoked_at_us IS NULL AND not_before_us <= ?3 AND not_after_us > ?3 THEN 0"
      "        WHEN revoked_at_us IS NULL AND not_before_us > ?3 THEN 1"
      "        ELSE 2 END,"
      "   CASE WHEN revoked_at_us IS NULL AND not_before_us <= ?3 AND not_after_us > ?3 THEN 0"
      "        WHEN revoked_at_us IS NULL AND not_before_us > ?3 THEN not_before_us"
      "        ELSE -COALESCE(revoked_at_us, not_after_us) END,"
      "   id DESC"
      " LIMIT 1";
  std::lock_guard lock(mutex_);
  auto select = sqlite::Statement::prepare(
      db_.get(),
      fmt::format("SELECT {} FROM grants WHERE person = ?1 AND database = ?2{}", kGrantColumns, kOrder));
  if (!select) return std::unexpected(select.error());
  select->bind(1, person).bind(2, database).bind(3, to_us(now));
  auto row = select->step();
  if (!row) return std::unexpected(row.error());
  if (!*row) return std::optional<Grant>();
  return read_grant(*select);
}

std::expected<std::vector<Grant>, std::string> GrantStore::list(const std::optional<std::string>& person,
                                                                const std::optional<std::string>& database) {
  std::lock_guard lock(mutex_);
  auto select = sqlite::Statement::prepare(
      db_.get(), fmt::format("SELECT {} FROM grants WHERE (?1 IS NULL OR person = ?1) AND "
                             "(?2 IS NULL OR database = ?2) ORDER BY id",
                             kGrantColumns));
  if (!select) return std::unexpected(select.error());
  select->bind(1, person).bind(2, database);
  std::vector<Grant> grants;
  for (;;) {
    auto row = select->step();
    if (!row) return std::unexpected(row.error());
    if (!*row) return grants;
    grants.push_back(read_grant(*select));
  }
}

std::expected<bool, std::string> GrantStore::revoke(std::int64_t id, std::string_view by,
                                                    std::string_view reason, TimePoint now) {
  // Accountability (DESIGN.md): every revocation names who did it.
  if (by.empty()) return std::unexpected(fmt::format("cannot revoke grant {}: revoked_by is empty", id));
  std::lock_guard lock(mutex_);
  sqlite3* db = db_.get();
  auto tx = sqlite::Transaction::begin_immediate(db);
  if (!tx) return std::unexpected(tx.error());
  {
    auto exists = sqlite::Statement::prepare(db, "SELECT 1 FROM grants WHERE id = ?1");
    if (!exists) return std::unexpected(exists.error());
    exists->bind(1, id);
    auto row = exists->step();
    if (!row) return std::unexpected(row.error());
    if (!*row) return std::unexpected(fmt::format("no pgveil grant {}", id));
  }
  int changed = 0;
  {
    auto update = sqlite::Statement::prepare(
        db,
        "UPDATE grants SET revoked_at_us = ?1, revoked_by = ?2, revoke_reason = ?3 "
        "WHERE id = ?4 AND revoked_at_us IS NULL AND not_after_us > ?1");
    if (!update) return std::unexpected(update.error());
    update->bind(1, to_us(now)).bind(2, by).bind(3, reason).bind(4, id);
    if (auto ok = update->run(); !ok) return std::unexpected(ok.error());
    changed = sqlite3_changes(db);
  }
  if (auto ok = tx->commit(); !ok) return std::unexpected(ok.error());
  return changed == 1;
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
