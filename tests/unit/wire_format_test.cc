#include <catch2/catch.hpp>

#include <set>

#include "proxy/wire/framing.h"
#include "proxy/wire/messages.h"
#include "tests/unit/wire_support.h"

using namespace pgwire;
using pgwire::test::PasswordPhase;

namespace {

constexpr char kAllFrontend[] = {fe::kBind,  fe::kClose,        fe::kCopyData, fe::kCopyDone, fe::kCopyFail,
                                 fe::kDescribe, fe::kExecute,   fe::kFlush,    fe::kFunctionCall, fe::kParse,
                                 fe::kPassword, fe::kQuery,     fe::kSync,     fe::kTerminate};
constexpr char kAllBackend[] = {
    be::kAuthentication,  be::kBackendKeyData,      be::kBindComplete,         be::kCloseComplete,
    be::kCommandComplete, be::kCopyData,            be::kCopyDone,             be::kCopyInResponse,
    be::kCopyOutResponse, be::kCopyBothResponse,    be::kDataRow,              be::kEmptyQueryResponse,
    be::kErrorResponse,   be::kFunctionCallResponse, be::kNegotiateProtocolVersion, be::kNoData,
    be::kNoticeResponse,  be::kNotificationResponse, be::kParameterDescription, be::kParameterStatus,
    be::kParseComplete,   be::kPortalSuspended,     be::kReadyForQuery,        be::kRowDescription};

PasswordPhase phase_for(std::string_view sample_name) {
  if (sample_name.starts_with("SASLInitialResponse")) return PasswordPhase::kSaslInitial;
  if (sample_name.starts_with("SASLResponse")) return PasswordPhase::kSaslResponse;
  return PasswordPhase::kPassword;
}

// Messages whose typed parser checks nothing beyond the table's structure: for these the two
// must agree exactly. Others (a target byte, an auth code, a status) may only be stricter.
bool structural_only(Side side, char type) {
  const std::string_view fe_strict = "CDp";  // Close/Describe target, 'p' depends on the phase
  const std::string_view be_strict = "RKZvGHW";
  return (side == Side::kFrontend ? fe_strict : be_strict).find(type) == std::string_view::npos;
}

void check_agreement(Side side, char type, Bytes body, PasswordPhase phase) {
  const bool table = validate_message(side, type, body).has_value();
  const bool typed = pgwire::test::reencode(side, type, body, phase).has_value();
  if (typed) CHECK(table);
  if (structural_only(side, type)) CHECK(table == typed);
}

}  // namespace

TEST_CASE("the format table has every protocol 3.0 message of each side, once", "[wire][format]") {
  for (auto [side, types] : {std::pair{Side::kFrontend, std::string_view(kAllFrontend, sizeof kAllFrontend)},
                             std::pair{Side::kBackend, std::string_view(kAllBackend, sizeof kAllBackend)}}) {
    CHECK(message_formats(side).size() == types.size());
    std::set<char> seen;
    for (const auto& f : message_formats(side)) CHECK(seen.insert(f.type).second);
    for (char t : types) {
      INFO(t);
      CHECK(find_message_format(side, t) != nullptr);
    }
  }
  CHECK(message_name(Side::kFrontend, 'D') == "Describe");
  CHECK(message_name(Side::kBackend, 'D') == "DataRow");
  CHECK(message_name(Side::kFrontend, 'Z') == "unknown message");
}

TEST_CASE("compile_format reads the docs' vocabulary", "[wire][format]") {
  constexpr Format f = compile_format("String Array16<String Int32 Int16> Int8 VarByteN");
  static_assert(f.size == 7);
  CHECK(f.steps[0].item == FormatItem::kString);
  CHECK(f.steps[1].item == FormatItem::kArray16);
  CHECK(f.steps[1].arity == 3);
  CHECK(f.steps[4].item == FormatItem::kInt16);
  CHECK(f.steps[5].item == FormatItem::kByte1);
  CHECK(f.steps[6].item == FormatItem::kVarByteN);
  const auto* rd = find_message_format(Side::kBackend, be::kRowDescription);
  REQUIRE(rd != nullptr);
  CHECK(rd->format.steps[0].arity == 7);
}

TEST_CASE("every sample validates and round-trips byte for byte", "[wire][format]") {
  std::set<std::pair<Side, char>> covered;
  for (const auto& s : pgwire::test::samples()) {
    INFO(s.name);
    const char type = s.frame[0];
    const Bytes b = as_bytes(s.frame).subspan(5);
    const auto valid = validate_message(s.side, type, b);
    if (!valid) FAIL(valid.error().message);
    const auto again = pgwire::test::reencode(s.side, type, b, phase_for(s.name));
    if (!again) FAIL(again.error().message);
    CHECK(*again == s.frame);
    covered.insert({s.side, type});
  }
  for (char t : kAllFrontend) CHECK(covered.count({Side::kFrontend, t}) == 1);
  for (char t : kAllBackend) CHECK(covered.count({Side::kBackend, t}) == 1);
}

TEST_CASE("every frame PostgreSQL sent and received validates and re-encodes identically", "[wire][format]") {
  const Decoder d(kMaxMessageLength);
  std::size_t frames = 0;
  for (const auto& c : pgwire::test::captures()) {
    std::string_view rest = c.stream;
    while (!rest.empty()) {
      const auto f = std::get<Frame>(d.next(as_bytes(rest)));
      INFO(c.name << ": " << message_name(c.side, f.type));
      const auto valid = validate_message(c.side, f.type, f.body);
      if (!valid) FAIL(valid.error().message);
      const auto again = pgwire::test::reencode(c.side, f.type, f.body);
      if (!again) FAIL(again.error().message);
      CHECK(*again == rest.substr(0, f.size));
      rest.remove_prefix(f.size);
      ++frames;
    }
  }
  CHECK(frames > 80);
}

TEST_CASE("cut or padded bodies: the typed parsers never accept what the table refuses", "[wire][format]") {
  for (const auto& s : pgwire::test::samples()) {
    INFO(s.name);
    const char type = s.frame[0];
    const std::string body = s.frame.substr(5);
    for (std::size_t k = 0; k < body.size(); ++k) {
      check_agreement(s.side, type, as_bytes(std::string_view(body).substr(0, k)), phase_for(s.name));
    }
    for (const char extra : {'\0', 'x', '\xff'}) {
      const std::string padded = body + extra;
      check_agreement(s.side, type, as_bytes(padded), phase_for(s.name));
    }
  }
}

TEST_CASE("validate_message refuses unknown types and names the side", "[wire][format]") {
  const auto e = validate_message(Side::kFrontend, 'Z', Bytes{});
  REQUIRE_FALSE(e.has_value());
  CHECK_THAT(e.error().message, Catch::Contains("unknown frontend message type 'Z'"));
  const auto b = validate_message(Side::kBackend, '\x01', Bytes{});
  REQUIRE_FALSE(b.has_value());
  CHECK_THAT(b.error().message, Catch::Contains("unknown backend message type 0x01"));
  const auto lying = validate_message(Side::kBackend, be::kDataRow, as_bytes(pgwire::test::unhex("7fff 00000000")));
  REQUIRE_FALSE(lying.has_value());
  CHECK_THAT(lying.error().message, Catch::Contains("invalid DataRow message: count 32767 cannot fit"));
}
