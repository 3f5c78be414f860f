// Masks on non-text types: the result is a valid text form of the same type, or NULL. Each branch
// keeps what the type can hold: an int4 pseudonym fits in int4, a numeric one in numeric(p,s).
#include <arpa/inet.h>

#include <charconv>
#include <cmath>
#include <limits>

#include <fmt/format.h>
#include <re2/re2.h>

#include "masking/dates.h"
#include "masking/masks.h"

namespace masking {
namespace {

std::uint64_t digest_u64(const MaskKey& key, std::string_view purpose, std::string_view in) {
  const MaskKey::Digest d = key.digest(purpose, in);
  std::uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | d[i];
  return v;
}

// Largest value of an integer type, as a modulus for pseudonyms.
std::uint64_t integer_limit(TypeClass t) {
  switch (t) {
    case TypeClass::kInt2: return 32767;
    case TypeClass::kInt4: return 2147483647;
    case TypeClass::kOid: return 4294967295u;
    default: return 9223372036854775807u;
  }
}

// Integer digits a numeric(p,s) can hold: p - s (typmod = ((p << 16) | s) + 4). Unconstrained
// numeric gets 9 so pseudonyms stay readable.
int numeric_integer_digits(std::int32_t typmod) {
  if (typmod < 4) return 9;
  const int precision = ((typmod - 4) >> 16) & 0xFFFF;
  const int scale = (typmod - 4) & 0xFFFF;
  return std::clamp(precision - scale, 0, 18);
}

void append_uuid(std::string& out, const MaskKey::Digest& d) {
  std::uint8_t b[16];
  std::copy_n(d.begin(), 16, b);
  b[6] = static_cast<std::uint8_t>((b[6] & 0x0F) | 0x40);  // version 4, RFC 4122 variant: looks like any uuid
  b[8] = static_cast<std::uint8_t>((b[8] & 0x3F) | 0x80);
  for (int i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out.push_back('-');
    fmt::format_to(std::back_inserter(out), "{:02x}", b[i]);
  }
}

// Deterministic value of the same type: joins on hashed keys still match.
MaskOutcome pseudonym(const MaskKey& key, const ValueType& type, std::string_view in, std::string& out) {
  const TypeClass t = type.cls();
  const std::uint64_t h = digest_u64(key, "hash", in);
  const auto it = std::back_inserter(out);
  if (is_integer(t)) {
    fmt::format_to(it, "{}", h % (integer_limit(t) + 1));
    return MaskOutcome::kValue;
  }
  switch (t) {
    case TypeClass::kNumeric: {
      std::uint64_t mod = 1;
      for (int i = numeric_integer_digits(type.typmod); i > 0; --i) mod *= 10;
      fmt::format_to(it, "{}", h % mod);
      return MaskOutcome::kValue;
    }
    case TypeClass::kFloat4:
    case TypeClass::kFloat8: fmt::format_to(it, "{}", h % 1000000); return MaskOutcome::kValue;
    case TypeClass::kBool: out.push_back(h & 1 ? 't' : 'f'); return MaskOutcome::kValue;
    case TypeClass::kDate:
    case TypeClass::kTimestamp:
    case TypeClass::kTimestamptz: {
      append_date(out, civil_from_days(static_cast<std::int64_t>(h % 36525)));  // 1970..2069
      if (t != TypeClass::kDate) {
        out.push_back(' ');
        append_time(out, static_cast<std::int64_t>((h >> 32) % 86400) * 1'000'000);
      }
      if (t == TypeClass::kTimestamptz) out.append("+00");
      return MaskOutcome::kValue;
    }
    case TypeClass::kTime: append_time(out, static_cast<std::int64_t>(h % 86400) * 1'000'000); return MaskOutcome::kValue;
    case TypeClass::kUuid: append_uuid(out, key.digest("hash", in)); return MaskOutcome::kValue;
    case TypeClass::kInet: fmt::format_to(it, "10.{}.{}.{}", (h >> 16) & 0xFF, (h >> 8) & 0xFF, h & 0xFF); return MaskOutcome::kValue;
    default: return MaskOutcome::kNull;
  }
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_hex(char c) { return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }

// The characters of a number or uuid that carry the value (mantissa digits, hex digits); signs,
// points, dashes and exponents keep their place.
std::size_t value_char_end(TypeClass t, std::string_view in) {
  if (t == TypeClass::kFloat4 || t == TypeClass::kFloat8) {
    const std::size_t e = in.find_first_of("eE");
    return e == std::string_view::npos ? in.size() : e;
  }
  return in.size();
}

bool is_value_char(TypeClass t, char c) { return t == TypeClass::kUuid ? is_hex(c) : is_digit(c); }

// An integer that overflowed its type after digit-wise masking is folded back into range.
void fit_integer(TypeClass t, std::string& s) {
  const bool negative = !s.empty() && s[0] == '-';
  std::uint64_t v = 0;
  const char* first = s.data() + (negative ? 1 : 0);
  const auto r = std::from_chars(first, s.data() + s.size(), v);
  if (r.ec != std::errc()) v = std::numeric_limits<std::uint64_t>::max();
  const std::uint64_t limit = integer_limit(t);
  if (r.ec == std::errc() && v <= limit) return;
  s = fmt::format("{}{}", negative && t != TypeClass::kOid ? "-" : "", v % (limit + 1));
}

MaskOutcome partial_typed(const PartialMask& m, const ValueType& type, std::string_view in, std::string& out) {
  const TypeClass t = type.cls();
  if (!is_number(t) && t != TypeClass::kUuid) return MaskOutcome::kNull;
  const std::size_t end = value_char_end(t, in);
  std::size_t total = 0;
  for (std::size_t i = 0; i < end; ++i) total += is_value_char(t, in[i]) ? 1 : 0;
  const char fill = m.fill.size() == 1 && is_value_char(t, m.fill[0]) ? m.fill[0] : '0';
  const bool hide_all = total <= std::size_t{m.keep_first} + m.keep_last;
  std::string s(in);
  for (std::size_t i = 0, k = 0; i < end; ++i) {
    if (!is_value_char(t, s[i])) continue;
    if (hide_all || (k >= m.keep_first && k < total - m.keep_last)) s[i] = fill;
    ++k;
  }
  if (is_integer(t)) fit_integer(t, s);
  out.append(s);
  return MaskOutcome::kValue;
}

MaskOutcome tokenize_typed(const MaskKey& key, const ValueType& type, std::string_view in, std::string& out) {
  const TypeClass t = type.cls();
  if (!is_number(t) && t != TypeClass::kUuid) return pseudonym(key, type, in, out);
  std::string stream;
  key.stream("tokenize", in, in.size(), stream);
  const std::size_t end = value_char_end(t, in);
  std::string s(in);
  bool leading = true;  // keep a number's first digit non-zero so its length is kept
  for (std::size_t i = 0; i < end; ++i) {
    const auto shift = static_cast<unsigned char>(stream[i]);
    const char c = s[i];
    if (t == TypeClass::kUuid) {
      if (!is_hex(c)) continue;
      s[i] = "0123456789abcdef"[shift % 16];
    } else if (is_digit(c)) {
      const bool nonzero_lead = leading && c != '0' && i + 1 < end && is_digit(s[i + 1]);
      s[i] = nonzero_lead ? static_cast<char>('1' + shift % 9) : static_cast<char>('0' + (c - '0' + shift) % 10);
      leading = false;
    } else if (c == '.') {
      leading = false;
    }
  }
  if (is_integer(t)) fit_integer(t, s);
  out.append(s);
  return MaskOutcome::kValue;
}

MaskOutcome generalize_typed(const GeneralizeMask& m, const ValueType& type, std::string_view in, std::string& out) {
  const TypeClass t = type.cls();
  if (is_number(t)) {
    std::string text;
    mask_string(Mask{m}, MaskKey{}, in, text);  // "100-199"
    const std::size_t dash = text.find('-', 1);
    if (dash == std::string::npos || !is_digit(text.back())) return MaskOutcome::kNull;
    text.resize(dash);  // the lower bound is a value of the type
    if (is_integer(t)) fit_integer(t, text);
    out.append(text);
    return MaskOutcome::kValue;
  }
  if (!is_datetime(t)) return MaskOutcome::kNull;
  const auto d = parse_iso_date(in);
  if (!d) return MaskOutcome::kNull;  // not DateStyle ISO: do not guess
  const CivilDate first{d->date.year, m.date == GeneralizeMask::Date::kMonth ? d->date.month : 1, 1};
  append_date(out, first);
  std::string_view rest = in.substr(d->consumed);
  if (t != TypeClass::kDate) {
    out.append(" 00:00:00");
    if (!rest.empty() && rest[0] == ' ') rest.remove_prefix(1);
    if (auto time = parse_iso_time(rest)) rest.remove_prefix(time->consumed);
    if (t == TypeClass::kTimestamptz) {
      if (auto off = parse_utc_offset(rest)) out.append(rest.substr(0, off->consumed));
    }
  }
  if (in.ends_with(" BC")) out.append(" BC");
  return MaskOutcome::kValue;
}

}  // namespace

bool valid_text_form(const ValueType& type, std::string_view s) {
  const TypeClass t = type.cls();
  if (is_text_like(t)) return true;
  if (is_integer(t)) {
    std::int64_t v = 0;
    const auto r = std::from_chars(s.data(), s.data() + s.size(), v);
    const auto limit = static_cast<std::int64_t>(integer_limit(t) == 4294967295u ? 4294967295 : integer_limit(t));
    return r.ec == std::errc() && r.ptr == s.data() + s.size() && v <= limit &&
           (t == TypeClass::kOid ? v >= 0 : v >= -limit - 1);
  }
  switch (t) {
    case TypeClass::kNumeric:
    case TypeClass::kFloat4:
    case TypeClass::kFloat8: {
      if (s == "NaN" || (t != TypeClass::kNumeric && (s == "Infinity" || s == "-Infinity"))) return true;
      double d = 0;
      const auto r = std::from_chars(s.data(), s.data() + s.size(), d);
      return r.ec == std::errc() && r.ptr == s.data() + s.size() && std::isfinite(d);
    }
    case TypeClass::kBool:
      return s == "t" || s == "f" || s == "true" || s == "false";
    case TypeClass::kDate: {
      auto d = parse_iso_date(s);
      return d && d->consumed == s.size();
    }
    case TypeClass::kTimestamp:
    case TypeClass::kTimestamptz: {
      auto d = parse_iso_date(s);
      if (!d || d->consumed >= s.size() || s[d->consumed] != ' ') return false;
      auto time = parse_iso_time(s.substr(d->consumed + 1));
      if (!time) return false;
      std::string_view rest = s.substr(d->consumed + 1 + time->consumed);
      if (t == TypeClass::kTimestamptz) {
        auto off = parse_utc_offset(rest);
        if (!off) return false;
        rest.remove_prefix(off->consumed);
      }
      return rest.empty();
    }
    case TypeClass::kTime: {
      auto time = parse_iso_time(s);
      return time && time->consumed == s.size();
    }
    case TypeClass::kUuid: {
      std::size_t hex = 0;
      for (char c : s) {
        if (is_hex(c)) ++hex;
        else if (c != '-') return false;
      }
      return hex == 32 && s.size() == 36 && s[8] == '-' && s[13] == '-' && s[18] == '-' && s[23] == '-';
    }
    case TypeClass::kInet:
    case TypeClass::kCidr: {
      std::string addr(s.substr(0, s.find('/')));
      unsigned char buf[16];
      return inet_pton(AF_INET, addr.c_str(), buf) == 1 || inet_pton(AF_INET6, addr.c_str(), buf) == 1;
    }
    default: return false;
  }
}

MaskOutcome mask_typed(const Mask& mask, const MaskKey& key, const ValueType& type, std::string_view in,
                       std::string& out) {
  if (auto* m = std::get_if<PartialMask>(&mask.spec)) return partial_typed(*m, type, in, out);
  if (std::holds_alternative<HashMask>(mask.spec)) return pseudonym(key, type, in, out);
  if (std::holds_alternative<TokenizeMask>(mask.spec)) return tokenize_typed(key, type, in, out);
  if (auto* m = std::get_if<GeneralizeMask>(&mask.spec)) return generalize_typed(*m, type, in, out);
  if (auto* m = std::get_if<ReplaceMask>(&mask.spec)) {
    std::string s(in);
    RE2::GlobalReplace(&s, *m->pattern, m->replacement);
    if (!valid_text_form(type, s)) return MaskOutcome::kNull;
    out.append(s);
    return MaskOutcome::kValue;
  }
  // redact, email and null have no same-type value that hides the data: NULL.
  return MaskOutcome::kNull;
}

}  // namespace masking
