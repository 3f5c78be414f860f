// RowDescription columns + profile -> plan; plan + DataRow bytes -> masked DataRow bytes, in text
// and binary formats. Fail closed: what cannot be masked is refused, never passed.
#include "masking/plan.h"

#include <map>
#include <random>

#include "masking/binary_values.h"
#include "masking/row_masking.h"
#include "masking_test_support.h"
#include "proxy/wire/row_messages.h"

using namespace masking;
using namespace masking::test;
using pgwire::FieldDescription;

namespace {

constexpr Oid kCustomers = 16500;
constexpr Oid kView = 16600;   // a view over customers: (1) ssn as is, (2) computed from email, (3) calls a function

ColumnIdentity named(std::string schema, std::string table, std::string column) {
  ColumnIdentity id;
  id.schema = std::move(schema);
  id.table = std::move(table);
  id.column = std::move(column);
  return id;
}

const char* const kRules = R"(
keys: { hmac: { env: K } }
profiles:
  strict:
    columns:
      - match: { table: public.customers, column: ssn }
        mask: { partial: { keep_last: 4 } }
      - match: { name: '(?i)^full_name$' }
        mask: { hash: { length: 8 } }
      - match: { name: '(?i)^born$' }
        mask: generalize
      - match: { name: '^balance$' }
        mask: { hash: {} }
    values:
      detect: [email, payment_card]
      mask: redact
  empty: {}
)";

std::optional<ColumnIdentity> resolve(Oid table, std::int16_t attnum) {
  static const std::map<std::int16_t, std::string> columns{{1, "id"},   {2, "email"}, {3, "ssn"},
                                                            {4, "full_name"}, {5, "born"}, {6, "balance"}};
  if (table == kView && attnum >= 1 && attnum <= 3) {
    ColumnIdentity id = named("public", "contacts", attnum == 1 ? "tax_id" : attnum == 2 ? "shout" : "owner");
    id.view = true;
    id.plain = attnum == 1;
    if (attnum == 1) id.reads = {named("public", "customers", "ssn")};
    if (attnum == 2) id.reads = {named("public", "customers", "email"), named("public", "customers", "ssn")};
    id.calls_user_function = attnum == 3;
    return id;
  }
  if (table != kCustomers || !columns.contains(attnum)) return std::nullopt;
  return named("public", "customers", columns.at(attnum));
}

FieldDescription column(std::string_view name, std::int16_t attnum, Oid type, std::int16_t format = 0,
                        Oid table = kCustomers) {
  FieldDescription f;
  f.name = name;
  f.table_oid = attnum == 0 ? 0 : table;
  f.column_attnum = attnum;
  f.type_oid = type;
  f.format = format;
  return f;
}

using Row = std::vector<std::optional<std::string>>;

std::string body_of(const Row& row) {
  std::vector<pgwire::Value> values;
  for (const auto& v : row) values.push_back(v ? pgwire::Value(pgwire::as_bytes(*v)) : std::nullopt);
  std::string message;
  pgwire::encode_data_row(message, values);
  return message.substr(5);  // type byte and length
}

// Checks the framing of a whole DataRow message and returns its values.
Row decode_message(std::string_view message) {
  REQUIRE(message.size() >= 5);
  REQUIRE(message[0] == 'D');
  REQUIRE(pgwire::load_u32(reinterpret_cast<const std::uint8_t*>(message.data() + 1)) == message.size() - 1);
  auto row = pgwire::parse_data_row(pgwire::as_bytes(message.substr(5)));
  REQUIRE(row.has_value());
  Row out;
  for (const auto& v : row->values) out.push_back(v ? std::optional(std::string(pgwire::as_chars(*v))) : std::nullopt);
  return out;
}

Row mask_row(const Plan& plan, const Row& row, MaskStats* stats = nullptr) {
  std::string out = "prefix";
  const std::string body = body_of(row);
  auto result = mask_data_row(plan, pgwire::as_bytes(body), out);
  if (!result) FAIL(result.error().message);
  if (stats != nullptr) *stats = *result;
  REQUIRE(out.starts_with("prefix"));  // appends, never overwrites
  return decode_message(std::string_view(out).substr(6));
}

