// Round trips in both directions (Redpanda's decode -> encode -> compare target, STYLE.md):
//   decode mode: every frame a typed view accepts is re-encoded by its builder; the bytes must be
//     identical (ErrorResponse/Notice: the re-encoded fields must parse to the same fields), and
//     the result must pass the format table.
//   builder mode (byte 0 has bit 7): messages are built from fuzzer-chosen values, then parsed;
//     the view must give back exactly those values.
#include <fuzzer/FuzzedDataProvider.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <variant>
#include <vector>

#include "proxy/wire/framing.h"
#include "proxy/wire/messages.h"
#include "proxy/wire/startup.h"
#include "tests/fuzz/fuzz_input.h"

using namespace pgwire;

namespace {

void check(bool ok) {
  if (!ok) std::abort();
}

Frame only_frame(const std::string& bytes) {
  auto r = Decoder(kMaxMessageLength).next(as_bytes(bytes));
  check(std::holds_alternative<Frame>(r));
  const Frame f = std::get<Frame>(r);
  check(f.size == bytes.size());
  return f;
}

void decode_mode(Side side, test::PasswordPhase phase, Bytes stream) {
  const Decoder decoder(fuzz::kMaxFuzzMessage);
  while (!stream.empty()) {
    auto r = decoder.next(stream);
    if (!std::holds_alternative<Frame>(r)) return;
    const Frame f = std::get<Frame>(r);
    const std::string_view original = as_chars(stream.first(f.size));
    stream = stream.subspan(f.size);
    auto again = test::reencode(side, f.type, f.body, phase);
    if (!again) continue;
    const Frame g = only_frame(*again);
    check(g.type == f.type);
    check(validate_message(side, g.type, g.body).has_value());
    if (side == Side::kBackend && (f.type == be::kErrorResponse || f.type == be::kNoticeResponse)) {
      check(parse_error_fields(g.body).value() == parse_error_fields(f.body).value());
    } else {
      check(*again == original);
    }
  }
}

std::string text(FuzzedDataProvider& in, std::size_t max = 64) {
  std::string s = in.ConsumeRandomLengthString(max);
  return s.substr(0, s.find('\0'));  // a String cannot hold a NUL
}

Value value(FuzzedDataProvider& in, std::vector<std::string>& storage) {
  if (in.ConsumeBool()) return std::nullopt;
  storage.push_back(in.ConsumeRandomLengthString(64));
  return as_bytes(storage.back());
}

void builder_mode(FuzzedDataProvider& in) {
  std::vector<std::string> storage;
  storage.reserve(256);  // Values point into it: no reallocation
  switch (in.ConsumeIntegralInRange(0, 4)) {
    case 0: {  // Bind
      const std::string portal = text(in), statement = text(in);
      std::vector<std::int16_t> pformats(in.ConsumeIntegralInRange<std::size_t>(0, 4));
      for (auto& f : pformats) f = in.ConsumeIntegral<std::int16_t>();
      std::vector<Value> params(in.ConsumeIntegralInRange<std::size_t>(0, 32));
      for (auto& p : params) p = value(in, storage);
      std::vector<std::int16_t> rformats(in.ConsumeIntegralInRange<std::size_t>(0, 4));
      for (auto& f : rformats) f = in.ConsumeIntegral<std::int16_t>();
      std::string out;
      encode_bind(out, portal, statement, pformats, params, rformats);
      const auto b = parse_bind(only_frame(out).body).value();
      check(b.portal == portal && b.statement == statement);
      check(std::vector<std::int16_t>(b.parameter_formats.begin(), b.parameter_formats.end()) == pformats);
      check(std::vector<std::int16_t>(b.result_formats.begin(), b.result_formats.end()) == rformats);
      std::size_t i = 0;
      for (const Value& v : b.parameters) {
        check(v.has_value() == params[i].has_value());
        if (v) check(as_chars(*v) == as_chars(*params[i]));
        ++i;
      }
      check(i == params.size());
      return;
    }
    case 1: {  // DataRow through DataRowWriter
      std::vector<Value> row(in.ConsumeIntegralInRange<std::size_t>(0, 64));
      for (auto& v : row) v = value(in, storage);
      std::string out;
      DataRowWriter w(out, row.size());
      for (const auto& v : row) w.value(v);
      w.finish();
      const auto parsed = parse_data_row(only_frame(out).body).value();
      std::size_t i = 0;
      for (const Value& v : parsed.values) {
        check(v.has_value() == row[i].has_value());
        if (v) check(as_chars(*v) == as_chars(*row[i]));
        ++i;
      }
      check(i == row.size());
      return;
    }
    case 2: {  // RowDescription
      std::vector<std::string> names(in.ConsumeIntegralInRange<std::size_t>(0, 16));
      std::vector<FieldDescription> fields;
      for (auto& name : names) {
        name = text(in, 16);
        fields.push_back({name, in.ConsumeIntegral<std::uint32_t>(), in.ConsumeIntegral<std::int16_t>(),
                          in.ConsumeIntegral<std::uint32_t>(), in.ConsumeIntegral<std::int16_t>(),
                          in.ConsumeIntegral<std::int32_t>(), in.ConsumeIntegral<std::int16_t>()});
      }
      std::string out;
      encode_row_description(out, fields);
      const auto d = parse_row_description(only_frame(out).body).value();
      check(std::vector<FieldDescription>(d.begin(), d.end()) == fields);
      return;
    }
    case 3: {  // ErrorResponse / NoticeResponse
      ErrorFields e = make_error(text(in), text(in), text(in), text(in), text(in));
      const std::string known = "SVCMDH";
      for (std::size_t n = in.ConsumeIntegralInRange<std::size_t>(0, 6); n > 0; --n) {
        const char code = in.ConsumeIntegral<char>();
        if (code == '\0' || known.find(code) != std::string::npos) continue;
        e.other.emplace_back(code, text(in));
      }
      std::string out;
      encode_error_response(out, e);
      auto parsed = parse_error_fields(only_frame(out).body).value();
      check(parsed == e);
      return;
    }
    default: {  // StartupMessage
      StartupMessage m;
      m.minor = in.ConsumeIntegral<std::uint16_t>();
      for (std::size_t n = in.ConsumeIntegralInRange<std::size_t>(0, 8); n > 0; --n) {
        std::string name = text(in, 32);
        if (name.empty()) continue;
        m.params.emplace_back(std::move(name), text(in, 64));
      }
      std::string out;
      encode_startup_message(out, m);
      auto r = decode_startup(as_bytes(out));
      const auto& back = std::get<StartupMessage>(std::get<StartupFrame>(r).packet);
      check(back.minor == m.minor && back.params == m.params);
      return;
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  if ((data[0] & fuzz::kBuilderMode) != 0) {
    FuzzedDataProvider in(data + 1, size - 1);
    builder_mode(in);
    return 0;
  }
  decode_mode(fuzz::side_of(data[0]), fuzz::phase_of(data[0]), Bytes(data + 1, size - 1));
  return 0;
}
