// Calendar arithmetic for date/timestamp masks and their binary forms. Only the ISO text form
// (DateStyle ISO, PostgreSQL's default and what drivers set) is understood: anything else makes
// the mask yield NULL, never a guess.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace masking {

struct CivilDate {
  std::int64_t year = 1970;
  int month = 1, day = 1;
};

// Days since 1970-01-01 (proleptic Gregorian; H. Hinnant's algorithms).
std::int64_t days_from_civil(const CivilDate& d);
CivilDate civil_from_days(std::int64_t days);

// "YYYY-MM-DD" at the start of `s` (4 or more year digits), validated (month, day in month).
// `consumed` is the byte count read.
struct ParsedDate {
  CivilDate date;
  std::size_t consumed = 0;
};
std::optional<ParsedDate> parse_iso_date(std::string_view s);

// Time of day "HH:MM:SS[.ffffff]" at the start of `s`, in microseconds.
struct ParsedTime {
  std::int64_t micros = 0;
  std::size_t consumed = 0;
};
std::optional<ParsedTime> parse_iso_time(std::string_view s);

// A UTC offset "+HH", "+HH:MM" or "+HH:MM:SS" (sign required) at the start of `s`, in seconds.
struct ParsedOffset {
  std::int64_t seconds = 0;
  std::size_t consumed = 0;
};
std::optional<ParsedOffset> parse_utc_offset(std::string_view s);

void append_date(std::string& out, const CivilDate& d);         // YYYY-MM-DD
void append_time(std::string& out, std::int64_t micros_of_day);  // HH:MM:SS[.ffffff]

}  // namespace masking
