#include <catch2/catch.hpp>

#include <vector>

#include "proxy/wire/startup.h"
#include "tests/unit/wire_support.h"

using namespace pgwire;
using pgwire::test::unhex;

namespace {

std::variant<StartupFrame, NeedMore, WireError> decode_exact(std::string_view in) {
  std::vector<std::uint8_t> buf(in.begin(), in.end());  // exact size: a sanitizer catches overreads
  return decode_startup(Bytes(buf.data(), buf.size()));
}

StartupFrame decode_ok(const std::string& packet) {
  auto r = decode_startup(as_bytes(packet));
  if (auto* e = std::get_if<WireError>(&r)) FAIL(e->message);
  REQUIRE(std::holds_alternative<StartupFrame>(r));
  return std::get<StartupFrame>(std::move(r));
}

std::string reencode(const StartupPacket& p) {
  std::string out;
  if (std::holds_alternative<SslRequest>(p)) encode_ssl_request(out);
  if (std::holds_alternative<GssEncRequest>(p)) encode_gssenc_request(out);
  if (const auto* c = std::get_if<CancelRequest>(&p)) encode_cancel_request(out, c->pid, c->key);
  if (const auto* m = std::get_if<StartupMessage>(&p)) encode_startup_message(out, *m);
  return out;
}

}  // namespace

TEST_CASE("every startup packet split at every offset, then decoded and re-encoded", "[wire][startup]") {
  for (const auto& s : pgwire::test::startup_samples()) {
    INFO(s.name);
    REQUIRE(s.packet.size() <= kMaxStartupPacket);
    for (std::size_t k = 0; k < s.packet.size(); ++k) {
      auto r = decode_exact(std::string_view(s.packet).substr(0, k));
      REQUIRE(std::holds_alternative<NeedMore>(r));
      CHECK(std::get<NeedMore>(r).total == (k < 4 ? 4 : s.packet.size()));
    }
    auto r = decode_exact(s.packet);
    if (auto* e = std::get_if<WireError>(&r)) FAIL(e->message);
    const auto& frame = std::get<StartupFrame>(r);
    CHECK(frame.consumed == s.packet.size());
    CHECK(reencode(frame.packet) == s.packet);
  }
}

TEST_CASE("SSLRequest leaves the bytes after it for the caller (PROTOCOL.md 3)", "[wire][startup]") {
  std::string in;
  encode_ssl_request(in);
  CHECK(in == unhex("00000008 04d2162f"));
  in += "Q injected";
  const auto f = decode_ok(in);
  CHECK(std::holds_alternative<SslRequest>(f.packet));
  CHECK(f.consumed == 8);
}

TEST_CASE("GSSENCRequest and CancelRequest have the documented codes", "[wire][startup]") {
  CHECK(std::holds_alternative<GssEncRequest>(decode_ok(unhex("00000008 04d21630")).packet));
  const auto f = decode_ok(unhex("00000010 04d2162e 00001092 01020304"));
  const auto& c = std::get<CancelRequest>(f.packet);
  CHECK(c.pid == 4242);
  CHECK(c.key == "\x01\x02\x03\x04");
}

TEST_CASE("CancelRequest keys of 4 to 256 bytes (protocol 3.2)", "[wire][startup]") {
  for (std::size_t n : {std::size_t{4}, std::size_t{32}, kMaxCancelKey}) {
    std::string out;
    encode_cancel_request(out, 1, std::string(n, 'k'));
    CHECK(std::get<CancelRequest>(decode_ok(out).packet).key.size() == n);
  }
}

TEST_CASE("StartupMessage parameters keep wire order; get() returns the last", "[wire][startup]") {
  StartupMessage m;
  m.params = {{"user", "alice"}, {"database", "prod"}, {"user", "mallory"}, {"options", ""}};
  std::string out;
  encode_startup_message(out, m);
  const auto decoded = std::get<StartupMessage>(decode_ok(out).packet);
  CHECK(decoded.major == 3);
  CHECK(decoded.minor == 0);
  CHECK(decoded.params == m.params);
  REQUIRE(decoded.get("user") != nullptr);
  CHECK(*decoded.get("user") == "mallory");
  CHECK(*decoded.get("options") == "");
  CHECK(decoded.get("replication") == nullptr);
}

