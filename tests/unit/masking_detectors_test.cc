// Value detectors: true positives, and near misses that must stay readable (Luhn-invalid cards,
// bad IBAN checksums, dates, amounts, unissued SSN areas).
#include "masking/detectors.h"

#include "masking/value_detection.h"
#include "masking_test_support.h"

using namespace masking;
using namespace masking::test;

namespace {

Detectors compile_all() {
  std::vector<DetectorSpec> specs;
  for (auto name : {"email", "payment_card", "iban", "phone", "national_id", "ip_address"})
    specs.push_back({*parse_detector_kind(name), name, {}});
  specs.push_back({DetectorKind::kCustom, "employee_id", R"(\bEMP-\d{6}\b)"});
  auto d = Detectors::compile(std::move(specs));
  REQUIRE(d.has_value());
  return std::move(*d);
}

const Detectors& all() {
  static const Detectors d = compile_all();
  return d;
}

// The detected substrings with their detector names.
std::vector<std::pair<std::string, std::string>> found(std::string_view text) {
  std::vector<Span> spans;
  all().find(text, spans);
  std::vector<std::pair<std::string, std::string>> out;
  for (const Span& s : spans)
    out.emplace_back(all().specs()[s.detector].name, std::string(text.substr(s.begin, s.end - s.begin)));
  return out;
}

bool detects(std::string_view text, std::string_view expected) {
  for (const auto& [name, value] : found(text))
    if (value == expected) return true;
  return false;
}

}  // namespace

TEST_CASE("checksums: Luhn and mod-97", "[masking][detectors]") {
  CHECK(luhn_valid("4111111111111111"));
  CHECK_FALSE(luhn_valid("4111111111111112"));
  CHECK(payment_card_valid("4111 1111 1111 1111"));
  CHECK(payment_card_valid("5555-5555-5555-4444"));
  CHECK(payment_card_valid("378282246310005"));
  CHECK_FALSE(payment_card_valid("4111 1111 1111 1112"));  // Luhn-invalid
  CHECK_FALSE(payment_card_valid("1111111111111117"));     // Luhn-valid, no issuer uses 1
  CHECK(iban_valid("DE89 3704 0044 0532 0130 00"));
  CHECK(iban_valid("GB82WEST12345698765432"));
  CHECK(iban_valid("gb82 west 1234 5698 7654 32"));
  CHECK_FALSE(iban_valid("DE89 3704 0044 0532 0130 01"));  // bad checksum
  CHECK_FALSE(iban_valid("DE89"));
  CHECK(iban_valid("MT84MALT011000012345MTLCAST001S"));            // 31 characters, letters inside
  CHECK(iban_valid("mt84 malt 0110 0001 2345 mtlc ast0 01s"));
  CHECK_FALSE(iban_valid("MT84MALT011000012345MTLCAST001S0000"));  // 35: longer than any IBAN
  CHECK_FALSE(iban_valid("DE89-3704-0044-0532-0130-00"));
  CHECK_FALSE(iban_valid("DE89370400440532013000\xc3\xa4"));
}

TEST_CASE("email", "[masking][detectors]") {
  CHECK(found("mail alice.smith+tag@example.co.uk now") ==
        std::vector<std::pair<std::string, std::string>>{{"email", "alice.smith+tag@example.co.uk"}});
  CHECK(detects("jörg.müller@beispiel.de", "jörg.müller@beispiel.de"));
  CHECK(found("alice@localhost and @example.com").empty());
}

TEST_CASE("payment cards", "[masking][detectors]") {
  CHECK(detects("card 4111 1111 1111 1111 exp 12/29", "4111 1111 1111 1111"));
  CHECK(detects("4111-1111-1111-1111", "4111-1111-1111-1111"));
  CHECK(detects("pan=5555555555554444;", "5555555555554444"));
  // A following group does not hide the card.
  CHECK(detects("4111 1111 1111 1111 2029", "4111 1111 1111 1111"));
  CHECK(found("4111 1111 1111 1112").empty());
  CHECK(found("order 41111111111111112222").empty());
}

TEST_CASE("IBAN", "[masking][detectors]") {
  CHECK(detects("pay to DE89 3704 0044 0532 0130 00 today", "DE89 3704 0044 0532 0130 00"));
  CHECK(detects("GB82WEST12345698765432", "GB82WEST12345698765432"));
  for (const auto& [name, value] : found("DE89 3704 0044 0532 0130 01")) {
    INFO(value);
    CHECK(name != "iban");
  }
}

