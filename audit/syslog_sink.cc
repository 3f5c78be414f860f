#include "audit/syslog_sink.h"

#include <fmt/format.h>
#include <netdb.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>

namespace audit {

std::expected<void, std::string> set_udp_target(SyslogSinkOptions& options, std::string_view target) {
  std::string_view host = target, port;
  if (target.starts_with('[')) {
    const auto close = target.find(']');
    if (close == std::string_view::npos) return std::unexpected(fmt::format("\"{}\": missing ']'", target));
    host = target.substr(1, close - 1);
    const auto rest = target.substr(close + 1);
    if (!rest.empty() && !rest.starts_with(':')) return std::unexpected(fmt::format("\"{}\": expected :port after ']'", target));
    if (!rest.empty()) port = rest.substr(1);
  } else if (const auto colon = target.rfind(':'); colon != std::string_view::npos) {
    if (target.find(':') != colon) return std::unexpected(fmt::format("\"{}\": write IPv6 addresses as [addr]:port", target));
    host = target.substr(0, colon);
    port = target.substr(colon + 1);
  }
  if (host.empty()) return std::unexpected(fmt::format("\"{}\": no host", target));
  unsigned value = 514;
  if (!port.empty()) {
    const auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
    if (ec != std::errc{} || end != port.data() + port.size() || value == 0 || value > 65535) {
      return std::unexpected(fmt::format("\"{}\": port must be 1..65535", target));
    }
  }
  options.host = std::string(host);
  options.port = static_cast<std::uint16_t>(value);
  return {};
}

std::expected<std::unique_ptr<SyslogSink>, SinkError> SyslogSink::open(SyslogSinkOptions options) {
  if (options.host.empty()) {
    if (options.socket_path.empty() || options.socket_path.size() >= sizeof(sockaddr_un::sun_path)) {
      return std::unexpected(SinkError{0, fmt::format("audit syslog sink: socket path \"{}\" is empty or longer "
                                                      "than {} bytes",
                                                      options.socket_path, sizeof(sockaddr_un::sun_path) - 1)});
    }
  }
  if (options.header.facility < 0 || options.header.facility > 23) {
    return std::unexpected(SinkError{0, "audit syslog sink: facility must be 0..23"});
  }
  if (options.header.hostname.empty()) {
    char host[256] = {};
    if (::gethostname(host, sizeof host - 1) == 0) options.header.hostname = host;
  }
  if (options.header.procid.empty()) options.header.procid = std::to_string(::getpid());
  return std::unique_ptr<SyslogSink>(new SyslogSink(std::move(options)));
}

SyslogSink::~SyslogSink() {
  if (fd_ >= 0) ::close(fd_);
}

std::string SyslogSink::name() const {
  return options_.host.empty() ? "syslog:" + options_.socket_path
                               : fmt::format("syslog:udp://{}:{}", options_.host, options_.port);
}

std::size_t SyslogSink::max_batch() const { return std::max<std::size_t>(options_.max_batch, 1); }

SinkError SyslogSink::error(int code, std::string_view what) {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;  // reconnect on the next write
  return SinkError{code, fmt::format("audit sink {}: {}: {}", name(), what, std::strerror(code))};
}

std::expected<void, SinkError> SyslogSink::connect_socket() {
  if (options_.host.empty()) {
    fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd_ < 0) return std::unexpected(error(errno, "socket"));
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::memcpy(addr.sun_path, options_.socket_path.data(), options_.socket_path.size());
    if (::connect(fd_, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) {
      return std::unexpected(error(errno, "connect"));
    }
    return {};
  }
  addrinfo hints{};
  hints.ai_socktype = SOCK_DGRAM;
  addrinfo* found = nullptr;
  const auto port = std::to_string(options_.port);
  if (const int rc = ::getaddrinfo(options_.host.c_str(), port.c_str(), &hints, &found); rc != 0) {
    return std::unexpected(SinkError{0, fmt::format("audit sink {}: resolving {}: {}", name(), options_.host,
                                                    ::gai_strerror(rc))});
  }
  int last = 0;
  for (auto* a = found; a != nullptr; a = a->ai_next) {
    fd_ = ::socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
    if (fd_ >= 0 && ::connect(fd_, a->ai_addr, a->ai_addrlen) == 0) break;
    last = errno;
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }
  ::freeaddrinfo(found);
  if (fd_ < 0) return std::unexpected(error(last, "connect"));
  return {};
}

std::expected<void, SinkError> SyslogSink::write(std::span<const std::string> events) {
  if (fd_ < 0) {
    if (auto ok = connect_socket(); !ok) return ok;
  }
  for (const auto& event : events) {
    const auto message = format_rfc5424(options_.header, event);
    if (!message) return std::unexpected(SinkError{0, fmt::format("audit sink {}: {}", name(), message.error())});
    ssize_t n;
    do {
      n = ::send(fd_, message->data(), message->size(), MSG_NOSIGNAL);
    } while (n < 0 && errno == EINTR);
    // EMSGSIZE: larger than the socket allows (Unix: net.core.wmem_default; UDP: 65507 bytes).
    if (n < 0) return std::unexpected(error(errno, "send"));
  }
  return {};
}

}  // namespace audit
