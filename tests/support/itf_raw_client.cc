#include "support/itf_raw_client.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

#include "proxy/wire/scram.h"

namespace itf {
namespace {

using Clock = std::chrono::steady_clock;

void put_u32(std::string& out, std::uint32_t v) {
  out.push_back(static_cast<char>((v >> 24) & 0xff));
  out.push_back(static_cast<char>((v >> 16) & 0xff));
  out.push_back(static_cast<char>((v >> 8) & 0xff));
  out.push_back(static_cast<char>(v & 0xff));
}

std::uint32_t get_u32(std::string_view s, std::size_t at) {
  return (std::uint32_t{static_cast<std::uint8_t>(s[at])} << 24) |
         (std::uint32_t{static_cast<std::uint8_t>(s[at + 1])} << 16) |
         (std::uint32_t{static_cast<std::uint8_t>(s[at + 2])} << 8) |
         std::uint32_t{static_cast<std::uint8_t>(s[at + 3])};
}

std::string typed(char type, std::string_view body) {
  std::string out(1, type);
  put_u32(out, static_cast<std::uint32_t>(body.size() + 4));
  out.append(body);
  return out;
}

std::string untyped(std::string_view body) {
  std::string out;
  put_u32(out, static_cast<std::uint32_t>(body.size() + 4));
  out.append(body);
  return out;
}

// 'R' body: Int32 code then data.
std::optional<std::pair<std::int32_t, std::string>> auth_of(const Message& m) {
  if (m.type != 'R' || m.body.size() < 4) return std::nullopt;
  return std::pair{static_cast<std::int32_t>(get_u32(m.body, 0)), m.body.substr(4)};
}

std::vector<std::string> split_cstrings(std::string_view data) {
  std::vector<std::string> out;
  while (!data.empty()) {
    const auto nul = data.find('\0');
    if (nul == std::string_view::npos || nul == 0) break;
    out.emplace_back(data.substr(0, nul));
    data.remove_prefix(nul + 1);
  }
  return out;
}

}  // namespace

std::string_view to_string(ReadEnd end) {
  switch (end) {
    case ReadEnd::kClosed: return "connection closed";
    case ReadEnd::kTimeout: return "timed out";
    case ReadEnd::kError: return "read error";
  }
  return "?";
}

RawClient RawClient::connect(std::uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) throw std::runtime_error(std::string("socket: ") + std::strerror(errno));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    const int err = errno;
    ::close(fd);
    throw std::runtime_error("connect to 127.0.0.1:" + std::to_string(port) + ": " + std::strerror(err));
  }
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return RawClient(fd);
}

RawClient::RawClient(RawClient&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)), buffer_(std::move(other.buffer_)) {}

RawClient& RawClient::operator=(RawClient&& other) noexcept {
  if (this != &other) {
    close();
    fd_ = std::exchange(other.fd_, -1);
    buffer_ = std::move(other.buffer_);
  }
  return *this;
}

RawClient::~RawClient() { close(); }

void RawClient::close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

bool RawClient::send(std::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

std::expected<void, ReadEnd> RawClient::fill(Clock::time_point deadline) {
  for (;;) {
    const auto left = std::chrono::duration_cast<Millis>(deadline - Clock::now()).count();
    if (left <= 0) return std::unexpected(ReadEnd::kTimeout);
    pollfd p{fd_, POLLIN, 0};
    const int r = ::poll(&p, 1, static_cast<int>(left));
    if (r < 0) {
      if (errno == EINTR) continue;
      return std::unexpected(ReadEnd::kError);
    }
    if (r == 0) return std::unexpected(ReadEnd::kTimeout);
    char chunk[16384];
    const ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
    if (n > 0) {
      buffer_.append(chunk, static_cast<std::size_t>(n));
      return {};
    }
    if (n == 0) return std::unexpected(ReadEnd::kClosed);
    if (errno == EINTR || errno == EAGAIN) continue;
    // ECONNRESET after the peer closed with our data unread counts as closed.
    return std::unexpected(errno == ECONNRESET ? ReadEnd::kClosed : ReadEnd::kError);
  }
}

std::expected<char, ReadEnd> RawClient::read_byte(Millis timeout) {
  const auto deadline = Clock::now() + timeout;
  while (buffer_.empty()) {
    if (auto r = fill(deadline); !r) return std::unexpected(r.error());
  }
  const char c = buffer_.front();
  buffer_.erase(0, 1);
  return c;
}

std::expected<Message, ReadEnd> RawClient::read_message(Millis timeout) {
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    if (buffer_.size() >= 5) {
      const std::uint32_t length = get_u32(buffer_, 1);
      if (length < 4) return std::unexpected(ReadEnd::kError);
      if (buffer_.size() >= 1 + std::size_t{length}) {
        Message m{buffer_[0], buffer_.substr(5, length - 4)};
        buffer_.erase(0, 1 + std::size_t{length});
        return m;
      }
    }
    if (auto r = fill(deadline); !r) return std::unexpected(r.error());
  }
}