std::string be32(std::uint32_t v) {
  return {static_cast<char>(v >> 24), static_cast<char>(v >> 16), static_cast<char>(v >> 8), static_cast<char>(v)};
}

}  // namespace

TEST_CASE("plan: column rules by table column, by name through aliases, detectors on the rest", "[masking][plan]") {
  const auto profile = load_profile(kRules, "strict");
  const std::vector<FieldDescription> cols{
      column("id", 1, 23),          column("email", 2, 25),        column("ssn", 3, 25),
      column("n", 4, 25),           column("full_name", 0, 25),    column("born", 5, 1082),
      column("?column?", 0, 25),    column("created", 0, 1114),
  };
  const Plan plan = build_plan(profile, cols, resolve);
  using K = ColumnAction::Kind;
  REQUIRE(plan.size() == 8);
  CHECK(plan.columns()[0].kind == K::kPass);
  CHECK(plan.columns()[1].kind == K::kDetect);
  CHECK(plan.columns()[2].kind == K::kMask);
  CHECK(plan.columns()[2].rule->line == 6);
  CHECK(plan.columns()[2].reason.find("public.customers.ssn") != std::string::npos);
  CHECK(plan.columns()[3].kind == K::kMask);  // aliased "n", resolved to full_name
  CHECK(plan.columns()[4].kind == K::kMask);  // expression named full_name
  CHECK(plan.columns()[5].kind == K::kMask);
  CHECK(plan.columns()[6].kind == K::kDetect);
  CHECK(plan.columns()[7].kind == K::kPass);
  CHECK_FALSE(plan.passthrough());
  CHECK(plan.refusal() == nullptr);

  const Row masked = mask_row(plan, {"7", "write to ann@example.com", "123-45-6789", "Ann Lee", "Ann Lee",
                                     "1990-04-01", "card 4111 1111 1111 1111", std::nullopt});
  CHECK(*masked[0] == "7");
  CHECK(*masked[1] == "write to [redacted]");
  CHECK(*masked[2] == "*******6789");
  CHECK(masked[3]->size() == 8);
  CHECK(masked[3] == masked[4]);  // same pseudonym through the alias and the expression
  CHECK(*masked[5] == "1990-01-01");
  CHECK(*masked[6] == "card [redacted]");
  CHECK_FALSE(masked[7].has_value());  // NULL stays NULL
}

TEST_CASE("plan: view columns are judged by what they show", "[masking][plan]") {
  const auto profile = load_profile(kRules, "strict");
  const std::vector<FieldDescription> cols{column("tax_id", 1, 25, 0, kView), column("shout", 2, 25, 0, kView),
                                           column("owner", 3, 25, 0, kView)};
  const Plan plan = build_plan(profile, cols, resolve);
  using K = ColumnAction::Kind;
  CHECK(plan.columns()[0].kind == K::kMask);   // plain: the base column's rule
  CHECK(plan.columns()[0].reason.find("public.customers.ssn") != std::string::npos);
  CHECK(plan.columns()[1].kind == K::kRefuse);  // computed from a masked column
  CHECK(plan.columns()[1].reason.find("view public.contacts") != std::string::npos);
  CHECK(plan.columns()[2].kind == K::kRefuse);  // calls a user-defined function
  const Row masked = mask_row(build_plan(profile, std::vector<FieldDescription>{cols[0]}, resolve), {"123-45-6789"});
  CHECK(*masked[0] == "*******6789");
}

TEST_CASE("plan: planner statistics are refused", "[masking][plan]") {
  const auto profile = load_profile(kRules, "strict");
  auto stats = [](Oid, std::int16_t) -> std::optional<ColumnIdentity> {
    return named("pg_catalog", "pg_stats", "most_common_vals");
  };
  const Plan plan = build_plan(profile, std::vector<FieldDescription>{column("most_common_vals", 9, 2277)}, stats);
  REQUIRE(plan.refusal() != nullptr);
  CHECK(plan.refusal()->reason.find("statistics") != std::string::npos);
}

