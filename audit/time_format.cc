#include "audit/time_format.h"

#include <fmt/format.h>

#include <charconv>
#include <iterator>

namespace audit {
namespace {

// Reads exactly `digits` decimal digits at `pos` and advances past them.
std::optional<int> read_digits(std::string_view text, std::size_t& pos, std::size_t digits) {
  if (pos + digits > text.size()) return std::nullopt;
  int value = 0;
  const char* first = text.data() + pos;
  const auto [end, ec] = std::from_chars(first, first + digits, value);
  if (ec != std::errc{} || end != first + digits) return std::nullopt;
  pos += digits;
  return value;
}

bool expect(std::string_view text, std::size_t& pos, char c) {
  if (pos >= text.size() || text[pos] != c) return false;
  ++pos;
  return true;
}

}  // namespace

std::string format_time(TimePoint time) {
  std::string out;
  append_time(out, time);
  return out;
}

void append_time(std::string& out, TimePoint time) {
  using namespace std::chrono;
  const auto ms = floor<milliseconds>(time);
  const auto day = floor<days>(ms);
  const year_month_day ymd{day};
  const hh_mm_ss hms{ms - day};
  const int year = static_cast<int>(ymd.year());
  if (year < 0 || year > 9999) {
    fmt::format_to(std::back_inserter(out), "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", year,
                   static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()), hms.hours().count(),
                   hms.minutes().count(), hms.seconds().count(), hms.subseconds().count());
    return;
  }
  // Fixed width, so digits are written in place: "YYYY-MM-DDTHH:MM:SS.mmmZ".
  char buf[24];
  const auto put = [&buf](std::size_t at, std::size_t width, long long value) {
    for (std::size_t i = width; i-- > 0; value /= 10) buf[at + i] = static_cast<char>('0' + value % 10);
  };
  put(0, 4, year);
  buf[4] = '-';
  put(5, 2, static_cast<unsigned>(ymd.month()));
  buf[7] = '-';
  put(8, 2, static_cast<unsigned>(ymd.day()));
  buf[10] = 'T';
  put(11, 2, hms.hours().count());
  buf[13] = ':';
  put(14, 2, hms.minutes().count());
  buf[16] = ':';
  put(17, 2, hms.seconds().count());
  buf[19] = '.';
  put(20, 3, hms.subseconds().count());
  buf[23] = 'Z';
  out.append(buf, sizeof buf);
}

std::optional<TimePoint> parse_time(std::string_view text) {
  using namespace std::chrono;
  std::size_t pos = 0;
  const auto y = read_digits(text, pos, 4);
  if (!y || !expect(text, pos, '-')) return std::nullopt;
  const auto mo = read_digits(text, pos, 2);
  if (!mo || !expect(text, pos, '-')) return std::nullopt;
  const auto d = read_digits(text, pos, 2);
  if (!d || !expect(text, pos, 'T')) return std::nullopt;
  const auto h = read_digits(text, pos, 2);
  if (!h || !expect(text, pos, ':')) return std::nullopt;
  const auto mi = read_digits(text, pos, 2);
  if (!mi || !expect(text, pos, ':')) return std::nullopt;
  const auto s = read_digits(text, pos, 2);
  if (!s) return std::nullopt;
  nanoseconds fraction{0};
  if (expect(text, pos, '.')) {
    std::int64_t scale = 100'000'000;
    std::size_t digits = 0;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9' && digits < 9) {
      fraction += nanoseconds((text[pos] - '0') * scale);
      scale /= 10;
      ++pos;
      ++digits;
    }
    if (digits == 0) return std::nullopt;
  }
  if (!expect(text, pos, 'Z') || pos != text.size()) return std::nullopt;
  const year_month_day ymd{year(*y), month(static_cast<unsigned>(*mo)), day(static_cast<unsigned>(*d))};
  // system_clock counts nanoseconds in 64 bits: years outside about 1678..2261 would overflow.
  if (!ymd.ok() || *y < 1900 || *y > 2200 || *h > 23 || *mi > 59 || *s > 60) return std::nullopt;
  return time_point_cast<Clock::duration>(sys_days(ymd) + hours(*h) + minutes(*mi) + seconds(*s) + fraction);
}

}  // namespace audit