bool RawClient::wait_closed(Millis timeout, std::string* seen) {
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    if (seen != nullptr) seen->append(buffer_);
    buffer_.clear();
    auto r = fill(deadline);
    if (r) continue;
    if (r.error() == ReadEnd::kClosed) return true;
    return false;
  }
}

std::string startup_packet(const std::vector<std::pair<std::string, std::string>>& params,
                           std::uint16_t major, std::uint16_t minor) {
  std::string body;
  put_u32(body, (std::uint32_t{major} << 16) | minor);
  for (const auto& [name, value] : params) {
    body.append(name).push_back('\0');
    body.append(value).push_back('\0');
  }
  body.push_back('\0');
  return untyped(body);
}

std::string ssl_request() { return raw_u32(8) + raw_u32(80877103); }
std::string gssenc_request() { return raw_u32(8) + raw_u32(80877104); }

std::string cancel_request(std::int32_t pid, std::string_view key) {
  std::string body = raw_u32(80877102) + raw_u32(static_cast<std::uint32_t>(pid));
  body.append(key);
  return untyped(body);
}

std::string raw_u32(std::uint32_t value) {
  std::string out;
  put_u32(out, value);
  return out;
}

std::optional<pgwire::ErrorFields> error_of(const Message& message) {
  if (message.type != 'E' && message.type != 'N') return std::nullopt;
  auto fields = pgwire::parse_error_fields(pgwire::as_bytes(message.body));
  if (!fields) return std::nullopt;
  return *fields;
}

std::string LoginResult::describe() const {
  if (ok) return "login ok";
  if (error) return "ErrorResponse " + error->severity + " " + error->sqlstate + ": " + error->message;
  return "login failed: " + failure;
}

