// Feeds arbitrary bytes to decode_startup (PROTOCOL.md 1, 7-10). Checks, beyond ASan/UBSan's:
// a packet never claims more than it was given or more than 10000 bytes, re-encoding it gives
// back exactly the bytes it came from (protocol 3; another major decodes to its version alone), and one byte less is NeedMore, never another answer.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <variant>

#include "proxy/wire/startup.h"

using namespace pgwire;

namespace {

void check(bool ok) {
  if (!ok) std::abort();
}

std::string encode(const StartupPacket& p) {
  std::string out;
  if (std::holds_alternative<SslRequest>(p)) encode_ssl_request(out);
  if (std::holds_alternative<GssEncRequest>(p)) encode_gssenc_request(out);
  if (const auto* c = std::get_if<CancelRequest>(&p)) encode_cancel_request(out, c->pid, c->key);
  if (const auto* m = std::get_if<StartupMessage>(&p)) encode_startup_message(out, *m);
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const Bytes in(data, size);
  auto r = decode_startup(in);
  if (const auto* more = std::get_if<NeedMore>(&r)) {
    check(more->total > size);
    check(more->total <= kMaxStartupPacket);
    return 0;
  }
  if (std::holds_alternative<WireError>(r)) {
    check(!std::get<WireError>(r).message.empty());
    return 0;
  }
  const auto& frame = std::get<StartupFrame>(r);
  check(frame.consumed >= 8 && frame.consumed <= size && frame.consumed <= kMaxStartupPacket);
  const auto* m = std::get_if<StartupMessage>(&frame.packet);
  if (m && m->major != kProtocolMajor) {
    // Another major version: only the version is decoded, for the session to refuse (0A000).
    check(m->params.empty());
  } else {
    check(encode(frame.packet) == as_chars(in.first(frame.consumed)));
  }
  if (m) {
    for (const auto& [name, value] : m->params) check(!name.empty() && m->get(name) != nullptr);
  }
  if (const auto* c = std::get_if<CancelRequest>(&frame.packet)) {
    check(c->key.size() >= kMinCancelKey && c->key.size() <= kMaxCancelKey);
  }
  auto shorter = decode_startup(in.first(frame.consumed - 1));
  check(std::holds_alternative<NeedMore>(shorter));
  return 0;
}
