#include "policy/grant_rows.h"

#include <fmt/format.h>

namespace policy::rows {

using std::chrono::microseconds;

std::int64_t to_us(TimePoint time) {
  return std::chrono::floor<microseconds>(time.time_since_epoch()).count();
}

TimePoint from_us(std::int64_t us) {
  constexpr auto kMaxUs = std::chrono::duration_cast<microseconds>(Clock::duration::max()).count();
  constexpr auto kMinUs = std::chrono::duration_cast<microseconds>(Clock::duration::min()).count();
  if (us >= kMaxUs) return TimePoint::max();
  if (us <= kMinUs) return TimePoint::min();
  return TimePoint(std::chrono::duration_cast<Clock::duration>(microseconds(us)));
}

const std::string_view kGrantColumns =
    "id, person, database, role, reason, created_by, created_at_us, status, duration_us, "
    "requested_start_us, approvals_required, not_before_us, not_after_us, revoked_at_us, revoked_by, "
    "revoke_reason, verifier";

Grant read_grant(const sqlite::Statement& row) {
  Grant grant;
  grant.id = row.int64_at(0);
  grant.person = row.text_at(1);
  grant.database = row.text_at(2);
  grant.role = row.text_at(3);
  grant.reason = row.text_at(4);
  grant.created_by = row.text_at(5);
  grant.created_at = from_us(row.int64_at(6));
  // An unknown status (a newer writer) reads as revoked: fail closed.
  grant.status = parse_grant_status(row.text_at(7)).value_or(GrantStatus::kRevoked);
  grant.duration = std::chrono::duration_cast<std::chrono::seconds>(microseconds(row.int64_at(8)));
  if (auto start = row.optional_int64_at(9)) grant.requested_start = from_us(*start);
  grant.approvals_required = static_cast<int>(row.int64_at(10));
  if (auto from = row.optional_int64_at(11)) grant.not_before = from_us(*from);
  if (auto to = row.optional_int64_at(12)) grant.not_after = from_us(*to);
  if (auto revoked = row.optional_int64_at(13)) grant.revoked_at = from_us(*revoked);
  grant.revoked_by = row.text_at(14);
  grant.revoke_reason = row.text_at(15);
  grant.verifier = row.text_at(16);
  return grant;
}

std::expected<void, std::string> load_history(sqlite3* db, Grant& grant) {
  auto select = sqlite::Statement::prepare(
      db, "SELECT at_us, actor, action, reason FROM grant_events WHERE grant_id = ?1 ORDER BY id");
  if (!select) return std::unexpected(select.error());
  select->bind(1, grant.id);
  grant.history.clear();
  for (;;) {
    auto row = select->step();
    if (!row) return std::unexpected(row.error());
    if (!*row) return {};
    grant.history.push_back({from_us(select->int64_at(0)), select->text_at(1), select->text_at(2), select->text_at(3)});
  }
}

std::expected<std::vector<Grant>, std::string> select_grants(sqlite3* db, std::string_view where,
                                                             const std::optional<std::string>& p1,
                                                             const std::optional<std::string>& p2) {
  auto select = sqlite::Statement::prepare(db, fmt::format("SELECT {} FROM grants{} ORDER BY id", kGrantColumns, where));
  if (!select) return std::unexpected(select.error());
  if (where.find("?1") != std::string_view::npos) select->bind(1, p1);
  if (where.find("?2") != std::string_view::npos) select->bind(2, p2);
  std::vector<Grant> grants;
  for (;;) {
    auto row = select->step();
    if (!row) return std::unexpected(row.error());
    if (!*row) break;
    grants.push_back(read_grant(*select));
  }
  for (auto& g : grants)
    if (auto ok = load_history(db, g); !ok) return std::unexpected(ok.error());
  return grants;
}

std::expected<std::optional<Grant>, std::string> select_grant(sqlite3* db, std::int64_t id) {
  auto select = sqlite::Statement::prepare(db, fmt::format("SELECT {} FROM grants WHERE id = ?1", kGrantColumns));
  if (!select) return std::unexpected(select.error());
  select->bind(1, id);
  auto row = select->step();
  if (!row) return std::unexpected(row.error());
  if (!*row) return std::optional<Grant>();
  Grant grant = read_grant(*select);
  if (auto ok = load_history(db, grant); !ok) return std::unexpected(ok.error());
  return grant;
}

std::expected<void, std::string> insert_event(sqlite3* db, std::int64_t grant_id, const GrantEvent& event) {
  auto insert = sqlite::Statement::prepare(
      db, "INSERT INTO grant_events (grant_id, at_us, actor, action, reason) VALUES (?1, ?2, ?3, ?4, ?5)");
  if (!insert) return std::unexpected(insert.error());
  insert->bind(1, grant_id)
      .bind(2, to_us(event.at))
      .bind(3, std::string_view(event.actor))
      .bind(4, std::string_view(event.action))
      .bind(5, std::string_view(event.reason));
  return insert->run();
}

std::expected<void, std::string> insert_grant(sqlite3* db, Grant& grant) {
  const bool windowed = grant.status != GrantStatus::kRequested;
  auto optional_us = [](std::optional<TimePoint> t) -> std::optional<std::int64_t> {
    if (!t) return std::nullopt;
    return to_us(*t);
  };
  auto insert = sqlite::Statement::prepare(
      db,
      "INSERT INTO grants (person, database, role, reason, created_by, created_at_us, status, duration_us, "
      "requested_start_us, approvals_required, not_before_us, not_after_us, updated_at_us, verifier) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)");
  if (!insert) return std::unexpected(insert.error());
  const TimePoint updated = grant.history.empty() ? grant.created_at : grant.history.back().at;
  insert->bind(1, std::string_view(grant.person))
      .bind(2, std::string_view(grant.database))
      .bind(3, std::string_view(grant.role))
      .bind(4, std::string_view(grant.reason))
      .bind(5, std::string_view(grant.created_by))
      .bind(6, to_us(grant.created_at))
      .bind(7, to_string(grant.status))
      .bind(8, std::chrono::duration_cast<microseconds>(grant.duration).count())
      .bind(9, optional_us(grant.requested_start))
      .bind(10, std::int64_t{grant.approvals_required})
      .bind(11, windowed ? optional_us(grant.not_before) : std::nullopt)
      .bind(12, windowed ? optional_us(grant.not_after) : std::nullopt)
      .bind(13, to_us(updated))
      .bind(14, std::string_view(grant.verifier));
  if (auto ok = insert->run(); !ok) return std::unexpected(ok.error());
  grant.id = sqlite3_last_insert_rowid(db);
  for (const auto& event : grant.history)
    if (auto ok = insert_event(db, grant.id, event); !ok) return std::unexpected(ok.error());
  return {};
}

std::expected<void, std::string> apply_change(sqlite3* db, Grant& grant, const Change& change) {
  const GrantEvent event{stored(change.event.at), change.event.actor, change.event.action, change.event.reason};
  // Only approved grants have a window; revoking or cancelling one keeps it (reports show it).
  const bool windowed = grant.status == GrantStatus::kApproved || change.not_before.has_value();
  if (change.not_before && change.not_after) {
    grant.not_before = stored(*change.not_before);
    grant.not_after = stored(*change.not_after);
  }
  if (change.status == GrantStatus::kRevoked && grant.status != GrantStatus::kRevoked) {
    grant.revoked_at = event.at;
    grant.revoked_by = event.actor;
    grant.revoke_reason = event.reason;
  }
  grant.status = change.status;
  auto update = sqlite::Statement::prepare(
      db,
      "UPDATE grants SET status = ?2, not_before_us = ?3, not_after_us = ?4, revoked_at_us = ?5, revoked_by = ?6, "
      "revoke_reason = ?7, updated_at_us = ?8 WHERE id = ?1");
  if (!update) return std::unexpected(update.error());
  std::optional<std::int64_t> revoked;
  if (grant.revoked_at) revoked = to_us(*grant.revoked_at);
  update->bind(1, grant.id)
      .bind(2, to_string(grant.status))
      .bind(3, windowed ? std::optional<std::int64_t>(to_us(grant.not_before)) : std::nullopt)
      .bind(4, windowed ? std::optional<std::int64_t>(to_us(grant.not_after)) : std::nullopt)
      .bind(5, revoked)
      .bind(6, std::string_view(grant.revoked_by))
      .bind(7, std::string_view(grant.revoke_reason))
      .bind(8, to_us(event.at));
  if (auto ok = update->run(); !ok) return std::unexpected(ok.error());
  if (auto ok = insert_event(db, grant.id, event); !ok) return std::unexpected(ok.error());
  grant.history.push_back(event);
  if (change.supersede) return supersede_others(db, grant, event.actor, event.at);
  return {};
}

std::expected<void, std::string> supersede_others(sqlite3* db, const Grant& grant, std::string_view by,
                                                  TimePoint now) {
  // Same condition as "not ended at now" in state_at for an approved grant.
  static constexpr std::string_view kOthers =
      "person = ?1 AND database = ?2 AND id <> ?3 AND status = 'approved' AND revoked_at_us IS NULL "
      "AND not_after_us > ?4";
  const std::string reason = fmt::format("superseded by grant {}", grant.id);
  auto events = sqlite::Statement::prepare(
      db, fmt::format("INSERT INTO grant_events (grant_id, at_us, actor, action, reason) "
                      "SELECT id, ?4, ?5, 'revoke', ?6 FROM grants WHERE {} ORDER BY id",
                      kOthers));
  if (!events) return std::unexpected(events.error());
  events->bind(1, std::string_view(grant.person))
      .bind(2, std::string_view(grant.database))
      .bind(3, grant.id)
      .bind(4, to_us(now))
      .bind(5, by)
      .bind(6, std::string_view(reason));
  if (auto ok = events->run(); !ok) return std::unexpected(ok.error());
  auto update = sqlite::Statement::prepare(
      db, fmt::format("UPDATE grants SET status = 'revoked', revoked_at_us = ?4, revoked_by = ?5, "
                      "revoke_reason = ?6, updated_at_us = ?4 WHERE {}",
                      kOthers));
  if (!update) return std::unexpected(update.error());
  update->bind(1, std::string_view(grant.person))
      .bind(2, std::string_view(grant.database))
      .bind(3, grant.id)
      .bind(4, to_us(now))
      .bind(5, by)
      .bind(6, std::string_view(reason));
  return update->run();
}

}  // namespace policy::rows
