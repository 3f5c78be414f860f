#include "policy/time_format.h"

#include <fmt/format.h>

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
