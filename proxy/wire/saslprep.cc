// SASLprep (RFC 4013, a stringprep profile of RFC 3454) as PostgreSQL's src/common/saslprep.c
// applies it to SCRAM passwords. Matching PostgreSQL matters more than matching the RFC: the
// stored verifier and every libpq client derive their keys from *PostgreSQL's* result. So:
//  - pure ASCII input is returned unchanged (even control characters), like pg_saslprep();
//  - the prohibited/unassigned/bidi checks look at the mapped string *before* normalization,
//    exactly where PostgreSQL checks them;
//  - on invalid UTF-8 or a prohibited result the raw password is used, as both libpq
//    (fe-auth-scram.c) and the backend (pg_be_scram_build_secret) do.
// NFKC uses Unicode 14.0.0 tables, the version PostgreSQL 15 ships (saslprep_tables.inc).
#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>

#include "proxy/wire/scram.h"
#include "proxy/wire/scram_common.h"

namespace pgwire::scram {
namespace detail {
namespace {

struct CodeRange {
  char32_t first, last;
};
struct ClassRange {
  char32_t first, last;
  std::uint8_t ccc;
};
struct Decomposition {
  char32_t code;
  std::uint16_t offset;
  std::uint8_t length;
};
struct Composition {
  char32_t first, second, composite;
};

#include "proxy/wire/saslprep_tables.inc"

template <std::size_t N>
bool in_table(char32_t c, const CodeRange (&table)[N]) {
  auto it = std::lower_bound(std::begin(table), std::end(table), c,
                             [](const CodeRange& r, char32_t v) { return r.last < v; });
  return it != std::end(table) && it->first <= c;
}

std::uint8_t combining_class(char32_t c) {
  auto it = std::lower_bound(std::begin(kCombiningClass), std::end(kCombiningClass), c,
                             [](const ClassRange& r, char32_t v) { return r.last < v; });
  return it != std::end(kCombiningClass) && it->first <= c ? it->ccc : 0;
}

// Hangul syllables are decomposed and composed arithmetically (Unicode 14.0, section 3.12).
constexpr char32_t kSBase = 0xAC00, kLBase = 0x1100, kVBase = 0x1161, kTBase = 0x11A7;
constexpr char32_t kLCount = 19, kVCount = 21, kTCount = 28, kNCount = kVCount * kTCount,
                   kSCount = kLCount * kNCount;

void decompose_into(char32_t c, std::u32string& out) {
  if (c >= kSBase && c < kSBase + kSCount) {
    const char32_t s = c - kSBase;
    out += kLBase + s / kNCount;
    out += kVBase + (s % kNCount) / kTCount;
    if (s % kTCount != 0) out += kTBase + s % kTCount;
    return;
  }
  auto it = std::lower_bound(std::begin(kDecompositions), std::end(kDecompositions), c,
                             [](const Decomposition& d, char32_t v) { return d.code < v; });
  if (it == std::end(kDecompositions) || it->code != c) {
    out += c;
    return;
  }
  out.append(kDecompositionPool + it->offset, it->length);
}

std::optional<char32_t> compose_pair(char32_t first, char32_t second) {
  if (first >= kLBase && first < kLBase + kLCount && second >= kVBase && second < kVBase + kVCount) {
    return kSBase + ((first - kLBase) * kVCount + (second - kVBase)) * kTCount;
  }
  if (first >= kSBase && first < kSBase + kSCount && (first - kSBase) % kTCount == 0 &&
      second > kTBase && second < kTBase + kTCount) {
    return first + (second - kTBase);
  }
  auto it = std::lower_bound(std::begin(kCompositions), std::end(kCompositions), std::pair{first, second},
                             [](const Composition& c, std::pair<char32_t, char32_t> v) {
                               return c.first < v.first || (c.first == v.first && c.second < v.second);
                             });
  if (it != std::end(kCompositions) && it->first == first && it->second == second) return it->composite;
  return std::nullopt;
}

// NFKC = compatibility decomposition, canonical ordering, canonical composition (UAX #15).
std::u32string nfkc(const std::u32string& input) {
  std::u32string d;
  d.reserve(input.size() * 2);
  for (const char32_t c : input) decompose_into(c, d);

  // Canonical ordering: a stable sort of each run of non-starters by combining class.
  for (std::size_t i = 1; i < d.size(); ++i) {
    const std::uint8_t cc = combining_class(d[i]);
    if (cc == 0) continue;
    for (std::size_t j = i; j > 0 && combining_class(d[j - 1]) > cc; --j) std::swap(d[j - 1], d[j]);
  }

  // Canonical composition. A character combines with the last starter unless blocked by an
  // intervening character of the same or higher class (or any starter). No primary composite
  // starts with a non-starter (checked by the generator), so d[0] can serve as the first starter
  // just as in PostgreSQL's unicode_normalize().
  if (d.empty()) return d;
  std::size_t starter = 0, target = 1;
  int last_class = -1;  // class of the last character kept after the starter; -1: none
  for (std::size_t i = 1; i < d.size(); ++i) {
    const char32_t c = d[i];
    const int cc = combining_class(c);
    if (last_class < cc) {
      if (auto composite = compose_pair(d[starter], c)) {
        d[starter] = *composite;
        continue;
      }
    }
    if (cc == 0) {
      starter = target;
      last_class = -1;
    } else {
      last_class = cc;
    }
    d[target++] = c;
  }
  d.resize(target);
  return d;
}

// Strict UTF-8 (no overlong forms, no surrogates, nothing above U+10FFFF), as pg_utf8_islegal().
std::optional<std::u32string> decode_utf8(std::string_view s) {
  std::u32string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size();) {
    const auto b0 = static_cast<unsigned char>(s[i]);
    std::size_t len = 0;
    char32_t c = 0;
    unsigned char lo = 0x80, hi = 0xBF;  // allowed range of the second byte
    if (b0 < 0x80) {
      len = 1, c = b0;
    } else if (b0 >= 0xC2 && b0 <= 0xDF) {
      len = 2, c = b0 & 0x1F;
    } else if (b0 >= 0xE0 && b0 <= 0xEF) {
      len = 3, c = b0 & 0x0F;
      if (b0 == 0xE0) lo = 0xA0;
      if (b0 == 0xED) hi = 0x9F;
    } else if (b0 >= 0xF0 && b0 <= 0xF4) {
      len = 4, c = b0 & 0x07;
      if (b0 == 0xF0) lo = 0x90;
      if (b0 == 0xF4) hi = 0x8F;
    } else {
      return std::nullopt;
    }
    if (s.size() - i < len) return std::nullopt;
    for (std::size_t k = 1; k < len; ++k) {
      const auto b = static_cast<unsigned char>(s[i + k]);
      if (k == 1 ? (b < lo || b > hi) : (b < 0x80 || b > 0xBF)) return std::nullopt;
      c = (c << 6) | (b & 0x3F);
    }
    out += c;
    i += len;
  }
  return out;
}

void encode_utf8(char32_t c, std::string& out) {
  if (c < 0x80) {
    out += static_cast<char>(c);
  } else if (c < 0x800) {
    out += static_cast<char>(0xC0 | (c >> 6));
    out += static_cast<char>(0x80 | (c & 0x3F));
  } else if (c < 0x10000) {
    out += static_cast<char>(0xE0 | (c >> 12));
    out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (c & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (c >> 18));
    out += static_cast<char>(0x80 | ((c >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (c & 0x3F));
  }
}

void wipe(std::u32string& s) {
  s.resize(s.capacity());  // also the tail left behind by earlier shrinking
  cleanse(s.data(), s.size() * sizeof(char32_t));
  s.clear();
}

// RFC 4013 sections 2.1 - 2.5 on a decoded password; nullopt when the result is prohibited.
std::optional<std::u32string> prepare(std::u32string& chars) {
  // 2.1 Mapping: non-ASCII spaces become U+0020, "commonly mapped to nothing" disappear.
  std::size_t n = 0;
  for (const char32_t c : chars) {
    if (in_table(c, kNonAsciiSpace)) {
      chars[n++] = U' ';
    } else if (!in_table(c, kMappedToNothing)) {
      chars[n++] = c;
    }
  }
  chars.resize(n);
  if (chars.empty()) return std::nullopt;  // PostgreSQL refuses to prepare to an empty password
  // 2.3 Prohibited output and 2.5 unassigned code points.
  for (const char32_t c : chars) {
    if (in_table(c, kProhibited) || in_table(c, kUnassigned)) return std::nullopt;
  }
  // 2.4 Bidi (RFC 3454 section 6): with any RandALCat, no LCat, and RandALCat at both ends.
  const bool has_rtl = std::any_of(chars.begin(), chars.end(), [](char32_t c) { return in_table(c, kRandALCat); });
  if (has_rtl) {
    if (std::any_of(chars.begin(), chars.end(), [](char32_t c) { return in_table(c, kLCat); }) ||
        !in_table(chars.front(), kRandALCat) || !in_table(chars.back(), kRandALCat)) {
      return std::nullopt;
    }
  }
  // 2.2 Normalization (form KC).
  return nfkc(chars);
}

}  // namespace
}  // namespace detail

std::string saslprep(std::string_view password) {
  if (std::all_of(password.begin(), password.end(), [](char c) { return static_cast<unsigned char>(c) < 0x80; })) {
    return std::string(password);
  }
  auto chars = detail::decode_utf8(password);
  if (!chars) return std::string(password);
  auto prepared = detail::prepare(*chars);
  detail::wipe(*chars);
  if (!prepared) return std::string(password);
  std::string out;
  out.reserve(prepared->size() * 3);
  for (const char32_t c : *prepared) detail::encode_utf8(c, out);
  detail::wipe(*prepared);
  return out;
}

}  // namespace pgwire::scram