TEST_CASE("plan: fast path when nothing needs masking", "[masking][plan]") {
  const std::vector<FieldDescription> cols{column("id", 1, 23), column("born", 0, 1082), column("note", 0, 25)};
  CHECK(build_plan(nullptr, cols, resolve).passthrough());
  CHECK(build_plan(load_profile(kRules, "empty"), cols, resolve).passthrough());
  CHECK_FALSE(build_plan(load_profile(kRules, "strict"), cols, resolve).passthrough());  // note is scanned
  const Plan ints = build_plan(load_profile(kRules, "strict"), std::vector{column("id", 1, 23)}, resolve);
  CHECK(ints.passthrough());
  CHECK(mask_row(ints, {"42"}) == Row{"42"});
}

TEST_CASE("plan: fail closed", "[masking][plan]") {
  const auto profile = load_profile(kRules, "strict");
  SECTION("binary column whose type has no codec and needs a mask") {
    const Plan plan = build_plan(profile, std::vector{column("balance", 6, 1186, 1)}, resolve);   // interval
    REQUIRE(plan.refusal() != nullptr);
    CHECK(plan.refusal()->reason.find("binary format") != std::string::npos);
    std::string out;
    const std::string body = body_of({"x"});
    auto r = mask_data_row(plan, pgwire::as_bytes(body), out);
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().kind == MaskError::Kind::kRefused);
    CHECK(out.empty());
  }
  SECTION("binary text[] is scanned; a two-dimensional one cannot be decoded and is an error") {
    const Plan plan = build_plan(profile, std::vector{column("tags", 0, 1009, 1)}, resolve);
    REQUIRE(plan.refusal() == nullptr);
    CHECK(plan.columns()[0].kind == ColumnAction::Kind::kDetect);
    const std::string two_d = be32(2) + be32(0) + be32(25) + be32(1) + be32(1) + be32(1) + be32(1) + be32(1) + "x";
    std::string out;
    const std::string body = body_of({two_d});
    CHECK_FALSE(mask_data_row(plan, pgwire::as_bytes(body), out).has_value());
    CHECK(out.empty());
  }
  SECTION("binary user-defined type that must be scanned") {
    CHECK(build_plan(profile, std::vector{column("mood", 0, 16999, 1)}, resolve).refusal() != nullptr);
    CHECK(build_plan(profile, std::vector{column("mood", 0, 16999, 0)}, resolve).columns()[0].kind ==
          ColumnAction::Kind::kDetect);
  }
  SECTION("a table column that cannot be resolved while table rules exist") {
    const Plan plan = build_plan(profile, std::vector{column("x", 9, 25, 0, 424242)}, resolve);
    REQUIRE(plan.refusal() != nullptr);
    CHECK(plan.refusal()->reason.find("table OID 424242") != std::string::npos);
  }
  SECTION("the null mask is safe in any format") {
    const auto p = load_profile("profiles:\n  p:\n    columns:\n      - match: {name: x}\n        mask: null\n", "p");
    const Plan plan = build_plan(p, std::vector{column("x", 0, 1700, 1)}, resolve);
    CHECK(plan.refusal() == nullptr);
    CHECK(mask_row(plan, {std::string("\0\1\0\0", 4)}) == Row{std::nullopt});
  }
}

