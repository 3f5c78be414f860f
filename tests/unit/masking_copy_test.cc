// COPY TO STDOUT rows in text and CSV format: fields are decoded (escapes, quoting, NULL
// markers), masked by the plan, and re-encoded so the client's COPY parser reads the masked value.
#include "masking/copy_rows.h"

#include "masking_test_support.h"

using namespace masking;
using namespace masking::test;
using pgwire::FieldDescription;

namespace {

const char* const kRules = R"(
profiles:
  p:
    columns:
      - match: { name: '^ssn$' }
        mask: { partial: { keep_last: 4 } }
      - match: { name: '^odd$' }
        mask: { redact: "x\ty\\z,\"q\"" }
      - match: { name: '^same$' }
        mask: { replace: { pattern: '^', replacement: '' } }
    values: { detect: [email], mask: redact }
)";

FieldDescription column(std::string_view name, Oid type) {
  FieldDescription f;
  f.name = name;
  f.type_oid = type;
  return f;
}

Plan plan_of(std::vector<std::string_view> names) {
  std::vector<FieldDescription> cols;
  for (auto n : names) cols.push_back(column(n, n == "id" ? 23 : 25));
  return build_plan(load_profile(kRules, "p"), cols, [](Oid, std::int16_t) { return std::optional<ColumnIdentity>(); });
}

// The payload of the single CopyData message in `out`.
std::string payload(const std::string& out) {
  REQUIRE(out.size() >= 5);
  REQUIRE(out[0] == 'd');
  REQUIRE(pgwire::load_u32(reinterpret_cast<const std::uint8_t*>(out.data() + 1)) == out.size() - 1);
  return out.substr(5);
}

std::string text_row(const Plan& plan, std::string_view row) {
  std::string out;
  auto r = mask_copy_text_row(plan, pgwire::as_bytes(row), out);
  if (!r) FAIL(r.error().message);
  return payload(out);
}

std::string csv_row(const Plan& plan, std::string_view row) {
  std::string out;
  auto r = mask_copy_csv_row(plan, pgwire::as_bytes(row), out);
  if (!r) FAIL(r.error().message);
  return payload(out);
}

}  // namespace

TEST_CASE("COPY text: fields are decoded, masked and re-escaped", "[masking][copy]") {
  const Plan plan = plan_of({"id", "email", "ssn", "note"});
  CHECK(text_row(plan, "1\tann@example.com\t123-45-6789\tline1\\nline2 ann@x.io\\ttab\n") ==
        "1\t[redacted]\t*******6789\tline1\\nline2 [redacted]\\ttab\n");
  // \N is NULL and stays NULL; a literal "\\N" is text.
  CHECK(text_row(plan, "2\t\\N\t\\N\t\\\\N\n") == "2\t\\N\t\\N\t\\\\N\n");
  // Octal and hex escapes are decoded before detection: \100 and \x40 are '@'.
  CHECK(text_row(plan, "3\tann\\100example.com\t\\N\tx\\x40y.org\n") == "3\t[redacted]\t\\N\t[redacted]\n");
  // Untouched columns keep their bytes, escapes included.
  CHECK(text_row(plan, "4\\\t5\tnone\t1234\tplain\\\\text\n") == "4\\\t5\tnone\t****\tplain\\\\text\n");
}

TEST_CASE("COPY text: masked values with special characters are escaped", "[masking][copy]") {
  const Plan plan = plan_of({"id", "odd"});
  CHECK(text_row(plan, "1\tsecret\n") == "1\tx\\ty\\\\z,\"q\"\n");
}

TEST_CASE("COPY text: canonical rows round-trip byte for byte through an identity mask", "[masking][copy]") {
  const Plan plan = plan_of({"same", "same"});
  for (std::string_view row : {"a\tb\n", "tab\\there\tnew\\nline\n", "back\\\\slash\t\\N\n", "cr\\r\\b\\f\\v\t\n",
                               "ünïcødé\t漢字\n"}) {
    INFO(row);
    CHECK(text_row(plan, row) == row);
  }
}

TEST_CASE("COPY CSV: quoting, NULL and empty strings", "[masking][copy]") {
  const Plan plan = plan_of({"id", "email", "ssn", "note"});
  CHECK(csv_row(plan, "1,ann@example.com,123-45-6789,\"multi\nline, with \"\"quotes\"\" ann@x.io\"\n") ==
        "1,\"[redacted]\",\"*******6789\",\"multi\nline, with \"\"quotes\"\" [redacted]\"\n");
  // Unquoted empty is NULL and stays so; quoted empty is an empty string and stays quoted.
  CHECK(csv_row(plan, "2,,\"\",\n") == "2,,\"\",\n");
  CHECK(csv_row(plan, "3,\"a@b.io\",,nothing\n") == "3,\"[redacted]\",,nothing\n");
}

TEST_CASE("COPY CSV: masked values are always quoted", "[masking][copy]") {
  const Plan plan = plan_of({"id", "odd"});
  CHECK(csv_row(plan, "1,secret\n") == "1,\"x\ty\\z,\"\"q\"\"\"\n");
  const Plan same = plan_of({"same", "same"});
  for (std::string_view row : {"\"a\",\"b\"\n", "\"with,comma\",\"with \"\"quote\"\"\"\n", "\"multi\nline\",\"\"\n"}) {
    INFO(row);
    CHECK(csv_row(same, row) == row);
  }
}

TEST_CASE("COPY: malformed rows are errors", "[masking][copy]") {
  const Plan plan = plan_of({"id", "email"});
  std::string out = "keep";
  CHECK_FALSE(mask_copy_text_row(plan, pgwire::as_bytes(std::string_view("1\ta\tb\n")), out).has_value());
  CHECK_FALSE(mask_copy_csv_row(plan, pgwire::as_bytes(std::string_view("1,\"open\n")), out).has_value());
  CHECK_FALSE(mask_copy_csv_row(plan, pgwire::as_bytes(std::string_view("1\n")), out).has_value());
  CHECK(out == "keep");
}

TEST_CASE("COPY: custom delimiter and NULL string", "[masking][copy]") {
  const Plan plan = plan_of({"id", "email"});
  std::string out;
  REQUIRE(mask_copy_text_row(plan, pgwire::as_bytes(std::string_view("1|a@b.io\n")), out, {'|', "NULL"}));
  CHECK(payload(out) == "1|[redacted]\n");
  out.clear();
  REQUIRE(mask_copy_text_row(plan, pgwire::as_bytes(std::string_view("1|NULL\n")), out, {'|', "NULL"}));
  CHECK(payload(out) == "1|NULL\n");
  out.clear();
  REQUIRE(mask_copy_csv_row(plan, pgwire::as_bytes(std::string_view("1;a@b.io\n")), out, {';', '"', '"', ""}));
  CHECK(payload(out) == "1;\"[redacted]\"\n");
}
