// The hand-written audit serializer (audit/json_out.h, event.cc to_line) against the nlohmann
// output the audit format was defined by: byte for byte, over many generated events whose strings
// hold control characters, quotes, backslashes, non-ASCII and invalid UTF-8.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>
#include <random>

#include "audit/chain.h"
#include "audit/event.h"
#include "audit/json_out.h"

using namespace std::chrono_literals;

namespace {

std::string reference_dump(const nlohmann::ordered_json& j) {
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string ours(std::string_view text) {
  std::string out;
  audit::json_out::string(out, text);
  return out;
}

// Pieces that exercise every branch of the escaper and the UTF-8 decoder.
const std::vector<std::string> kPieces = {
    "a", "Z", " ", "~", "\x7f", "\"", "\\", "/", "\b", "\f", "\n", "\r", "\t", std::string(1, '\0'), "\x01", "\x1f",
    "\x1b", "é", "ß", "€", "中文", "😀", "\xF4\x8F\xBF\xBF",  // U+10FFFF
    "\x80", "\xBF", "\xC0", "\xC1\x80", "\xC2", "\xC2\x80", "\xDF\xBF", "\xE0\x80\x80", "\xE0\xA0", "\xE0\xA0\x80",
    "\xED\xA0\x80", "\xED\x9F\xBF", "\xEF\xBF\xBF", "\xF0\x80\x80\x80", "\xF0\x90", "\xF0\x90\x80", "\xF0\x90\x80\x80",
    "\xF4\x90\x80\x80", "\xF5\x80\x80\x80", "\xFE", "\xFF", "\xE2\x82", "\xF1\x80\x80", "SELECT * FROM t WHERE id = $1",
    "'; DROP TABLE x; --", "\\u0000", "{\"k\":1}"};

class Nasty {
 public:
  explicit Nasty(unsigned seed) : rng_(seed) {}

  std::string text(std::size_t max_pieces = 8) {
    std::string s;
    const std::size_t n = std::uniform_int_distribution<std::size_t>(0, max_pieces)(rng_);
    for (std::size_t i = 0; i < n; ++i) {
      if (coin()) {
        s += kPieces[std::uniform_int_distribution<std::size_t>(0, kPieces.size() - 1)(rng_)];
      } else {
        s += static_cast<char>(std::uniform_int_distribution<int>(0, 255)(rng_));  // any byte
      }
    }
    return s;
  }
  std::optional<std::string> maybe_text() { return coin() ? std::optional(text()) : std::nullopt; }
  std::vector<std::string> texts() {
    std::vector<std::string> v(std::uniform_int_distribution<std::size_t>(0, 3)(rng_));
    for (auto& s : v) s = text(4);
    return v;
  }
  bool coin() { return std::uniform_int_distribution<int>(0, 1)(rng_) == 1; }
  std::uint64_t number() { return coin() ? rng_() % 1000 : rng_(); }
  std::int64_t signed_number() { return static_cast<std::int64_t>(rng_()) >> (rng_() % 60); }

  audit::SessionRef session() {
    return {coin() ? number() : 0, text(), coin() ? std::optional(signed_number()) : std::nullopt, text(), text()};
  }
  audit::StatementInfo info() {
    audit::StatementInfo i;
    i.kind = coin() ? "SELECT" : text(3);
    i.kinds = texts();
    i.normalized = maybe_text();
    i.fingerprint = maybe_text();
    i.tables_read = texts();
    i.tables_written = texts();
    i.text = maybe_text();
    return i;
  }
  audit::TimePoint time() {
    return audit::TimePoint(std::chrono::sys_days(std::chrono::year(1970 + static_cast<int>(rng_() % 250)) / 1 / 1)) +
           std::chrono::milliseconds(rng_() % (366LL * 24 * 3600 * 1000)) + std::chrono::microseconds(rng_() % 1000);
  }

  audit::EventBody body(int kind) {
    switch (kind) {
      case 0: return audit::SessionStart{session(), text(), maybe_text(), text()};
      case 1:
        return audit::SessionEnd{session(), std::chrono::milliseconds(signed_number()), number(), number(), number(),
                                 number(), number(), text(), number()};
      case 2:
        return audit::AuthFailure{text(), text(), text(), coin() ? std::optional(signed_number()) : std::nullopt,
                                  text(), text(), text()};
      case 3:
        return audit::Refusal{session(), text(), text(), text(), text(), text(),
                              coin() ? std::optional(info()) : std::nullopt};
      case 4: {
        std::vector<std::optional<std::string>> params(rng_() % 4);
        for (auto& p : params) p = maybe_text();
        return audit::Statement{session(), number(), coin() ? "extended" : text(2), text(), info(), params, rng_() % 6};
      }
      case 5: {
        std::map<std::string, std::uint64_t> masked;
        for (std::size_t i = rng_() % 4; i > 0; --i) masked[text(3)] = number();
        return audit::StatementDone{session(), number(), std::chrono::microseconds(signed_number()), number(), number(),
                                    masked, text(), maybe_text()};
      }
      case 6: {
        audit::GrantEvent g;
        g.action = static_cast<audit::GrantAction>(rng_() % 10);
        g.grant_id = signed_number();
        g.person = text();
        g.database = text();
        g.role = text();
        g.by = text();
        g.reason = text();
        if (coin()) g.not_before = time();
        if (coin()) g.not_after = time();
        g.approvals = static_cast<int>(rng_() % 3);
        g.approvals_required = static_cast<int>(rng_() % 3);
        if (coin()) g.superseded_by = signed_number();
        return g;
      }
      case 7: return audit::TokenEvent{coin(), signed_number(), text(), text()};
      default: return audit::ConfigReload{text(), coin(), texts()};
    }
  }

 private:
  std::mt19937_64 rng_;
};

}  // namespace

TEST_CASE("json_out::string matches nlohmann for every string of up to two bytes", "[audit][json]") {
  for (int a = 0; a < 256; ++a) {
    const std::string one(1, static_cast<char>(a));
    REQUIRE(ours(one) == reference_dump(one));
    for (int b = 0; b < 256; ++b) {
      const std::string two{static_cast<char>(a), static_cast<char>(b)};
      REQUIRE(ours(two) == reference_dump(two));
    }
  }
}

TEST_CASE("json_out::string matches nlohmann for three-byte strings over the boundary bytes", "[audit][json]") {
  // Every byte where UTF-8's rules change, in every position of a three-byte string.
  const std::vector<int> edges = {0x00, 0x1f, 0x22, 0x41, 0x5c, 0x7f, 0x80, 0x8f, 0x90, 0x9f, 0xa0, 0xbf, 0xc0,
                                  0xc1, 0xc2, 0xdf, 0xe0, 0xe1, 0xec, 0xed, 0xee, 0xef, 0xf0, 0xf1, 0xf3, 0xf4, 0xf5, 0xff};
  for (int a : edges) {
    for (int b : edges) {
      for (int c : edges) {
        for (int d : {0x41, 0x80, 0xbf, 0xc2}) {
          const std::string s{static_cast<char>(a), static_cast<char>(b), static_cast<char>(c), static_cast<char>(d)};
          REQUIRE(ours(s) == reference_dump(s));
          REQUIRE(ours(s.substr(0, 3)) == reference_dump(s.substr(0, 3)));
        }
      }
    }
  }
}

TEST_CASE("json_out::string matches nlohmann on random nasty strings", "[audit][json]") {
  Nasty gen(20261204);
  for (int i = 0; i < 50'000; ++i) {
    const std::string s = gen.text(16);
    INFO("case " << i);
    REQUIRE(ours(s) == reference_dump(s));
  }
}

TEST_CASE("to_line is byte for byte to_json().dump() for every event type", "[audit][json][event]") {
  Nasty gen(5);
  int checked = 0;
  for (int i = 0; i < 20'000; ++i) {
    const audit::Event event(gen.body(i % 9), gen.time());
    const std::string line = audit::to_line(event);
    INFO("case " << i << " type " << audit::event_type(event));
    REQUIRE(line == reference_dump(audit::to_json(event)));
    ++checked;
  }
  CHECK(checked == 20'000);
}

TEST_CASE("the by-reference statement lines equal the Event ones", "[audit][json][event]") {
  Nasty gen(77);
  for (int i = 0; i < 5'000; ++i) {
    const auto time = gen.time();
    const auto statement = std::get<audit::Statement>(gen.body(4));
    std::string out = "left alone:";
    audit::append_line(out, time,
                       audit::StatementRef{statement.session, statement.statement_id, statement.protocol,
                                           statement.prepared_name, statement.info, statement.params,
                                           statement.param_count});
    REQUIRE(out == "left alone:" + audit::to_line(audit::Event(statement, time)));

    const auto done = std::get<audit::StatementDone>(gen.body(5));
    out.clear();
    audit::append_line(out, time,
                       audit::StatementDoneRef{done.session, done.statement_id, done.duration, done.rows, done.bytes,
                                               done.masked_columns, done.command_tag, done.sqlstate});
    REQUIRE(out == audit::to_line(audit::Event(done, time)));
  }
}

TEST_CASE("ChainMac gives the same MAC as the one-shot HMAC, call after call", "[audit][json][chain]") {
  auto key = audit::ChainKey::from_bytes("0123456789abcdef-chain-mac-test");
  REQUIRE(key);
  audit::ChainMac mac(*key);
  Nasty gen(9);
  for (int i = 0; i < 2'000; ++i) {
    const std::string data = gen.text(40);
    REQUIRE(mac.hex(data) == key->mac_hex(data));
  }
  CHECK(mac.hex("") == key->mac_hex(""));
}

TEST_CASE("ChainMac keys of every length around SHA-256's block agree with the one-shot HMAC",
          "[audit][json][chain]") {
  // Keys longer than the 64-byte block are hashed first (RFC 2104); 64 bytes exactly is not.
  for (const std::size_t length : {16u, 63u, 64u, 65u, 200u}) {
    std::string bytes;
    for (std::size_t i = 0; i < length; ++i) bytes += static_cast<char>('!' + (i * 7) % 90);
    auto key = audit::ChainKey::from_bytes(bytes);
    REQUIRE(key);
    audit::ChainMac mac(*key);
    INFO("key length " << length);
    CHECK(mac.hex("a record") == key->mac_hex("a record"));
    CHECK(mac.hex(std::string(1000, 'x')) == key->mac_hex(std::string(1000, 'x')));
  }
}

TEST_CASE("ChainMac::seal appends the MAC of the record and gives the MAC of the sealed line",
          "[audit][json][chain]") {
  auto key = audit::ChainKey::from_bytes("0123456789abcdef-chain-mac-test");
  REQUIRE(key);
  audit::ChainMac mac(*key);
  Nasty gen(11);
  for (int i = 0; i < 500; ++i) {
    const std::string before = gen.text(10);
    const std::string record = gen.text(300);
    std::string out = before + record;
    std::string whole;
    mac.seal(out, before.size(), ",\"mac\":\"", "\"}", whole);
    const std::string expected_seal = ",\"mac\":\"" + key->mac_hex(record) + "\"}";
    REQUIRE(out == before + record + expected_seal);
    REQUIRE(whole == key->mac_hex(record + expected_seal));
  }
}
