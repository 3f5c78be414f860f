// Human-facing renderings of times and durations, for error messages, hints and the CLI.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "policy/grant.h"

namespace policy {

// UTC ISO-8601 to the second, e.g. "2026-12-03T18:00:00Z". Sub-second parts are truncated
// toward the past (so a grant never looks like it ends later than it does). Independent of the
// process's TZ and locale: no gmtime/strftime.
std::string format_time(TimePoint time);

// Parses what format_time writes ("2026-12-03T18:00:00Z"; UTC only, the Z is required).
std::optional<TimePoint> parse_time(std::string_view text);

// Compact duration for hints, e.g. "45s", "5m", "2h 5m", "3d 4h". Rounds down to the two
// largest units; negative durations are rendered as "0s".
std::string format_duration(std::chrono::seconds duration);

}  // namespace policy
