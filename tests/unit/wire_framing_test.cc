#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdint>
#include <random>
#include <vector>

#include "proxy/wire/framing.h"
#include "tests/unit/wire_support.h"

using namespace pgwire;
using pgwire::test::unhex;

namespace {

// Copies into an exact-size heap buffer so a sanitizer build catches any read past `in`.
std::variant<Frame, NeedMore, WireError> next_exact(const Decoder& d, std::string_view in, std::vector<std::uint8_t>& buf) {
  buf.assign(in.begin(), in.end());
  buf.shrink_to_fit();
  return d.next(Bytes(buf.data(), buf.size()));
}

struct Decoded {
  char type;
  std::string body;
};

// What a relay does: append what arrived, take every complete frame, keep the rest.
std::vector<Decoded> decode_in_chunks(const std::string& stream, const std::vector<std::size_t>& chunks) {
  const Decoder d(kMaxMessageLength);
  std::vector<Decoded> frames;
  std::string buffer;
  std::size_t fed = 0;
  for (std::size_t chunk : chunks) {
    buffer.append(stream, fed, chunk);
    fed += chunk;
    while (true) {
      auto r = d.next(as_bytes(buffer));
      if (auto* f = std::get_if<Frame>(&r)) {
        frames.push_back({f->type, std::string(as_chars(f->body))});
        buffer.erase(0, f->size);
        continue;
      }
      REQUIRE(std::holds_alternative<NeedMore>(r));
      CHECK(std::get<NeedMore>(r).total > buffer.size());
      break;
    }
  }
  CHECK(buffer.empty());
  return frames;
}

std::string all_frames(std::vector<Decoded>* expected) {
  std::string stream;
  for (const auto& s : pgwire::test::samples()) {
    stream += s.frame;
    expected->push_back({s.frame[0], s.frame.substr(5)});
  }
  return stream;
}

}  // namespace

TEST_CASE("every sample frame split at every offset: NeedMore until complete", "[wire][framing]") {
  const Decoder d(kMaxMessageLength);
  std::vector<std::uint8_t> buf;
  for (const auto& s : pgwire::test::samples()) {
    INFO(s.name);
    for (std::size_t k = 0; k < s.frame.size(); ++k) {
      auto r = next_exact(d, std::string_view(s.frame).substr(0, k), buf);
      REQUIRE(std::holds_alternative<NeedMore>(r));
      CHECK(std::get<NeedMore>(r).total == (k < kHeaderSize ? kHeaderSize : s.frame.size()));
    }
    auto r = next_exact(d, s.frame, buf);
    REQUIRE(std::holds_alternative<Frame>(r));
    const Frame& f = std::get<Frame>(r);
    CHECK(f.type == s.frame[0]);
    CHECK(f.size == s.frame.size());
    CHECK(as_chars(f.body) == std::string_view(s.frame).substr(5));
  }
}

TEST_CASE("several frames in one buffer come out one by one", "[wire][framing]") {
  std::vector<Decoded> expected;
  const std::string stream = all_frames(&expected);
  const auto frames = decode_in_chunks(stream, {stream.size()});
  REQUIRE(frames.size() == expected.size());
  for (std::size_t i = 0; i < frames.size(); ++i) {
    CHECK(frames[i].type == expected[i].type);
    CHECK(frames[i].body == expected[i].body);
  }
}

TEST_CASE("the whole stream fed one byte at a time and in random chunks", "[wire][framing]") {
  std::vector<Decoded> expected;
  const std::string stream = all_frames(&expected);
  std::vector<std::size_t> ones(stream.size(), 1);
  std::mt19937 rng(20240611);  // fixed seed: deterministic
  std::vector<std::size_t> random_chunks;
  for (std::size_t left = stream.size(); left > 0;) {
    const std::size_t n = std::min<std::size_t>(left, std::uniform_int_distribution<std::size_t>(1, 40)(rng));
    random_chunks.push_back(n);
    left -= n;
  }
  for (const auto* chunks : {&ones, &random_chunks}) {
    const auto frames = decode_in_chunks(stream, *chunks);
    REQUIRE(frames.size() == expected.size());
    for (std::size_t i = 0; i < frames.size(); ++i) {
      CHECK(frames[i].type == expected[i].type);
      CHECK(frames[i].body == expected[i].body);
    }
  }
}

