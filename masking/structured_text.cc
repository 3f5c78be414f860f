#include "masking/structured_text.h"

#include <cstdint>
#include <optional>

#include <fmt/format.h>

namespace masking {
namespace {

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

std::optional<std::uint32_t> hex4(std::string_view s, std::size_t pos) {
  if (pos + 4 > s.size()) return std::nullopt;
  std::uint32_t v = 0;
  for (std::size_t i = pos; i < pos + 4; ++i) {
    const char c = s[i];
    v <<= 4;
    if (c >= '0' && c <= '9') v |= static_cast<std::uint32_t>(c - '0');
    else if (c >= 'a' && c <= 'f') v |= static_cast<std::uint32_t>(c - 'a' + 10);
    else if (c >= 'A' && c <= 'F') v |= static_cast<std::uint32_t>(c - 'A' + 10);
    else return std::nullopt;
  }
  return v;
}

void append_utf8(std::string& out, std::uint32_t cp) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

// Decodes the JSON string starting at json[pos] == '"'; returns the index past the closing quote.
std::optional<std::size_t> decode_json_string(std::string_view json, std::size_t pos, std::string& out) {
  for (std::size_t i = pos + 1; i < json.size(); ++i) {
    const char c = json[i];
    if (c == '"') return i + 1;
    if (c != '\\') {
      out.push_back(c);
      continue;
    }
    if (++i >= json.size()) return std::nullopt;
    switch (json[i]) {
      case '"': out.push_back('"'); break;
      case '\\': out.push_back('\\'); break;
      case '/': out.push_back('/'); break;
      case 'b': out.push_back('\b'); break;
      case 'f': out.push_back('\f'); break;
      case 'n': out.push_back('\n'); break;
      case 'r': out.push_back('\r'); break;
      case 't': out.push_back('\t'); break;
      case 'u': {
        auto cp = hex4(json, i + 1);
        if (!cp) return std::nullopt;
        i += 4;
        if (*cp >= 0xD800 && *cp < 0xDC00 && i + 2 < json.size() && json[i + 1] == '\\' && json[i + 2] == 'u') {
          if (auto low = hex4(json, i + 3); low && *low >= 0xDC00 && *low < 0xE000) {
            *cp = 0x10000 + ((*cp - 0xD800) << 10) + (*low - 0xDC00);
            i += 6;
          }
        }
        append_utf8(out, *cp);
        break;
      }
      default: return std::nullopt;
    }
  }
  return std::nullopt;
}

}  // namespace

bool is_json_number(std::string_view s) {
  std::size_t i = 0;
  auto digits = [&] {
    const std::size_t start = i;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
    return i > start;
  };
  if (i < s.size() && s[i] == '-') ++i;
  if (i < s.size() && s[i] == '0') ++i;
  else if (!digits()) return false;
  if (i < s.size() && s[i] == '.') {
    ++i;
    if (!digits()) return false;
  }
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
    if (!digits()) return false;
  }
  return i == s.size();
}

void append_json_string(std::string& out, std::string_view s) {
  out.push_back('"');
  for (char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) fmt::format_to(std::back_inserter(out), "\\u{:04x}", c);
        else out.push_back(c);
    }
  }
  out.push_back('"');
}

void append_xml_escaped(std::string& out, std::string_view s) {
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      default: out.push_back(c);
    }
  }
}

bool map_json_leaves(std::string_view json, LeafFn fn, std::string& out) {
  std::string leaf, replacement;
  std::size_t i = 0;
  while (i < json.size()) {
    const char c = json[i];
    if (c == '"') {
      leaf.clear();
      const auto end = decode_json_string(json, i, leaf);
      if (!end) return false;
      std::size_t next = *end;
      while (next < json.size() && is_space(json[next])) ++next;
      replacement.clear();
      const bool key = next < json.size() && json[next] == ':';
      if (!fn(leaf, key ? JsonToken::kKey : JsonToken::kString, replacement)) {
        out.append(json.substr(i, *end - i));
      } else {
        append_json_string(out, replacement);
      }
      i = *end;
    } else if (c == '-' || (c >= '0' && c <= '9')) {
      std::size_t end = i;
      while (end < json.size() && (json[end] == '-' || json[end] == '+' || json[end] == '.' ||
                                   json[end] == 'e' || json[end] == 'E' || (json[end] >= '0' && json[end] <= '9')))
        ++end;
      const std::string_view number = json.substr(i, end - i);
      replacement.clear();
      if (!fn(number, JsonToken::kNumber, replacement)) out.append(number);
      else if (is_json_number(replacement)) out.append(replacement);
      else append_json_string(out, replacement);
      i = end;
    } else {
      out.push_back(c);  // structure, whitespace, true/false/null
      ++i;
    }
  }
  return true;
}

bool map_array_elements(std::string_view array, ElementFn fn, std::string& out) {
  std::size_t i = 0;
  if (!array.empty() && array[0] == '[') {  // dimension decoration "[1:2]={...}"
    const std::size_t eq = array.find('=');
    if (eq == std::string_view::npos) return false;
    out.append(array.substr(0, eq + 1));
    i = eq + 1;
  }
  if (i >= array.size() || array[i] != '{') return false;
  int depth = 0;
  std::string element;
  while (i < array.size()) {
    const char c = array[i];
    if (c == '{') {
      ++depth;
      out.push_back(c);
      ++i;
      continue;
    }
    if (c == '}' || c == ',' || is_space(c)) {
      if (c == '}' && --depth < 0) return false;
      out.push_back(c);
      ++i;
      continue;
    }
    if (depth == 0) return false;
    // One element, quoted or not; backslash escapes the next character in both.
    element.clear();
    const std::size_t start = i;
    const bool quoted = c == '"';
    bool closed = false;
    if (quoted) ++i;
    std::size_t raw_end = i;
    while (i < array.size()) {
      const char e = array[i];
      if (e == '\\') {
        if (i + 1 >= array.size()) return false;
        element.push_back(array[i + 1]);
        i += 2;
      } else if (quoted && e == '"') {
        ++i;
        closed = true;
        break;
      } else if (!quoted && (e == ',' || e == '}')) {
        break;
      } else {
        element.push_back(e);
        ++i;
      }
      if (!quoted && !is_space(e)) raw_end = i;
    }
    if (quoted && !closed) return false;
    if (!quoted) {  // trailing whitespace belongs to the separator, not the element
      while (!element.empty() && is_space(element.back())) element.pop_back();
      i = raw_end;
      auto upper = [](char ch) { return ch >= 'a' && ch <= 'z' ? static_cast<char>(ch - 32) : ch; };
      if (element.size() == 4 && upper(element[0]) == 'N' && upper(element[1]) == 'U' &&
          upper(element[2]) == 'L' && upper(element[3]) == 'L') {
        out.append(array.substr(start, i - start));
        continue;
      }
    }
    std::string replacement;
    switch (fn(element, replacement)) {
      case ElementResult::kKeep: out.append(array.substr(start, i - start)); break;
      case ElementResult::kNull: out.append("NULL"); break;
      case ElementResult::kReplaced:
        out.push_back('"');
        for (char r : replacement) {
          if (r == '"' || r == '\\') out.push_back('\\');
          out.push_back(r);
        }
        out.push_back('"');
        break;
    }
  }
  return depth == 0;
}

}  // namespace masking
