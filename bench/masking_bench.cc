// Masking engine microbenchmark (issue #4 "Performance"): DataRows of 10 columns, 4 masked by
// column rules (email, partial, hash, tokenize) and 6 scanned by value detectors, as the relay
// would feed them. Reports rows/s (items_per_second) and input bytes/s per core.
//
//   cmake -S . -B build-bench -G Ninja -DCMAKE_BUILD_TYPE=Release -DPGVEIL_BENCH=ON
//   cmake --build build-bench --target masking_bench && build-bench/bench/masking_bench
#include <benchmark/benchmark.h>

#include <span>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include "masking/copy_rows.h"
#include "masking/plan.h"
#include "masking/row_masking.h"
#include "masking/rules_yaml.h"
#include "masking/value_detection.h"
#include "proxy/wire/row_messages.h"

namespace {

using namespace masking;

constexpr const char* kRules = R"(
keys: { hmac: { env: PGVEIL_BENCH_KEY } }
profiles:
  bench:
    columns:
      - match: { name: '(?i)^e-?mail$' }
        mask: email
      - match: { name: '^ssn$' }
        mask: { partial: { keep_last: 4 } }
      - match: { name: '(?i)full_?name' }
        mask: { hash: { length: 12 } }
      - match: { name: '^phone$' }
        mask: tokenize
    values:
      detect: [email, payment_card, iban, phone, national_id, ip_address]
      mask: redact
)";

std::shared_ptr<const Profile> compile_profile(const char* rules, const char* name) {
  auto config = parse_masking_config(YAML::Load(rules),
                                     [](const KeySource&) -> std::expected<std::string, std::string> {
                                       return std::string("benchmark-key-0123456789abcdef");
                                     });
  if (!config) throw std::runtime_error(config.error().front().to_string());
  return config->profiles.at(name);
}

// Compiled once per process, as the proxy does at config load: RE2 builds its reverse programs
// and DFA states lazily, and that warm-up belongs to the first rows, not to every benchmark run.
std::shared_ptr<const Profile> profile() {
  static const auto p = compile_profile(kRules, "bench");
  return p;
}

using Column = std::pair<const char*, std::uint32_t>;  // name, type OID

std::vector<pgwire::FieldDescription> fields_of(std::span<const Column> cols, std::int16_t format = 0) {
  std::vector<pgwire::FieldDescription> out;
  for (const auto& [name, type] : cols) {
    pgwire::FieldDescription f;
    f.name = name;
    f.type_oid = type;
    f.format = format;
    out.push_back(f);
  }
  return out;
}

std::vector<pgwire::FieldDescription> columns(std::int16_t format = 0) {
  const Column cols[] = {
      {"email", 25}, {"ssn", 25},  {"full_name", 25}, {"phone", 25},  {"city", 25},
      {"street", 25}, {"notes", 25}, {"status", 1043}, {"comment", 25}, {"tags", 25},
  };
  return fields_of(cols, format);
}

// A DataRow body (after type and length) holding `values` in text form.
std::string data_row_body(const std::vector<std::string>& values) {
  std::vector<pgwire::Value> wire;
  for (const auto& v : values) wire.push_back(pgwire::as_bytes(v));
  std::string message;
  pgwire::encode_data_row(message, wire);
  return message.substr(5);
}

// 64 distinct rows; one in eight carries personal data in a free-text column.
std::vector<std::string> row_bodies() {
  std::vector<std::string> bodies;
  for (int i = 0; i < 64; ++i) {
    const std::vector<std::string> values{
        fmt::format("user{}@example.com", i),
        fmt::format("{:03}-{:02}-{:04}", 100 + i, 10 + i % 80, 1000 + i),
        fmt::format("Customer Number {}", i),
        fmt::format("+1 415 555 {:04}", i),
        "Springfield",
        fmt::format("{} Evergreen Terrace", 700 + i),
        i % 8 == 0 ? fmt::format("called back from 10.0.{}.7 about card 4111 1111 1111 1111", i)
                   : "delivered on time, customer satisfied with the service",
        "active",
        i % 8 == 4 ? fmt::format("new mail: someone{}@corp.example", i) : "no comment",
        "{gold,newsletter}",
    };
    bodies.push_back(data_row_body(values));
  }
  return bodies;
}

std::optional<ColumnIdentity> no_identity(Oid, std::int16_t) { return std::nullopt; }