TEST_CASE("captured PostgreSQL streams split into the frames the server sent", "[wire][framing]") {
  for (const auto& c : pgwire::test::captures()) {
    INFO(c.name);
    std::vector<std::size_t> ones(c.stream.size(), 1);
    const auto one_by_one = decode_in_chunks(c.stream, ones);
    const auto whole = decode_in_chunks(c.stream, {c.stream.size()});
    REQUIRE(one_by_one.size() == whole.size());
    REQUIRE_FALSE(whole.empty());
    std::size_t total = 0;
    for (std::size_t i = 0; i < whole.size(); ++i) {
      CHECK(one_by_one[i].body == whole[i].body);
      total += 5 + whole[i].body.size();
    }
    CHECK(total == c.stream.size());
  }
}

TEST_CASE("a length below 4 is a protocol violation, whatever follows", "[wire][framing]") {
  const Decoder d(kMaxMessageLength);
  for (std::uint32_t length : {0u, 1u, 2u, 3u}) {
    std::string frame = "Q";
    Writer(frame).u32(length);
    frame += "SELECT 1";
    auto r = d.next(as_bytes(frame));
    REQUIRE(std::holds_alternative<WireError>(r));
    CHECK_THAT(std::get<WireError>(r).message, Catch::Contains("invalid length") && Catch::Contains("'Q'"));
  }
}

TEST_CASE("a length over the limit fails from the header alone", "[wire][framing]") {
  const Decoder d(1000);
  const std::string at_limit = unhex("44 000003e8");
  auto ok = d.next(as_bytes(at_limit));
  REQUIRE(std::holds_alternative<NeedMore>(ok));
  CHECK(std::get<NeedMore>(ok).total == 1001);

  const std::string over = unhex("44 000003e9");
  auto bad = d.next(as_bytes(over));
  REQUIRE(std::holds_alternative<WireError>(bad));
  CHECK_THAT(std::get<WireError>(bad).message, Catch::Contains("over the limit of 1000"));

  const std::string huge = unhex("00 ffffffff");  // unsigned: not mistaken for -1
  auto h = Decoder(kMaxMessageLength).next(as_bytes(huge));
  REQUIRE(std::holds_alternative<WireError>(h));
  CHECK_THAT(std::get<WireError>(h).message, Catch::Contains("0x00"));
}

TEST_CASE("parse_header decides from five bytes without the body", "[wire][framing]") {
  const std::string header = unhex("64 00100004");  // CopyData of 1 MiB: stream it, do not buffer it
  auto r = parse_header(as_bytes(header), kMaxMessageLength);
  REQUIRE(std::holds_alternative<Header>(r));
  const Header h = std::get<Header>(r);
  CHECK(h.type == 'd');
  CHECK(h.length == 0x00100004u);
  CHECK(h.body_size() == 0x00100000u);
  CHECK(h.frame_size() == 0x00100005u);
  CHECK(std::get<NeedMore>(parse_header(as_bytes(header).first(4), kMaxMessageLength)).total == 5);
  CHECK(std::holds_alternative<WireError>(parse_header(as_bytes(header), 0x000fffff)));
}

TEST_CASE("an empty body is a complete frame", "[wire][framing]") {
  const std::string sync = unhex("53 00000004 51");  // Sync, then the first byte of a Query
  auto r = Decoder(kMaxMessageLength).next(as_bytes(sync));
  REQUIRE(std::holds_alternative<Frame>(r));
  CHECK(std::get<Frame>(r).size == 5);
  CHECK(std::get<Frame>(r).body.empty());
}

TEST_CASE("printable_type quotes printable bytes and shows others in hex", "[wire][framing]") {
  CHECK(printable_type('Q') == "'Q'");
  CHECK(printable_type('\x16') == "0x16");
  CHECK(printable_type('\xff') == "0xff");
}
