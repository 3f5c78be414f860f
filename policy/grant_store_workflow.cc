// GrantStore: the steps of the access workflow. Each step reads the grant and decides
// (policy/workflow.h) inside one write transaction (serialized with every other writer, on either
// backend), so two approvers pressing "approve" at once are counted one after the other, and a
// revocation racing an approval sees its result.
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

// Grant `id` as read inside the caller's write transaction, or why not.
std::expected<Grant, Refusal> grant_in_tx(sql::Connection& db, std::int64_t id) {
  auto found = rows::select_grant(db, id);
  if (!found) return std::unexpected(internal(found.error()));
  if (!*found) return std::unexpected(not_found(id));
  return std::move(**found);
}

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
  } else {
    // Fixed when the request is made, so a later change of workflow.request_ttl does not revive
    // or cut short requests already waiting.
    grant.request_expires_at = rows::stored(now + options_.request_ttl);
  }
  std::lock_guard lock(mutex_);
  sql::Connection& db = *db_;
  auto tx = sql::Transaction::begin(db, sql::TxKind::kWrite);
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
  sql::Connection& db = *db_;
  auto tx = sql::Transaction::begin(db, sql::TxKind::kWrite);
  if (!tx) return std::unexpected(internal(tx.error()));
  auto found = grant_in_tx(db, id);
  if (!found) return std::unexpected(found.error());
  Grant grant = std::move(*found);
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
  sql::Connection& db = *db_;
  auto tx = sql::Transaction::begin(db, sql::TxKind::kWrite);
  if (!tx) return std::unexpected(internal(tx.error()));
  auto found = grant_in_tx(db, id);
  if (!found) return std::unexpected(found.error());
  IssuedGrant issued{std::move(*found), std::move(*secret)};
  if (auto ok = check_secret_claim(issued.grant, actor, now); !ok) return std::unexpected(ok.error());
  if (auto ok = db.query("UPDATE grants SET verifier = $2, updated_at_us = $3 WHERE id = $1",
                         sql::Params{id, verifier, rows::to_us(now)});
      !ok) {
    return std::unexpected(internal(ok.error()));
  }
  const GrantEvent event{rows::stored(now), actor.name, "secret", "connection secret handed out"};
  if (auto ok = rows::insert_event(db, id, event); !ok) return std::unexpected(internal(ok.error()));
  if (auto ok = tx->commit(); !ok) return std::unexpected(internal(ok.error()));
  issued.grant.verifier = std::move(verifier);
  issued.grant.history.push_back(event);
  return issued;
}

std::expected<int, std::string> GrantStore::record_expiries(TimePoint now) {
  // Approved grants whose window ended, and requests nobody approved in time; each event is
  // dated when the grant or request ended, not when it was noticed.
  static constexpr std::string_view kEnded =
      "(g.status = 'approved' AND g.revoked_at_us IS NULL AND g.not_after_us <= $1) OR "
      "(g.status = 'requested' AND g.request_expires_at_us <= $1)";
  static const std::string kWithoutEvent = fmt::format(
      "FROM grants g WHERE ({}) AND NOT EXISTS (SELECT 1 FROM grant_events e WHERE e.grant_id = g.id AND "
      "e.action = 'expire')",
      kEnded);
  static const std::string kProbe = fmt::format("SELECT count(*) {}", kWithoutEvent);
  static const std::string kInsert = fmt::format(
      "INSERT INTO grant_events (grant_id, at_us, actor, action, reason) "
      "SELECT g.id, CASE WHEN g.status = 'approved' THEN g.not_after_us ELSE g.request_expires_at_us END, 'pgveil', "
      "'expire', CASE WHEN g.status = 'approved' THEN 'the approved duration ended' "
      "ELSE 'the request was not approved in time (workflow.request_ttl)' END {} ORDER BY g.id",
      kWithoutEvent);
  const sql::Params params{rows::to_us(now)};
  std::lock_guard lock(mutex_);
  sql::Connection& db = *db_;
  // The common case (nothing new) takes no write lock.
  auto pending = sql::query_int64(db, kProbe, params);
  if (!pending) return std::unexpected(pending.error());
  if (*pending == 0) return 0;
  auto tx = sql::Transaction::begin(db, sql::TxKind::kWrite);
  if (!tx) return std::unexpected(tx.error());
  auto inserted = db.query(kInsert, params);
  if (!inserted) return std::unexpected(inserted.error());
  if (auto ok = tx->commit(); !ok) return std::unexpected(ok.error());
  return static_cast<int>(inserted->affected);
}

}  // namespace policy
