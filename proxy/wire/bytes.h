// Byte-level primitives of the PostgreSQL protocol 3.0 codec: a bounds-checked big-endian
// Reader over a message body and a Writer that appends messages to an output buffer.
//
// The protocol's vocabulary (PG docs, "Message Data Types"): Int8/16/32 are big-endian ("network
// byte order"), String is NUL-terminated, Byte_n is raw bytes. Every read is checked against the
// bytes left, so a lying length or count yields a WireError instead of a read past the buffer
// (STYLE.md: validate before parsing; Envoy #12340).
#pragma once

#include <cstddef>
#include <cstdint>
#include <expected>
#include <span>
#include <string>
#include <string_view>
#include <utility>

namespace pgwire {

using Bytes = std::span<const std::uint8_t>;

// Views chars as bytes and back: the protocol is bytes, C++ strings are chars.
inline Bytes as_bytes(std::string_view s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}
inline std::string_view as_chars(Bytes b) {
  return {reinterpret_cast<const char*>(b.data()), b.size()};
}

// A protocol violation. Reported to the peer as SQLSTATE 08P01 (protocol_violation) where the
// protocol allows it. The message names the message type and the field, never the payload:
// bodies carry passwords and PII (STYLE.md, "Avoid").
struct WireError {
  std::string message;
};

inline std::unexpected<WireError> wire_error(std::string message) {
  return std::unexpected(WireError{std::move(message)});
}

// Big-endian loads from a buffer whose size the caller has already checked.
inline std::uint16_t load_u16(const std::uint8_t* p) {
  return static_cast<std::uint16_t>((p[0] << 8) | p[1]);
}
inline std::uint32_t load_u32(const std::uint8_t* p) {
  return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) |
         std::uint32_t{p[3]};
}
// Big-endian store over four bytes already in `out` (a length patched after its body).
inline void store_u32(std::string& out, std::size_t at, std::uint32_t v) {
  out[at] = static_cast<char>(v >> 24);
  out[at + 1] = static_cast<char>(v >> 16);
  out[at + 2] = static_cast<char>(v >> 8);
  out[at + 3] = static_cast<char>(v);
}

// The error of a read past the end (cold: built only on malformed input).
std::unexpected<WireError> short_read(std::size_t wanted, std::size_t left);

// Reads a message body front to back. Each accessor either consumes exactly the bytes of its
// field or, when too few are left, consumes nothing and returns a WireError.
class Reader {
 public:
  explicit Reader(Bytes body) : data_(body) {}

  std::expected<std::uint8_t, WireError> u8();
  std::expected<std::int16_t, WireError> i16();
  // Array counts are Int16 in the docs but PostgreSQL reads them unsigned (pq_getmsgint(msg, 2)
  // in exec_bind_message; libpq allows 65535 parameters, PQ_QUERY_PARAM_MAX_LIMIT).
  std::expected<std::uint16_t, WireError> u16();
  std::expected<std::int32_t, WireError> i32() {
    auto v = u32();
    if (!v) return std::unexpected(std::move(v.error()));
    return static_cast<std::int32_t>(*v);
  }
  std::expected<std::uint32_t, WireError> u32() {  // OIDs are unsigned 32-bit
    if (remaining() < 4) return short_read(4, remaining());
    const std::uint32_t v = load_u32(data_.data() + pos_);
    pos_ += 4;
    return v;
  }
  std::expected<std::string_view, WireError> cstr();  // NUL-terminated; the NUL is consumed, not returned
  std::expected<Bytes, WireError> bytes(std::size_t n) {
    if (remaining() < n) return short_read(n, remaining());
    Bytes b = data_.subspan(pos_, n);
    pos_ += n;
    return b;
  }
  Bytes rest();  // everything left, consumes it

  std::size_t remaining() const { return data_.size() - pos_; }
  bool at_end() const { return pos_ == data_.size(); }
  std::size_t position() const { return pos_; }
  // The bytes consumed since position `start`: lets a view keep the raw span it validated.
  Bytes consumed_since(std::size_t start) const { return data_.subspan(start, pos_ - start); }

 private:
  Bytes data_;
  std::size_t pos_ = 0;
};

// Appends to an output buffer. Messages are written as begin(type) ... end(mark): the length is
// patched at the end because it counts the body, which is only known then (PROTOCOL.md 26).
class Writer {
 public:
  explicit Writer(std::string& out) : out_(out) {}

  void u8(std::uint8_t v) { out_.push_back(static_cast<char>(v)); }
  void i16(std::int16_t v) { u16(static_cast<std::uint16_t>(v)); }
  void u16(std::uint16_t v);
  void i32(std::int32_t v) { u32(static_cast<std::uint32_t>(v)); }
  void u32(std::uint32_t v) {
    const char b[4] = {static_cast<char>(v >> 24), static_cast<char>(v >> 16), static_cast<char>(v >> 8),
                       static_cast<char>(v)};
    out_.append(b, 4);
  }
  // Writes s up to its first NUL, then the NUL: like pq_sendstring, which takes a C string. An
  // embedded NUL would otherwise end the String early and turn the rest into forged fields.
  void cstr(std::string_view s);
  void bytes(Bytes b) { out_.append(as_chars(b)); }
  void bytes(std::string_view s) { out_.append(s); }
  // Int16 array count; throws std::length_error past 65535 (a broken invariant: every count we
  // encode came from the wire or from our own bounded state).
  void count16(std::size_t n);

  std::size_t begin(char type);  // type byte + placeholder length; returns the mark
  std::size_t begin_untyped();   // startup-phase packets have no type byte (PROTOCOL.md 1)
  void end(std::size_t mark);    // patches the length: counts itself, not the type byte

 private:
  std::string& out_;
};


}  // namespace pgwire