TEST_CASE("captured libpq-style startup packets decode to what was sent", "[wire][startup]") {
  const auto& packets = pgwire::test::captured_startup_packets();
  REQUIRE(packets.size() >= 2);
  const auto first = std::get<StartupMessage>(decode_ok(packets[0].packet).packet);
  CHECK(*first.get("user") == "pgtest");
  CHECK(*first.get("database") == "postgres");
  CHECK(*first.get("application_name") == "wirecap");
  const auto v32 = std::get<StartupMessage>(decode_ok(packets[1].packet).packet);
  CHECK(v32.minor == 2);
  CHECK(*v32.get("_pq_.foo") == "bar");
}

TEST_CASE("newer and odd minor versions are returned, not refused (PROTOCOL.md 8)", "[wire][startup]") {
  for (std::uint16_t minor : {std::uint16_t{1}, std::uint16_t{2}, std::uint16_t{9999}, std::uint16_t{65535}}) {
    StartupMessage m;
    m.minor = minor;
    m.params = {{"user", "u"}, {"_pq_.test_protocol_negotiation", ""}};
    std::string out;
    encode_startup_message(out, m);
    CHECK(std::get<StartupMessage>(decode_ok(out).packet).minor == minor);
  }
}

TEST_CASE("bad startup packets fail with a clear message, also when cut short", "[wire][startup]") {
  for (const auto& bad : pgwire::test::bad_startup_samples()) {
    INFO(bad.name);
    auto r = decode_exact(bad.packet);
    REQUIRE(std::holds_alternative<WireError>(r));
    CHECK_THAT(std::get<WireError>(r).message, Catch::Contains(bad.error_contains));
    // No prefix of a bad packet may decode as a packet.
    for (std::size_t k = 0; k < bad.packet.size(); ++k) {
      CHECK_FALSE(std::holds_alternative<StartupFrame>(decode_exact(std::string_view(bad.packet).substr(0, k))));
    }
  }
}

TEST_CASE("a non-PostgreSQL first byte fails at once, without waiting for more", "[wire][startup]") {
  auto tls = decode_startup(as_bytes(unhex("16")));
  REQUIRE(std::holds_alternative<WireError>(tls));
  CHECK_THAT(std::get<WireError>(tls).message, Catch::Contains("sslnegotiation=direct"));
  CHECK(looks_like_tls_client_hello(as_bytes(unhex("1603"))));
  CHECK_FALSE(looks_like_tls_client_hello(as_bytes(unhex("0000"))));
  CHECK_FALSE(looks_like_tls_client_hello(Bytes{}));
  auto http = decode_startup(as_bytes("G"));
  REQUIRE(std::holds_alternative<WireError>(http));
  CHECK_THAT(std::get<WireError>(http).message, Catch::Contains("does not speak the PostgreSQL protocol"));
  CHECK(std::holds_alternative<NeedMore>(decode_startup(as_bytes(unhex("00")))));
}

TEST_CASE("over 10000 bytes is refused from the length, before the body arrives", "[wire][startup]") {
  auto r = decode_startup(as_bytes(unhex("00002711")));  // 10001
  REQUIRE(std::holds_alternative<WireError>(r));
  CHECK_THAT(std::get<WireError>(r).message, Catch::Contains("10001"));
  auto ok = decode_startup(as_bytes(unhex("00002710")));  // 10000: wait for it
  REQUIRE(std::holds_alternative<NeedMore>(ok));
  CHECK(std::get<NeedMore>(ok).total == 10000);
}

TEST_CASE("another major protocol version decodes to its version alone, for the session to refuse",
          "[wire][startup]") {
  // PostgreSQL answers 0A000 before reading the parameters, whatever they hold.
  for (std::uint16_t major : {2, 4}) {
    const std::string body = "garbage without terminator";
    std::string packet;
    Writer w(packet);
    w.u32(static_cast<std::uint32_t>(8 + body.size()));
    w.u32(std::uint32_t{major} << 16 | 7);
    packet += body;
    const auto frame = decode_ok(packet);
    const auto& m = std::get<StartupMessage>(frame.packet);
    CHECK(m.major == major);
    CHECK(m.minor == 7);
    CHECK(m.params.empty());
    CHECK(frame.consumed == packet.size());
  }
}
