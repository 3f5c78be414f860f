// Frames a frontend or backend byte stream and runs every frame through the format table and its
// typed view (tests/fuzz/fuzz_input.h says how byte 0 picks the side). Checks, beyond
// ASan/UBSan's: the decoder never claims bytes it was not given, NeedMore always asks for more
// than it has, feeding the stream in two parts gives the same frames, and a typed parser never
// accepts a body the table refuses (and accepts exactly what it accepts where it adds no check).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>
#include <variant>

#include "proxy/wire/framing.h"
#include "proxy/wire/messages.h"
#include "tests/fuzz/fuzz_input.h"

using namespace pgwire;

namespace {

void check(bool ok) {
  if (!ok) std::abort();
}

bool structural_only(Side side, char type) {
  const std::string_view strict = side == Side::kFrontend ? "CDp" : "RKZvGHW";
  return strict.find(type) == std::string_view::npos;
}

void exercise(Side side, const Frame& f, test::PasswordPhase phase) {
  const bool table = validate_message(side, f.type, f.body).has_value();
  const bool typed = test::reencode(side, f.type, f.body, phase).has_value();
  if (typed) check(table);
  if (structural_only(side, f.type)) check(table == typed);
  if (f.type == fe::kPassword && side == Side::kFrontend) {
    // Whatever the phase, each reading of 'p' must stay in bounds.
    (void)parse_password_message(f.body);
    (void)parse_sasl_initial_response(f.body);
  }
  if (side == Side::kBackend && f.type == be::kDataRow) {
    if (auto row = parse_data_row(f.body)) {
      std::size_t columns = 0, bytes = 0;
      for (const Value& v : row->values) {
        ++columns;
        if (v) bytes += v->size();
      }
      check(columns == row->size());
      check(bytes <= f.body.size());
    }
  }
  if (side == Side::kBackend && f.type == be::kRowDescription) {
    if (auto desc = parse_row_description(f.body)) {
      std::size_t n = 0;
      const auto* begin = reinterpret_cast<const char*>(f.body.data());
      for (const auto& field : *desc) {
        check(field.name.data() >= begin && field.name.data() + field.name.size() <= begin + f.body.size());
        ++n;
      }
      check(n == desc->size());
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const Side side = fuzz::side_of(data[0]);
  const auto phase = fuzz::phase_of(data[0]);
  const Bytes stream(data + 1, size - 1);
  const Decoder decoder(fuzz::kMaxFuzzMessage);

  Bytes rest = stream;
  while (!rest.empty()) {
    auto r = decoder.next(rest);
    if (const auto* more = std::get_if<NeedMore>(&r)) {
      check(more->total > rest.size());
      // The header alone must tell the same story.
      auto h = parse_header(rest, fuzz::kMaxFuzzMessage);
      check(std::holds_alternative<NeedMore>(h) == (rest.size() < kHeaderSize));
      break;
    }
    if (std::holds_alternative<WireError>(r)) {
      check(std::holds_alternative<WireError>(parse_header(rest, fuzz::kMaxFuzzMessage)));
      break;
    }
    const Frame f = std::get<Frame>(r);
    check(f.size >= kHeaderSize && f.size <= rest.size());
    check(f.size == kHeaderSize + f.body.size());
    check(f.body.data() == rest.data() + kHeaderSize);
    exercise(side, f, phase);
    rest = rest.subspan(f.size);
  }

  // Split the stream at a point chosen by its own bytes: the first frame must not change.
  if (stream.size() > 1) {
    const std::size_t cut = stream[stream.size() - 1] % stream.size();
    auto partial = decoder.next(stream.first(cut));
    auto whole = decoder.next(stream);
    if (const auto* f = std::get_if<Frame>(&partial)) {
      const auto* g = std::get_if<Frame>(&whole);
      check(g != nullptr && g->size == f->size && g->type == f->type);
    }
    if (std::holds_alternative<WireError>(partial)) check(std::holds_alternative<WireError>(whole));
    if (std::holds_alternative<Frame>(whole) && std::get<Frame>(whole).size > cut) {
      check(std::holds_alternative<NeedMore>(partial));
    }
  }
  return 0;
}
