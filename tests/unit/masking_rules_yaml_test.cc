// The masking section of pgveil.yaml: the DESIGN.md sketch loads, and every mistake is reported
// with its line and column (RE2 patterns are compiled at load time).
#include "masking/rules_yaml.h"

#include <re2/re2.h>

#include "masking_test_support.h"

using namespace masking;
using namespace masking::test;

namespace {

// "line:column" of the problem whose message contains `needle` ("" if none).
std::string where(const std::vector<MaskingProblem>& problems, std::string_view needle) {
  for (const auto& p : problems)
    if (p.message.find(needle) != std::string::npos) return fmt::format("{}:{}", p.line, p.column);
  for (const auto& p : problems) UNSCOPED_INFO(p.to_string());
  return "";
}

}  // namespace

TEST_CASE("the DESIGN.md sketch loads", "[masking][yaml]") {
  const auto config = load(R"(
keys: { hmac: { file: /run/secrets/pgveil_hmac } }
profiles:
  pii-strict:
    columns:
      - match: { table: public.customers, column: ssn }
        mask: { partial: { keep_last: 4 } }
      - match: { name: '(?i)^e-?mail(_address)?$' }
        mask: email
      - match: { name: '(?i)(first|last|full)_?name' }
        mask: { hash: { length: 12 } }
      - match: { type: date }
        mask: { generalize: { date: month } }
    values:
      detect: [email, payment_card, iban, phone, national_id, ip_address, {pattern: 'EMP-\d+', name: employee}]
      mask: redact
    on_unprovable: detect
    refuse_predicates: true
  light:
    values: { detect: [email] }
)");
  REQUIRE(config.profiles.size() == 2);
  REQUIRE(config.key_source.has_value());
  CHECK(config.key_source->kind == KeySource::Kind::kFile);
  CHECK(config.key_source->where == "/run/secrets/pgveil_hmac");
  const Profile& p = *config.profiles.at("pii-strict");
  REQUIRE(p.columns.size() == 4);
  CHECK(p.columns[0].match.schema == "public");
  CHECK(p.columns[0].match.table == "customers");
  CHECK(p.columns[0].match.column == "ssn");
  CHECK(p.columns[0].line == 6);
  CHECK(std::get<PartialMask>(p.columns[0].mask.spec).keep_last == 4);
  CHECK(std::holds_alternative<EmailMask>(p.columns[1].mask.spec));
  CHECK(std::get<HashMask>(p.columns[2].mask.spec).length == 12);
  CHECK(p.columns[3].match.type == Oid{1082});
  CHECK(p.detectors.specs().size() == 7);
  CHECK(p.detectors.specs()[6].name == "employee");
  CHECK(std::holds_alternative<RedactMask>(p.values_mask.spec));
  CHECK(p.on_unprovable == OnUnprovable::kDetect);
  CHECK(p.refuse_predicates);
  CHECK_FALSE(p.key.empty());
  CHECK(p.has_table_rules());
  CHECK(config.profiles.at("light")->on_unprovable == OnUnprovable::kRefuse);  // the safe default
  CHECK(config.profiles.at("light")->columns.empty());
}

TEST_CASE("an empty or missing section has no profiles", "[masking][yaml]") {
  CHECK(load("").profiles.empty());
  CHECK(load("profiles:").profiles.empty());
}

