#include <charconv>

#include <fmt/format.h>

#include "proxy/config/config.h"

namespace proxy {
namespace {

std::expected<std::uint16_t, std::string> parse_port(std::string_view text, std::string_view whole) {
  int value = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc{} || ptr != text.data() + text.size() || value < 1 ||
      value > 65535)
    return std::unexpected(fmt::format("'{}' does not end in a port (1..65535)", whole));
  return static_cast<std::uint16_t>(value);
}

bool has_space(std::string_view s) {
  return s.find_first_of(" \t\r\n") != std::string_view::npos;
}

}  // namespace

std::expected<Endpoint, std::string> parse_endpoint(std::string_view text, Endpoint defaults) {
  const std::string usage = "use host:port, [::1]:port or :port";
  if (text.empty()) return std::unexpected(fmt::format("empty address ({})", usage));
  if (has_space(text)) return std::unexpected(fmt::format("'{}' contains spaces ({})", text, usage));

  Endpoint out = defaults;
  // A bare number is a port on the default host.
  if (text.find_first_not_of("0123456789") == std::string_view::npos) {
    auto port = parse_port(text, text);
    if (!port) return std::unexpected(fmt::format("'{}' is not a port (1..65535)", text));
    out.port = *port;
    return out;
  }

  std::string_view host;
  std::string_view port_text;
  if (text.front() == '[') {
    const auto close = text.find(']');
    if (close == std::string_view::npos)
      return std::unexpected(fmt::format("'{}' has no closing ']' ({})", text, usage));
    host = text.substr(1, close - 1);
    const std::string_view after = text.substr(close + 1);
    if (after.empty() || after.front() != ':')
      return std::unexpected(fmt::format("'{}' needs a port after ']' ({})", text, usage));
    port_text = after.substr(1);
    if (host.empty()) return std::unexpected(fmt::format("'{}' has an empty host ({})", text, usage));
  } else {
    const auto colon = text.rfind(':');
    if (colon == std::string_view::npos)
      return std::unexpected(fmt::format("'{}' has no port ({})", text, usage));
    host = text.substr(0, colon);
    port_text = text.substr(colon + 1);
    // "::1:6432" could be read several ways; brackets make IPv6 unambiguous (RFC 3986 host syntax).
    if (host.find(':') != std::string_view::npos)
      return std::unexpected(
          fmt::format("'{}': write IPv6 addresses in brackets, e.g. [::1]:6432", text));
  }
  auto port = parse_port(port_text, text);
  if (!port) return std::unexpected(port.error());
  if (!host.empty()) out.host = std::string(host);
  out.port = *port;
  return out;
}

}  // namespace proxy
