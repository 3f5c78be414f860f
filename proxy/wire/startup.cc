#include "proxy/wire/startup.h"

#include <fmt/format.h>

namespace pgwire {
namespace {

constexpr std::size_t kLengthSize = 4;
constexpr std::uint32_t kMinStartupPacket = 8;  // length + code

constexpr std::uint32_t code_of(std::uint16_t major, std::uint16_t minor) {
  return (std::uint32_t{major} << 16) | minor;
}
constexpr std::uint16_t kRequestMajor = 1234;  // the "version" of SSL/GSSENC/Cancel requests

WireError bad_length(std::uint32_t length) {
  // A length whose first byte is not 0 is text or another protocol (an HTTP request, say).
  const bool foreign = (length >> 24) != 0;
  return WireError{fmt::format("invalid length of startup packet: {} (must be {} to {} bytes){}", length,
                               kMinStartupPacket, kMaxStartupPacket,
                               foreign ? ": the client does not speak the PostgreSQL protocol" : "")};
}

WireError tls_hello() {
  return WireError{
      "received a TLS handshake where a PostgreSQL startup packet was expected: the client uses "
      "direct SSL (sslnegotiation=direct) or is not a PostgreSQL client; use the default "
      "sslnegotiation=postgres"};
}

std::variant<StartupFrame, NeedMore, WireError> decode_cancel(Reader& r, std::size_t consumed) {
  const std::size_t key_size = r.remaining() < 4 ? 0 : r.remaining() - 4;
  if (key_size < kMinCancelKey || key_size > kMaxCancelKey) {
    return WireError{fmt::format("invalid CancelRequest: secret key of {} bytes (must be {} to {})", key_size,
                                 kMinCancelKey, kMaxCancelKey)};
  }
  const std::int32_t pid = *r.i32();
  return StartupFrame{CancelRequest{pid, std::string(as_chars(r.rest()))}, consumed};
}

// PostgreSQL's ProcessStartupPacket: pairs of non-empty names and values, then exactly one NUL
// as the last byte ("invalid startup packet layout: expected terminator as last byte").
std::variant<StartupFrame, NeedMore, WireError> decode_startup_message(Reader& r, std::uint32_t code,
                                                                      std::size_t consumed) {
  StartupMessage message;
  message.major = static_cast<std::uint16_t>(code >> 16);
  message.minor = static_cast<std::uint16_t>(code & 0xffff);
  while (r.remaining() > 1) {
    auto name = r.cstr();
    if (!name) return WireError{"invalid startup packet layout: unterminated parameter name"};
    if (name->empty()) return WireError{"invalid startup packet layout: expected terminator as last byte"};
    auto value = r.cstr();
    if (!value) {
      return WireError{"invalid startup packet layout: a parameter name has no value"};
    }
    message.params.emplace_back(*name, *value);
  }
  if (r.remaining() != 1 || *r.u8() != 0) {
    return WireError{"invalid startup packet layout: expected terminator as last byte"};
  }
  return StartupFrame{std::move(message), consumed};
}

}  // namespace

const std::string* StartupMessage::get(std::string_view name) const {
  for (auto it = params.rbegin(); it != params.rend(); ++it) {
    if (it->first == name) return &it->second;
  }
  return nullptr;
}

bool looks_like_tls_client_hello(Bytes in) { return !in.empty() && in[0] == 0x16; }

std::variant<StartupFrame, NeedMore, WireError> decode_startup(Bytes in) {
  // A valid length is at most 10000, so its first byte is 0: anything else fails right away,
  // without waiting for bytes a non-PostgreSQL client may never send.
  if (looks_like_tls_client_hello(in)) return tls_hello();
  if (in.size() < kLengthSize) {
    if (!in.empty() && in[0] != 0) {
      return WireError{fmt::format("invalid length of startup packet (first byte {:#04x}): the client does not speak "
                                   "the PostgreSQL protocol", in[0])};
    }
    return NeedMore{kLengthSize};
  }
  const std::uint32_t length = load_u32(in.data());
  if (length < kMinStartupPacket || length > kMaxStartupPacket) return bad_length(length);
  if (in.size() < length) return NeedMore{length};

  Reader r(in.subspan(kLengthSize, length - kLengthSize));
  const std::uint32_t code = *r.u32();
  const auto major = static_cast<std::uint16_t>(code >> 16);
  const auto minor = static_cast<std::uint16_t>(code & 0xffff);
  constexpr auto kSsl = static_cast<std::uint32_t>(kSslRequestCode);
  constexpr auto kGssEnc = static_cast<std::uint32_t>(kGssEncRequestCode);
  constexpr auto kCancel = static_cast<std::uint32_t>(kCancelRequestCode);
  if (code == kSsl || code == kGssEnc) {
    if (!r.at_end()) {
      return WireError{fmt::format("invalid {}: length {} (must be 8)", code == kSsl ? "SSLRequest" : "GSSENCRequest",
                                   length)};
    }
    if (code == kSsl) return StartupFrame{SslRequest{}, length};
    return StartupFrame{GssEncRequest{}, length};
  }
  if (code == kCancel) return decode_cancel(r, length);
  if (major == kRequestMajor) return WireError{fmt::format("unknown startup request code {}.{}", major, minor)};
  // PostgreSQL's ProcessStartupPacket refuses another major version (0A000) before reading the
  // rest: hand back the version alone and let the session answer.
  if (major != kProtocolMajor) return StartupFrame{StartupMessage{major, minor, {}}, length};
  return decode_startup_message(r, code, length);
}

void encode_startup_message(std::string& out, const StartupMessage& message) {
  Writer w(out);
  const auto mark = w.begin_untyped();
  w.u32(code_of(message.major, message.minor));
  for (const auto& [name, value] : message.params) {
    w.cstr(name);
    w.cstr(value);
  }
  w.u8(0);
  w.end(mark);
}

void encode_ssl_request(std::string& out) {
  Writer w(out);
  const auto mark = w.begin_untyped();
  w.i32(kSslRequestCode);
  w.end(mark);
}

void encode_gssenc_request(std::string& out) {
  Writer w(out);
  const auto mark = w.begin_untyped();
  w.i32(kGssEncRequestCode);
  w.end(mark);
}

void encode_cancel_request(std::string& out, std::int32_t pid, std::string_view key) {
  Writer w(out);
  const auto mark = w.begin_untyped();
  w.i32(kCancelRequestCode);
  w.i32(pid);
  w.bytes(key);
  w.end(mark);
}

}  // namespace pgwire
