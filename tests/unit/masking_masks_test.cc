// Each mask on text-like values and on the other types: text-like values get string masks, other
// types a valid value of the same type or NULL (DESIGN.md "Masking is type-aware").
#include "masking/masks.h"

#include <charconv>

#include "masking/utf8.h"
#include "masking_test_support.h"

using namespace masking;
using namespace masking::test;

namespace {

constexpr Oid kText = 25, kVarchar = 1043, kBpchar = 1042, kName = 19, kJson = 114, kJsonb = 3802, kXml = 142,
              kTextArray = 1009, kJsonArray = 199, kInt2 = 21, kInt4 = 23, kInt8 = 20, kNumeric = 1700,
              kFloat8 = 701, kBool = 16, kDate = 1082, kTimestamp = 1114, kTimestamptz = 1184, kUuid = 2950,
              kInet = 869, kBytea = 17, kUserType = 16400;

std::int64_t as_int(const std::string& s) {
  std::int64_t v = 0;
  const auto r = std::from_chars(s.data(), s.data() + s.size(), v);
  REQUIRE(r.ec == std::errc());
  REQUIRE(r.ptr == s.data() + s.size());
  return v;
}

}  // namespace

TEST_CASE("redact replaces text-like values with a constant and other types with NULL", "[masking][masks]") {
  const Mask m = mask_of("redact");
  for (Oid t : {kText, kVarchar, kBpchar, kName}) CHECK(run_text(m, "Alice", t) == "[redacted]");
  CHECK(run_text(mask_of("{redact: 'XXX'}"), "Alice") == "XXX");
  CHECK(run_text(mask_of("{redact: {text: '#'}}"), "Alice") == "#");
  for (Oid t : {kInt4, kDate, kUuid, kBool, kNumeric, kInet}) CHECK(is_null(run(m, t, "1")));
}

TEST_CASE("null yields NULL for every type", "[masking][masks]") {
  const Mask m = mask_of("null");
  for (Oid t : {kText, kJsonb, kInt4, kDate, kTextArray, kUserType}) CHECK(is_null(run(m, t, "x")));
  CHECK(std::holds_alternative<NullMask>(mask_of("'null'").spec));
}

TEST_CASE("partial keeps first/last characters and counts code points", "[masking][masks]") {
  CHECK(run_text(mask_of("{partial: {keep_last: 4}}"), "123-45-6789") == "*******6789");
  CHECK(run_text(mask_of("{partial: {keep_first: 1, keep_last: 1, fill: '#'}}"), "Alice") == "A###e");
  // Multi-byte characters are kept or hidden whole, never cut.
  CHECK(run_text(mask_of("{partial: {keep_first: 2}}"), "Zoë Åström") == "Zo********");
  CHECK(run_text(mask_of("{partial: {keep_last: 3}}"), "Åström") == "***röm");
  CHECK(run_text(mask_of("{partial: {keep_first: 1, fill: '•'}}"), "élan") == "é•••");
  // A value no longer than what would be kept is hidden whole.
  CHECK(run_text(mask_of("{partial: {keep_last: 4}}"), "123") == "***");
  CHECK(run_text(mask_of("{partial: {keep_last: 4}}"), "1234") == "****");
  // ASCII values take a shortcut (bytes are characters); one byte >= 0x80 anywhere leaves it.
  CHECK(utf8::is_ascii("+49 30 0000123"));
  CHECK_FALSE(utf8::is_ascii("+49 30 000012\xff"));
  CHECK(run_text(mask_of("{partial: {keep_last: 4}}"), "+49 30 0000123") == "**********0123");
  CHECK(run_text(mask_of("{partial: {keep_first: 1, keep_last: 2}}"), "a\xff\xfe\xfd" "bc") == "a***bc");
  CHECK(run_text(mask_of("{partial: {keep_first: 2, keep_last: 1}}"), "\xc3\xa9t\xc3\xa9") == "***");
}

