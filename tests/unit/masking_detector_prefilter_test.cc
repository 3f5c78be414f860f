// The detector prefilter (detector_prefilter.h) may only skip what cannot match: values that
// just match must still be found, and on random text shaped like the near misses, no kind the
// prefilter rules out may be found by the regexes and checks themselves.
#include "masking/detector_prefilter.h"

#include <random>

#include "masking_test_support.h"

using namespace masking;

namespace {

constexpr DetectorKind kKinds[] = {DetectorKind::kEmail, DetectorKind::kPaymentCard, DetectorKind::kIban,
                                   DetectorKind::kPhone, DetectorKind::kNationalId, DetectorKind::kIpAddress};

// One built-in kind, with the prefilter (alone) or without it (a custom pattern that never
// matches in the texts below turns the prefilter off).
Detectors compile(DetectorKind kind, bool prefilter) {
  std::vector<DetectorSpec> specs{{kind, std::string(to_string(kind)), {}}};
  if (!prefilter) specs.push_back({DetectorKind::kCustom, "never", "\\x01never\\x01"});
  auto d = Detectors::compile(std::move(specs));
  REQUIRE(d.has_value());
  return std::move(*d);
}

std::vector<std::string> spans_of(const Detectors& d, std::string_view text) {
  std::vector<Span> spans;
  d.find(text, spans);
  std::vector<std::string> out;
  for (const Span& s : spans) out.emplace_back(text.substr(s.begin, s.end - s.begin));
  return out;
}

bool possible(std::string_view text, DetectorKind kind) { return (possible_detectors(text) & detector_bit(kind)) != 0; }

// The detectors with the prefilter find exactly what they find without it, and the prefilter
// says "possible" wherever they find something. True when they found a match.
bool compare_with_reference(const Detectors& reference, const Detectors& filtered, const std::string& text,
                            DetectorKind kind) {
  const auto expected = spans_of(reference, text);
  CAPTURE(text, to_string(kind));
  if (!expected.empty()) CHECK(possible(text, kind));
  CHECK(spans_of(filtered, text) == expected);
  return !expected.empty();
}

}  // namespace

TEST_CASE("prefilter: values that only just match are still found", "[masking][detectors][prefilter]") {
  const struct {
    DetectorKind kind;
    const char* text;
    const char* span;
  } cases[] = {
      {DetectorKind::kEmail, "a@b.co", "a@b.co"},
      {DetectorKind::kPaymentCard, "4222222222222", "4222222222222"},  // 13 digits, the shortest card
      {DetectorKind::kPaymentCard, "card 4111-1111-1111-1111.", "4111-1111-1111-1111"},
      {DetectorKind::kPaymentCard, "4111 1111 1111 1111", "4111 1111 1111 1111"},
      {DetectorKind::kIban, "DE89370400440532013000", "DE89370400440532013000"},
      {DetectorKind::kIban, "iban: gb82 west 1234 5698 7654 32", "gb82 west 1234 5698 7654 32"},
      {DetectorKind::kPhone, "0612345678", "0612345678"},          // one group of 10, trunk prefix
      {DetectorKind::kPhone, "call +4930123456", "+4930123456"},   // '+' and 8 digits
      {DetectorKind::kPhone, "(415) 555-2671", "(415) 555-2671"},  // '(' and groups
      {DetectorKind::kPhone, "tel 555-1234 x", "555-1234"},        // two groups, 7 digits
      {DetectorKind::kNationalId, "ssn 123-45-6789", "123-45-6789"},
      {DetectorKind::kNationalId, "123 45 6789", "123 45 6789"},
      {DetectorKind::kIpAddress, "from 10.0.0.1", "10.0.0.1"},
      {DetectorKind::kIpAddress, "fe80::1", "fe80::1"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.text, to_string(c.kind));
    CHECK(possible(c.text, c.kind));
    const auto found = spans_of(compile(c.kind, true), c.text);
    REQUIRE(found.size() == 1);
    CHECK(found[0] == c.span);
  }
}

