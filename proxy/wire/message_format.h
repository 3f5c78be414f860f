// The format table: every protocol 3.0 message of each side described in the PostgreSQL docs'
// own vocabulary ("Message Formats"), and one interpreter that checks a body against it.
//
// This is how a relay fails closed on what it does not understand (DESIGN.md) without a typed
// parser per message: validate_message() rejects unknown types, short or overlong bodies, lying
// counts and negative lengths. The typed parsers (messages.h) add the semantic checks (a status
// byte in range, a known authentication code); a body they accept always passes the table
// (fuzz_frame_decoder checks this both ways).
//
// Vocabulary:
//   Byte1, Int8      one byte            Int16, Int32   big-endian integers
//   String           NUL-terminated      ByteN          all the bytes up to the end of the message
//   VarByteN         Int32 length then that many bytes; -1 means NULL and no bytes
//   Fields           { Byte1 code, String value }* Byte1(0)   (ErrorResponse / NoticeResponse)
//   Array16<...>     Int16 count (read unsigned, as PostgreSQL does), then count x the items
//   Array32<...>     Int32 count (negative is an error), then count x the items
#pragma once

#include <array>
#include <cstdint>
#include <expected>
#include <span>
#include <stdexcept>
#include <string_view>

#include "proxy/wire/bytes.h"
#include "proxy/wire/message_types.h"

namespace pgwire {

enum class FormatItem : std::uint8_t { kByte1, kInt16, kInt32, kString, kByteN, kVarByteN, kFields, kArray16, kArray32 };

struct Format {
  struct Step {
    FormatItem item = FormatItem::kByte1;
    std::uint8_t arity = 0;  // arrays: how many of the following steps make one element
  };
  std::array<Step, 12> steps{};
  std::uint8_t size = 0;
};

namespace detail {

consteval FormatItem scalar_item(std::string_view token) {
  if (token == "Byte1" || token == "Int8") return FormatItem::kByte1;
  if (token == "Int16") return FormatItem::kInt16;
  if (token == "Int32") return FormatItem::kInt32;
  if (token == "String") return FormatItem::kString;
  if (token == "ByteN") return FormatItem::kByteN;
  if (token == "VarByteN") return FormatItem::kVarByteN;
  if (token == "Fields") return FormatItem::kFields;
  throw std::invalid_argument("unknown item in a message format");
}

consteval void push(Format& f, FormatItem item, std::uint8_t arity = 0) {
  if (f.size == f.steps.size()) throw std::length_error("message format too long");
  f.steps[f.size++] = {item, arity};
}

}  // namespace detail

// Compiles a spec such as "String String Array16<Int16> Array16<VarByteN> Array16<Int16>" at
// compile time; a typo is a compile error. Arrays hold fixed scalars only: ByteN, Fields and
// nested arrays inside one would make a count meaningless.
consteval Format compile_format(std::string_view spec) {
  Format f;
  std::size_t i = 0;
  while (i < spec.size()) {
    if (spec[i] == ' ') {
      ++i;
      continue;
    }
    std::size_t j = i;
    while (j < spec.size() && spec[j] != ' ' && spec[j] != '<') ++j;
    const std::string_view token = spec.substr(i, j - i);
    if (j == spec.size() || spec[j] == ' ') {
      detail::push(f, detail::scalar_item(token));
      i = j;
      continue;
    }
    FormatItem array = token == "Array16"   ? FormatItem::kArray16
                       : token == "Array32" ? FormatItem::kArray32
                                            : throw std::invalid_argument("unknown array in a message format");
    const std::size_t close = spec.find('>', j);
    if (close == std::string_view::npos) throw std::invalid_argument("unclosed array in a message format");
    const std::size_t array_at = f.size;
    detail::push(f, array);
    std::size_t k = j + 1;
    while (k < close) {
      if (spec[k] == ' ') {
        ++k;
        continue;
      }
      std::size_t e = k;
      while (e < close && spec[e] != ' ') ++e;
      const FormatItem inner = detail::scalar_item(spec.substr(k, e - k));
      if (inner == FormatItem::kByteN || inner == FormatItem::kFields) {
        throw std::invalid_argument("unbounded item inside an array");
      }
      detail::push(f, inner);
      k = e;
    }
    f.steps[array_at].arity = static_cast<std::uint8_t>(f.size - array_at - 1);
    if (f.steps[array_at].arity == 0) throw std::invalid_argument("empty array in a message format");
    i = close + 1;
  }
  return f;
}

struct MessageFormat {
  char type;
  std::string_view name;  // as in the PG docs: "Bind", "RowDescription"...
  std::string_view spec;  // the body, in the vocabulary above
  Format format;
};

// Every message of one side, in the order of the PG docs.
std::span<const MessageFormat> message_formats(Side side);
// nullptr when `type` is not a protocol 3.0 message of that side.
const MessageFormat* find_message_format(Side side, char type);
// "Bind", or "unknown message" (for logs and error messages; never the body).
std::string_view message_name(Side side, char type);

// Checks `body` against the table entry for (side, type): unknown types are errors.
std::expected<void, WireError> validate_message(Side side, char type, Bytes body);
std::expected<void, WireError> validate_body(const MessageFormat& format, Bytes body);

}  // namespace pgwire
