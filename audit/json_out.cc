#include "audit/json_out.h"

namespace audit::json_out {
namespace {

constexpr std::string_view kReplacement = "\xEF\xBF\xBD";

// How many continuation bytes a lead byte takes (0 for an invalid lead) and the range its first
// continuation byte must fall in: the ranges exclude overlong forms, surrogates and code points
// past U+10FFFF (Unicode 15, table 3-7), as nlohmann's (Hoehrmann's) decoder does.
struct Lead {
  int continuations = 0;
  unsigned char low = 0x80, high = 0xBF;
};

Lead lead(unsigned char b) {
  if (b >= 0xC2 && b <= 0xDF) return {1};
  if (b == 0xE0) return {2, 0xA0, 0xBF};
  if (b == 0xED) return {2, 0x80, 0x9F};
  if (b >= 0xE1 && b <= 0xEF) return {2};
  if (b == 0xF0) return {3, 0x90, 0xBF};
  if (b >= 0xF1 && b <= 0xF3) return {3};
  if (b == 0xF4) return {3, 0x80, 0x8F};
  return {};
}

}  // namespace

void string(std::string& out, std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  out += '"';
  const auto* s = reinterpret_cast<const unsigned char*>(text.data());
  const std::size_t n = text.size();
  std::size_t i = 0;
  while (i < n) {
    // Runs of plain ASCII are copied in one append.
    std::size_t run = i;
    while (run < n && s[run] >= 0x20 && s[run] < 0x80 && s[run] != '"' && s[run] != '\\') ++run;
    if (run > i) {
      out.append(text.data() + i, run - i);
      i = run;
      if (i == n) break;
    }
    const unsigned char b = s[i];
    if (b < 0x80) {
      switch (b) {
        case '"': out += "\\\""; break;
        case '\\': out += "\\\\"; break;
        case '\b': out += "\\b"; break;
        case '\f': out += "\\f"; break;
        case '\n': out += "\\n"; break;
        case '\r': out += "\\r"; break;
        case '\t': out += "\\t"; break;
        default:
          out += "\\u00";
          out += kHex[b >> 4];
          out += kHex[b & 15];
      }
      ++i;
      continue;
    }
    const Lead l = lead(b);
    if (l.continuations == 0) {
      out += kReplacement;
      ++i;
      continue;
    }
    int k = 1;
    for (; k <= l.continuations; ++k) {
      if (i + k >= n) break;
      const unsigned char c = s[i + k];
      const unsigned char low = k == 1 ? l.low : 0x80, high = k == 1 ? l.high : 0xBF;
      if (c < low || c > high) break;
    }
    if (k > l.continuations) {
      out.append(text.data() + i, static_cast<std::size_t>(k));
      i += static_cast<std::size_t>(k);
    } else {
      // The bytes so far are a maximal invalid subpart: one replacement, then the byte that broke
      // the sequence (if any) starts over.
      out += kReplacement;
      i += static_cast<std::size_t>(k);
    }
  }
  out += '"';
}

}  // namespace audit::json_out