TEST_CASE("partial on numbers and uuids keeps the type", "[masking][masks]") {
  const Mask m = mask_of("{partial: {keep_last: 4}}");
  CHECK(as_int(run(m, kInt8, "123456789").text) == 6789);
  CHECK(run(m, kNumeric, "-1234.56").text == "-0034.56");
  const Masked n = run(m, kNumeric, "12345.67");
  CHECK(n.text == "00045.67");
  CHECK(valid_text_form({kNumeric, -1}, n.text));
  const Masked u = run(m, kUuid, "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11");
  CHECK(u.text == "00000000-0000-0000-0000-000000000a11");
  CHECK(valid_text_form({kUuid, -1}, u.text));
  CHECK(is_null(run(m, kDate, "2024-03-05")));
}

TEST_CASE("email keeps the domain or the first letter", "[masking][masks]") {
  CHECK(run_text(mask_of("email"), "alice.smith@example.com") == "***@example.com");
  CHECK(run_text(mask_of("{email: {keep: first_letter}}"), "alice.smith@example.com") == "a***@***.com");
  CHECK(run_text(mask_of("{email: {keep: first_letter}}"), "élodie@exemple.fr") == "é***@***.fr");
  CHECK(run_text(mask_of("email"), "not an email") == "***");
  CHECK(is_null(run(mask_of("email"), kInt4, "42")));
}

TEST_CASE("hash is a deterministic keyed pseudonym with the configured length and alphabet", "[masking][masks]") {
  const Mask m = mask_of("{hash: {length: 12}}");
  const std::string a = run_text(m, "Alice");
  CHECK(a.size() == 12);
  CHECK(a.find_first_not_of("0123456789abcdef") == std::string::npos);
  CHECK(run_text(m, "Alice") == a);  // deterministic across calls
  CHECK(run_text(m, "Alice", kVarchar) == a);  // and across text types: joins still match
  CHECK(run_text(m, "Alicf") != a);
  CHECK(run_text(mask_of("{hash: {length: 20, alphabet: digits}}"), "Alice").find_first_not_of("0123456789") ==
        std::string::npos);
  CHECK(run_text(mask_of("{hash: {length: 8, alphabet: 'XY'}}"), "Alice").find_first_not_of("XY") == std::string::npos);
  // Another key gives another pseudonym.
  std::string other;
  apply_mask(m, MaskKey("another key of 16+ bytes"), {kText, -1}, "Alice", other);
  CHECK(other != a);
}

TEST_CASE("hash on other types yields a deterministic value of the type", "[masking][masks]") {
  const Mask m = mask_of("hash");
  const auto i2 = as_int(run(m, kInt2, "1234").text);
  CHECK(i2 >= 0);
  CHECK(i2 <= 32767);
  CHECK(as_int(run(m, kInt4, "1234").text) <= 2147483647);
  CHECK(run(m, kInt4, "1234") == run(m, kInt4, "1234"));
  // numeric(5,2) holds 3 integer digits.
  const std::int32_t typmod = ((5 << 16) | 2) + 4;
  CHECK(as_int(run(m, kNumeric, "123.45", typmod).text) < 1000);
  for (auto [type, value] : std::vector<std::pair<Oid, std::string>>{{kDate, "1990-05-17"},
                                                                     {kTimestamp, "1990-05-17 10:11:12"},
                                                                     {kTimestamptz, "1990-05-17 10:11:12+02"},
                                                                     {kUuid, "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"},
                                                                     {kBool, "t"},
                                                                     {kFloat8, "3.25"},
                                                                     {kInet, "192.168.1.7"}}) {
    INFO(type << " " << value);
    const Masked h = run(m, type, value);
    REQUIRE(h.outcome == MaskOutcome::kValue);
    CHECK(valid_text_form({type, -1}, h.text));
    CHECK(h == run(m, type, value));
  }
  CHECK(is_null(run(m, kBytea, "\\x00")));
  CHECK(is_null(run(m, kUserType, "x")));
}