TEST_CASE("prefilter: one step short of a match is ruled out", "[masking][detectors][prefilter]") {
  CHECK_FALSE(possible("user at example.com", DetectorKind::kEmail));
  CHECK_FALSE(possible("422222222222", DetectorKind::kPaymentCard));         // 12 digits
  CHECK_FALSE(possible("4111--1111-1111-1111", DetectorKind::kPaymentCard));  // two separators
  CHECK_FALSE(possible("xDE89370400440532013000", DetectorKind::kIban));      // not at a word start
  CHECK_FALSE(possible("D889370400440532013000", DetectorKind::kIban));
  CHECK(possible("ÄDE89370400440532013000", DetectorKind::kIban));            // non-ASCII: no shortcut
  CHECK_FALSE(possible("ORD-00001234", DetectorKind::kPhone));                // one group of 8
  CHECK_FALSE(possible("055512345", DetectorKind::kPhone));                   // one group of 9
  CHECK_FALSE(possible("555-123", DetectorKind::kPhone));                     // 6 digits
  CHECK_FALSE(possible("555 x 1234", DetectorKind::kPhone));                  // a letter splits the run
  CHECK_FALSE(possible("123-4-6789", DetectorKind::kNationalId));
  CHECK_FALSE(possible("123-45-678", DetectorKind::kNationalId));
  CHECK_FALSE(possible("12-45-6789", DetectorKind::kNationalId));
  CHECK_FALSE(possible("10.0.0", DetectorKind::kIpAddress));
  CHECK_FALSE(possible("10:30", DetectorKind::kIpAddress));
  CHECK(possible_detectors("delivered on time, tracking 3f9a1c2b") == 0);
  CHECK(possible_detectors("tracking 5d41402abc4b2a76b9719d911017c592") == 0);  // groups inside a word
  // A group that touches a letter can start, end or join no card, phone, id or IPv4 candidate,
  // however long it is (the regexes need \b or '+'/'(' before the first digit, \b after the last).
  CHECK(possible_detectors("tracking 5d4140206123456789c592") == 0);
  CHECK(possible_detectors("ref x4111111111111111 4111111111111111y") == 0);
  CHECK(possible_detectors("order 123456 shipped in 3 parcels, tracking 9e107d9d372bb6826bd81d3542a419d6") == 0);
  CHECK(possible_detectors("ORD-00001234") == 0);
  CHECK(possible("call 0612345678_", DetectorKind::kPhone) == false);
  CHECK(possible("123-45-6789x", DetectorKind::kNationalId) == false);
  CHECK(possible("a10.0.0.1", DetectorKind::kIpAddress) == false);
  CHECK(possible("+4930123456", DetectorKind::kPhone));     // '+' is no word character
  CHECK(possible("(0)30123456", DetectorKind::kPhone));
  CHECK(possible("x 4111-1111-1111-1111 y", DetectorKind::kPaymentCard));
  CHECK(possible("gb82 west 1234 5698 7654 32", DetectorKind::kIban));
  // IBAN-shaped starts whose runs of words all fail the length or mod-97 check.
  CHECK_FALSE(possible("ab12 west 1234 5698 7654 32", DetectorKind::kIban));
  CHECK_FALSE(possible("DE89370400440532013001", DetectorKind::kIban));      // last digit off
  CHECK_FALSE(possible("DE89 3704 0044 05", DetectorKind::kIban));           // 14 characters
  CHECK_FALSE(possible("DE89370400440532013000_", DetectorKind::kIban));     // '_': no word end
  CHECK_FALSE(possible("ref ab12f0c3d4e5b6a7 tracking 9e107d9d372bb6826bd81d3542a419d6", DetectorKind::kIban));
  // Found after words that follow it (the pattern's greedy match shrinks to the valid run) and
  // with one space before a letter group.
  CHECK(possible("DE89 3704 0044 0532 0130 00 1234", DetectorKind::kIban));
  CHECK(possible("DE89370400440532013000 0044", DetectorKind::kIban));
  CHECK(possible("x-de89370400440532013000.", DetectorKind::kIban));
  CHECK(possible("DE89370400440532013000  0044", DetectorKind::kIban));
}

TEST_CASE("prefilter: IBAN runs agree with the detector without the prefilter", "[masking][detectors][prefilter]") {
  // Valid IBANs of every length (check digits computed), split into groups by single or double
  // spaces, edited at random and followed by more groups, '_' or hex words: the length and mod-97
  // condition must never rule out what the pattern and iban_valid find.
  const auto mod97 = [](const std::string& s) {
    unsigned r = 0;
    for (char c : s) r = c >= '0' && c <= '9' ? (r * 10 + (c - '0')) % 97 : (r * 100 + ((c | 0x20) - 'a' + 10)) % 97;
    return r;
  };
  const std::string alnum = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdef";
  const std::string edits = "0123456789 _-aZ";
  const char* tails[] = {"", " ", " 1234", " 12", "_", " 9e107d9d", ".", "  00", " ab12"};
  const char* heads[] = {"", " ", "iban ", "x", "ref ab12cd ", "-"};
  std::mt19937 rng(97);
  const Detectors reference = compile(DetectorKind::kIban, false);
  const Detectors filtered = compile(DetectorKind::kIban, true);
  std::size_t found = 0, checked = 0;
  for (int n = 0; n < 8000; ++n) {
    std::string bban;
    for (std::size_t k = 9 + rng() % 24; k > 0; --k) bban.push_back(alnum[rng() % alnum.size()]);
    const std::string country{static_cast<char>('A' + rng() % 26), static_cast<char>('a' + rng() % 26)};
    const unsigned check = 98 - mod97(bban + country + "00");
    std::string iban = country + (check < 10 ? "0" : "") + std::to_string(check) + bban;
    std::string text;
    for (std::size_t k = 0; k < iban.size(); ++k) {
      if (k >= 4 && rng() % 4 == 0) text += rng() % 8 == 0 ? "  " : " ";
      text.push_back(iban[k]);
    }
    for (std::size_t e = rng() % 3; e > 0 && n % 2 == 1; --e) {
      const std::size_t at = rng() % (text.size() + 1);
      const char c = edits[rng() % edits.size()];
      if (rng() % 2 == 0 && at < text.size()) text[at] = c;
      else text.insert(at, 1, c);
    }
    text = heads[rng() % std::size(heads)] + text + tails[rng() % std::size(tails)];
    if (compare_with_reference(reference, filtered, text, DetectorKind::kIban)) ++found;
    ++checked;
  }
  CHECK(checked == 8000);
  CHECK(found > 1000);
}

