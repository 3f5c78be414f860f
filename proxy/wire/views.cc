#include "proxy/wire/views.h"

#include <fmt/format.h>

namespace pgwire {

Value ValueList::iterator::operator*() const {
  const auto length = static_cast<std::int32_t>(load_u32(p_));
  if (length < 0) return std::nullopt;
  return Bytes(p_ + 4, static_cast<std::size_t>(length));
}

ValueList::iterator& ValueList::iterator::operator++() {
  const auto length = static_cast<std::int32_t>(load_u32(p_));
  p_ += 4 + (length < 0 ? 0 : static_cast<std::size_t>(length));
  return *this;
}

std::expected<ValueList, WireError> ValueList::read(Reader& r) {
  auto count = r.u16();
  if (!count) return std::unexpected(std::move(count.error()));
  const std::size_t start = r.position();
  for (std::size_t i = 0; i < *count; ++i) {
    auto length = r.i32();
    if (!length) return wire_error(fmt::format("value {} of {}: length missing", i + 1, *count));
    if (*length == -1) continue;
    if (*length < 0) {
      return wire_error(fmt::format("value {} of {}: negative length {} (only -1, NULL, is allowed)", i + 1,
                                    *count, *length));
    }
    if (static_cast<std::size_t>(*length) > r.remaining()) {
      return wire_error(fmt::format("value {} of {}: length {} exceeds the {} bytes left", i + 1, *count,
                                    *length, r.remaining()));
    }
    (void)r.bytes(static_cast<std::size_t>(*length));
  }
  return ValueList(r.consumed_since(start), *count);
}

void write_value(Writer& w, const Value& value) {
  if (!value) {
    w.i32(-1);
    return;
  }
  w.u32(static_cast<std::uint32_t>(value->size()));
  w.bytes(*value);
}

void write_values(Writer& w, std::span<const Value> values) {
  w.count16(values.size());
  for (const auto& v : values) write_value(w, v);
}

}  // namespace pgwire
