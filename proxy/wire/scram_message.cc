#include "proxy/wire/scram_message.h"

#include "proxy/wire/scram.h"

namespace pgwire::scram::detail {

namespace {
bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
}  // namespace

std::expected<std::vector<Attribute>, std::string> split_attributes(std::string_view message) {
  if (message.empty()) return std::unexpected("empty SCRAM message");
  if (message.size() > kMaxMessageLength) return std::unexpected("SCRAM message too long");
  if (message.find('\0') != std::string_view::npos) {
    return std::unexpected("malformed SCRAM message: NUL byte");
  }
  std::vector<Attribute> out;
  std::size_t pos = 0;
  while (true) {
    const std::size_t comma = message.find(',', pos);
    const std::size_t end = comma == std::string_view::npos ? message.size() : comma;
    const std::string_view field = message.substr(pos, end - pos);
    if (field.size() < 2 || !is_alpha(field[0]) || field[1] != '=') {
      return std::unexpected("malformed SCRAM message: expected attribute=value at offset " +
                             std::to_string(pos));
    }
    out.push_back(Attribute{field[0], field.substr(2), pos});
    if (comma == std::string_view::npos) break;
    pos = comma + 1;  // a trailing ',' leaves an empty field, rejected above
  }
  return out;
}

bool is_valid_nonce(std::string_view nonce) {
  if (nonce.empty()) return false;
  for (const char c : nonce) {
    if (c < 0x21 || c > 0x7E || c == ',') return false;
  }
  return true;
}

bool is_valid_saslname(std::string_view name) {
  for (std::size_t i = 0; i < name.size(); ++i) {
    if (name[i] != '=') continue;
    const std::string_view esc = name.substr(i + 1, 2);
    if (esc != "2C" && esc != "3D") return false;
    i += 2;
  }
  return true;
}

std::string escape_saslname(std::string_view name) {
  std::string out;
  out.reserve(name.size());
  for (const char c : name) {
    if (c == ',') {
      out += "=2C";
    } else if (c == '=') {
      out += "=3D";
    } else {
      out += c;
    }
  }
  return out;
}

std::expected<int, std::string> parse_iterations(std::string_view text) {
  if (text.empty() || text.size() > 10) return std::unexpected("invalid SCRAM iteration count");
  long long value = 0;
  for (const char c : text) {
    if (c < '0' || c > '9') return std::unexpected("invalid SCRAM iteration count");
    value = value * 10 + (c - '0');
  }
  if (value < 1) return std::unexpected("invalid SCRAM iteration count");
  if (value > kMaxIterations) {
    return std::unexpected("SCRAM iteration count " + std::to_string(value) + " exceeds the limit " +
                           std::to_string(kMaxIterations));
  }
  return static_cast<int>(value);
}

std::string printable(std::string_view text, std::size_t max_len) {
  std::string out;
  for (std::size_t i = 0; i < text.size() && i < max_len; ++i) {
    const char c = text[i];
    out += (c >= 0x20 && c <= 0x7E) ? c : '?';
  }
  if (text.size() > max_len) out += "...";
  return out;
}

}  // namespace pgwire::scram::detail
