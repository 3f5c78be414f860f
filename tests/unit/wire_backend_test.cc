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

template <class F>
std::string build(F&& f) {
  std::string out;
  f(out);
  return out;
}

Bytes body(const std::string& frame) { return as_bytes(frame).subspan(5); }

// The frames of a captured server stream with the given type, in order.
std::vector<std::string> captured(std::string_view capture, char type) {
  std::vector<std::string> out;
  for (const auto& c : pgwire::test::captures()) {
    if (c.name != capture) continue;
    std::string_view rest = c.stream;
    while (!rest.empty()) {
      auto r = Decoder(kMaxMessageLength).next(as_bytes(rest));
      const auto f = std::get<Frame>(r);
      if (f.type == type) out.emplace_back(rest.substr(0, f.size));
      rest.remove_prefix(f.size);
    }
  }
  return out;
}

}  // namespace

TEST_CASE("Authentication requests of every code", "[wire][backend][auth]") {
  const auto ok_frame = build([](std::string& o) { encode_authentication_ok(o); });
  const auto ok = parse_authentication(body(ok_frame));
  REQUIRE(ok.has_value());
  CHECK(ok->code == kAuthOk);
  CHECK(ok->data.empty());

  CHECK(build([](std::string& o) { encode_authentication_cleartext(o); }) == unhex("52 00000008 00000003"));
  const auto md5 = build([](std::string& o) { encode_authentication_md5(o, {0xde, 0xad, 0xbe, 0xef}); });
  CHECK(md5 == unhex("52 0000000c 00000005 deadbeef"));
  const auto m = parse_authentication(body(md5));
  REQUIRE(m.has_value());
  CHECK(as_chars(m->data) == unhex("deadbeef"));

  const std::array<std::string, 2> mechs = {"SCRAM-SHA-256-PLUS", "SCRAM-SHA-256"};
  const auto sasl = parse_authentication(body(build([&](std::string& o) { encode_authentication_sasl(o, mechs); })));
  REQUIRE(sasl.has_value());
  CHECK(sasl->code == kAuthSasl);
  CHECK(sasl->mechanisms == std::vector<std::string>(mechs.begin(), mechs.end()));

  // Views point into the frame: keep it alive while they are used.
  const auto cont_frame = build([](std::string& o) { encode_authentication_sasl_continue(o, "r=abc,s=xyz,i=4096"); });
  const auto cont = parse_authentication(body(cont_frame));
  REQUIRE(cont.has_value());
  CHECK(cont->code == kAuthSaslContinue);
  CHECK(as_chars(cont->data) == "r=abc,s=xyz,i=4096");
  const auto fin_frame = build([](std::string& o) { encode_authentication_sasl_final(o, "v=sig"); });
  const auto fin = parse_authentication(body(fin_frame));
  REQUIRE(fin.has_value());
  CHECK(fin->code == kAuthSaslFinal);
  CHECK(as_chars(fin->data) == "v=sig");
}

TEST_CASE("the real server's SCRAM offer parses", "[wire][backend][auth]") {
  const auto frames = captured("scram (server)", 'R');
  REQUIRE(frames.size() == 1);
  const auto a = parse_authentication(body(frames[0]));
  REQUIRE(a.has_value());
  CHECK(a->mechanisms == std::vector<std::string>{"SCRAM-SHA-256"});
}

TEST_CASE("malformed Authentication requests are refused", "[wire][backend][auth]") {
  CHECK_FALSE(parse_authentication(as_bytes(unhex("000000"))).has_value());
  const auto unknown = parse_authentication(as_bytes(unhex("0000000d")));
  REQUIRE_FALSE(unknown.has_value());
  CHECK_THAT(unknown.error().message, Catch::Contains("unknown authentication request code 13"));
  CHECK_FALSE(parse_authentication(as_bytes(unhex("00000000 00"))).has_value());           // Ok with data
  CHECK_FALSE(parse_authentication(as_bytes(unhex("00000005 010203"))).has_value());       // 3-byte salt
  CHECK_FALSE(parse_authentication(as_bytes(unhex("00000005 0102030405"))).has_value());   // 5-byte salt
  CHECK_FALSE(parse_authentication(as_bytes(unhex("0000000a 00"))).has_value());           // no mechanism
  CHECK_FALSE(parse_authentication(as_bytes(unhex("0000000a 41"))).has_value());           // unterminated
  CHECK_FALSE(parse_authentication(as_bytes(unhex("0000000a 4100"))).has_value());         // no empty string
  CHECK_FALSE(parse_authentication(as_bytes(unhex("0000000a 41000042"))).has_value());     // junk after list
}

