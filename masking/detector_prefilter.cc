#include "masking/detector_prefilter.h"

#include <array>
#include <cstddef>

namespace masking {
namespace {

// Byte classes, looked up once per byte.
enum : std::uint8_t {
  kDigit = 1,
  kPhoneChar = 2,  // [0-9 .()+-]: what a phone candidate is made of (digits included)
  kWord = 4,       // [0-9A-Za-z_]: RE2's ASCII \w, for \b
  kLetter = 8,     // [A-Za-z]
  kOther = 16,     // '@', ':' or a non-ASCII byte: checked one by one
};

constexpr std::array<std::uint8_t, 256> kClasses = [] {
  std::array<std::uint8_t, 256> t{};
  for (int c = '0'; c <= '9'; ++c) t[c] = kDigit | kPhoneChar | kWord;
  for (int c = 'a'; c <= 'z'; ++c) t[c] = kWord | kLetter;
  for (int c = 'A'; c <= 'Z'; ++c) t[c] = kWord | kLetter;
  t['_'] = kWord;
  for (char c : {' ', '.', '(', ')', '+', '-'}) t[static_cast<unsigned char>(c)] = kPhoneChar;
  t['@'] = t[':'] = kOther;
  for (int c = 0x80; c < 0x100; ++c) t[c] = kOther;
  return t;
}();

std::uint8_t cls(std::string_view s, std::size_t i) { return kClasses[static_cast<unsigned char>(s[i])]; }

// How a digit group is joined to the previous one: by exactly one character between them.
enum class Join : std::uint8_t { kNone, kDashOrSpace, kDot };

Join join_before(std::string_view s, std::size_t start) {
  if (start < 2 || !(cls(s, start - 2) & kDigit)) return Join::kNone;
  const char sep = s[start - 1];
  if (sep == ' ' || sep == '-') return Join::kDashOrSpace;
  return sep == '.' ? Join::kDot : Join::kNone;
}

}  // namespace

std::uint32_t possible_detectors(std::string_view s) {
  std::uint32_t possible = 0;
  std::size_t colons = 0;
  // Digit groups (maximal runs of digits) and the chains they form.
  std::size_t card_chain = 0;               // digits of groups chained by single ' '/'-'
  std::size_t prev_len = 0, prev2_len = 0;  // the last two groups of that chain (0: none)
  std::size_t ip_chain = 0;                 // groups chained by single '.'
  // The current run of phone characters (reset by any other byte).
  std::size_t run_digits = 0, run_groups = 0, run_longest = 0;
  bool run_plus = false;  // a '+' or '(' in the run

  // Prose without a digit, '@' or ':' (the common free-text value) needs no more than this loop.
  const std::size_t n = s.size();
  std::size_t i = 0;
  while (i < n && !(cls(s, i) & (kDigit | kOther))) ++i;
  if (i == n) return 0;
  if (!(cls(s, i) & kDigit) && s[i] != '@' && s[i] != ':') {
    // A non-ASCII byte first: only the IBAN condition cares, and it needs digits too.
    while (i < n && !(cls(s, i) & kDigit) && s[i] != '@' && s[i] != ':') ++i;
    if (i == n) return 0;
    possible |= detector_bit(DetectorKind::kIban);
  }
  while (i > 0 && (cls(s, i - 1) & kPhoneChar)) --i;  // the phone run around it starts here
  while (i < n) {
    const std::uint8_t c = cls(s, i);
    if (c & kPhoneChar && !(c & kDigit)) {
      if (s[i] == '+' || s[i] == '(') run_plus = true;
      ++i;
      continue;
    }
    if (!(c & kDigit)) {
      run_digits = run_groups = run_longest = 0, run_plus = false;
      if (c & kOther) {
        if (s[i] == '@') possible |= detector_bit(DetectorKind::kEmail);
        else if (s[i] == ':' && ++colons >= 2) possible |= detector_bit(DetectorKind::kIpAddress);
        else if (s[i] != ':') possible |= detector_bit(DetectorKind::kIban);  // non-ASCII: see the header
        ++i;
        continue;
      }
      // Letters and punctuation: nothing to track until the next digit, phone character or '@'.
      do ++i;
      while (i < n && !(cls(s, i) & (kDigit | kPhoneChar | kOther)));
      continue;
    }
    // A digit group s[start, i).
    const std::size_t start = i;
    while (i < n && (cls(s, i) & kDigit)) ++i;
    const std::size_t len = i - start;
    // \b[a-z]{2}\d{2}: two letters at a word start right before this group of 2+ digits.
    if (len >= 2 && start >= 2 && (cls(s, start - 1) & kLetter) && (cls(s, start - 2) & kLetter) &&
        (start == 2 || !(cls(s, start - 3) & kWord)))
      possible |= detector_bit(DetectorKind::kIban);
    // Inside a word ("tracking 3f9a81c2..."): with a letter on both sides a group joins nothing,
    // and the letters reset the phone run, so only a group long enough on its own can matter.
    if (len < 10 && start > 0 && i < n && (cls(s, start - 1) & kLetter) && (cls(s, i) & kLetter)) continue;
    const Join join = join_before(s, start);

    card_chain = join == Join::kDashOrSpace ? card_chain + len : len;
    if (card_chain >= 13) possible |= detector_bit(DetectorKind::kPaymentCard);
    if (join == Join::kDashOrSpace) {
      if (prev2_len >= 3 && prev_len == 2 && len >= 4) possible |= detector_bit(DetectorKind::kNationalId);
      prev2_len = prev_len;
    } else {
      prev2_len = 0;
    }
    prev_len = len;

    ip_chain = join == Join::kDot ? ip_chain + 1 : 1;
    if (ip_chain >= 4) possible |= detector_bit(DetectorKind::kIpAddress);

    run_digits += len;
    ++run_groups;
    if (len > run_longest) run_longest = len;
    if (run_digits >= 7 && (run_plus || run_groups >= 2 || run_longest >= 10))
      possible |= detector_bit(DetectorKind::kPhone);
  }
  return possible;
}

}  // namespace masking
