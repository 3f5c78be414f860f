#include <catch2/catch.hpp>

#include <array>
#include <vector>

#include "proxy/wire/framing.h"
#include "proxy/wire/messages.h"
#include "tests/unit/wire_support.h"

using namespace pgwire;
using pgwire::test::unhex;

namespace {

template <std::size_t N>
std::string_view lit(const char (&s)[N]) {
  return {s, N - 1};
}

std::string body_of(const std::string& frame) { return frame.substr(5); }

template <class F>
std::string build(F&& f) {
  std::string out;
  f(out);
  return out;
}

}  // namespace

TEST_CASE("Query matches the documented bytes", "[wire][frontend]") {
  const std::string q = build([](std::string& o) { encode_query(o, "SELECT 1"); });
  CHECK(q == unhex("51 0000000d 53454c4543542031 00"));
  const auto q_body = body_of(q);
  CHECK(parse_query(as_bytes(q_body)).value().sql == "SELECT 1");
  CHECK_FALSE(parse_query(as_bytes("SELECT 1")).has_value());  // no NUL
  const auto two = parse_query(as_bytes(lit("a\0b\0")));
  REQUIRE_FALSE(two.has_value());
  CHECK_THAT(two.error().message, Catch::Contains("invalid Query message") && Catch::Contains("2 unexpected bytes"));
}

TEST_CASE("Parse carries parameter type OIDs", "[wire][frontend]") {
  const std::array<std::uint32_t, 3> oids = {23, 0, 4294967295u};
  const auto frame = build([&](std::string& o) { encode_parse(o, "s1", "SELECT $1, $2, $3", oids); });
  const auto parse_body = body_of(frame);
  const auto p = parse_parse(as_bytes(parse_body));
  REQUIRE(p.has_value());
  CHECK(p->statement == "s1");
  CHECK(p->query == "SELECT $1, $2, $3");
  CHECK(std::vector<std::uint32_t>(p->parameter_types.begin(), p->parameter_types.end()) ==
        std::vector<std::uint32_t>(oids.begin(), oids.end()));
  CHECK(p->parameter_types[2] == 4294967295u);
}

TEST_CASE("Bind views parameters, NULLs and format codes", "[wire][frontend]") {
  const std::array<std::int16_t, 2> pformats = {kFormatBinary, kFormatText};
  const std::string int4 = unhex("0000002a");
  const std::array<Value, 3> params = {as_bytes(int4), std::nullopt, text_value("")};
  const std::array<std::int16_t, 1> rformats = {kFormatBinary};
  const auto frame = build([&](std::string& o) { encode_bind(o, "p1", "s1", pformats, params, rformats); });
  const auto bind_body = body_of(frame);
  const auto b = parse_bind(as_bytes(bind_body));
  REQUIRE(b.has_value());
  CHECK(b->portal == "p1");
  CHECK(b->statement == "s1");
  REQUIRE(b->parameters.size() == 3);
  auto it = b->parameters.begin();
  CHECK(as_chars(**it) == int4);
  ++it;
  CHECK_FALSE((*it).has_value());
  ++it;
  REQUIRE((*it).has_value());
  CHECK((*it)->empty());  // empty string, not NULL
  ++it;
  CHECK(it == b->parameters.end());
  CHECK(b->parameter_format(0) == kFormatBinary);
  CHECK(b->parameter_format(1) == kFormatText);
  CHECK(b->parameter_format(2) == std::nullopt);  // two codes listed, none for the third
  CHECK(b->result_format(0) == kFormatBinary);    // one code applies to every column
  CHECK(b->result_format(99) == kFormatBinary);
}

TEST_CASE("Bind with no result formats means text for every column (PROTOCOL.md 19)", "[wire][frontend]") {
  const auto frame = build([](std::string& o) { encode_bind(o, "", "", {}, {}, {}); });
  CHECK(frame == unhex("42 0000000c 00 00 0000 0000 0000"));
  const auto bind_body = body_of(frame);
  const auto b = parse_bind(as_bytes(bind_body));
  REQUIRE(b.has_value());
  CHECK(b->result_format(5) == kFormatText);
  CHECK(b->parameters.empty());
}

TEST_CASE("Bind rejects negative lengths other than -1 and lying counts", "[wire][frontend]") {
  // portal "", statement "", 0 formats, 1 value of length -2.
  auto neg = parse_bind(as_bytes(unhex("00 00 0000 0001 fffffffe 0000")));
  REQUIRE_FALSE(neg.has_value());
  CHECK_THAT(neg.error().message, Catch::Contains("negative length -2"));
  // A value longer than what is left.
  auto long_value = parse_bind(as_bytes(unhex("00 00 0000 0001 00000010 41 0000")));
  REQUIRE_FALSE(long_value.has_value());
  CHECK_THAT(long_value.error().message, Catch::Contains("exceeds"));
  // 65535 values announced, none present.
  CHECK_FALSE(parse_bind(as_bytes(unhex("00 00 0000 ffff"))).has_value());
  // 3 format codes announced, one present.
  CHECK_FALSE(parse_bind(as_bytes(unhex("00 00 0003 0001 0000 0000"))).has_value());
  // Result formats missing entirely.
  CHECK_FALSE(parse_bind(as_bytes(unhex("00 00 0000 0000"))).has_value());
}

TEST_CASE("Bind with 65535 parameters is accepted (counts are unsigned)", "[wire][frontend]") {
  std::vector<Value> params(65535, std::nullopt);
  const auto frame = build([&](std::string& o) { encode_bind(o, "", "", {}, params, {}); });
  const auto bind_body = body_of(frame);
  const auto b = parse_bind(as_bytes(bind_body));
  REQUIRE(b.has_value());
  CHECK(b->parameters.size() == 65535);
  std::size_t nulls = 0;
  for (const Value& v : b->parameters) nulls += v.has_value() ? 0 : 1;
  CHECK(nulls == 65535);
}