TEST_CASE("BackendKeyData keys of 4 to 256 bytes", "[wire][backend]") {
  const auto k = build([](std::string& o) { encode_backend_key_data(o, 11569, std::string(lit("\x28\xb6\x00\xd0"))); });
  CHECK(k == unhex("4b 0000000c 00002d31 28b600d0"));
  const auto parsed = parse_backend_key_data(body(k));
  REQUIRE(parsed.has_value());
  CHECK(parsed->pid == 11569);
  CHECK(parsed->key == std::string(lit("\x28\xb6\x00\xd0")));
  const auto k256 = build([](std::string& o) { encode_backend_key_data(o, 1, std::string(256, 'k')); });
  CHECK(parse_backend_key_data(body(k256)).has_value());
  const auto k257 = build([](std::string& o) { encode_backend_key_data(o, 1, std::string(257, 'k')); });
  CHECK_FALSE(parse_backend_key_data(body(k257)).has_value());
  CHECK_FALSE(parse_backend_key_data(as_bytes(unhex("00000001 010203"))).has_value());
}

TEST_CASE("ParameterStatus and ReadyForQuery from a real startup", "[wire][backend]") {
  const auto statuses = captured("startup (server)", 'S');
  REQUIRE(statuses.size() == 13);
  bool saw_encoding = false;
  for (const auto& s : statuses) {
    const auto p = parse_parameter_status(body(s));
    REQUIRE(p.has_value());
    if (p->name == "client_encoding") saw_encoding = p->value == "UTF8";
  }
  CHECK(saw_encoding);
  const auto z = captured("startup (server)", 'Z');
  REQUIRE(z.size() == 1);
  CHECK(parse_ready_for_query(body(z[0])).value() == kTxIdle);
  for (char status : {kTxIdle, kTxInBlock, kTxFailed}) {
    CHECK(parse_ready_for_query(body(build([&](std::string& o) { encode_ready_for_query(o, status); }))).value() == status);
  }
  CHECK_FALSE(parse_ready_for_query(as_bytes("X")).has_value());
  CHECK_FALSE(parse_ready_for_query(as_bytes("II")).has_value());
  CHECK_FALSE(parse_ready_for_query(Bytes{}).has_value());
}

TEST_CASE("RowDescription and DataRow of a real simple query", "[wire][backend][rows]") {
  // SELECT 1 AS a, NULL::text AS b, 'x'::text AS c
  const auto t = captured("simple query (server)", 'T');
  REQUIRE(t.size() == 1);
  const auto desc = parse_row_description(body(t[0]));
  REQUIRE(desc.has_value());
  REQUIRE(desc->size() == 3);
  const std::vector<FieldDescription> fields(desc->begin(), desc->end());
  CHECK(fields[0] == FieldDescription{"a", 0, 0, 23, 4, -1, 0});
  CHECK(fields[1] == FieldDescription{"b", 0, 0, 25, -1, -1, 0});
  CHECK(fields[2] == FieldDescription{"c", 0, 0, 25, -1, -1, 0});

  const auto d = captured("simple query (server)", 'D');
  REQUIRE(d.size() == 1);
  const auto row = parse_data_row(body(d[0]));
  REQUIRE(row.has_value());
  REQUIRE(row->size() == 3);
  const std::vector<Value> values(row->values.begin(), row->values.end());
  CHECK(as_chars(*values[0]) == "1");
  CHECK_FALSE(values[1].has_value());
  CHECK(as_chars(*values[2]) == "x");
  CHECK(as_chars(row->values.raw()) == unhex("00000001 31 ffffffff 00000001 78"));
}