TEST_CASE("phone numbers", "[masking][detectors]") {
  for (auto phone : {"+1 415 555 2671", "(415) 555-2671", "415-555-2671", "415.555.2671", "06 12 34 56 78",
                     "020 7946 0958", "+33612345678", "0612345678", "+49 30 1234567"}) {
    INFO(phone);
    CHECK(detects(std::string("call ") + phone + " now", phone));
  }
  for (auto not_phone : {"2024-01-05", "2024-01-05 10:30:00", "05/01/2024", "12345", "1 000 000", "12.345.678",
                         "order 12345678", "192.168.1.10", "v1.2.3", "42"}) {
    INFO(not_phone);
    for (const auto& [name, value] : found(not_phone)) CHECK(name != "phone");
  }
}

TEST_CASE("US SSN with area rules", "[masking][detectors]") {
  CHECK(ssn_valid("123-45-6789"));
  CHECK(ssn_valid("123 45 6789"));
  for (auto bad : {"000-12-3456", "666-12-3456", "900-12-3456", "123-00-6789", "123-45-0000", "123-45 6789"}) {
    INFO(bad);
    CHECK_FALSE(ssn_valid(bad));
  }
  bool as_ssn = false;
  for (const auto& [name, value] : found("ssn 123-45-6789")) as_ssn = as_ssn || value == "123-45-6789";
  CHECK(as_ssn);
}

TEST_CASE("IP addresses", "[masking][detectors]") {
  CHECK(detects("from 192.168.1.10:5432", "192.168.1.10"));
  CHECK(detects("client 2001:db8::1 connected", "2001:db8::1"));
  CHECK(detects("::ffff:10.0.0.1", "::ffff:10.0.0.1"));
  CHECK(found("999.1.1.1").empty());
  CHECK(found("at 12:30:45").empty());
  CHECK(found("mac 00:1a:2b:3c:4d:5e").empty());
}

TEST_CASE("custom patterns share the set", "[masking][detectors]") {
  CHECK(found("badge EMP-123456.") == std::vector<std::pair<std::string, std::string>>{{"employee_id", "EMP-123456"}});
  CHECK(found("EMP-12345").empty());
  auto bad = Detectors::compile({{DetectorKind::kCustom, "broken", "(unclosed"}});
  REQUIRE_FALSE(bad.has_value());
  CHECK(bad.error().find("broken") != std::string::npos);
}

TEST_CASE("several findings in one value, in order, without overlap", "[masking][detectors]") {
  const auto f = found("a@b.io paid 4111111111111111 from 10.0.0.1");
  REQUIRE(f.size() == 3);
  CHECK(f[0].second == "a@b.io");
  CHECK(f[1].second == "4111111111111111");
  CHECK(f[2].second == "10.0.0.1");
}

TEST_CASE("detected spans are replaced with the profile's values mask", "[masking][detectors]") {
  const auto profile = load_profile(R"(
profiles:
  p:
    values:
      detect: [email, payment_card]
      mask: {partial: {keep_last: 4}}
)",
                                    "p");
  std::string out;
  std::size_t n = 0;
  CHECK(detect_and_mask(*profile, {25, -1}, "card 4111111111111111 of a@b.io", out, n) == DetectOutcome::kValue);
  CHECK(out == "card ************1111 of **b.io");
  CHECK(n == 2);
  out.clear();
  CHECK(detect_and_mask(*profile, {25, -1}, "nothing here 4111111111111112", out, n) == DetectOutcome::kUnchanged);
  CHECK(out.empty());
  // json: only the leaves change, the document stays valid.
  CHECK(detect_and_mask(*profile, {3802, -1}, R"({"k": "mail a@b.io", "n": 4111111111111111})", out, n) ==
        DetectOutcome::kValue);
  CHECK(out == R"({"k": "mail **b.io", "n": "************1111"})");
  out.clear();
  CHECK(detect_and_mask(*profile, {1009, -1}, R"({x,"a@b.io"})", out, n) == DetectOutcome::kValue);
  CHECK(out == R"({x,"**b.io"})");
  out.clear();
  CHECK(mask_free_text(*profile, "Key (email)=(joe@corp.example) already exists.", out) == 1);
  CHECK(out == "Key (email)=(************mple) already exists.");
}
