// UTF-8 helpers for masks that count characters: a mask must never cut a multi-byte sequence in
// half (the client would reject the row with "invalid byte sequence"). Invalid bytes count as one
// character each, so malformed input still masks deterministically instead of failing.
#pragma once

#include <cstddef>
#include <string_view>

namespace masking::utf8 {

// Length in bytes of the sequence starting at s[i] (1 for invalid or truncated sequences).
inline std::size_t sequence_length(std::string_view s, std::size_t i) {
  const auto c = static_cast<unsigned char>(s[i]);
  std::size_t n = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 1;
  if (i + n > s.size()) return 1;
  for (std::size_t k = 1; k < n; ++k)
    if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return 1;
  return n;
}

// Whether every byte is ASCII: then characters and bytes are the same.
inline bool is_ascii(std::string_view s) {
  unsigned char any = 0;
  for (char c : s) any |= static_cast<unsigned char>(c);
  return any < 0x80;
}

inline std::size_t count(std::string_view s) {
  std::size_t n = 0;
  for (std::size_t i = 0; i < s.size(); i += sequence_length(s, i)) ++n;
  return n;
}

// Byte offset of the code point with index `cp` (s.size() when past the end).
inline std::size_t offset_of(std::string_view s, std::size_t cp) {
  std::size_t i = 0;
  for (; i < s.size() && cp > 0; --cp) i += sequence_length(s, i);
  return i;
}

}  // namespace masking::utf8
