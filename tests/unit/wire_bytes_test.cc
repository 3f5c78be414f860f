#include <catch2/catch.hpp>

#include <stdexcept>

#include "proxy/wire/bytes.h"
#include "tests/unit/wire_support.h"

using namespace pgwire;
using pgwire::test::unhex;

TEST_CASE("Reader reads big-endian integers and strings in order", "[wire][bytes]") {
  const std::string data = unhex("ff 8001 fffffffe 00000017 616200 0102");
  Reader r(as_bytes(data));
  CHECK(r.u8().value() == 0xff);
  CHECK(r.i16().value() == -32767);
  CHECK(r.i32().value() == -2);
  CHECK(r.u32().value() == 23u);
  CHECK(r.cstr().value() == "ab");
  CHECK(r.remaining() == 2);
  CHECK(r.u16().value() == 0x0102);
  CHECK(r.at_end());
}

TEST_CASE("Reader counts are unsigned: 65535 parameters is legal", "[wire][bytes]") {
  const std::string data = unhex("ffff");
  Reader r(as_bytes(data));
  CHECK(r.u16().value() == 65535);
}

TEST_CASE("Reader fails without consuming when a field is short", "[wire][bytes]") {
  const std::string data = unhex("000102");
  Reader r(as_bytes(data));
  auto v = r.i32();
  REQUIRE_FALSE(v.has_value());
  CHECK_THAT(v.error().message, Catch::Contains("needs 4 bytes, 3 left"));
  CHECK(r.remaining() == 3);
  CHECK_FALSE(r.bytes(4).has_value());
  CHECK(r.bytes(3).value().size() == 3);
  CHECK_FALSE(r.u8().has_value());
  CHECK_FALSE(r.i16().has_value());
}

TEST_CASE("Reader::cstr needs a NUL inside the body", "[wire][bytes]") {
  const std::string data = "abc";
  Reader r(as_bytes(data));
  auto s = r.cstr();
  REQUIRE_FALSE(s.has_value());
  CHECK_THAT(s.error().message, Catch::Contains("unterminated string"));
  CHECK(r.remaining() == 3);

  Reader empty{Bytes{}};
  CHECK_FALSE(empty.cstr().has_value());

  const std::string nul_only(1, '\0');
  Reader r2(as_bytes(nul_only));
  CHECK(r2.cstr().value().empty());
  CHECK(r2.at_end());
}

TEST_CASE("Reader::rest consumes everything and consumed_since returns the span", "[wire][bytes]") {
  const std::string data = "xyz";
  Reader r(as_bytes(data));
  CHECK(r.u8().value() == 'x');
  const auto start = r.position();
  CHECK(as_chars(r.rest()) == "yz");
  CHECK(as_chars(r.consumed_since(start)) == "yz");
  CHECK(r.at_end());
  CHECK(r.rest().empty());
}

TEST_CASE("Writer builds typed and untyped messages with a patched length", "[wire][bytes]") {
  std::string out = "prefix";
  Writer w(out);
  const auto mark = w.begin('Q');
  w.cstr("SELECT 1");
  w.end(mark);
  CHECK(out == "prefix" + unhex("51 0000000d") + std::string("SELECT 1\0", 9));

  std::string untyped;
  Writer u(untyped);
  const auto m2 = u.begin_untyped();
  u.i32(80877103);
  u.end(m2);
  CHECK(untyped == unhex("00000008 04d2162f"));
}

TEST_CASE("Writer writes every width big-endian", "[wire][bytes]") {
  std::string out;
  Writer w(out);
  w.u8(1);
  w.i16(-2);
  w.u16(0xabcd);
  w.i32(-3);
  w.u32(0x01020304);
  w.bytes(std::string_view("ab"));
  w.bytes(as_bytes("c"));
  CHECK(out == unhex("01 fffe abcd fffffffd 01020304 616263"));
}

TEST_CASE("Writer::cstr stops at an embedded NUL so it cannot forge fields", "[wire][bytes]") {
  std::string out;
  Writer(out).cstr(std::string_view("ab\0Mforged", 10));
  CHECK(out == std::string("ab\0", 3));
}

TEST_CASE("Writer::count16 refuses more than 65535 entries", "[wire][bytes]") {
  std::string out;
  Writer w(out);
  w.count16(65535);
  CHECK(out == unhex("ffff"));
  CHECK_THROWS_AS(w.count16(65536), std::length_error);
}

TEST_CASE("as_bytes and as_chars view the same memory", "[wire][bytes]") {
  const std::string s = "hello";
  const Bytes b = as_bytes(s);
  CHECK(b.size() == 5);
  CHECK(static_cast<const void*>(b.data()) == static_cast<const void*>(s.data()));
  CHECK(as_chars(b) == "hello");
}

TEST_CASE("hex helpers round trip", "[wire][bytes]") {
  CHECK(pgwire::test::to_hex(unhex("00 ff 7f")) == "00ff7f");
}
