#include "masking/binary_arrays.h"

#include <charconv>
#include <cstdint>
#include <optional>
#include <vector>

#include <fmt/format.h>

#include "masking/binary_values.h"

namespace masking {
namespace {

std::optional<std::int32_t> i32(pgwire::Reader& r) {
  auto v = r.i32();
  return v ? std::optional<std::int32_t>(*v) : std::nullopt;
}

void put32(std::string& out, std::uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<char>((v >> shift) & 0xFF));
}

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'; }

// One element of a text array: quoted or not, backslash escapes; nullopt element = NULL.
struct Parsed {
  std::int32_t lower = 1;
  std::vector<std::optional<std::string>> elements;
};

std::optional<Parsed> parse_text_array(std::string_view s) {
  Parsed p;
  if (!s.empty() && s[0] == '[') {   // "[lo:hi]=" decoration
    const std::size_t colon = s.find(':'), eq = s.find('=');
    if (colon == std::string_view::npos || eq == std::string_view::npos || colon > eq) return std::nullopt;
    const auto r = std::from_chars(s.data() + 1, s.data() + colon, p.lower);
    if (r.ec != std::errc() || r.ptr != s.data() + colon) return std::nullopt;
    s.remove_prefix(eq + 1);
  }
  if (s.size() < 2 || s.front() != '{' || s.back() != '}') return std::nullopt;
  s = s.substr(1, s.size() - 2);
  std::size_t i = 0;
  const auto skip_space = [&] {
    while (i < s.size() && is_space(s[i])) ++i;
  };
  skip_space();
  if (i == s.size()) return p;   // {}
  for (;;) {
    skip_space();
    std::string element;
    bool quoted = false;
    if (i < s.size() && s[i] == '"') {
      quoted = true;
      for (++i;; ++i) {
        if (i >= s.size()) return std::nullopt;
        if (s[i] == '"') break;
        if (s[i] == '\\' && ++i >= s.size()) return std::nullopt;
        element.push_back(s[i]);
      }
      ++i;
    } else {
      for (; i < s.size() && s[i] != ','; ++i) {
        if (s[i] == '{' || s[i] == '}' || s[i] == '"') return std::nullopt;   // nested or stray
        if (s[i] == '\\' && ++i >= s.size()) return std::nullopt;
        element.push_back(s[i]);
      }
      while (!element.empty() && is_space(element.back())) element.pop_back();
      if (element.empty()) return std::nullopt;
    }
    skip_space();
    bool null = !quoted && element.size() == 4;
    for (std::size_t k = 0; null && k < 4; ++k) null = (element[k] | 0x20) == "null"[k];
    p.elements.push_back(null ? std::nullopt : std::optional<std::string>(std::move(element)));
    if (i == s.size()) return p;
    if (s[i] != ',') return std::nullopt;
    ++i;
  }
}

}  // namespace

bool array_binary_to_text(Oid array_oid, pgwire::Bytes in, std::string& out) {
  pgwire::Reader r(in);
  const auto ndim = i32(r), flags = i32(r), element = i32(r);
  const Oid element_oid = array_element_oid(array_oid);
  if (!ndim || !flags || !element || static_cast<Oid>(*element) != element_oid || *ndim < 0 || *ndim > 1)
    return false;
  if (*ndim == 0) return r.at_end() && (out.append("{}"), true);
  const auto count = i32(r), lower = i32(r);
  if (!count || !lower || *count < 0) return false;
  if (*lower != 1) fmt::format_to(std::back_inserter(out), "[{}:{}]=", *lower, std::int64_t{*lower} + *count - 1);
  out.push_back('{');
  const ValueType type{element_oid, -1};
  std::string text;
  for (std::int32_t n = 0; n < *count; ++n) {
    if (n > 0) out.push_back(',');
    const auto length = i32(r);
    if (!length || *length < -1) return false;
    if (*length == -1) {
      out.append("NULL");
      continue;
    }
    auto bytes = r.bytes(static_cast<std::size_t>(*length));
    text.clear();
    if (!bytes || !binary_to_text(type, *bytes, text)) return false;
    out.push_back('"');
    for (char c : text) {
      if (c == '"' || c == '\\') out.push_back('\\');
      out.push_back(c);
    }
    out.push_back('"');
  }
  out.push_back('}');
  return r.at_end();
}

bool array_text_to_binary(Oid array_oid, std::string_view text, std::string& out) {
  const auto parsed = parse_text_array(text);
  if (!parsed) return false;
  const Oid element_oid = array_element_oid(array_oid);
  const ValueType type{element_oid, -1};
  bool has_null = false;
  for (const auto& e : parsed->elements) has_null = has_null || !e;
  const bool empty = parsed->elements.empty();
  put32(out, empty ? 0 : 1);
  put32(out, has_null ? 1 : 0);
  put32(out, element_oid);
  if (empty) return true;
  put32(out, static_cast<std::uint32_t>(parsed->elements.size()));
  put32(out, static_cast<std::uint32_t>(parsed->lower));
  std::string value;
  for (const auto& e : parsed->elements) {
    if (!e) {
      put32(out, 0xFFFFFFFFu);
      continue;
    }
    value.clear();
    if (!text_to_binary(type, *e, value)) return false;
    put32(out, static_cast<std::uint32_t>(value.size()));
    out.append(value);
  }
  return true;
}

}  // namespace masking
