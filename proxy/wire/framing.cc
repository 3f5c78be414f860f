#include "proxy/wire/framing.h"

#include <fmt/format.h>

namespace pgwire {
std::string printable_type(char type) {
  const auto c = static_cast<unsigned char>(type);
  if (c >= 0x20 && c < 0x7f) return fmt::format("'{}'", type);
  return fmt::format("0x{:02x}", c);
}

std::variant<Header, NeedMore, WireError> parse_header(Bytes in, std::uint32_t max_length) {
  if (in.size() < kHeaderSize) return NeedMore{kHeaderSize};
  const Header h{static_cast<char>(in[0]), load_u32(in.data() + 1)};
  if (h.length < 4) {
    return WireError{fmt::format("invalid length {} in message of type {}: the length counts itself, so it is at least 4",
                                 h.length, printable_type(h.type))};
  }
  if (h.length > max_length) {
    return WireError{fmt::format("message of type {} has length {}, over the limit of {} bytes",
                                 printable_type(h.type), h.length, max_length)};
  }
  return h;
}

std::variant<Frame, NeedMore, WireError> Decoder::next(Bytes in) const {
  auto header = parse_header(in, max_length_);
  if (auto* more = std::get_if<NeedMore>(&header)) return *more;
  if (auto* error = std::get_if<WireError>(&header)) return std::move(*error);
  const Header& h = std::get<Header>(header);
  if (in.size() < h.frame_size()) return NeedMore{h.frame_size()};
  return Frame{h.type, in.subspan(kHeaderSize, h.body_size()), h.frame_size()};
}

}  // namespace pgwire
