#include "policy/time_format.h"

#include <fmt/format.h>

#include <cstdio>

namespace policy {

std::string format_time(TimePoint time) {
  using namespace std::chrono;
  // floor, not duration_cast: times before 1970 must round toward the past too.
  const auto secs = floor<seconds>(time);
  const auto day = floor<days>(secs);
  const year_month_day ymd{day};
  const hh_mm_ss hms{secs - day};
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z", static_cast<int>(ymd.year()),
                     static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                     hms.hours().count(), hms.minutes().count(), hms.seconds().count());
}

std::optional<TimePoint> parse_time(std::string_view text) {
  using namespace std::chrono;
  int y = 0;
  unsigned mo = 0, d = 0, h = 0, mi = 0, s = 0;
  char z = 0;
  int consumed = 0;
  const std::string copy(text);
  if (std::sscanf(copy.c_str(), "%4d-%2u-%2uT%2u:%2u:%2u%c%n", &y, &mo, &d, &h, &mi, &s, &z, &consumed) != 7 ||
      z != 'Z' || static_cast<std::size_t>(consumed) != copy.size() || h > 23 || mi > 59 || s > 59) {
    return std::nullopt;
  }
  const year_month_day ymd{year(y), month(mo), day(d)};
  if (!ymd.ok()) return std::nullopt;
  return TimePoint(sys_days(ymd)) + hours(h) + minutes(mi) + seconds(s);
}

std::string format_duration(std::chrono::seconds duration) {
  using namespace std::chrono;
  if (duration <= seconds::zero()) return "0s";
  const auto d = duration_cast<days>(duration);
  const auto h = duration_cast<hours>(duration - d);
  const auto m = duration_cast<minutes>(duration - d - h);
  const auto s = duration - d - h - m;
  if (d.count() > 0) {
    return h.count() > 0 ? fmt::format("{}d {}h", d.count(), h.count()) : fmt::format("{}d", d.count());
  }
  if (h.count() > 0) {
    return m.count() > 0 ? fmt::format("{}h {}m", h.count(), m.count()) : fmt::format("{}h", h.count());
  }
  if (m.count() > 0) {
    return s.count() > 0 ? fmt::format("{}m {}s", m.count(), s.count()) : fmt::format("{}m", m.count());
  }
  return fmt::format("{}s", s.count());
}

}  // namespace policy
