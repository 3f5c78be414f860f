// Internal to pgwire: the typed parsers' reader. It remembers the first error and returns zero
// values afterwards, so a parser reads its fields straight down as the docs list them and checks
// once, in finish(), that nothing failed and nothing is left over (trailing bytes mean the peer
// and we disagree on the format: a protocol violation, never ignored).
#pragma once

#include <expected>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include <fmt/format.h>

#include "proxy/wire/bytes.h"
#include "proxy/wire/views.h"

namespace pgwire::detail {

class MessageReader {
 public:
  MessageReader(Bytes body, std::string_view message) : r_(body), message_(message) {}

  std::uint8_t u8() { return take(r_.u8()); }
  std::int16_t i16() { return take(r_.i16()); }
  std::uint16_t u16() { return take(r_.u16()); }
  std::int32_t i32() { return take(r_.i32()); }
  std::uint32_t u32() { return take(r_.u32()); }
  std::string_view cstr() { return take(r_.cstr()); }
  Bytes rest() { return ok() ? r_.rest() : Bytes{}; }
  Int16Array int16_array() { return take(read_int_array<std::int16_t>(r_)); }
  OidArray oid_array() { return take(read_int_array<std::uint32_t>(r_)); }
  ValueList values() { return take(ValueList::read(r_)); }
  // One "Int32 length, Byte_n" with -1 = NULL (FunctionCallResponse, SASLInitialResponse).
  Value value();

  // A semantic check that failed (a status byte out of range, a missing mechanism...).
  void fail(std::string what) {
    if (!error_) error_ = WireError{std::move(what)};
  }
  bool ok() const { return !error_.has_value(); }
  std::size_t remaining() const { return r_.remaining(); }

  template <class T>
  std::expected<T, WireError> finish(T value) {
    if (ok() && !r_.at_end()) fail(fmt::format("{} unexpected bytes at the end", r_.remaining()));
    if (error_) return wire_error(fmt::format("invalid {} message: {}", message_, error_->message));
    return value;
  }
  std::expected<void, WireError> finish() {
    auto r = finish(0);
    if (!r) return std::unexpected(std::move(r.error()));
    return {};
  }

 private:
  template <class T>
  T take(std::expected<T, WireError> v) {
    if (!ok()) return T{};
    if (!v) {
      error_ = std::move(v.error());
      return T{};
    }
    return std::move(*v);
  }

  Reader r_;
  std::string_view message_;
  std::optional<WireError> error_;
};

inline Value MessageReader::value() {
  const std::int32_t length = i32();
  if (!ok() || length == -1) return std::nullopt;
  if (length < 0) {
    fail(fmt::format("negative length {} (only -1, NULL, is allowed)", length));
    return std::nullopt;
  }
  if (static_cast<std::size_t>(length) > r_.remaining()) {
    fail(fmt::format("length {} exceeds the {} bytes left", length, r_.remaining()));
    return std::nullopt;
  }
  return take(r_.bytes(static_cast<std::size_t>(length)));
}

}  // namespace pgwire::detail
