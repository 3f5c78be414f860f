// Hostile and random input: the row, COPY and structured-text parsers run on bytes that come from
// the server (or a man in the middle). They must fail cleanly, never read out of bounds (run under
// ASan/UBSan), and never pass an unmasked value through on a parse error.
#include <random>

#include "masking/copy_rows.h"
#include "masking/row_masking.h"
#include "masking/structured_text.h"
#include "masking/value_detection.h"
#include "masking_test_support.h"

using namespace masking;
using namespace masking::test;

namespace {

std::string random_bytes(std::mt19937& rng, std::size_t max_len, std::string_view alphabet) {
  std::uniform_int_distribution<std::size_t> len(0, max_len), pick(0, alphabet.size() - 1);
  std::string s(len(rng), '\0');
  for (char& c : s) c = alphabet[pick(rng)];
  return s;
}

}  // namespace

TEST_CASE("random input never crashes the parsers", "[masking][robustness]") {
  const auto profile = load_profile(R"(
keys: { hmac: { env: K } }
profiles:
  p:
    columns:
      - match: { name: '^m$' }
        mask: tokenize
    values: { detect: [email, payment_card, iban, phone, national_id, ip_address] }
)",
                                    "p");
  std::vector<pgwire::FieldDescription> cols(3);
  cols[0].name = "m";
  cols[0].type_oid = 3802;  // jsonb under a column mask
  cols[1].name = "t";
  cols[1].type_oid = 1009;  // text[] under detectors
  cols[2].name = "b";
  cols[2].type_oid = 3802;
  cols[2].format = 1;  // binary jsonb under detectors
  const Plan plan = build_plan(profile, cols, [](Oid, std::int16_t) { return std::optional<ColumnIdentity>(); });
  REQUIRE(plan.refusal() == nullptr);

  std::mt19937 rng(20261203);
  const std::string_view structural = "{}[]\",:\\ \t\n0123456789abc@.-+eENUL\x01\xc3\xa9\xff";
  for (int i = 0; i < 3000; ++i) {
    const std::string a = random_bytes(rng, 40, structural);
    std::string out;
    // Structured text: either a result or a clean failure.
    map_json_leaves(a, [](std::string_view, JsonToken, std::string& r) { r = "x"; return true; }, out);
    out.clear();
    map_array_elements(a, [](std::string_view, std::string& r) { r = "x"; return ElementResult::kReplaced; }, out);

    // A DataRow whose values are random: masked or NULL, never an error for text formats.
    const std::string jsonb = "\1" + a;  // binary jsonb: version byte, then text
    std::vector<pgwire::Value> values{pgwire::as_bytes(a), pgwire::as_bytes(a), pgwire::as_bytes(jsonb)};
    std::string message;
    pgwire::encode_data_row(message, values);
    out.clear();
    auto r = mask_data_row(plan, pgwire::as_bytes(std::string_view(message).substr(5)), out);
    CHECK(r.has_value());

    // Random bytes as a DataRow body: malformed rows fail and leave the output empty.
    const std::string body = random_bytes(rng, 24, std::string_view("\0\1\2\3\xff abc", 9));
    out.clear();
    if (!mask_data_row(plan, pgwire::as_bytes(body), out)) CHECK(out.empty());

    // COPY rows.
    out.clear();
    (void)mask_copy_text_row(plan, pgwire::as_bytes(a), out);
    (void)mask_copy_csv_row(plan, pgwire::as_bytes(a), out);
  }
}

TEST_CASE("escape attempts in structured values come back masked", "[masking][robustness]") {
  const auto profile = load_profile("profiles:\n  p:\n    values: { detect: [email] }\n", "p");
  std::string out;
  std::size_t n = 0;
  // Unicode escapes spelling an address inside JSON are decoded before detection.
  CHECK(detect_and_mask(*profile, {3802, -1}, R"({"a": "ann\u0040example.com"})", out, n) == DetectOutcome::kValue);
  CHECK(out == R"({"a": "[redacted]"})");
  // An array element quoted with escapes.
  out.clear();
  CHECK(detect_and_mask(*profile, {1009, -1}, R"({"ann\@example.com"})", out, n) == DetectOutcome::kValue);
  CHECK(out == R"({"[redacted]"})");
  // Broken JSON cannot be scanned reliably: NULL, not the original.
  out.clear();
  CHECK(detect_and_mask(*profile, {114, -1}, R"({"a": "ann@example.com)", out, n) == DetectOutcome::kNull);
  // An address used as an object key is personal data too.
  out.clear();
  CHECK(detect_and_mask(*profile, {3802, -1}, R"({"ann@example.com": 1})", out, n) == DetectOutcome::kValue);
  CHECK(out == R"({"[redacted]": 1})");
}
