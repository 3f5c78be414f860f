// Non-allocating views over the protocol's repeated fields, validated once when read so that
// iterating them cannot fail:
//   IntArray<T>  "Int16 count, then count x Int16/Int32" (format codes, parameter type OIDs)
//   ValueList    "Int16 count, then count x (Int32 length, Byte_n)", length -1 = NULL and no bytes
//                (Bind parameters, FunctionCall arguments, DataRow columns; PROTOCOL.md 19)
#pragma once

#include <cstddef>
#include <cstdint>
#include <iterator>
#include <optional>
#include <span>
#include <string_view>

#include "proxy/wire/bytes.h"

namespace pgwire {

template <class T>
class IntArray {
  static_assert(sizeof(T) == 2 || sizeof(T) == 4);

 public:
  class iterator {
   public:
    using value_type = T;
    using difference_type = std::ptrdiff_t;
    iterator() = default;
    explicit iterator(const std::uint8_t* p) : p_(p) {}
    T operator*() const { return IntArray::load(p_); }
    iterator& operator++() {
      p_ += sizeof(T);
      return *this;
    }
    iterator operator++(int) {
      iterator old = *this;
      ++*this;
      return old;
    }
    bool operator==(const iterator&) const = default;

   private:
    const std::uint8_t* p_ = nullptr;
  };

  IntArray() = default;
  // `raw` holds exactly size() elements (checked by the reader that built it).
  explicit IntArray(Bytes raw) : raw_(raw) {}

  std::size_t size() const { return raw_.size() / sizeof(T); }
  bool empty() const { return raw_.empty(); }
  T operator[](std::size_t i) const { return load(raw_.data() + i * sizeof(T)); }
  iterator begin() const { return iterator(raw_.data()); }
  iterator end() const { return iterator(raw_.data() + raw_.size()); }
  Bytes raw() const { return raw_; }

 private:
  static T load(const std::uint8_t* p) {
    if constexpr (sizeof(T) == 2) {
      return static_cast<T>(load_u16(p));
    } else {
      return static_cast<T>(load_u32(p));
    }
  }
  Bytes raw_;
};

using Int16Array = IntArray<std::int16_t>;
using OidArray = IntArray<std::uint32_t>;

// Reads "Int16 count, count x T". The count is unsigned on the wire (see Reader::u16).
template <class T>
std::expected<IntArray<T>, WireError> read_int_array(Reader& r) {
  auto count = r.u16();
  if (!count) return std::unexpected(std::move(count.error()));
  auto raw = r.bytes(std::size_t{*count} * sizeof(T));
  if (!raw) return std::unexpected(std::move(raw.error()));
  return IntArray<T>(*raw);
}

// A column value or parameter: std::nullopt is SQL NULL (length -1 on the wire).
using Value = std::optional<Bytes>;

class ValueList {
 public:
  class iterator {
   public:
    using value_type = Value;
    using difference_type = std::ptrdiff_t;
    iterator() = default;
    explicit iterator(const std::uint8_t* p) : p_(p) {}
    Value operator*() const;
    iterator& operator++();
    iterator operator++(int) {
      iterator old = *this;
      ++*this;
      return old;
    }
    bool operator==(const iterator&) const = default;

   private:
    const std::uint8_t* p_ = nullptr;
  };

  ValueList() = default;

  // Reads the count and walks every length: each must be -1 or 0..remaining, so a count or a
  // length that lies is caught here and never during iteration.
  static std::expected<ValueList, WireError> read(Reader& r);

  std::size_t size() const { return count_; }
  bool empty() const { return count_ == 0; }
  iterator begin() const { return iterator(raw_.data()); }
  iterator end() const { return iterator(raw_.data() + raw_.size()); }
  // The values as on the wire, without the count: for pass-through copies.
  Bytes raw() const { return raw_; }

 private:
  ValueList(Bytes raw, std::size_t count) : raw_(raw), count_(count) {}
  Bytes raw_;
  std::size_t count_ = 0;
};

// Writes "Int16 count, count x (Int32 length, Byte_n)".
void write_values(Writer& w, std::span<const Value> values);
void write_value(Writer& w, const Value& value);

// Helpers for building Value spans in tests and builders.
inline Value text_value(std::string_view s) { return as_bytes(s); }

}  // namespace pgwire
