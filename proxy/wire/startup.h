// Startup-phase packets: untyped, Int32 length (counts itself) then Int32 code
// (PG docs "Message Formats": StartupMessage, SSLRequest, GSSENCRequest, CancelRequest).
//
//   SSLRequest      Int32(8)  Int32(80877103)
//   GSSENCRequest   Int32(8)  Int32(80877104)
//   CancelRequest   Int32(len) Int32(80877102) Int32 pid, Byte_n secret key (4 bytes in 3.0,
//                   4..256 in 3.2; PROTOCOL.md 10)
//   StartupMessage  Int32(len) Int32(major << 16 | minor) { String name, String value }* Byte1(0)
//
// A misclassified packet desynchronises the connection (PROTOCOL.md 1), so anything that is not
// exactly one of these is a WireError with a message fit to show the client.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "proxy/wire/bytes.h"
#include "proxy/wire/framing.h"

namespace pgwire {

// MAX_STARTUP_PACKET_LENGTH in PostgreSQL's postmaster (PROTOCOL.md 7).
inline constexpr std::uint32_t kMaxStartupPacket = 10000;

inline constexpr std::int32_t kSslRequestCode = 80877103;     // 1234 << 16 | 5679
inline constexpr std::int32_t kGssEncRequestCode = 80877104;  // 1234 << 16 | 5680
inline constexpr std::int32_t kCancelRequestCode = 80877102;  // 1234 << 16 | 5678
inline constexpr std::uint16_t kProtocolMajor = 3;
inline constexpr std::size_t kMinCancelKey = 4;    // protocol 3.0 keys are exactly 4 bytes
inline constexpr std::size_t kMaxCancelKey = 256;  // protocol 3.2 allows up to 256

struct SslRequest {};
struct GssEncRequest {};
struct CancelRequest {
  std::int32_t pid;
  std::string key;  // 4 bytes in 3.0, up to 256 in 3.2
};
struct StartupMessage {
  std::uint16_t major = 3, minor = 0;
  // In wire order: "user", "database", "options", "replication", "_pq_.x" (protocol options)...
  std::vector<std::pair<std::string, std::string>> params;

  // The value PostgreSQL would use: the last occurrence, as ProcessStartupPacket overwrites on
  // repeats. nullptr if absent.
  const std::string* get(std::string_view name) const;
};
using StartupPacket = std::variant<SslRequest, GssEncRequest, CancelRequest, StartupMessage>;

struct StartupFrame {
  StartupPacket packet;
  std::size_t consumed;  // the packet's length: bytes to drop from the start of the input
};

// Decodes the packet at the start of `in`. NeedMore{4} until the length is known, then
// NeedMore{length}. A major version other than 3 is an error; any 3.x minor is returned as is
// (the proxy answers newer minors with NegotiateProtocolVersion, PROTOCOL.md 8).
std::variant<StartupFrame, NeedMore, WireError> decode_startup(Bytes in);

// True when `in` starts like a TLS record carrying a handshake (0x16): a client using direct SSL
// (PostgreSQL 17 sslnegotiation=direct, PROTOCOL.md 5) or a TLS client pointed at a plain port.
bool looks_like_tls_client_hello(Bytes in);

void encode_startup_message(std::string& out, const StartupMessage& message);
void encode_ssl_request(std::string& out);
void encode_gssenc_request(std::string& out);
void encode_cancel_request(std::string& out, std::int32_t pid, std::string_view key);

}  // namespace pgwire
