#include "masking/dates.h"

#include <charconv>

#include <fmt/format.h>

namespace masking {
namespace {

bool is_leap(std::int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

int days_in_month(std::int64_t y, int m) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && is_leap(y) ? 29 : kDays[m - 1];
}

// Exactly `n` digits at s[pos].
std::optional<int> fixed_digits(std::string_view s, std::size_t pos, std::size_t n) {
  if (pos + n > s.size()) return std::nullopt;
  int v = 0;
  for (std::size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return std::nullopt;
    v = v * 10 + (s[i] - '0');
  }
  return v;
}

}  // namespace

std::int64_t days_from_civil(const CivilDate& d) {
  const std::int64_t y = d.year - (d.month <= 2 ? 1 : 0);
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const std::int64_t yoe = y - era * 400;
  const std::int64_t mp = (d.month + 9) % 12;
  const std::int64_t doy = (153 * mp + 2) / 5 + d.day - 1;
  const std::int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

CivilDate civil_from_days(std::int64_t z) {
  z += 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const std::int64_t doe = z - era * 146097;
  const std::int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const std::int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const std::int64_t mp = (5 * doy + 2) / 153;
  const int d = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
  const int m = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
  return {yoe + era * 400 + (m <= 2 ? 1 : 0), m, d};
}

std::optional<ParsedDate> parse_iso_date(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
  if (i < 4 || i > 7) return std::nullopt;
  std::int64_t year = 0;
  std::from_chars(s.data(), s.data() + i, year);
  if (i + 6 > s.size() || s[i] != '-' || s[i + 3] != '-') return std::nullopt;
  const auto month = fixed_digits(s, i + 1, 2);
  const auto day = fixed_digits(s, i + 4, 2);
  if (!month || !day || *month < 1 || *month > 12 || *day < 1 || *day > days_in_month(year, *month))
    return std::nullopt;
  return ParsedDate{{year, *month, *day}, i + 6};
}

std::optional<ParsedTime> parse_iso_time(std::string_view s) {
  const auto h = fixed_digits(s, 0, 2);
  const auto m = fixed_digits(s, 3, 2);
  const auto sec = fixed_digits(s, 6, 2);
  if (!h || !m || !sec || s[2] != ':' || s[5] != ':' || *h > 24 || *m > 59 || *sec > 60)
    return std::nullopt;
  std::int64_t micros = ((*h * 60LL + *m) * 60 + *sec) * 1'000'000;
  std::size_t i = 8;
  if (i < s.size() && s[i] == '.') {
    std::int64_t frac = 0, scale = 100'000;
    for (++i; i < s.size() && s[i] >= '0' && s[i] <= '9'; ++i, scale /= 10) frac += (s[i] - '0') * scale;
    micros += frac;
  }
  return ParsedTime{micros, i};
}

std::optional<ParsedOffset> parse_utc_offset(std::string_view s) {
  if (s.empty() || (s[0] != '+' && s[0] != '-')) return std::nullopt;
  const auto h = fixed_digits(s, 1, 2);
  if (!h) return std::nullopt;
  std::int64_t secs = *h * 3600LL;
  std::size_t i = 3;
  for (int part = 0; part < 2 && i < s.size() && s[i] == ':'; ++part) {
    const auto v = fixed_digits(s, i + 1, 2);
    if (!v) return std::nullopt;
    secs += part == 0 ? *v * 60LL : *v;
    i += 3;
  }
  return ParsedOffset{s[0] == '-' ? -secs : secs, i};
}

void append_date(std::string& out, const CivilDate& d) {
  fmt::format_to(std::back_inserter(out), "{:04}-{:02}-{:02}", d.year, d.month, d.day);
}

void append_time(std::string& out, std::int64_t micros) {
  const std::int64_t secs = micros / 1'000'000, frac = micros % 1'000'000;
  fmt::format_to(std::back_inserter(out), "{:02}:{:02}:{:02}", secs / 3600, secs / 60 % 60, secs % 60);
  if (frac != 0) {
    std::string f = fmt::format("{:06}", frac);
    while (f.back() == '0') f.pop_back();
    out.push_back('.');
    out += f;
  }
}

}  // namespace masking