TEST_CASE("tokenize preserves the format deterministically", "[masking][masks]") {
  const Mask m = mask_of("tokenize");
  const std::string phone = run_text(m, "+1 (415) 555-2671");
  REQUIRE(phone.size() == 17);
  for (std::size_t i = 0; i < phone.size(); ++i) {
    const char in = std::string_view("+1 (415) 555-2671")[i];
    if (in >= '0' && in <= '9') CHECK((phone[i] >= '0' && phone[i] <= '9'));
    else CHECK(phone[i] == in);
  }
  CHECK(run_text(m, "+1 (415) 555-2671") == phone);
  CHECK(phone != "+1 (415) 555-2671");
  const std::string name = run_text(m, "McDonald-Smith");
  CHECK(name.size() == 14);
  CHECK((name[0] >= 'A' && name[0] <= 'Z'));
  CHECK((name[1] >= 'a' && name[1] <= 'z'));
  CHECK(name[8] == '-');
  // Non-ASCII letters become letters; the character count is kept.
  const std::string accented = run_text(m, "Åsa");
  CHECK(utf8::count(accented) == 3);
  // Integers stay in range and keep their length when they can.
  const std::string big = run(m, kInt2, "32767").text;
  CHECK(as_int(big) <= 32767);
  CHECK(run(m, kInt4, "123456").text.size() == 6);
  CHECK(valid_text_form({kUuid, -1}, run(m, kUuid, "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11").text));
  CHECK(valid_text_form({kNumeric, -1}, run(m, kNumeric, "-1234.5678").text));
  CHECK(valid_text_form({kDate, -1}, run(m, kDate, "2001-02-03").text));
}

TEST_CASE("tokenize on numeric changes fraction digits too, keeping the shape", "[masking][masks]") {
  const Mask m = mask_of("tokenize");
  int integer_changed = 0, fraction_changed = 0;
  for (int i = 0; i < 200; ++i) {
    const std::string in = fmt::format("{}.{:02}", 1000 + i * 37, i % 100);
    const std::string out = run(m, kNumeric, in).text;
    INFO(in << " -> " << out);
    REQUIRE(out.size() == in.size());
    CHECK(out[4] == '.');
    CHECK(out[0] != '0');
    CHECK(valid_text_form({kNumeric, -1}, out));
    CHECK(run(m, kNumeric, in).text == out);
    integer_changed += out.substr(0, 4) != in.substr(0, 4) ? 1 : 0;
    fraction_changed += out.substr(5) != in.substr(5) ? 1 : 0;
  }
  // Each digit is shifted by the keyed stream: a two-digit fraction stays the same 1 time in 100.
  CHECK(integer_changed > 190);
  CHECK(fraction_changed > 180);
  CHECK(run(m, kNumeric, "-0.5").text.starts_with("-"));
  CHECK(run(m, kNumeric, "-0.5").text.size() == 4);
}

TEST_CASE("masks on integer arrays apply to each element", "[masking][masks]") {
  const std::string hashed = run(mask_of("hash"), 1007, "{123456,NULL,-7}").text;
  REQUIRE(hashed.starts_with("{\""));
  CHECK(hashed.find("NULL") != std::string::npos);
  CHECK(hashed.find("123456") == std::string::npos);
  CHECK(is_null(run(mask_of("redact"), 1007, "{1,2}")) == false);   // elements become NULL, the array stays
  CHECK(run(mask_of("redact"), 1007, "{1,2}").text == "{NULL,NULL}");
}

TEST_CASE("replace applies an RE2 rewrite; a result the type rejects becomes NULL", "[masking][masks]") {
  const Mask m = mask_of(R"({replace: {pattern: '(\d{3})\d+', replacement: '\1***'}})");
  CHECK(run_text(m, "ref 1234567 and 98765") == "ref 123*** and 987***");
  CHECK(is_null(run(m, kInt4, "1234567")));  // "123***" is not an int4
  const Mask digits = mask_of(R"({replace: {pattern: '\d$', replacement: '0'}})");
  CHECK(run(digits, kInt4, "1234567").text == "1234560");
}

