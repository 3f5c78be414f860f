#include "proxy/wire/bytes.h"

#include <cstring>
#include <limits>
#include <stdexcept>

#include <fmt/format.h>

namespace pgwire {

std::unexpected<WireError> short_read(std::size_t wanted, std::size_t left) {
  return wire_error(fmt::format("message too short: field needs {} bytes, {} left", wanted, left));
}

std::expected<std::uint8_t, WireError> Reader::u8() {
  if (remaining() < 1) return short_read(1, remaining());
  return data_[pos_++];
}

std::expected<std::uint16_t, WireError> Reader::u16() {
  if (remaining() < 2) return short_read(2, remaining());
  const std::uint16_t v = load_u16(data_.data() + pos_);
  pos_ += 2;
  return v;
}

std::expected<std::int16_t, WireError> Reader::i16() {
  auto v = u16();
  if (!v) return std::unexpected(std::move(v.error()));
  return static_cast<std::int16_t>(*v);
}

std::expected<std::string_view, WireError> Reader::cstr() {
  const auto* start = data_.data() + pos_;
  const auto* nul = remaining() == 0 ? nullptr : std::memchr(start, 0, remaining());
  if (nul == nullptr) return wire_error("unterminated string: no NUL before the end of the message");
  const auto len = static_cast<std::size_t>(static_cast<const std::uint8_t*>(nul) - start);
  pos_ += len + 1;
  return std::string_view(reinterpret_cast<const char*>(start), len);
}

Bytes Reader::rest() {
  Bytes b = data_.subspan(pos_);
  pos_ = data_.size();
  return b;
}

void Writer::u16(std::uint16_t v) {
  const char b[2] = {static_cast<char>(v >> 8), static_cast<char>(v)};
  out_.append(b, 2);
}

void Writer::cstr(std::string_view s) {
  out_.append(s.substr(0, s.find('\0')));
  out_.push_back('\0');
}

void Writer::count16(std::size_t n) {
  if (n > std::numeric_limits<std::uint16_t>::max()) {
    throw std::length_error(fmt::format("protocol array of {} entries exceeds 65535", n));
  }
  u16(static_cast<std::uint16_t>(n));
}

std::size_t Writer::begin(char type) {
  out_.push_back(type);
  return begin_untyped();
}

std::size_t Writer::begin_untyped() {
  const std::size_t mark = out_.size();
  out_.append(4, '\0');
  return mark;
}

void Writer::end(std::size_t mark) {
  const std::size_t length = out_.size() - mark;
  // PostgreSQL refuses anything past 1 GB - 1 (PQ_LARGE_MESSAGE_LIMIT); building one is a bug.
  if (length > 0x3fffffffU) {
    throw std::length_error(fmt::format("protocol message of {} bytes exceeds 1 GB", length));
  }
  store_u32(out_, mark, static_cast<std::uint32_t>(length));
}

}  // namespace pgwire
