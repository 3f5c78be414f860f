#include <catch2/catch.hpp>

#include "proxy/wire/error.h"
#include "proxy/wire/framing.h"
#include "tests/unit/wire_support.h"

using namespace pgwire;
using pgwire::test::unhex;

namespace {

// A string literal with its embedded NULs, without counting bytes by hand.
template <std::size_t N>
std::string_view lit(const char (&s)[N]) {
  return {s, N - 1};
}

// The body of the one frame in `frame`, checking its type.
Bytes body_of(const std::string& frame, char type) {
  auto r = Decoder(kMaxMessageLength).next(as_bytes(frame));
  REQUIRE(std::holds_alternative<Frame>(r));
  REQUIRE(std::get<Frame>(r).type == type);
  REQUIRE(std::get<Frame>(r).size == frame.size());
  return std::get<Frame>(r).body;
}

}  // namespace

TEST_CASE("make_error encodes S, V, C, M, D, H in PostgreSQL's order", "[wire][error]") {
  std::string out;
  encode_error_response(out, make_error("FATAL", "28000", "no grant", "pgveil request ...", "grant expired"));
  const std::string expected_body = std::string(lit("SFATAL\0VFATAL\0C28000\0Mno grant\0Dgrant expired\0Hpgveil request ...\0\0"));
  std::string expected = "E";
  Writer(expected).u32(static_cast<std::uint32_t>(4 + expected_body.size()));
  CHECK(out == expected + expected_body);
}

TEST_CASE("empty detail and hint are omitted", "[wire][error]") {
  std::string out;
  encode_notice_response(out, make_error("NOTICE", "00000", "hi"));
  CHECK(out[0] == 'N');
  CHECK(std::string_view(out).substr(5) == lit("SNOTICE\0VNOTICE\0C00000\0Mhi\0\0"));
}

TEST_CASE("error fields round trip through encode and parse", "[wire][error]") {
  ErrorFields f = make_error("ERROR", "23505", "duplicate key value", "use another email", "Key (email)=(a@b.c)");
  f.other = {{'S', "FEHLER"}, {'s', "public"}, {'t', "users"}, {'n', "users_email_key"}, {'F', "nbtinsert.c"},
             {'L', "664"}, {'R', "_bt_check_unique"}};
  std::string out;
  encode_error_response(out, f);
  const auto parsed = parse_error_fields(body_of(out, 'E'));
  REQUIRE(parsed.has_value());
  CHECK(*parsed == f);
  CHECK(*parsed->get('S') == "FEHLER");
  CHECK(*parsed->get('V') == "ERROR");
  CHECK(*parsed->get('t') == "users");
  CHECK(*parsed->get('D') == "Key (email)=(a@b.c)");
  CHECK(parsed->get('q') == nullptr);
}

TEST_CASE("a real PostgreSQL unique violation parses field by field", "[wire][error]") {
  const std::string* stream = nullptr;
  for (const auto& c : pgwire::test::captures()) {
    if (c.name == "unique violation (server)") stream = &c.stream;
  }
  REQUIRE(stream != nullptr);
  std::string_view rest = *stream;
  const Decoder d(kMaxMessageLength);
  bool seen = false;
  while (!rest.empty()) {
    auto r = d.next(as_bytes(rest));
    REQUIRE(std::holds_alternative<Frame>(r));
    const Frame f = std::get<Frame>(r);
    if (f.type == 'E') {
      const auto e = parse_error_fields(f.body);
      REQUIRE(e.has_value());
      CHECK(e->severity == "ERROR");
      CHECK(e->sqlstate == "23505");
      CHECK(e->message == "duplicate key value violates unique constraint \"u_pkey\"");
      CHECK(e->detail == "Key (email)=(a@example.com) already exists.");
      CHECK(*e->get('t') == "u");
      CHECK(*e->get('n') == "u_pkey");
      // PostgreSQL's order is ours: the re-encoded frame is byte-identical.
      std::string out;
      encode_error_response(out, *e);
      CHECK(out == rest.substr(0, f.size));
      seen = true;
    }
    rest.remove_prefix(f.size);
  }
  CHECK(seen);
}

TEST_CASE("without V (before 9.6) the severity comes from S", "[wire][error]") {
  const auto e = parse_error_fields(as_bytes(lit("SERROR\0C42P01\0Mno table\0\0")));
  REQUIRE(e.has_value());
  CHECK(e->severity == "ERROR");
  CHECK(e->other.empty());
}

TEST_CASE("a repeated named field keeps its last value, like libpq", "[wire][error]") {
  const auto e = parse_error_fields(as_bytes(lit("Mfirst\0Msecond\0Ppos1\0Ppos2\0\0")));
  REQUIRE(e.has_value());
  CHECK(e->message == "second");
  REQUIRE(e->other.size() == 2);
  CHECK(*e->get('P') == "pos2");
}

TEST_CASE("malformed field lists are refused", "[wire][error]") {
  CHECK_FALSE(parse_error_fields(Bytes{}).has_value());
  CHECK_FALSE(parse_error_fields(as_bytes("Mno terminator")).has_value());
  CHECK_FALSE(parse_error_fields(as_bytes(lit("Mok\0"))).has_value());
  const auto trailing = parse_error_fields(as_bytes(lit("Mok\0\0X")));
  REQUIRE_FALSE(trailing.has_value());
  CHECK_THAT(trailing.error().message, Catch::Contains("after the terminator"));
  CHECK(parse_error_fields(as_bytes(lit("\0"))).has_value());
}

TEST_CASE("a NUL inside a value cannot inject fields", "[wire][error]") {
  std::string out;
  encode_error_response(out, make_error("ERROR", "42501", std::string(lit("denied\0Dforged"))));
  const auto e = parse_error_fields(body_of(out, 'E'));
  REQUIRE(e.has_value());
  CHECK(e->message == "denied");
  CHECK(e->detail.empty());
}