TEST_CASE("DataRow: malformed rows are errors and leave the output untouched", "[masking][rows]") {
  const Plan plan = build_plan(load_profile(kRules, "strict"), std::vector{column("note", 0, 25)}, resolve);
  auto fails = [&](const std::string& body) {
    std::string out = "keep";
    auto r = mask_data_row(plan, pgwire::as_bytes(body), out);
    CHECK(out == "keep");
    return !r.has_value() && r.error().kind == MaskError::Kind::kMalformed;
  };
  CHECK(fails(body_of({"a", "b"})));                      // column count differs from the plan
  CHECK(fails(std::string("\0\1", 2)));                   // truncated
  CHECK(fails(std::string("\0\1\0\0\0\x09" "abc", 9)));   // length past the end
  CHECK(fails(std::string("\0\1\xff\xff\xff\xfe", 6)));   // negative length other than -1
  CHECK(fails(body_of({"a"}) + "x"));                     // trailing bytes
  CHECK(fails(std::string("\0", 1)));                     // no column count

  // The same through a passed column and a NULL, which are copied without being looked at.
  const Plan passing = build_plan(load_profile(kRules, "strict"), std::vector{column("id", 1, 23), column("note", 0, 25)},
                                  resolve);
  REQUIRE(passing.columns()[0].kind == ColumnAction::Kind::kPass);
  auto fails_passing = [&](const std::string& body) {
    std::string out = "keep";
    auto r = mask_data_row(passing, pgwire::as_bytes(body), out);
    CHECK(out == "keep");
    return !r.has_value() && r.error().kind == MaskError::Kind::kMalformed;
  };
  CHECK(fails_passing(std::string("\0\2\0\0\0\x09" "abc", 9)));                    // passed value past the end
  CHECK(fails_passing(std::string("\0\2\xff\xff\xff\xfe", 6)));                     // passed length < -1
  CHECK(fails_passing(std::string("\0\2\xff\xff\xff\xff\0\0", 8)));               // NULL, then a cut length
  CHECK(fails_passing(body_of({"1", std::nullopt}) + "x"));                         // trailing bytes
  CHECK(fails_passing(body_of({"1", "ann@example.com"}) + "x"));                    // after a masked value
}

TEST_CASE("DataRow: columns left as they are keep their bytes, in runs between masked ones", "[masking][rows]") {
  // mask_data_row copies runs of passed, NULL and unchanged (scanned without a hit) columns as
  // they are: every mix of those with masked columns and NULL results must give, column by
  // column, what mask_value() gives for each value alone.
  const auto p = load_profile(R"(
keys: { hmac: { env: K } }
profiles:
  p:
    columns:
      - { match: { name: '^ssn$' }, mask: { partial: { keep_last: 4 } } }
      - { match: { name: '^gone$' }, mask: null }
      - { match: { name: '^born$' }, mask: generalize }
    values:
      detect: [email, payment_card]
      mask: redact
)",
                              "p");
  const char* names[] = {"id", "notes", "ssn", "gone", "born", "city", "other"};
  const Oid types[] = {23, 25, 25, 25, 1082, 25, 1043};
  std::vector<FieldDescription> fields;
  for (std::size_t i = 0; i < std::size(names); ++i) fields.push_back(column(names[i], 0, types[i]));
  const Plan plan = build_plan(p, fields, resolve);
  using K = ColumnAction::Kind;
  REQUIRE(plan.columns()[0].kind == K::kPass);
  REQUIRE(plan.columns()[1].kind == K::kDetect);
  REQUIRE(plan.columns()[3].kind == K::kMask);
  const char* texts[] = {"", "Berlin", "mail a@b.co", "card 4111 1111 1111 1111", "order 12", "123-45-6789"};
  std::mt19937 rng(3);
  for (int n = 0; n < 2000; ++n) {
    Row row;
    for (std::size_t i = 0; i < fields.size(); ++i) {
      if (rng() % 5 == 0) {
        row.push_back(std::nullopt);
      } else if (types[i] == 23) {
        row.push_back(std::to_string(rng() % 1000));
      } else if (types[i] == 1082) {
        row.push_back(fmt::format("19{}-0{}-1{}", 50 + rng() % 50, 1 + rng() % 9, rng() % 10));
      } else {
        row.push_back(texts[rng() % std::size(texts)]);
      }
    }
    Row expected;
    MaskStats expected_stats;
    for (std::size_t i = 0; i < row.size(); ++i) {
      if (!row[i]) {
        expected.push_back(std::nullopt);
        continue;
      }
      std::string out;
      auto r = mask_value(plan, i, pgwire::as_bytes(*row[i]), out, expected_stats);
      REQUIRE(r.has_value());
      expected.push_back(*r == ValueResult::kUnchanged ? row[i] : *r == ValueResult::kValue ? std::optional(out)
                                                                                             : std::nullopt);
    }
    MaskStats stats;
    CAPTURE(n);
    CHECK(mask_row(plan, row, &stats) == expected);
    CHECK(stats.masked_values == expected_stats.masked_values);
    CHECK(stats.detections == expected_stats.detections);
  }
}