// Masks the rows round-robin, as the relay would feed them.
void mask_rows(benchmark::State& state, const Plan& plan, const std::vector<std::string>& bodies) {
  std::string out;
  std::size_t bytes = 0, i = 0;
  for (auto _ : state) {
    const std::string& body = bodies[i++ % bodies.size()];
    out.clear();
    auto r = mask_data_row(plan, pgwire::as_bytes(body), out);
    benchmark::DoNotOptimize(r);
    bytes += body.size();
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
  state.SetBytesProcessed(static_cast<std::int64_t>(bytes));
}

void BM_MaskDataRow(benchmark::State& state) {
  mask_rows(state, build_plan(profile(), columns(), no_identity), row_bodies());
}
BENCHMARK(BM_MaskDataRow);

// The same rows as COPY text: decode, mask, re-escape.
void BM_MaskCopyTextRow(benchmark::State& state) {
  const Plan plan = build_plan(profile(), columns(), no_identity);
  std::vector<std::string> rows;
  for (const auto& body : row_bodies()) {
    auto row = pgwire::parse_data_row(pgwire::as_bytes(body));
    std::string line;
    for (auto v : row->values) line += std::string(pgwire::as_chars(*v)) + "\t";
    line.back() = '\n';
    rows.push_back(line);
  }
  std::string out;
  std::size_t bytes = 0, i = 0;
  for (auto _ : state) {
    const std::string& row = rows[i++ % rows.size()];
    out.clear();
    auto r = mask_copy_text_row(plan, pgwire::as_bytes(row), out);
    benchmark::DoNotOptimize(r);
    bytes += row.size();
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
  state.SetBytesProcessed(static_cast<std::int64_t>(bytes));
}
BENCHMARK(BM_MaskCopyTextRow);

// The rows of bench/run's masking section (bench/benchlib/masking.py, table `pii`): id, email,
// first_name, ssn, phone, notes, city, code, iban_text, amount; four column rules (email, hash,
// partial x2) and the detectors on the other text columns. What the relay does per DataRow there.
constexpr const char* kPiiRules = R"(
keys: { hmac: { env: PGVEIL_BENCH_KEY } }
profiles:
  bench-pii:
    columns:
      - { match: { name: '^email$' }, mask: email }
      - { match: { name: '^first_name$' }, mask: { hash: { length: 12 } } }
      - { match: { name: '^ssn$' }, mask: { partial: { keep_last: 4 } } }
      - { match: { name: '^phone$' }, mask: { partial: { keep_last: 4 } } }
    values:
      detect: [email, payment_card, iban, phone, national_id]
      mask: redact
)";

std::vector<std::string> pii_row_bodies() {
  const char* names[] = {"Anna", "Jürgen", "Chloé", "Mohammed", "Li", "Søren", "Maria", "José"};
  const char* cities[] = {"Berlin", "Paris", "Madrid", "Roma", "Lisboa"};
  std::uint64_t seed = 0x9e3779b97f4a7c15ULL;
  auto hex = [&](std::size_t n) {  // stands in for md5(): lowercase hex digits
    std::string s;
    for (std::size_t k = 0; k < n; ++k) {
      seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
      s.push_back("0123456789abcdef"[(seed >> 60) & 15]);
    }
    return s;
  };
  std::vector<std::string> bodies;
  for (int i = 1; i <= 256; ++i) {
    const std::string notes =
        i % 8 == 0   ? fmt::format("customer wrote from other{}@example.org about order {}", i, i)
        : i % 8 == 4 ? fmt::format("call back on +33 1 {:08}", i)
                     : fmt::format("order {} shipped in {} parcels, tracking {}", i, i % 7 + 1, hex(32));
    const std::vector<std::string> values{
        std::to_string(i),
        fmt::format("user{}@example.com", i),
        names[i % 8],
        fmt::format("{:03}-{:02}-{:04}", 100 + i % 565, i % 99 + 1, i % 9999 + 1),
        fmt::format("+49 30 {:07}", i),
        notes,
        cities[i % 5],
        fmt::format("ORD-{:08}", i),
        "ref " + hex(16),
        fmt::format("{:.2f}", (i % 100000) / 100.0),
    };
    bodies.push_back(data_row_body(values));
  }
  return bodies;
}

void BM_MaskPiiRow(benchmark::State& state) {
  static const auto pii_profile = compile_profile(kPiiRules, "bench-pii");
  const Column cols[] = {
      {"id", 23},    {"email", 25}, {"first_name", 25}, {"ssn", 25},       {"phone", 25},
      {"notes", 25}, {"city", 25},  {"code", 25},       {"iban_text", 25}, {"amount", 1700},
  };
  mask_rows(state, build_plan(pii_profile, fields_of(cols), no_identity), pii_row_bodies());
}
BENCHMARK(BM_MaskPiiRow);

// Detectors alone on a value without personal data: the RE2::Set first pass (the common case).
void BM_DetectCleanValue(benchmark::State& state) {
  const auto p = profile();
  const std::string value = "delivered on time, customer satisfied with the service";
  std::string out;
  for (auto _ : state) {
    out.clear();
    std::size_t n = 0;
    benchmark::DoNotOptimize(detect_and_mask(*p, {25, -1}, value, out, n));
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * value.size()));
}
BENCHMARK(BM_DetectCleanValue);

}  // namespace

BENCHMARK_MAIN();