LoginResult scram_login(RawClient& client, std::string_view password, const ScramScript& script,
                        Millis timeout) {
  LoginResult result;
  const auto deadline = Clock::now() + timeout;
  auto left = [&] { return std::chrono::duration_cast<Millis>(deadline - Clock::now()); };
  std::optional<pgwire::scram::ClientExchange> scram;
  bool authenticated = false;
  for (;;) {
    auto m = client.read_message(left());
    if (!m) {
      result.failure = std::string(to_string(m.error()));
      return result;
    }
    if (m->type == 'E') {
      result.error = error_of(*m);
      if (!result.error) result.failure = "malformed ErrorResponse";
      return result;
    }
    if (m->type == 'S') {
      const auto parts = split_cstrings(m->body);
      if (parts.size() == 2) result.parameters.emplace_back(parts[0], parts[1]);
      continue;
    }
    if (m->type == 'K') {
      if (m->body.size() < 8) {
        result.failure = "short BackendKeyData";
        return result;
      }
      result.backend_pid = static_cast<std::int32_t>(get_u32(m->body, 0));
      result.backend_key = m->body.substr(4);
      continue;
    }
    if (m->type == 'Z') {
      result.ok = authenticated;
      if (!authenticated) result.failure = "ReadyForQuery before AuthenticationOk";
      return result;
    }
    if (m->type == 'N') continue;
    const auto auth = auth_of(*m);
    if (!auth) {
      if (!scram) {
        result.before_auth.push_back(std::move(*m));
        continue;
      }
      result.failure = std::string("unexpected message '") + m->type + "' during login";
      return result;
    }
    const auto& [code, data] = *auth;
    std::string out;
    switch (code) {
      case 0:
        authenticated = true;
        continue;
      case 10: {
        result.mechanisms = split_cstrings(data);
        scram.emplace(std::string(password));
        std::vector<std::string> plain{"SCRAM-SHA-256"};   // no TLS here: never -PLUS
        auto mechanism = scram->choose_mechanism(plain);
        if (!mechanism) {
          result.failure = mechanism.error();
          return result;
        }
        result.client_first = script.client_first ? *script.client_first : scram->client_first();
        std::string body = *mechanism;
        body.push_back('\0');
        put_u32(body, static_cast<std::uint32_t>(result.client_first.size()));
        body.append(result.client_first);
        out = typed('p', body);
        break;
      }
      case 11: {
        if (!scram) {
          result.failure = "SASLContinue before SASL";
          return result;
        }
        auto final_message = scram->on_server_first(data);
        if (script.client_final) {
          result.client_final = *script.client_final;
        } else if (final_message) {
          result.client_final = *final_message;
        } else {
          result.failure = "client SCRAM: " + final_message.error();
          return result;
        }
        out = typed('p', result.client_final);
        break;
      }
      case 12: {
        if (!scram) {
          result.failure = "SASLFinal before SASL";
          return result;
        }
        if (!script.client_final) {
          if (auto verified = scram->on_server_final(data); !verified) {
            result.failure = "server signature did not verify: " + verified.error();
            return result;
          }
        }
        continue;
      }
      default:
        result.failure = "unexpected authentication request " + std::to_string(code);
        return result;
    }
    if (!client.send(out)) {
      result.failure = "send failed during SASL";
      return result;
    }
  }
}

std::string query_message(std::string_view sql) {
  std::string body(sql);
  body.push_back('\0');
  return typed('Q', body);
}

std::string terminate_message() { return typed('X', {}); }

QueryResult simple_query(RawClient& client, std::string_view sql, Millis timeout) {
  if (!client.send(query_message(sql))) {
    QueryResult result;
    result.failure = "send failed";
    return result;
  }
  return read_query_result(client, timeout);
}

QueryResult read_query_result(RawClient& client, Millis timeout) {
  QueryResult result;
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    auto m = client.read_message(std::chrono::duration_cast<Millis>(deadline - Clock::now()));
    if (!m) {
      result.failure = std::string(to_string(m.error()));
      return result;
    }
    if (m->type == 'Z') {
      result.ready = true;
      return result;
    }
    if (m->type == 'E') {
      result.error = error_of(*m);
      continue;
    }
    if (m->type != 'D') continue;
    // DataRow: Int16 count, count x { Int32 length (-1 = NULL), Byte_n }.
    const std::string& b = m->body;
    std::vector<std::optional<std::string>> row;
    if (b.size() < 2) continue;
    const std::size_t count = (std::size_t{static_cast<std::uint8_t>(b[0])} << 8) | static_cast<std::uint8_t>(b[1]);
    std::size_t at = 2;
    for (std::size_t i = 0; i < count && at + 4 <= b.size(); ++i) {
      const auto len = static_cast<std::int32_t>(get_u32(b, at));
      at += 4;
      if (len < 0) {
        row.emplace_back(std::nullopt);
      } else {
        row.emplace_back(b.substr(at, static_cast<std::size_t>(len)));
        at += static_cast<std::size_t>(len);
      }
    }
    result.rows.push_back(std::move(row));
  }
}

std::optional<pgwire::ErrorFields> read_error(RawClient& client, Millis timeout) {
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    auto m = client.read_message(std::chrono::duration_cast<Millis>(deadline - Clock::now()));
    if (!m) return std::nullopt;
    if (m->type == 'E') return error_of(*m);
  }
}

}  // namespace itf