TEST_CASE("RowDescription after Bind shows the binary result format", "[wire][backend][rows]") {
  const auto t = captured("extended (server)", 'T');
  REQUIRE(t.size() == 2);  // statement Describe, then portal Describe
  const auto statement = parse_row_description(body(t[0]));
  const auto portal = parse_row_description(body(t[1]));
  REQUIRE(statement.has_value());
  REQUIRE(portal.has_value());
  CHECK(statement->begin()->format == kFormatText);  // PROTOCOL.md 18: Bind has not happened yet
  CHECK(portal->begin()->format == kFormatBinary);
  CHECK(portal->begin()->name == "n");
  const auto rows = captured("extended (server)", 'D');
  const auto row = parse_data_row(body(rows.at(0)));
  REQUIRE(row.has_value());
  CHECK(as_chars(**row->values.begin()) == unhex("0000002a"));
}

TEST_CASE("malformed RowDescription and DataRow are refused", "[wire][backend][rows]") {
  CHECK(parse_row_description(as_bytes(unhex("0000"))).has_value());
  CHECK_FALSE(parse_row_description(as_bytes(unhex("0001"))).has_value());
  CHECK_FALSE(parse_row_description(as_bytes(unhex("0001 6100 00000000 0000 00000017 0004 ffffffff"))).has_value());
  CHECK_FALSE(parse_row_description(as_bytes(unhex("0001 61"))).has_value());  // name without NUL
  CHECK_FALSE(parse_row_description(as_bytes(unhex("0000 00"))).has_value());  // trailing byte
  CHECK_FALSE(parse_row_description(as_bytes(unhex("ffff"))).has_value());

  CHECK(parse_data_row(as_bytes(unhex("0000"))).has_value());
  CHECK_FALSE(parse_data_row(as_bytes(unhex("0001 fffffffe"))).has_value());      // -2
  CHECK_FALSE(parse_data_row(as_bytes(unhex("0001 80000000"))).has_value());      // INT32_MIN
  CHECK_FALSE(parse_data_row(as_bytes(unhex("0001 00000002 41"))).has_value());   // short value
  CHECK_FALSE(parse_data_row(as_bytes(unhex("0002 ffffffff"))).has_value());      // missing column
  CHECK_FALSE(parse_data_row(as_bytes(unhex("0001 ffffffff 00"))).has_value());   // trailing byte
  CHECK_FALSE(parse_data_row(as_bytes(unhex("00"))).has_value());
}

TEST_CASE("DataRowWriter streams a row column by column", "[wire][backend][rows]") {
  std::string out;
  DataRowWriter w(out, 3);
  w.value(std::string_view("1"));
  w.null();
  w.value(Value(as_bytes("x")));
  w.finish();
  CHECK(out == captured("simple query (server)", 'D').at(0));

  std::string short_row;
  DataRowWriter bad(short_row, 2);
  bad.null();
  CHECK_THROWS_AS(bad.finish(), std::logic_error);
}

TEST_CASE("CommandComplete tags and their row counts", "[wire][backend]") {
  auto tag = [](std::string_view t) { return CommandComplete{t}; };
  CHECK(tag("SELECT 5").rows() == 5u);
  CHECK(tag("INSERT 0 2").rows() == 2u);
  CHECK(tag("UPDATE 0").rows() == 0u);
  CHECK(tag("COPY 10").rows() == 10u);
  CHECK(tag("CREATE TABLE").rows() == std::nullopt);
  CHECK(tag("LISTEN").rows() == std::nullopt);
  CHECK(tag("SELECT x").rows() == std::nullopt);
  CHECK(tag("SELECT 99999999999999999999999").rows() == std::nullopt);
  CHECK(tag("INSERT 0 2").command() == "INSERT");
  const auto tags = captured("insert (server)", 'C');
  const auto c = parse_command_complete(body(tags.at(0)));
  REQUIRE(c.has_value());
  CHECK(c->tag == "INSERT 0 2");
}

