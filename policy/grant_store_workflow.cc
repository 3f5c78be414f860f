// GrantStore: the steps of the access workflow. Each step reads the grant and decides
// (policy/workflow.h) inside one IMMEDIATE transaction, so two approvers pressing "approve" at
// once are counted one after the other, and a revocation racing an approval sees its result.
#include <fmt/format.h>

#include <exception>

#include "policy/grant_rows.h"
#include "policy/grant_store.h"
#include "policy/secret.h"
#include "proxy/wire/scram.h"

namespace policy {
namespace {

Refusal internal(std::string message) { return Refusal{Refusal::Kind::kInternal, std::move(message), {}}; }
Refusal not_found(std::int64_t id) { return Refusal{Refusal::Kind::kNotFound, fmt::format("no pgveil grant {}", id), {}}; }

}  // namespace

std::expected<Grant, Refusal> GrantStore::create_request(const Actor& requester, const RoleRules* role,
                                                         const AccessRequest& request, TimePoint now) {
  auto planned = plan_request(requester, role, request, now);
  if (!planned) return std::unexpected(planned.error());
  Grant grant = std::move(*planned);
  grant.created_at = rows::stored(grant.created_at);
  for (auto& e : grant.history) e.at = rows::stored(e.at);
  if (grant.requested_start) grant.requested_start = rows::stored(*grant.requested_start);
  if (grant.status == GrantStatus::kApproved) {
    grant.not_before = rows::stored(grant.not_before);
    grant.not_after = rows::stored(grant.not_after);
  }
  std::lock_guard lock(mutex_);
  sqlite3* db = db_.get();
  auto tx = sqlite::Transaction::begin_immediate(db);
  if (!tx) return std::unexpected(internal(tx.error()));
  if (auto ok = rows::insert_grant(db, grant); !ok) return std::unexpected(internal(ok.error()));
  if (grant.status == GrantStatus::kApproved) {
    if (auto ok = rows::supersede_others(db, grant, "pgveil", now); !ok) return std::unexpected(internal(ok.error()));
  }
  if (auto ok = tx->commit(); !ok) return std::unexpected(internal(ok.error()));
  return grant;
}

std::expected<Grant, Refusal> GrantStore::change(std::int64_t id, const RoleLookup& role_of, const Actor& actor,
                                                 Action action, std::string_view reason, TimePoint now) {
  std::lock_guard lock(mutex_);
  sqlite3* db = db_.get();
  auto tx = sqlite::Transaction::begin_immediate(db);
  if (!tx) return std::unexpected(internal(tx.error()));
  auto found = rows::select_grant(db, id);
  if (!found) return std::unexpected(internal(found.error()));
  if (!*found) return std::unexpected(not_found(id));
  Grant grant = std::move(**found);
  auto planned = plan_change(grant, role_of(grant.role), actor, action, reason, now);
  if (!planned) return std::unexpected(planned.error());
  if (auto ok = rows::apply_change(db, grant, *planned); !ok) return std::unexpected(internal(ok.error()));
  if (auto ok = tx->commit(); !ok) return std::unexpected(internal(ok.error()));
  return grant;
}

std::expected<IssuedGrant, Refusal> GrantStore::claim_secret(std::int64_t id, const Actor& actor, TimePoint now) {
  // Check first, so a refused claim costs no PBKDF2; checked again under the write lock below.
  {
    auto current = get(id);
    if (!current) return std::unexpected(internal(current.error()));
    if (!*current) return std::unexpected(not_found(id));
    if (auto ok = check_secret_claim(**current, actor, now); !ok) return std::unexpected(ok.error());
  }
  auto secret = try_generate_secret();
  if (!secret) return std::unexpected(internal(secret.error()));
  std::string verifier;
  try {
    verifier = pgwire::scram::make_verifier(*secret, options_.scram_iterations).to_string();
  } catch (const std::exception& e) {
    return std::unexpected(internal(fmt::format("cannot compute the grant verifier: {}", e.what())));
  }
  std::lock_guard lock(mutex_);
  sqlite3* db = db_.get();
  auto tx = sqlite::Transaction::begin_immediate(db);
  if (!tx) return std::unexpected(internal(tx.error()));
  auto found = rows::select_grant(db, id);
  if (!found) return std::unexpected(internal(found.error()));
  if (!*found) return std::unexpected(not_found(id));
  IssuedGrant issued{std::move(**found), std::move(*secret)};
  if (auto ok = check_secret_claim(issued.grant, actor, now); !ok) return std::unexpected(ok.error());
  auto update = sqlite::Statement::prepare(db, "UPDATE grants SET verifier = ?2, updated_at_us = ?3 WHERE id = ?1");
  if (!update) return std::unexpected(internal(update.error()));
  update->bind(1, id).bind(2, std::string_view(verifier)).bind(3, rows::to_us(now));
  if (auto ok = update->run(); !ok) return std::unexpected(internal(ok.error()));
  const GrantEvent event{rows::stored(now), actor.name, "secret", "connection secret handed out"};
  if (auto ok = rows::insert_event(db, id, event); !ok) return std::unexpected(internal(ok.error()));
  if (auto ok = tx->commit(); !ok) return std::unexpected(internal(ok.error()));
  issued.grant.verifier = std::move(verifier);
  issued.grant.history.push_back(event);
  return issued;
}

std::expected<int, std::string> GrantStore::record_expiries(TimePoint now) {
  static constexpr std::string_view kExpiredWithoutEvent =
      "FROM grants g WHERE g.status = 'approved' AND g.revoked_at_us IS NULL AND g.not_after_us <= ?1 "
      "AND NOT EXISTS (SELECT 1 FROM grant_events e WHERE e.grant_id = g.id AND e.action = 'expire')";
  std::lock_guard lock(mutex_);
  sqlite3* db = db_.get();
  {
    // The common case (nothing new) takes no write lock.
    auto probe = sqlite::Statement::prepare(db, fmt::format("SELECT count(*) {}", kExpiredWithoutEvent));
    if (!probe) return std::unexpected(probe.error());
    probe->bind(1, rows::to_us(now));
    auto row = probe->step();
    if (!row) return std::unexpected(row.error());
    if (probe->int64_at(0) == 0) return 0;
  }
  auto tx = sqlite::Transaction::begin_immediate(db);
  if (!tx) return std::unexpected(tx.error());
  // The event is dated at not_after, when the grant ended, not when it was noticed.
  auto insert = sqlite::Statement::prepare(
      db, fmt::format("INSERT INTO grant_events (grant_id, at_us, actor, action, reason) "
                      "SELECT g.id, g.not_after_us, 'pgveil', 'expire', 'the approved duration ended' {} ORDER BY g.id",
                      kExpiredWithoutEvent));
  if (!insert) return std::unexpected(insert.error());
  insert->bind(1, rows::to_us(now));
  if (auto ok = insert->run(); !ok) return std::unexpected(ok.error());
  const int added = sqlite3_changes(db);
  if (auto ok = tx->commit(); !ok) return std::unexpected(ok.error());
  return added;
}

}  // namespace policy