TEST_CASE("every problem is reported with line and column", "[masking][yaml]") {
  const auto problems = problems_of(R"(keys: { hmac: { env: K } }
profiles:
  p:
    columns:
      - match: { name: '(unclosed' }
        mask: email
      - match: { table: a.b.c }
        mask: { hsh: { length: 4 } }
      - match: { type: no_such_type }
        mask: { partial: { keep_last: -1 } }
      - match: { name: x }
        mask: { replace: { pattern: '(a)', replacement: '\2' } }
      - match: { name: x }
    values:
      detect: [email, credit_card, { pattern: '[z-a]', name: bad }]
      mask: { hash: { alphabet: 'aa' } }
    on_unprovable: maybe
    refuse_predicates: perhaps
    colums: []
  none:
    columns: []
)");
  CHECK(where(problems, "invalid RE2 pattern: missing )") == "5:24");
  CHECK(where(problems, "'a.b.c' is not [schema.]table") == "7:25");
  CHECK(where(problems, "unknown mask 'hsh'") == "8:17");
  CHECK(where(problems, "'no_such_type' is not a built-in type") == "9:24");
  CHECK(where(problems, "keep_last: -1 is out of range") == "10:39");
  CHECK(where(problems, "replacement") == "12:57");
  CHECK(where(problems, "columns[4]: a column rule needs match and mask") == "13:9");
  CHECK(where(problems, "unknown detector 'credit_card'") == "15:23");
  CHECK(where(problems, "invalid RE2 pattern: invalid character class range") == "15:47");
  CHECK(where(problems, "alphabet: 'aa'") == "16:33");
  CHECK(where(problems, "'maybe' is not one of refuse or detect") == "17:20");
  CHECK(where(problems, "'perhaps' is not true or false") == "18:24");
  CHECK(where(problems, "unknown key 'colums'") == "19:5");
  CHECK(where(problems, "'none' is reserved") == "20:3");
  // Sorted top to bottom, like the file.
  for (std::size_t i = 1; i < problems.size(); ++i) CHECK(problems[i - 1].line <= problems[i].line);
  CHECK(problems.front().to_string().starts_with("5:24: masking.profiles.p.columns[0].match.name: "));
}

TEST_CASE("keys: hash and tokenize need a loadable key of at least 16 bytes", "[masking][yaml]") {
  const std::string rules = R"(
profiles:
  p:
    columns:
      - match: { name: x }
        mask: tokenize
)";
  CHECK(where(problems_of(rules), "hash and tokenize need masking.keys.hmac") == "6:15");
  CHECK(where(problems_of("keys: { hmac: { file: missing } }" + rules), "cannot read the HMAC key: no such file") ==
        "1:23");
  CHECK(where(problems_of("keys: { hmac: { file: short } }" + rules), "the HMAC key has 4 bytes") == "1:23");
  CHECK(where(problems_of("keys: { hmac: { file: a, env: B } }" + rules), "exactly one of file or env") != "");
  // The loader's key loses its trailing newline.
  const auto config = load("keys: { hmac: { env: K } }" + rules);
  CHECK(run_text(config.profiles.at("p")->columns[0].mask, "abc") ==
        [&] {
          std::string out;
          apply_mask(config.profiles.at("p")->columns[0].mask, MaskKey(std::string(kTestKey)), {25, -1}, "abc", out);
          return out;
        }());
}

TEST_CASE("mask forms: bare names, maps, null", "[masking][yaml]") {
  CHECK(std::holds_alternative<RedactMask>(mask_of("redact").spec));
  CHECK(std::get<RedactMask>(mask_of("{redact: '***'}").spec).text == "***");
  CHECK(std::holds_alternative<NullMask>(mask_of("null").spec));
  CHECK(std::holds_alternative<NullMask>(mask_of("~").spec));
  CHECK(std::get<EmailMask>(mask_of("{email: {keep: first_letter}}").spec).keep == EmailMask::Keep::kFirstLetter);
  CHECK(std::get<HashMask>(mask_of("hash").spec).length == 16);
  CHECK(std::get<HashMask>(mask_of("{hash: {alphabet: base62}}").spec).alphabet.size() == 62);
  CHECK(std::holds_alternative<TokenizeMask>(mask_of("tokenize").spec));
  CHECK(std::get<GeneralizeMask>(mask_of("{generalize: {number: 1000}}").spec).number_width == 1000);
  CHECK(std::get<ReplaceMask>(mask_of(R"({replace: {pattern: '\d', replacement: '#'}})").spec).pattern->ok());
  CHECK(mask_of("{partial: {keep_first: 1, keep_last: 2, fill: '#'}}").describe() ==
        "partial(keep_first=1, keep_last=2, fill=\"#\")");
  // `mask:` with nothing after it is a mistake, not the null mask.
  CHECK(where(problems_of("profiles:\n  p:\n    columns:\n      - match: {name: x}\n        mask:\n"),
              "needs a mask") == "5:9");
  CHECK(where(problems_of("profiles:\n  p:\n    columns:\n      - match: {name: x}\n        mask: partial\n"),
              "partial needs parameters") == "5:15");
}
