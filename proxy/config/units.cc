#include "proxy/config/units.h"

#include <array>
#include <cctype>
#include <charconv>
#include <cstdint>
#include <iterator>
#include <limits>
#include <optional>

#include <fmt/format.h>

namespace proxy {
namespace {

struct Unit {
  std::string_view name;
  std::uint64_t factor;
};

// Largest first: parse_duration requires this order so "1h30m" reads one way only.
constexpr std::array<Unit, 5> kDurationUnits{{
    {"d", 86'400'000},
    {"h", 3'600'000},
    {"m", 60'000},
    {"s", 1'000},
    {"ms", 1},
}};

constexpr std::array<Unit, 13> kSizeUnits{{
    {"b", 1},
    {"k", 1ull << 10}, {"kb", 1ull << 10}, {"kib", 1ull << 10},
    {"m", 1ull << 20}, {"mb", 1ull << 20}, {"mib", 1ull << 20},
    {"g", 1ull << 30}, {"gb", 1ull << 30}, {"gib", 1ull << 30},
    {"t", 1ull << 40}, {"tb", 1ull << 40}, {"tib", 1ull << 40},
}};

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// Reads leading decimal digits; nullopt if there are none or they overflow.
std::optional<std::uint64_t> take_number(std::string_view& s) {
  std::size_t n = 0;
  while (n < s.size() && is_digit(s[n])) ++n;
  if (n == 0) return std::nullopt;
  std::uint64_t value = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + n, value);
  if (ec != std::errc{} || ptr != s.data() + n) return std::nullopt;
  s.remove_prefix(n);
  return value;
}

std::string not_a_duration(std::string_view text) {
  return fmt::format("'{}' is not a duration (use 30s, 15m, 4h, 1h30m)", text);
}

}  // namespace

std::expected<std::chrono::milliseconds, std::string> parse_duration(std::string_view text) {
  const std::string_view input = trim(text);
  if (input.empty()) return std::unexpected(std::string("empty duration (use 30s, 15m, 4h, 1h30m)"));
  if (input == "0") return std::chrono::milliseconds{0};

  std::string_view rest = input;
  std::uint64_t total = 0;
  std::size_t previous_unit = kDurationUnits.size();  // index of the last unit seen; none yet
  constexpr std::uint64_t kMax = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
  while (!rest.empty()) {
    const std::string_view before_number = rest;
    auto number = take_number(rest);
    if (!number) {
      if (!before_number.empty() && is_digit(before_number.front()))
        return std::unexpected(fmt::format("'{}' is too long a duration", input));
      return std::unexpected(not_a_duration(input));
    }
    std::size_t unit_len = 0;
    while (unit_len < rest.size() && is_alpha(rest[unit_len])) ++unit_len;
    if (unit_len == 0) {
      if (rest.empty() && before_number.size() == input.size())
        return std::unexpected(fmt::format(
            "'{0}' needs a unit: {0}ms, {0}s, {0}m, {0}h or {0}d", input));
      return std::unexpected(not_a_duration(input));
    }
    const std::string_view unit_name = rest.substr(0, unit_len);
    rest.remove_prefix(unit_len);
    std::size_t index = kDurationUnits.size();
    for (std::size_t i = 0; i < kDurationUnits.size(); ++i)
      if (kDurationUnits[i].name == unit_name) index = i;
    if (index == kDurationUnits.size()) return std::unexpected(not_a_duration(input));
    if (previous_unit != kDurationUnits.size() && index <= previous_unit)
      return std::unexpected(fmt::format(
          "'{}' is not a duration: write units from the largest down, each once (e.g. 1h30m)", input));
    previous_unit = index;
    std::uint64_t part = 0;
    if (__builtin_mul_overflow(*number, kDurationUnits[index].factor, &part) ||
        __builtin_add_overflow(total, part, &total) || total > kMax)
      return std::unexpected(fmt::format("'{}' is too long a duration", input));
  }
  return std::chrono::milliseconds{static_cast<std::int64_t>(total)};
}

std::expected<std::uint64_t, std::string> parse_size(std::string_view text) {
  const std::string_view input = trim(text);
  auto bad = [&] { return fmt::format("'{}' is not a size (use 65536, 64KiB, 256MB, 1GiB)", input); };
  if (input.empty()) return std::unexpected(std::string("empty size (use 65536, 64KiB, 256MB, 1GiB)"));
  std::string_view rest = input;
  const bool starts_with_digit = is_digit(rest.front());
  auto number = take_number(rest);
  if (!number) {
    if (starts_with_digit) return std::unexpected(fmt::format("'{}' is too large a size", input));
    return std::unexpected(bad());
  }
  rest = trim(rest);
  std::uint64_t factor = 1;
  if (!rest.empty()) {
    const std::string unit = lower(rest);
    factor = 0;
    for (const Unit& u : kSizeUnits)
      if (u.name == unit) factor = u.factor;
    if (factor == 0) return std::unexpected(bad());
  }
  std::uint64_t bytes = 0;
  if (__builtin_mul_overflow(*number, factor, &bytes))
    return std::unexpected(fmt::format("'{}' is too large a size", input));
  return bytes;
}

std::string format_duration(std::chrono::milliseconds duration) {
  std::int64_t ms = duration.count();
  if (ms == 0) return "0";
  const bool negative = ms < 0;
  if (negative) ms = -ms;
  fmt::memory_buffer out;
  if (negative) out.push_back('-');
  for (const Unit& u : kDurationUnits) {
    const auto factor = static_cast<std::int64_t>(u.factor);
    if (ms >= factor) {
      fmt::format_to(std::back_inserter(out), "{}{}", ms / factor, u.name);
      ms %= factor;
    }
  }
  return fmt::to_string(out);
}

std::string format_size(std::uint64_t bytes) {
  static constexpr std::array<std::string_view, 5> kNames{"B", "KiB", "MiB", "GiB", "TiB"};
  std::size_t unit = 0;
  while (unit + 1 < kNames.size() && bytes != 0 && bytes % 1024 == 0) {
    bytes /= 1024;
    ++unit;
  }
  return fmt::format("{}{}", bytes, kNames[unit]);
}

}  // namespace proxy