TEST_CASE("DataRow: binary values are masked into valid binary", "[masking][rows]") {
  const auto profile = load_profile(kRules, "strict");
  const std::vector<FieldDescription> cols{column("balance", 6, 23, 1), column("born", 5, 1082, 1),
                                           column("note", 0, 3802, 1), column("n", 4, 25, 1),
                                           column("id", 1, 23, 1)};
  const Plan plan = build_plan(profile, cols, resolve);
  REQUIRE(plan.refusal() == nullptr);
  // born 1990-04-01 = 3743 days before 2000-01-01.
  const std::int32_t born = -3562;
  MaskStats stats;
  const Row masked = mask_row(plan,
                              {be32(123456), be32(static_cast<std::uint32_t>(born)),
                               std::string("\1{\"e\": \"a@b.io\"}"), std::string("Ann Lee"), be32(7)},
                              &stats);
  // int4 hash: exactly 4 bytes, and the same pseudonym the text format gives.
  REQUIRE(masked[0]->size() == 4);
  std::string text_hash;
  apply_mask(profile->columns[3].mask, profile->key, {23, -1}, "123456", text_hash);
  std::string expected;
  REQUIRE(text_to_binary({23, -1}, text_hash, expected));
  CHECK(*masked[0] == expected);
  std::string born_text;
  REQUIRE(binary_to_text({1082, -1}, pgwire::as_bytes(*masked[1]), born_text));
  CHECK(born_text == std::string("1990-01-01").substr(0, 4) + "-01-01");
  CHECK(*masked[2] == "\1{\"e\": \"[redacted]\"}");
  CHECK(masked[3]->size() == 8);
  CHECK(*masked[4] == be32(7));
  CHECK(stats.masked_values == 4);
  CHECK(stats.detections == 1);
}

TEST_CASE("binary codecs round-trip through the text form", "[masking][rows]") {
  const std::vector<std::pair<Oid, std::string>> values{
      {21, "-32768"},
      {23, "2147483647"},
      {20, "-9223372036854775808"},
      {26, "4294967295"},
      {700, "1.5"},
      {701, "-0.1"},
      {701, "Infinity"},
      {16, "t"},
      {1082, "1969-12-31"},
      {1082, "2000-01-01"},
      {1083, "23:59:59.5"},
      {1114, "1999-12-31 23:59:59.999999"},
      {1184, "2024-02-29 12:00:00+00"},
      {2950, "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"},
      {3802, "{\"a\": 1}"},
      {1700, "12345.67"},
      {1700, "-0.5"},
      {1700, "0"},
      {1700, "0.000"},
      {1700, "100000000.0001"},
      {1700, "-0.00001230"},
      {1700, "NaN"},
      {1700, "-Infinity"},
      {1009, R"({"a","b c","q\"uote",NULL})"},
      {1015, R"([0:1]={"x","y"})"},
      {1009, "{}"},
      {1007, R"({"1","-2",NULL})"},
      {1016, R"({"-9223372036854775808"})"},
      {3807, R"({"{\"a\": 1}"})"},
  };
  for (const auto& [oid, text] : values) {
    INFO(oid << " " << text);
    std::string binary, back;
    REQUIRE(text_to_binary({oid, -1}, text, binary));
    REQUIRE(binary_to_text({oid, -1}, pgwire::as_bytes(binary), back));
    CHECK(back == text);
  }
  std::string binary;
  CHECK_FALSE(text_to_binary({21, -1}, "32768", binary));
  CHECK_FALSE(text_to_binary({1082, -1}, "2023-02-29", binary));
  std::string text;
  CHECK_FALSE(binary_to_text({23, -1}, pgwire::as_bytes(std::string("\0\0\0", 3)), text));
  CHECK_FALSE(binary_to_text({3802, -1}, pgwire::as_bytes(std::string("\2{}")), text));
  // numeric_send's layout: ndigits 3, weight 1, positive, dscale 2, base-10000 digits 1 2345 6700.
  std::string numeric;
  REQUIRE(text_to_binary({1700, -1}, "12345.67", numeric));
  CHECK(numeric == std::string("\0\3\0\1\0\0\0\2\0\1", 10) + "\x09\x29" + "\x1a\x2c");
  CHECK_FALSE(text_to_binary({1700, -1}, "1e5", numeric));
  CHECK_FALSE(binary_to_text({1700, -1}, pgwire::as_bytes(std::string("\0\1\0\0\0\0\0\0\x27\x10", 10)), text));
  // Arrays: unquoted elements parse too; an element that is not of the type fails.
  std::string array;
  REQUIRE(text_to_binary({1007, -1}, "{1, 2 ,NULL}", array));
  CHECK(array == be32(1) + be32(1) + be32(23) + be32(3) + be32(1) + be32(4) + be32(1) + be32(4) + be32(2) +
                     be32(0xFFFFFFFF));
  CHECK_FALSE(text_to_binary({1007, -1}, "{x}", array));
  CHECK_FALSE(text_to_binary({1009, -1}, "{{a}}", array));
  CHECK_FALSE(binary_to_text({1007, -1}, pgwire::as_bytes(be32(1) + be32(0) + be32(25) + be32(0) + be32(1)), text));
  // timestamptz in binary is UTC: an offset in the text form is applied.
  std::string a, b;
  REQUIRE(text_to_binary({1184, -1}, "2024-01-01 01:00:00+01", a));
  REQUIRE(text_to_binary({1184, -1}, "2024-01-01 00:00:00+00", b));
  CHECK(a == b);
}

