// A minimal JSON writer for audit lines: appends to a caller's (reused) string, so serializing an
// event on the per-statement path builds no tree and allocates nothing once the buffer has grown
// (issue #5, Performance). Output is byte-identical to nlohmann::json::dump(-1, ' ', false,
// error_handler_t::replace), which the audit format was first written with and which the readers
// (verify, tail, reports) still parse with: tests/unit/audit_json_out_test.cc compares the two.
//
// The caller places the commas: key() and value() write exactly what they are given.
#pragma once

#include <charconv>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace audit::json_out {

// A JSON string literal with quotes. Escapes as nlohmann does: \" \\ \b \f \n \r \t, other
// control characters as \u00xx (lowercase hex), everything else (DEL and non-ASCII) as is.
// Invalid UTF-8 becomes U+FFFD, one per maximal invalid subpart (the offending byte is then read
// again as the start of a new sequence), which is what nlohmann's decoder does.
void string(std::string& out, std::string_view text);

// "key": with the opening comma when `comma`.
inline void key(std::string& out, std::string_view name, bool comma = true) {
  if (comma) out += ',';
  out += '"';
  out += name;  // keys are our own ASCII identifiers
  out += "\":";
}

template <class Int>
void integer(std::string& out, Int value) {
  char buf[24];
  const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, value);
  out.append(buf, end);
}

inline void boolean(std::string& out, bool value) { out += value ? "true" : "false"; }

inline void string_or_null(std::string& out, const std::optional<std::string>& text) {
  if (text) {
    string(out, *text);
  } else {
    out += "null";
  }
}

template <class Int>
void integer_or_null(std::string& out, const std::optional<Int>& value) {
  if (value) {
    integer(out, *value);
  } else {
    out += "null";
  }
}

// ["a","b"] from any range of strings.
template <class Range>
void string_array(std::string& out, const Range& items) {
  out += '[';
  bool first = true;
  for (const auto& item : items) {
    if (!first) out += ',';
    first = false;
    string(out, item);
  }
  out += ']';
}

}  // namespace audit::json_out
