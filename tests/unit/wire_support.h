// Shared by the pgwire unit tests and the fuzz targets: sample frames of every message type,
// byte streams captured from a real PostgreSQL 15 server, and a "parse with the typed view, then
// encode with the builder" function that the round-trip tests and fuzz_roundtrip use.
#pragma once

#include <expected>
#include <string>
#include <string_view>
#include <vector>

#include "proxy/wire/bytes.h"
#include "proxy/wire/message_types.h"

namespace pgwire::test {

std::string unhex(std::string_view hex);  // ignores spaces; aborts on a bad digit (test data bug)
std::string to_hex(std::string_view bytes);

// One whole frame (type byte, length, body) built with the builders.
struct Sample {
  std::string name;
  Side side;
  std::string frame;
};
// At least one sample of every message type of both sides (wire_format_test checks that).
const std::vector<Sample>& samples();

// A byte stream as it crossed a socket between psql-like clients and PostgreSQL 15.20
// (tests/unit/wire_support.cc says how it was captured).
struct Capture {
  std::string name;
  Side side;
  std::string stream;
};
const std::vector<Capture>& captures();

// Startup-phase packets: valid ones of every kind, then invalid ones with the error we expect.
struct StartupSample {
  std::string name;
  std::string packet;
};
const std::vector<StartupSample>& startup_samples();  // includes captured_startup_packets()
const std::vector<StartupSample>& captured_startup_packets();
struct BadStartup {
  std::string name;
  std::string packet;
  std::string error_contains;
};
const std::vector<BadStartup>& bad_startup_samples();

// How to read a frontend 'p': the authentication phase decides (PROTOCOL.md 11).
enum class PasswordPhase { kPassword, kSaslInitial, kSaslResponse };

// Parses `body` with the typed view for (side, type) and encodes the result with the matching
// builder. A byte-exact round trip is expected for every type except ErrorResponse/Notice, whose
// field order is normalised (PostgreSQL's own order survives).
std::expected<std::string, WireError> reencode(Side side, char type, Bytes body,
                                               PasswordPhase phase = PasswordPhase::kPassword);

}  // namespace pgwire::test
