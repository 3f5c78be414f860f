#include "masking/detector_prefilter.h"

#include <array>
#include <bit>
#include <cstddef>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

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

// The end of the word (maximal run of \w) that starts at s[i], and the union of its byte
// classes (kDigit, kLetter, kUnderscore). Words end at unpredictable places, so a byte-by-byte
// loop mispredicts once per word; with SSE2, 16 bytes are classified at once and the end is found
// with one bit scan. The tail (fewer than 16 bytes left) goes byte by byte.
std::size_t word_end(std::string_view s, std::size_t i, std::uint8_t& seen) {
  const std::size_t n = s.size();
#if defined(__SSE2__)
  while (i + 16 <= n) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(s.data() + i));
    // Signed compares: bytes >= 0x80 are negative, so they are neither digits nor letters.
    const __m128i digit = _mm_and_si128(_mm_cmpgt_epi8(v, _mm_set1_epi8('0' - 1)), _mm_cmplt_epi8(v, _mm_set1_epi8('9' + 1)));
    const __m128i lower = _mm_or_si128(v, _mm_set1_epi8(0x20));  // 'A'..'Z' -> 'a'..'z'
    const __m128i letter = _mm_and_si128(_mm_cmpgt_epi8(lower, _mm_set1_epi8('a' - 1)), _mm_cmplt_epi8(lower, _mm_set1_epi8('z' + 1)));
    const __m128i underscore = _mm_cmpeq_epi8(v, _mm_set1_epi8('_'));
    const unsigned digits = static_cast<unsigned>(_mm_movemask_epi8(digit));
    const unsigned letters = static_cast<unsigned>(_mm_movemask_epi8(letter));
    const unsigned underscores = static_cast<unsigned>(_mm_movemask_epi8(underscore));
    const unsigned word = digits | letters | underscores;
    const unsigned len = static_cast<unsigned>(std::countr_one(word));  // 16 if all are word bytes
    const unsigned in_word = len >= 16 ? 0xFFFFu : (1u << len) - 1;
    if (digits & in_word) seen |= kDigit;
    if (letters & in_word) seen |= kLetter;
    if (underscores & in_word) seen |= kUnderscore;
    i += len;
    if (len < 16) return i;
  }
#endif
  while (i < n) {
    const std::uint8_t c = cls(s[i]);
    if (!(c & kWord)) break;
    seen |= c;
    ++i;
  }
  return i;
}

bool alnum(char c) { return (cls(c) & (kDigit | kLetter)) != 0; }

// ISO 13616 mod 97, one character further: digits count as one digit, letters as two (A = 10).
unsigned mod97_step(unsigned r, char c) {
  if (cls(c) & kDigit) return (r * 10 + static_cast<unsigned>(c - '0')) % 97;
  return (r * 100 + static_cast<unsigned>((c | 0x20) - 'a' + 10)) % 97;
}

// Whether an IBAN can start at s[start], where a word begins with two letters and two digits.
// The IBAN pattern matches words of ASCII letters and digits joined by single spaces, ending at a
// word end; iban_valid, run on that match and (shrinking) on each shorter run of its words, wants
// 15 to 34 characters whose mod 97 is 1 once the first four are moved to the end. So every run of
// words that could be found is checked here the same way, each costing one step per character:
// a hex id that starts like an IBAN ("ab12f0...") passes this with odds 1 in 97, not always.
// Out of line: it runs for few words, and inlined it would cost the word loop registers.
[[gnu::noinline]] bool iban_possible(std::string_view s, std::size_t start) {
  const std::size_t n = s.size();
  std::size_t i = start, count = 0;
  unsigned rest = 0;  // mod 97 of the characters after the first four
  for (;;) {
    for (; i < n && alnum(s[i]); ++i) {
      if (++count > 34) return false;  // longer than any IBAN: so are all longer runs
      if (count > 4) rest = mod97_step(rest, s[i]);
    }
    if (i < n && (cls(s[i]) & kWord)) return false;  // '_': no word end here, and no run past it
    if (count >= 15) {
      unsigned r = rest;
      for (std::size_t k = start; k < start + 4; ++k) r = mod97_step(r, s[k]);
      if (r == 1) return true;
    }
    if (!(i + 1 < n && s[i] == ' ' && alnum(s[i + 1]))) return false;
    ++i;
  }
}

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
      i = word_end(s, i, seen);
      const std::size_t len = i - start;
      if (seen & kDigit) digits = true;
      if (seen != kDigit) {
        if (len >= 4 && (cls(s[start]) & kLetter) && (cls(s[start + 1]) & kLetter) && (cls(s[start + 2]) & kDigit) &&
            (cls(s[start + 3]) & kDigit) && iban_possible(s, start))
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