TEST_CASE("generalize: dates to year or month, numbers to ranges", "[masking][masks]") {
  CHECK(run_text(mask_of("generalize"), "1987-06-21") == "1987");
  CHECK(run_text(mask_of("{generalize: {date: month}}"), "1987-06-21") == "1987-06");
  CHECK(run_text(mask_of("{generalize: {number: 100}}"), "150") == "100-199");
  CHECK(run_text(mask_of("{generalize: {number: 10}}"), "-3") == "-10--1");
  CHECK(run_text(mask_of("generalize"), "Alice") == "[redacted]");
  CHECK(run(mask_of("generalize"), kDate, "1987-06-21").text == "1987-01-01");
  CHECK(run(mask_of("{generalize: {date: month}}"), kDate, "1987-06-21").text == "1987-06-01");
  CHECK(run(mask_of("generalize"), kTimestamp, "1987-06-21 10:11:12.5").text == "1987-01-01 00:00:00");
  CHECK(run(mask_of("generalize"), kTimestamptz, "1987-06-21 10:11:12+05:30").text == "1987-01-01 00:00:00+05:30");
  CHECK(run(mask_of("{generalize: {number: 100}}"), kInt4, "1234").text == "1200");
  CHECK(run(mask_of("{generalize: {number: 100}}"), kNumeric, "1234.56").text == "1200");
  // Not DateStyle ISO: NULL rather than a guess.
  CHECK(is_null(run(mask_of("generalize"), kDate, "06/21/1987")));
  CHECK(is_null(run(mask_of("generalize"), kUuid, "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11")));
}

TEST_CASE("json and jsonb keep their structure under a string mask", "[masking][masks]") {
  const Mask m = mask_of("redact");
  for (Oid t : {kJson, kJsonb}) {
    CHECK(run(m, t, R"({"email": "a@b.com", "n": 42, "tags": ["x", null, true]})").text ==
          R"({"email": "[redacted]", "n": "[redacted]", "tags": ["[redacted]", null, true]})");
  }
  // A masked number stays a number when the mask gives one.
  CHECK(run(mask_of("tokenize"), kJsonb, R"({"a": 1234})").text.find('"', 5) == std::string::npos);
  // Escapes are decoded before masking and the output re-encoded.
  CHECK(run(mask_of("{partial: {keep_first: 2}}"), kJson, R"(["a\"bc\u00e9"])").text == R"(["a\"***"])");
  CHECK(run(mask_of(R"({redact: "quote\" \\ back"})"), kJson, R"(["x"])").text == R"(["quote\" \\ back"])");
  CHECK(is_null(run(m, kJson, R"({"a": "unterminated)")));
}

TEST_CASE("arrays of text-like values are masked element by element", "[masking][masks]") {
  CHECK(run(mask_of("{partial: {keep_first: 1}}"), kTextArray, R"({alice,"bob smith",NULL,"c\"d"})").text ==
        R"({"a****","b********",NULL,"c**"})");
  CHECK(run(mask_of("redact"), kTextArray, "{{a,b},{c,d}}").text ==
        R"({{"[redacted]","[redacted]"},{"[redacted]","[redacted]"}})");
  CHECK(run(mask_of("redact"), kJsonArray, R"({"{\"k\": \"v\"}"})").text == R"({"{\"k\": \"[redacted]\"}"})");
  CHECK(is_null(run(mask_of("redact"), kTextArray, "not an array")));
}

TEST_CASE("xml output stays well-formed content", "[masking][masks]") {
  CHECK(run(mask_of("{partial: {keep_first: 3}}"), kXml, "<a>secret</a>").text == "&lt;a&gt;**********");
  CHECK(run(mask_of("{redact: '<x> & y'}"), kXml, "<a/>").text == "&lt;x&gt; &amp; y");
}

TEST_CASE("type validators accept PostgreSQL text forms and reject others", "[masking][masks]") {
  CHECK(valid_text_form({kInt2, -1}, "-32768"));
  CHECK_FALSE(valid_text_form({kInt2, -1}, "32768"));
  CHECK(valid_text_form({kDate, -1}, "2024-02-29"));
  CHECK_FALSE(valid_text_form({kDate, -1}, "2023-02-29"));
  CHECK(valid_text_form({kTimestamptz, -1}, "2024-02-29 10:00:00.123+01"));
  CHECK_FALSE(valid_text_form({kTimestamptz, -1}, "2024-02-29 10:00:00"));
  CHECK(valid_text_form({kInet, -1}, "::1"));
  CHECK_FALSE(valid_text_form({kUuid, -1}, "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a1"));
  CHECK_FALSE(valid_text_form({kUserType, -1}, "x"));
}