TEST_CASE("Describe and Close name a statement or a portal", "[wire][frontend]") {
  // Views point into the body: keep it alive while they are used.
  const auto describe = body_of(build([](std::string& o) { encode_describe(o, 'S', "s1"); }));
  const auto close = body_of(build([](std::string& o) { encode_close(o, 'P', ""); }));
  const auto d = parse_describe(as_bytes(describe));
  REQUIRE(d.has_value());
  CHECK(d->target == kTargetStatement);
  CHECK(d->name == "s1");
  const auto c = parse_close(as_bytes(close));
  REQUIRE(c.has_value());
  CHECK(c->target == kTargetPortal);
  CHECK(c->name.empty());
  const auto bad = parse_describe(as_bytes(lit("Xs1\0")));
  REQUIRE_FALSE(bad.has_value());
  CHECK_THAT(bad.error().message, Catch::Contains("neither 'S'"));
  CHECK_FALSE(parse_close(as_bytes(lit("S"))).has_value());
}

TEST_CASE("Execute carries the row limit", "[wire][frontend]") {
  const auto execute = body_of(build([](std::string& o) { encode_execute(o, "p1", 100); }));
  const auto e = parse_execute(as_bytes(execute));
  REQUIRE(e.has_value());
  CHECK(e->portal == "p1");
  CHECK(e->max_rows == 100);
  CHECK_FALSE(parse_execute(as_bytes(lit("p1\0\0\0"))).has_value());
}

TEST_CASE("FunctionCall views its arguments (PROTOCOL.md 16)", "[wire][frontend]") {
  // Captured: int4abs(-7) called through the fast path, binary in and out.
  const std::string body = unhex("00000575 0001 0001 0001 00000004 fffffff9 0001");
  const auto f = parse_function_call(as_bytes(body));
  REQUIRE(f.has_value());
  CHECK(f->function_oid == 1397);
  CHECK(f->argument_formats.size() == 1);
  CHECK(f->argument_formats[0] == kFormatBinary);
  REQUIRE(f->arguments.size() == 1);
  CHECK(as_chars(**f->arguments.begin()) == unhex("fffffff9"));
  CHECK(f->result_format == kFormatBinary);
  CHECK_FALSE(parse_function_call(as_bytes(body.substr(0, body.size() - 1))).has_value());
}

TEST_CASE("password-phase 'p' bodies are read by phase (PROTOCOL.md 11)", "[wire][frontend][auth]") {
  const auto pw = build([](std::string& o) { encode_password_message(o, "md5abc"); });
  CHECK(pw == unhex("70 0000000b") + std::string(lit("md5abc\0")));
  const auto pw_body = body_of(pw);
  CHECK(parse_password_message(as_bytes(pw_body)).value() == "md5abc");
  CHECK_FALSE(parse_password_message(as_bytes("no nul")).has_value());

  const auto init = build([](std::string& o) { encode_sasl_initial_response(o, "SCRAM-SHA-256", "n,,n=,r=abc"); });
  const auto init_body = body_of(init);
  const auto s = parse_sasl_initial_response(as_bytes(init_body));
  REQUIRE(s.has_value());
  CHECK(s->mechanism == "SCRAM-SHA-256");
  REQUIRE(s->data.has_value());
  CHECK(as_chars(*s->data) == "n,,n=,r=abc");

  const auto none = parse_sasl_initial_response(as_bytes(lit("SCRAM-SHA-256\0\xff\xff\xff\xff")));
  REQUIRE(none.has_value());
  CHECK_FALSE(none->data.has_value());
  CHECK_FALSE(parse_sasl_initial_response(as_bytes(lit("SCRAM-SHA-256\0\x00\x00\x00\x09short"))).has_value());
  CHECK_FALSE(parse_sasl_initial_response(as_bytes(lit("SCRAM-SHA-256\0\xff\xff\xff\xfe"))).has_value());

  const auto resp = build([](std::string& o) { encode_sasl_response(o, "c=biws,r=abc,p=xyz"); });
  CHECK(resp.substr(5) == "c=biws,r=abc,p=xyz");
}

TEST_CASE("Sync, Flush and Terminate are five bytes; bodies are refused", "[wire][frontend]") {
  CHECK(build([](std::string& o) { encode_sync(o); }) == unhex("53 00000004"));
  CHECK(build([](std::string& o) { encode_flush(o); }) == unhex("48 00000004"));
  CHECK(build([](std::string& o) { encode_terminate(o); }) == unhex("58 00000004"));
  CHECK(parse_empty(Bytes{}, "Sync").has_value());
  const auto bad = parse_empty(as_bytes("x"), "Sync");
  REQUIRE_FALSE(bad.has_value());
  CHECK_THAT(bad.error().message, Catch::Contains("invalid Sync message"));
}

TEST_CASE("CopyFail carries a message; CopyData and CopyDone are the same bytes on both sides", "[wire][frontend][copy]") {
  const auto f = build([](std::string& o) { encode_copy_fail(o, "aborted"); });
  CHECK(f[0] == 'f');
  const auto fail_body = body_of(f);
  CHECK(parse_copy_fail(as_bytes(fail_body)).value().message == "aborted");
  CHECK(build([](std::string& o) { encode_copy_done(o); }) == unhex("63 00000004"));
  CHECK(build([](std::string& o) { encode_copy_data(o, "1\tx\n"); }) == unhex("64 00000008 3109780a"));
}
