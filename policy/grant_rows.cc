#include "policy/grant_rows.h"

#include <fmt/format.h>

#include "policy/time_format.h"

namespace policy::rows {

using std::chrono::microseconds;
using sql::Value;

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

namespace {

std::optional<std::int64_t> optional_us(std::optional<TimePoint> t) {
  if (!t) return std::nullopt;
  return to_us(*t);
}

}  // namespace

const std::string_view kGrantColumns =
    "id, person, database, role, reason, created_by, created_at_us, status, duration_us, "
    "requested_start_us, approvals_required, not_before_us, not_after_us, revoked_at_us, revoked_by, "
    "revoke_reason, verifier, request_expires_at_us";

Grant read_grant(const sql::Row& row) {
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
  if (auto deadline = row.optional_int64_at(17)) grant.request_expires_at = from_us(*deadline);
  return grant;
}

std::expected<void, std::string> load_history(sql::Connection& db, Grant& grant) {
  auto events = db.query("SELECT at_us, actor, action, reason FROM grant_events WHERE grant_id = $1 ORDER BY id",
                         sql::Params{grant.id});
  if (!events) return std::unexpected(events.error());
  grant.history.clear();
  for (std::size_t i = 0; i < events->rows.size(); ++i) {
    const auto e = events->row(i);
    grant.history.push_back({from_us(e.int64_at(0)), e.text_at(1), e.text_at(2), e.text_at(3)});
  }
  return {};
}

std::expected<std::vector<Grant>, std::string> select_grants(sql::Connection& db, std::string_view where,
                                                             const sql::Params& params) {
  auto selected = db.query(fmt::format("SELECT {} FROM grants{} ORDER BY id", kGrantColumns, where), params);
  if (!selected) return std::unexpected(selected.error());
  std::vector<Grant> grants;
  grants.reserve(selected->rows.size());
  for (std::size_t i = 0; i < selected->rows.size(); ++i) grants.push_back(read_grant(selected->row(i)));
  for (auto& g : grants)
    if (auto ok = load_history(db, g); !ok) return std::unexpected(ok.error());
  return grants;
}

std::expected<std::optional<Grant>, std::string> select_grant(sql::Connection& db, std::int64_t id) {
  auto grants = select_grants(db, " WHERE id = $1", sql::Params{id});
  if (!grants) return std::unexpected(grants.error());
  if (grants->empty()) return std::optional<Grant>();
  return std::move(grants->front());
}

std::expected<void, std::string> insert_event(sql::Connection& db, std::int64_t grant_id, const GrantEvent& event) {
  auto inserted = db.query("INSERT INTO grant_events (grant_id, at_us, actor, action, reason) VALUES ($1, $2, $3, $4, $5)",
                           sql::Params{grant_id, to_us(event.at), event.actor, event.action, event.reason});
  if (!inserted) return std::unexpected(inserted.error());
  return {};
}

std::expected<void, std::string> insert_grant(sql::Connection& db, Grant& grant) {
  const bool windowed = grant.status != GrantStatus::kRequested;
  const TimePoint updated = grant.history.empty() ? grant.created_at : grant.history.back().at;
  auto inserted = db.query(
      "INSERT INTO grants (person, database, role, reason, created_by, created_at_us, status, duration_us, "
      "requested_start_us, approvals_required, not_before_us, not_after_us, updated_at_us, verifier, "
      "request_expires_at_us) "
      "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15) RETURNING id",
      sql::Params{grant.person, grant.database, grant.role, grant.reason, grant.created_by, to_us(grant.created_at),
                  sql::text(to_string(grant.status)),
                  std::chrono::duration_cast<microseconds>(grant.duration).count(),
                  sql::nullable(optional_us(grant.requested_start)), std::int64_t{grant.approvals_required},
                  windowed ? Value(to_us(grant.not_before)) : Value(), windowed ? Value(to_us(grant.not_after)) : Value(),
                  to_us(updated), grant.verifier, sql::nullable(optional_us(grant.request_expires_at))});
  if (!inserted) return std::unexpected(inserted.error());
  if (inserted->empty()) return std::unexpected("INSERT INTO grants returned no id");
  grant.id = inserted->row(0).int64_at(0);
  for (const auto& event : grant.history)
    if (auto ok = insert_event(db, grant.id, event); !ok) return std::unexpected(ok.error());
  return {};
}

std::expected<void, std::string> apply_change(sql::Connection& db, Grant& grant, const Change& change) {
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
  auto updated = db.query(
      "UPDATE grants SET status = $2, not_before_us = $3, not_after_us = $4, revoked_at_us = $5, revoked_by = $6, "
      "revoke_reason = $7, updated_at_us = $8 WHERE id = $1",
      sql::Params{grant.id, sql::text(to_string(grant.status)), windowed ? Value(to_us(grant.not_before)) : Value(),
                  windowed ? Value(to_us(grant.not_after)) : Value(), sql::nullable(optional_us(grant.revoked_at)),
                  grant.revoked_by, grant.revoke_reason, to_us(event.at)});
  if (!updated) return std::unexpected(updated.error());
  if (auto ok = insert_event(db, grant.id, event); !ok) return std::unexpected(ok.error());
  grant.history.push_back(event);
  if (change.supersede) return supersede_others(db, grant, event.actor, event.at);
  return {};
}

std::expected<void, std::string> supersede_others(sql::Connection& db, const Grant& grant, std::string_view by,
                                                  TimePoint now) {
  // $1 person, $2 database, $3 the new grant, $4 now, $5 by, $6 reason, $7 S (the new grant's
  // start). "Live" is state_at's "approved and not ended at now".
  static constexpr std::string_view kOthers =
      "person = $1 AND database = $2 AND id <> $3 AND status = 'approved' AND revoked_at_us IS NULL "
      "AND not_after_us > $4";
  const std::string revoke_where = fmt::format("{} AND ($7 <= $4 OR not_before_us >= $7)", kOthers);
  const std::string cut_where = fmt::format("{} AND $7 > $4 AND not_before_us < $7 AND not_after_us > $7", kOthers);
  const auto start = to_us(grant.not_before);
  const sql::Params revoked{grant.person, grant.database, grant.id, to_us(now), sql::text(by),
                            fmt::format("superseded by grant {}", grant.id), start};
  // Events first: the UPDATE changes the rows the condition picks.
  const std::string steps[] = {
      fmt::format("INSERT INTO grant_events (grant_id, at_us, actor, action, reason) "
                  "SELECT id, $4, $5, 'revoke', $6 FROM grants WHERE {} ORDER BY id",
                  revoke_where),
      fmt::format("UPDATE grants SET status = 'revoked', revoked_at_us = $4, revoked_by = $5, revoke_reason = $6, "
                  "updated_at_us = $4 WHERE {}",
                  revoke_where),
  };
  for (const auto& step : steps)
    if (auto ok = db.query(step, revoked); !ok) return std::unexpected(ok.error());
  if (start <= to_us(now)) return {};
  const sql::Params cut{grant.person, grant.database, grant.id, to_us(now), sql::text(by),
                        fmt::format("superseded by grant {} from {}", grant.id, format_time(grant.not_before)),
                        start};
  const std::string cut_steps[] = {
      fmt::format("INSERT INTO grant_events (grant_id, at_us, actor, action, reason) "
                  "SELECT id, $4, $5, 'supersede', $6 FROM grants WHERE {} ORDER BY id",
                  cut_where),
      fmt::format("UPDATE grants SET not_after_us = $7, updated_at_us = $4 WHERE {}", cut_where),
  };
  for (const auto& step : cut_steps)
    if (auto ok = db.query(step, cut); !ok) return std::unexpected(ok.error());
  return {};
}

}  // namespace policy::rows
