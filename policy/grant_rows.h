// Internal to GrantStore: grants and their events as SQL rows. The SQL that reads and writes one
// grant lives here so every GrantStore operation (operator issue, workflow steps, admission
// look-ups) maps rows the same way, on either backend (policy/sql_connection.h).
#pragma once

#include <cstdint>
#include <expected>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "policy/grant.h"
#include "policy/sql_connection.h"
#include "policy/workflow.h"

namespace policy::rows {

// Microseconds since the epoch, floored (toward the past, also before 1970).
std::int64_t to_us(TimePoint time);
// Saturates instead of overflowing Clock::duration on values written by someone else.
TimePoint from_us(std::int64_t us);
// `time` at storage resolution.
inline TimePoint stored(TimePoint time) { return from_us(to_us(time)); }

// Column list for SELECTs that read_grant understands.
extern const std::string_view kGrantColumns;
Grant read_grant(const sql::Row& row);

// Fills grant.history from grant_events.
std::expected<void, std::string> load_history(sql::Connection& db, Grant& grant);
// One SELECT (with an optional " WHERE ..." using `params`), history included, oldest first.
std::expected<std::vector<Grant>, std::string> select_grants(sql::Connection& db, std::string_view where,
                                                             const sql::Params& params = {});
std::expected<std::optional<Grant>, std::string> select_grant(sql::Connection& db, std::int64_t id);

// Inserts `grant` (its id is assigned and written back) and its history.
std::expected<void, std::string> insert_grant(sql::Connection& db, Grant& grant);
std::expected<void, std::string> insert_event(sql::Connection& db, std::int64_t grant_id, const GrantEvent& event);

// Writes `change` (planned by policy/workflow.h for `grant`) and its event; updates `grant` to
// match what is now stored.
std::expected<void, std::string> apply_change(sql::Connection& db, Grant& grant, const Change& change);

// One person has at most one live grant per database, so admission is never ambiguous (issue #3:
// a new approval supersedes the old one). For the approved `grant` starting at S, decided at
// `now`, the person's other approved, not yet ended grants on that database:
//   - those that would start at or after S (or all of them, when S <= now) are revoked now,
//     with a "revoke" event naming `by` and reason "superseded by grant N";
//   - one running (or starting) before S keeps working until S: its window is cut to end at S,
//     with a "supersede" event; it then ends by the clock like any expiring grant;
//   - one that ends by S anyway is left alone.
std::expected<void, std::string> supersede_others(sql::Connection& db, const Grant& grant, std::string_view by,
                                                  TimePoint now);

}  // namespace policy::rows
