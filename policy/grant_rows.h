// Internal to GrantStore: grants and their events as SQLite rows. The SQL that reads and writes
// one grant lives here so every GrantStore operation (operator issue, workflow steps, admission
// look-ups) maps rows the same way.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <expected>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "policy/grant.h"
#include "policy/sqlite_db.h"
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
Grant read_grant(const sqlite::Statement& row);

// Fills grant.history from grant_events.
std::expected<void, std::string> load_history(sqlite3* db, Grant& grant);
// One SELECT (with an optional " WHERE ..." and ?1/?2 bound to the optional strings), history
// included, oldest first.
std::expected<std::vector<Grant>, std::string> select_grants(sqlite3* db, std::string_view where,
                                                             const std::optional<std::string>& p1 = {},
                                                             const std::optional<std::string>& p2 = {});
std::expected<std::optional<Grant>, std::string> select_grant(sqlite3* db, std::int64_t id);

// Inserts `grant` (its id is assigned and written back) and its history.
std::expected<void, std::string> insert_grant(sqlite3* db, Grant& grant);
std::expected<void, std::string> insert_event(sqlite3* db, std::int64_t grant_id, const GrantEvent& event);

// Writes `change` (planned by policy/workflow.h for `grant`) and its event; updates `grant` to
// match what is now stored.
std::expected<void, std::string> apply_change(sqlite3* db, Grant& grant, const Change& change);

// Ends every other approved, not yet expired grant of (person, database): one person has at most
// one live grant per database, so admission is never ambiguous (issue #3: a new approval
// supersedes the old one). Each gets a "revoke" event naming `by`.
std::expected<void, std::string> supersede_others(sqlite3* db, const Grant& grant, std::string_view by,
                                                  TimePoint now);

}  // namespace policy::rows
