// A connection to a client or to the upstream server: TCP, optionally wrapped in TLS after the
// SSLRequest exchange. Only this file and tls_context.* touch OpenSSL's SSL objects.
#pragma once

#include <asio/awaitable.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/ssl.hpp>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <system_error>
#include <tuple>

namespace asio::detail {
class epoll_reactor;
}

namespace proxy {

class Stream {
 public:
  explicit Stream(asio::ip::tcp::socket socket);
  Stream(Stream&&) = delete;

  // Wraps the socket in TLS and runs the handshake. The caller has checked that no plaintext
  // byte arrived after the SSLRequest (PROTOCOL.md rule 3).
  asio::awaitable<std::error_code> tls_accept(asio::ssl::context& ctx);
  asio::awaitable<std::error_code> tls_connect(asio::ssl::context& ctx, const std::string& host,
                                               bool verify_host);

  // Suspends until the peer has sent something. Plain TCP waits for readability without a
  // buffer, so an idle session holds none; TLS has no such wait and returns at once.
  asio::awaitable<std::error_code> wait_readable();
  // Reads what is available into `into` (at least one byte), suspending if nothing is. Returns
  // the Asio operation's own awaitable (not a coroutine around it): the relay reads once per
  // wake-up, and a wrapper frame per read is measurable there.
  asio::awaitable<std::tuple<std::error_code, std::size_t>> read_some(std::span<std::uint8_t> into);
  // Writes all of `bytes`: a direct non-blocking write first (the common case on loopback),
  // suspending only when the socket buffer is full (backpressure).
  asio::awaitable<std::error_code> write_all(std::span<const std::uint8_t> bytes);
  // Plain TCP: writes what the socket takes now, without suspending, and returns how much that
  // was (the caller co_awaits write_all for the rest). TLS: writes nothing and returns 0.
  std::size_t write_now(std::span<const std::uint8_t> bytes, std::error_code& ec);
  asio::awaitable<std::error_code> write_all(std::string_view bytes) {
    return write_all(std::span<const std::uint8_t>(
        reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()));
  }

  bool tls() const { return tls_ != nullptr; }
  SSL* ssl() { return tls_ ? tls_->native_handle() : nullptr; }
  // DER of the peer's (upstream) or our own (client side) certificate, for SCRAM channel binding.
  std::string certificate_der(bool own) const;
  std::string tls_description() const;   // "TLSv1.3 TLS_AES_256_GCM_SHA384" or "plain"
  asio::ip::tcp::socket& socket() { return socket_; }
  std::string peer() const;              // "127.0.0.1:51234"
  void close();

 private:
  asio::ip::tcp::socket socket_;
  asio::detail::epoll_reactor* reactor_ = nullptr;   // for async_drained_read (drained_read.h)
  std::unique_ptr<asio::ssl::stream<asio::ip::tcp::socket&>> tls_;
};

}  // namespace proxy