TEST_CASE("plan rows: keyed masks give the same output from the pseudonym cache", "[masking][plan][cache]") {
  // hash and tokenize remember recent values per column (pseudonym_cache.h): low- and
  // high-cardinality columns (slot collisions, replacement), values past the cached length, text,
  // int4 and binary int4 columns, NULLs: every value must be what the mask itself gives.
  const auto p = load_profile(R"(
keys: { hmac: { env: K } }
profiles:
  p:
    columns:
      - { match: { name: '^name$' }, mask: { hash: { length: 12 } } }
      - { match: { name: '^token$' }, mask: tokenize }
      - { match: { name: '^num$' }, mask: hash }
      - { match: { name: '^bin$' }, mask: hash }
)",
                              "p");
  const std::vector<FieldDescription> fields{column("name", 0, 25), column("token", 0, 25), column("num", 0, 23),
                                             column("bin", 0, 23, 1)};
  const Plan plan = build_plan(p, fields, resolve);
  REQUIRE(plan.columns()[0].keyed);
  std::mt19937 rng(7);
  const auto text = [&](std::size_t pool) {
    const std::size_t k = rng() % pool;
    return fmt::format("value {} {}", k, std::string(k % 90, static_cast<char>('a' + k % 26)));  // up to ~100 bytes
  };
  const auto expected = [&](std::size_t col, const std::string& value) -> std::optional<std::string> {
    std::string out;
    const ValueType type{fields[col].type_oid, -1};
    if (apply_mask(p->columns[col].mask, p->key, type, value, out) == MaskOutcome::kNull) return std::nullopt;
    return out;
  };
  Plan copy;
  for (int n = 0; n < 3000; ++n) {
    const std::string name = n % 3 == 0 ? text(5) : text(500);
    const std::string token = text(n % 2 == 0 ? 3 : 300);
    const std::string num = std::to_string(static_cast<int>(rng() % (n % 2 == 0 ? 7 : 700)) - 100);
    const std::uint32_t bin_value = rng() % 40;
    Row row{name, token, num, be32(bin_value)};
    if (n % 17 == 0) row[0] = std::nullopt;
    if (n == 1500) copy = plan;  // a copy starts with an empty cache and masks the same
    const Row masked = mask_row(n >= 1500 && n % 2 == 0 ? copy : plan, row);
    CAPTURE(n, name, token, num, bin_value);
    CHECK(masked[0] == (row[0] ? expected(0, name) : std::nullopt));
    CHECK(masked[1] == expected(1, token));
    CHECK(masked[2] == expected(2, num));
    const auto bin_text = expected(3, std::to_string(bin_value));
    REQUIRE(bin_text.has_value());
    REQUIRE(masked[3].has_value());
    std::string decoded;
    REQUIRE(binary_to_text(ValueType{23, -1}, pgwire::as_bytes(*masked[3]), decoded));
    CHECK(decoded == *bin_text);
  }
}