TEST_CASE("NegotiateProtocolVersion carries the whole version, as PostgreSQL sends it", "[wire][backend]") {
  const auto v = captured("negotiate 3.2 (server)", 'v');
  REQUIRE(v.size() == 1);
  const auto n = parse_negotiate_protocol_version(body(v[0]));
  REQUIRE(n.has_value());
  CHECK(n->newest_minor == 0);
  CHECK(n->unsupported_options == std::vector<std::string_view>{"_pq_.foo"});
  const std::array<std::string, 1> options = {"_pq_.foo"};
  CHECK(build([&](std::string& o) { encode_negotiate_protocol_version(o, 0, options); }) == v[0]);
  CHECK_FALSE(parse_negotiate_protocol_version(as_bytes(unhex("00000000 00000000"))).has_value());  // major 0
  CHECK_FALSE(parse_negotiate_protocol_version(as_bytes(unhex("00030000 ffffffff"))).has_value());  // count -1
  CHECK_FALSE(parse_negotiate_protocol_version(as_bytes(unhex("00030000 7fffffff 00"))).has_value());
}

TEST_CASE("NotificationResponse, ParameterDescription, FunctionCallResponse", "[wire][backend]") {
  const auto notify = captured("notify (server)", 'A');
  const auto extended = captured("extended (server)", 't');
  const auto call = captured("function call (server)", 'V');
  const auto a = parse_notification_response(body(notify.at(0)));
  REQUIRE(a.has_value());
  CHECK(a->channel == "chan");
  CHECK(a->payload == "payload");
  const auto t = parse_parameter_description(body(extended.at(0)));
  REQUIRE(t.has_value());
  CHECK(std::vector<std::uint32_t>(t->types.begin(), t->types.end()) == std::vector<std::uint32_t>{23, 25});
  const auto v = parse_function_call_response(body(call.at(0)));
  REQUIRE(v.has_value());
  CHECK(as_chars(*v->result) == unhex("00000007"));
  CHECK_FALSE(parse_function_call_response(as_bytes(unhex("ffffffff"))).value().result.has_value());
  CHECK_FALSE(parse_function_call_response(as_bytes(unhex("fffffffe"))).has_value());
}

TEST_CASE("Copy responses: real COPY OUT/IN and refused format mixes", "[wire][backend][copy]") {
  const auto copy_out = captured("copy out (server)", 'H');
  const auto copy_in = captured("copy in (server)", 'G');
  const auto h = parse_copy_response(body(copy_out.at(0)));
  REQUIRE(h.has_value());
  CHECK(h->format == kFormatText);
  CHECK(h->column_formats.size() == 2);
  const auto g = parse_copy_response(body(copy_in.at(0)));
  REQUIRE(g.has_value());
  CHECK(g->column_formats.size() == 2);
  CHECK(parse_copy_response(as_bytes(unhex("01 0001 0001"))).has_value());
  CHECK_FALSE(parse_copy_response(as_bytes(unhex("00 0001 0001"))).has_value());  // binary column, text COPY
  CHECK_FALSE(parse_copy_response(as_bytes(unhex("02 0000"))).has_value());
  CHECK_FALSE(parse_copy_response(as_bytes(unhex("01 0001 0002"))).has_value());
  CHECK_FALSE(parse_copy_response(as_bytes(unhex("00 0002 0000"))).has_value());
}

TEST_CASE("body-less backend messages are five bytes", "[wire][backend]") {
  CHECK(build([](std::string& o) { encode_parse_complete(o); }) == unhex("31 00000004"));
  CHECK(build([](std::string& o) { encode_bind_complete(o); }) == unhex("32 00000004"));
  CHECK(build([](std::string& o) { encode_close_complete(o); }) == unhex("33 00000004"));
  CHECK(build([](std::string& o) { encode_no_data(o); }) == unhex("6e 00000004"));
  CHECK(build([](std::string& o) { encode_empty_query_response(o); }) == unhex("49 00000004"));
  CHECK(build([](std::string& o) { encode_portal_suspended(o); }) == unhex("73 00000004"));
}
