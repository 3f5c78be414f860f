#include "masking/detector_prefilter.h"

#include <array>
#include <cstddef>

namespace masking {
namespace {

// Byte classes, looked up once per byte.
enum : std::uint8_t {
  kDigit = 1,
  kLetter = 2,     // [A-Za-z]
  kUnderscore = 4,
  kWord = kDigit | kLetter | kUnderscore,  // RE2's ASCII \w, for \b
  kPhoneSep = 8,   // [ .()+-]: what joins the digit groups of a phone, card, id or address
  kOther = 16,     // '@', ':' or a non-ASCII byte: checked one by one
};

constexpr std::array<std::uint8_t, 256> kClasses = [] {
  std::array<std::uint8_t, 256> t{};
  for (int c = '0'; c <= '9'; ++c) t[c] = kDigit;
  for (int c = 'a'; c <= 'z'; ++c) t[c] = kLetter;
  for (int c = 'A'; c <= 'Z'; ++c) t[c] = kLetter;
  t['_'] = kUnderscore;
  for (char c : {' ', '.', '(', ')', '+', '-'}) t[static_cast<unsigned char>(c)] = kPhoneSep;
  t['@'] = t[':'] = kOther;
  for (int c = 0x80; c < 0x100; ++c) t[c] = kOther;
  return t;
}();

std::uint8_t cls(char c) { return kClasses[static_cast<unsigned char>(c)]; }

}  // namespace

// One pass over the value's words (maximal runs of \w) and the bytes between them.
//
// Why a digit group inside a word is skipped whole: every candidate of the card, phone,
// national_id and IPv4 patterns is made of digits and [ .()+-] only, starts with a digit that
// follows a non-word byte (\b\d, or \+\d, \(\d) and ends with a digit before a non-word byte
// (\d\b). A group that touches a letter or '_' on either side can therefore be no part of one:
// it can neither start or end a candidate nor lie inside one (the letter would be inside too).
// RE2 evaluates \b against the whole text even when a search starts mid-value (scan_entry), so
// this holds for every candidate the detectors try. Such a word only matters to the IBAN pattern
// (\b[a-z]{2}\d{2}: two letters, then two digits, at the word's start).
std::uint32_t possible_detectors(std::string_view s) {
  std::uint32_t possible = 0;
  bool digits = false;
  std::size_t colons = 0;
  // Digit words ("groups") and the chains they form, joined by exactly one separator.
  constexpr std::size_t kNoGroup = static_cast<std::size_t>(-1);
  std::size_t group_end = kNoGroup;         // one past the last group
  std::size_t card_chain = 0;               // digits of groups chained by single ' '/'-'
  std::size_t prev_len = 0, prev2_len = 0;  // the last two groups of that chain (0: none)
  std::size_t ip_chain = 0;                 // groups chained by single '.'
  // The current run of groups and separators (reset by any other byte or word).
  std::size_t run_digits = 0, run_groups = 0, run_longest = 0;
  bool run_plus = false;  // a '+' or '(' in the run
  const auto end_run = [&] { run_digits = run_groups = run_longest = 0, run_plus = false; };

  const std::size_t n = s.size();
  std::size_t i = 0;
  while (i < n) {
    std::uint8_t c = cls(s[i]);
    if (c & kWord) {
      // A whole word at once: only its start and whether it holds anything but digits matter.
      const std::size_t start = i;
      std::uint8_t seen = 0;
      do {
        seen |= c;
        ++i;
      } while (i < n && ((c = cls(s[i])) & kWord));
      const std::size_t len = i - start;
      if (seen & kDigit) digits = true;
      if (seen != kDigit) {
        if (len >= 4 && (cls(s[start]) & kLetter) && (cls(s[start + 1]) & kLetter) && (cls(s[start + 2]) & kDigit) &&
            (cls(s[start + 3]) & kDigit))
          possible |= detector_bit(DetectorKind::kIban);
        end_run();
        continue;
      }
      // A digit group s[start, i) with a non-word byte (or the value's end) on both sides.
      const bool joined = group_end != kNoGroup && group_end + 1 == start;
      const char sep = joined ? s[start - 1] : '\0';
      const bool dash_or_space = sep == ' ' || sep == '-';
      card_chain = dash_or_space ? card_chain + len : len;
      if (card_chain >= 13) possible |= detector_bit(DetectorKind::kPaymentCard);
      if (dash_or_space) {
        if (prev2_len >= 3 && prev_len == 2 && len >= 4) possible |= detector_bit(DetectorKind::kNationalId);
        prev2_len = prev_len;
      } else {
        prev2_len = 0;
      }
      prev_len = len;
      ip_chain = sep == '.' ? ip_chain + 1 : 1;
      if (ip_chain >= 4) possible |= detector_bit(DetectorKind::kIpAddress);
      group_end = i;

      run_digits += len;
      ++run_groups;
      if (len > run_longest) run_longest = len;
      if (run_digits >= 7 && (run_plus || run_groups >= 2 || run_longest >= 10))
        possible |= detector_bit(DetectorKind::kPhone);
      continue;
    }
    if (c & kPhoneSep) {
      if (s[i] == '+' || s[i] == '(') run_plus = true;
    } else {
      end_run();
      if (s[i] == '@') possible |= detector_bit(DetectorKind::kEmail);
      else if (s[i] == ':' && ++colons >= 2) possible |= detector_bit(DetectorKind::kIpAddress);
      else if (c & kOther && s[i] != ':') possible |= detector_bit(DetectorKind::kIban);  // non-ASCII: see the header
    }
    ++i;
  }
  // Every IBAN has digits; a non-ASCII letter alone does not make one.
  if (!digits) possible &= ~detector_bit(DetectorKind::kIban);
  return possible;
}

}  // namespace masking
