// Incremental framing of a typed protocol 3.0 byte stream (everything after the startup packet):
// Byte1 type, Int32 length (counts itself, not the type byte), then length - 4 body bytes.
//
// The decoder is separate from I/O (STYLE.md, Envoy's postgres_proxy): it looks at the bytes the
// caller has, never past them, and answers a Frame, NeedMore or a WireError. A bad length means
// the stream is out of sync for good: the caller must not try to resynchronise (Envoy #12340).
// parse_header alone lets a relay decide from the header and stream a large body it does not
// rewrite instead of holding it whole (pgbouncer's sbuf; PROTOCOL.md 26).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <variant>

#include "proxy/wire/bytes.h"

namespace pgwire {

// PostgreSQL's own bounds (src/include/libpq/libpq.h): PQ_LARGE_MESSAGE_LIMIT is MaxAllocSize - 1
// for messages that may be big (Query, Bind, CopyData, DataRow...). Our callers choose a limit
// at or below it per phase.
inline constexpr std::uint32_t kMaxMessageLength = 0x3fffffffU - 1;
inline constexpr std::size_t kHeaderSize = 5;  // Byte1 type + Int32 length

struct Header {
  char type;
  std::uint32_t length;  // as on the wire: >= 4, counts itself
  std::size_t frame_size() const { return 1 + std::size_t{length}; }
  std::size_t body_size() const { return std::size_t{length} - 4; }
};

struct Frame {
  char type;
  Bytes body;
  std::size_t size;  // 1 + length: the bytes this frame occupies at the start of the input
};

// total: how many bytes the buffer must hold (from its start) before the next call can progress:
// kHeaderSize while the header is incomplete, then the whole frame (1 + length).
struct NeedMore {
  std::size_t total;
};

// The type byte for an error message: quoted when printable, hex otherwise (on a desynchronised
// stream it is arbitrary data).
std::string printable_type(char type);

// Validates a typed header: length >= 4 and length <= max_length, else WireError.
std::variant<Header, NeedMore, WireError> parse_header(Bytes in, std::uint32_t max_length);

class Decoder {
 public:
  explicit Decoder(std::uint32_t max_length) : max_length_(max_length) {}

  // The first frame of `in`, which may hold several frames or a part of one.
  std::variant<Frame, NeedMore, WireError> next(Bytes in) const;

  std::uint32_t max_length() const { return max_length_; }

 private:
  std::uint32_t max_length_;
};

}  // namespace pgwire
