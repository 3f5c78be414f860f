// Audit timestamps: UTC RFC 3339 with milliseconds, e.g. "2026-12-03T21:38:00.123Z".
//
// Independent of TZ and locale (no gmtime/strftime), so records written by different processes
// compare as strings in time order.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace audit {

using Clock = std::chrono::system_clock;
using TimePoint = Clock::time_point;

// Truncated toward the past to the millisecond.
std::string format_time(TimePoint time);
// The same text appended to `out` (no allocation once `out` has room): the per-event path.
void append_time(std::string& out, TimePoint time);

// Parses what format_time writes (the fraction is optional, 1 to 9 digits), years 1900..2200;
// nullopt otherwise.
std::optional<TimePoint> parse_time(std::string_view text);

}  // namespace audit
