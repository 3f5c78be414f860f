// What `pgveil audit tail` selects and how it prints it (issue #5 point 4). Pure functions over
// parsed events (JSON objects as the file sink writes them); reading and following files is
// log_follower.h, the command line proxy/cli_audit_tail.cc.
#pragma once

#include <cstdint>
#include <expected>
#include <nlohmann/json.hpp>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "audit/time_format.h"

namespace audit {

// Every event type event.h writes, for validating --type.
std::span<const std::string_view> event_types();

struct TailFilter {
  std::optional<std::string> person;
  std::optional<std::int64_t> grant;
  bool refused = false;            // refusals and failed logins only
  std::vector<std::string> types;  // any of these; empty: all
  std::optional<TimePoint> since;  // events at or after
};

bool tail_matches(const nlohmann::json& event, const TailFilter& filter);

// "statement,refusal": the types of a --type list (or the stream's ?type=); an error names the
// unknown one and lists the known.
std::expected<std::vector<std::string>, std::string> parse_event_types(std::string_view list);

// One aligned line for people, without a newline:
//   time  person  grant  type  kind  sqlstate  detail
// `detail` is the normalized statement for statements and what matters for the other types.
// With `colour`, ANSI colours mark refusals (red), errors (yellow), grants and sessions.
// Control characters from the log are replaced, so a crafted statement cannot drive the
// terminal.
std::string format_tail_line(const nlohmann::json& event, bool colour);

// "850ms", "12.3s", "4m05s", "2h10m": compact, for durations in tail and reports.
std::string format_duration_ms(std::int64_t ms);

// `text` with C0/C1 control characters and DEL replaced by '?'.
std::string terminal_safe(std::string_view text);

}  // namespace audit
