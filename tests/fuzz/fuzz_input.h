// The input layout shared by fuzz_frame_decoder and fuzz_roundtrip (and by make_corpus, which
// writes their seeds): byte 0 selects how to read the rest, bytes 1.. are a typed message stream.
//   bit 0     side: 0 frontend (client -> server), 1 backend
//   bits 1-2  how a frontend 'p' is read: 0 PasswordMessage, 1 SASLInitialResponse, 2 SASLResponse
//   bit 7     fuzz_roundtrip only: build messages from the bytes instead of decoding them
#pragma once

#include <cstdint>

#include "proxy/wire/message_types.h"
#include "tests/unit/wire_support.h"

namespace pgwire::fuzz {

inline constexpr std::uint8_t kBuilderMode = 0x80;
inline constexpr std::uint32_t kMaxFuzzMessage = 1u << 20;  // bounded like a relay phase limit

inline Side side_of(std::uint8_t selector) { return (selector & 1) != 0 ? Side::kBackend : Side::kFrontend; }

inline test::PasswordPhase phase_of(std::uint8_t selector) {
  switch ((selector >> 1) & 3) {
    case 1: return test::PasswordPhase::kSaslInitial;
    case 2: return test::PasswordPhase::kSaslResponse;
    default: return test::PasswordPhase::kPassword;
  }
}

inline std::uint8_t selector(Side side, test::PasswordPhase phase) {
  const std::uint8_t p = phase == test::PasswordPhase::kSaslInitial    ? 1
                         : phase == test::PasswordPhase::kSaslResponse ? 2
                                                                       : 0;
  return static_cast<std::uint8_t>((side == Side::kBackend ? 1 : 0) | (p << 1));
}

}  // namespace pgwire::fuzz
