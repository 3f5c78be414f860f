#include "masking/binary_values.h"

#include <bit>
#include <charconv>
#include <cmath>
#include <cstring>
#include <limits>

#include <fmt/format.h>

#include "masking/binary_arrays.h"
#include "masking/binary_numeric.h"
#include "masking/dates.h"

namespace masking {
namespace {

// PostgreSQL's binary dates and timestamps count from 2000-01-01 (POSTGRES_EPOCH_JDATE).
constexpr std::int64_t kEpochDays = 10957;  // 2000-01-01 in days since 1970-01-01
constexpr std::int64_t kMicrosPerDay = 86'400'000'000;

std::uint64_t load_be(pgwire::Bytes in) {
  std::uint64_t v = 0;
  for (std::uint8_t b : in) v = (v << 8) | b;
  return v;
}

void store_be(std::string& out, std::uint64_t v, int bytes) {
  for (int shift = (bytes - 1) * 8; shift >= 0; shift -= 8) out.push_back(static_cast<char>((v >> shift) & 0xFF));
}

template <class T>
std::optional<T> parse_whole(std::string_view s) {
  T v{};
  const auto r = std::from_chars(s.data(), s.data() + s.size(), v);
  if (r.ec != std::errc() || r.ptr != s.data() + s.size()) return std::nullopt;
  return v;
}

std::optional<double> parse_float(std::string_view s) {
  if (s == "NaN") return std::numeric_limits<double>::quiet_NaN();
  if (s == "Infinity") return std::numeric_limits<double>::infinity();
  if (s == "-Infinity") return -std::numeric_limits<double>::infinity();
  return parse_whole<double>(s);
}

void append_float(std::string& out, double d, bool single) {
  if (std::isnan(d)) out += "NaN";
  else if (std::isinf(d)) out += d > 0 ? "Infinity" : "-Infinity";
  else if (single) fmt::format_to(std::back_inserter(out), "{}", static_cast<float>(d));
  else fmt::format_to(std::back_inserter(out), "{}", d);
}

// "YYYY-MM-DD HH:MM:SS[.f][+HH[:MM]]" -> microseconds since 2000-01-01 (UTC when an offset is given).
std::optional<std::int64_t> parse_timestamp(std::string_view s, bool with_zone) {
  const auto d = parse_iso_date(s);
  if (!d || d->consumed >= s.size() || s[d->consumed] != ' ') return std::nullopt;
  s.remove_prefix(d->consumed + 1);
  const auto t = parse_iso_time(s);
  if (!t) return std::nullopt;
  s.remove_prefix(t->consumed);
  std::int64_t offset = 0;
  if (with_zone) {
    const auto o = parse_utc_offset(s);
    if (!o) return std::nullopt;
    offset = o->seconds;
    s.remove_prefix(o->consumed);
  }
  if (!s.empty()) return std::nullopt;
  return (days_from_civil(d->date) - kEpochDays) * kMicrosPerDay + t->micros - offset * 1'000'000;
}

std::int64_t floor_div(std::int64_t a, std::int64_t b) { return a / b - ((a % b != 0 && (a < 0) != (b < 0)) ? 1 : 0); }

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

bool has_binary_codec(TypeClass t) {
  switch (t) {
    case TypeClass::kText:
    case TypeClass::kJson:
    case TypeClass::kJsonb:
    case TypeClass::kXml:
    case TypeClass::kInt2:
    case TypeClass::kInt4:
    case TypeClass::kInt8:
    case TypeClass::kOid:
    case TypeClass::kFloat4:
    case TypeClass::kFloat8:
    case TypeClass::kBool:
    case TypeClass::kDate:
    case TypeClass::kTime:
    case TypeClass::kTimestamp:
    case TypeClass::kTimestamptz:
    case TypeClass::kUuid:
    case TypeClass::kNumeric:
    case TypeClass::kTextArray:
    case TypeClass::kIntArray: return true;
    default: return false;
  }
}

bool binary_to_text(const ValueType& type, pgwire::Bytes in, std::string& out) {
  const auto it = std::back_inserter(out);
  switch (type.cls()) {
    case TypeClass::kNumeric: return numeric_binary_to_text(in, out);
    case TypeClass::kTextArray:
    case TypeClass::kIntArray: return array_binary_to_text(type.oid, in, out);
    case TypeClass::kText:
    case TypeClass::kJson:
    case TypeClass::kXml: out.append(pgwire::as_chars(in)); return true;
    case TypeClass::kJsonb:
      if (in.empty() || in[0] != 1) return false;  // jsonb_send: version 1, then the text
      out.append(pgwire::as_chars(in.subspan(1)));
      return true;
    case TypeClass::kInt2:
      if (in.size() != 2) return false;
      fmt::format_to(it, "{}", static_cast<std::int16_t>(load_be(in)));
      return true;
    case TypeClass::kInt4:
      if (in.size() != 4) return false;
      fmt::format_to(it, "{}", static_cast<std::int32_t>(load_be(in)));
      return true;
    case TypeClass::kOid:
      if (in.size() != 4) return false;
      fmt::format_to(it, "{}", static_cast<std::uint32_t>(load_be(in)));
      return true;
    case TypeClass::kInt8:
      if (in.size() != 8) return false;
      fmt::format_to(it, "{}", static_cast<std::int64_t>(load_be(in)));
      return true;
    case TypeClass::kFloat4:
      if (in.size() != 4) return false;
      append_float(out, std::bit_cast<float>(static_cast<std::uint32_t>(load_be(in))), true);
      return true;
    case TypeClass::kFloat8:
      if (in.size() != 8) return false;
      append_float(out, std::bit_cast<double>(load_be(in)), false);
      return true;
    case TypeClass::kBool:
      if (in.size() != 1) return false;
      out.push_back(in[0] ? 't' : 'f');
      return true;
    case TypeClass::kDate: {
      if (in.size() != 4) return false;
      const auto days = static_cast<std::int32_t>(load_be(in));
      if (days == std::numeric_limits<std::int32_t>::max()) out += "infinity";
      else if (days == std::numeric_limits<std::int32_t>::min()) out += "-infinity";
      else append_date(out, civil_from_days(days + kEpochDays));
      return true;
    }
    case TypeClass::kTime:
      if (in.size() != 8) return false;
      append_time(out, static_cast<std::int64_t>(load_be(in)));
      return true;
    case TypeClass::kTimestamp:
    case TypeClass::kTimestamptz: {
      if (in.size() != 8) return false;
      const auto micros = static_cast<std::int64_t>(load_be(in));
      if (micros == std::numeric_limits<std::int64_t>::max()) {
        out += "infinity";
        return true;
      }
      if (micros == std::numeric_limits<std::int64_t>::min()) {
        out += "-infinity";
        return true;
      }
      const std::int64_t days = floor_div(micros, kMicrosPerDay);
      append_date(out, civil_from_days(days + kEpochDays));
      out.push_back(' ');
      append_time(out, micros - days * kMicrosPerDay);
      if (type.cls() == TypeClass::kTimestamptz) out += "+00";  // binary timestamptz is UTC
      return true;
    }
    case TypeClass::kUuid:
      if (in.size() != 16) return false;
      for (std::size_t i = 0; i < 16; ++i) {
        if (i == 4 || i == 6 || i == 8 || i == 10) out.push_back('-');
        fmt::format_to(it, "{:02x}", in[i]);
      }
      return true;
    default: return false;
  }
}

bool text_to_binary(const ValueType& type, std::string_view text, std::string& out) {
  switch (type.cls()) {
    case TypeClass::kNumeric: return numeric_text_to_binary(text, out);
    case TypeClass::kTextArray:
    case TypeClass::kIntArray: return array_text_to_binary(type.oid, text, out);
    case TypeClass::kText:
    case TypeClass::kJson:
    case TypeClass::kXml: out.append(text); return true;
    case TypeClass::kJsonb:
      out.push_back('\1');
      out.append(text);
      return true;
    case TypeClass::kInt2:
      if (auto v = parse_whole<std::int16_t>(text)) return store_be(out, static_cast<std::uint16_t>(*v), 2), true;
      return false;
    case TypeClass::kInt4:
      if (auto v = parse_whole<std::int32_t>(text)) return store_be(out, static_cast<std::uint32_t>(*v), 4), true;
      return false;
    case TypeClass::kOid:
      if (auto v = parse_whole<std::uint32_t>(text)) return store_be(out, *v, 4), true;
      return false;
    case TypeClass::kInt8:
      if (auto v = parse_whole<std::int64_t>(text)) return store_be(out, static_cast<std::uint64_t>(*v), 8), true;
      return false;
    case TypeClass::kFloat4:
      if (auto v = parse_float(text)) return store_be(out, std::bit_cast<std::uint32_t>(static_cast<float>(*v)), 4), true;
      return false;
    case TypeClass::kFloat8:
      if (auto v = parse_float(text)) return store_be(out, std::bit_cast<std::uint64_t>(*v), 8), true;
      return false;
    case TypeClass::kBool:
      if (text != "t" && text != "f" && text != "true" && text != "false") return false;
      out.push_back(text[0] == 't' ? '\1' : '\0');
      return true;
    case TypeClass::kDate: {
      const auto d = parse_iso_date(text);
      if (!d || d->consumed != text.size()) return false;
      store_be(out, static_cast<std::uint32_t>(static_cast<std::int32_t>(days_from_civil(d->date) - kEpochDays)), 4);
      return true;
    }
    case TypeClass::kTime: {
      const auto t = parse_iso_time(text);
      if (!t || t->consumed != text.size()) return false;
      store_be(out, static_cast<std::uint64_t>(t->micros), 8);
      return true;
    }
    case TypeClass::kTimestamp:
    case TypeClass::kTimestamptz: {
      const auto micros = parse_timestamp(text, type.cls() == TypeClass::kTimestamptz);
      if (!micros) return false;
      store_be(out, static_cast<std::uint64_t>(*micros), 8);
      return true;
    }
    case TypeClass::kUuid: {
      std::string bytes;
      for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] == '-') continue;
        if (i + 1 >= text.size()) return false;
        const int hi = hex_value(text[i]), lo = hex_value(text[i + 1]);
        if (hi < 0 || lo < 0) return false;
        bytes.push_back(static_cast<char>(hi * 16 + lo));
        ++i;
      }
      if (bytes.size() != 16) return false;
      out += bytes;
      return true;
    }
    default: return false;
  }
}

}  // namespace masking