TEST_CASE("prefilter: never rules out a kind the detectors find (mutated matches)",
          "[masking][detectors][prefilter]") {
  // Real matches with random edits (characters the patterns care about), in random context: about
  // half still match, the rest are near misses on every boundary of the conditions.
  const char* seeds[] = {"a.b@example.com",     "4111 1111 1111 1111", "5555-5555-5555-4444", "4222222222222",
                         "DE89370400440532013000", "gb82 west 1234 5698 7654 32", "+33 1 23456789",
                         "(415) 555-2671",      "0612345678",          "123-45-6789",         "10.0.12.7",
                         "fe80::1:2",           "tracking 3f9a8120612345678c2", "ref a4222222222222b-0612345678"};
  const std::string edits = "0123456789 -.()+@:aZ_\xc3";
  const std::string context[] = {"", " ", "x", "ref ", "order 12 ", "-", "9", "\xc3\xa4 "};
  std::mt19937 rng(4);
  std::size_t checked = 0;
  for (DetectorKind kind : kKinds) {
    const Detectors reference = compile(kind, false);
    const Detectors filtered = compile(kind, true);
    std::size_t found = 0;
    for (int n = 0; n < 5000; ++n) {
      std::string text = seeds[rng() % std::size(seeds)];
      for (std::size_t e = rng() % 4; e > 0; --e) {
        const std::size_t at = rng() % (text.size() + 1);
        const char c = edits[rng() % edits.size()];
        switch (rng() % 3) {
          case 0: if (at < text.size()) text[at] = c; break;
          case 1: text.insert(at, 1, c); break;
          default: if (at < text.size()) text.erase(at, 1); break;
        }
      }
      text = context[rng() % std::size(context)] + text + context[rng() % std::size(context)];
      if (compare_with_reference(reference, filtered, text, kind)) ++found;
      ++checked;
    }
    CAPTURE(to_string(kind));
    CHECK(found > 40);  // the generator does produce matches of every kind for the checks to bite
  }
  CHECK(checked == 6 * 5000);
}

TEST_CASE("prefilter: never rules out a kind the detectors find (digits next to letters)",
          "[masking][detectors][prefilter]") {
  // Random strings over an alphabet where digit groups meet letters, '_', separators, '@', ':'
  // and non-ASCII bytes on every side, and the bench's value shapes with random edits.
  const std::string alphabet = "0123456789012345678901234567890123456789 - . ( ) + aeDEbx_:@\xc3\xa4";
  const char* shapes[] = {"order 123456 shipped in 3 parcels, tracking 9e107d9d372bb6826bd81d3542a419d6",
                          "ref 0cc175b9c0f1b6a8", "ORD-00001234", "call back on +33 1 23456789",
                          "customer wrote from other16@example.org about order 16", "Jürgen", "Berlin",
                          "x4111111111111111 4111 1111 1111 1111y", "de89370400440532013000z", "a123-45-6789",
                          "10.0.0.1a 10.0.0.1", "05d4140206123456789c592 0612345678", "DE89370400440532013000",
                          "ssn 123-45-6789.", "card 4111 1111 1111 1111",
                          // two of a kind: the search after the first match asks the prefilter again
                          "a@b.co and c.d@e.org", "+33 1 23456789, +49 30 1234567", "10.0.0.1 10.0.0.2",
                          "4111 1111 1111 1111 / 5555-5555-5555-4444", "123-45-6789 234-56-7890",
                          "DE89370400440532013000 GB82WEST12345698765432", "fe80::1 and ::ffff:10.0.0.1"};
  std::mt19937 rng(11);
  for (DetectorKind kind : kKinds) {
    const Detectors reference = compile(kind, false);
    const Detectors filtered = compile(kind, true);
    std::size_t found = 0;
    for (int n = 0; n < 6000; ++n) {
      std::string text;
      if (n % 2 == 0) {
        for (std::size_t k = 4 + rng() % 40; k > 0; --k) text.push_back(alphabet[rng() % alphabet.size()]);
      } else {
        text = shapes[rng() % std::size(shapes)];
        for (std::size_t e = rng() % 5; e > 0; --e) {
          const std::size_t at = rng() % (text.size() + 1);
          const char c = alphabet[rng() % alphabet.size()];
          if (rng() % 2 == 0 && at < text.size()) text[at] = c;
          else text.insert(at, 1, c);
        }
      }
      if (compare_with_reference(reference, filtered, text, kind)) ++found;
    }
    CAPTURE(to_string(kind));
    CHECK(found > 20);
  }
}
