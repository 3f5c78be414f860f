#include "proxy/stream.h"

#include "proxy/drained_read.h"
#include "proxy/timeout.h"

#include <asio/experimental/as_tuple.hpp>
#include <asio/read.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/write.hpp>
#include <openssl/ssl.h>
#include <openssl/x509.h>

namespace proxy {

Stream::Stream(asio::ip::tcp::socket socket) : socket_(std::move(socket)) {
  std::error_code ec;
  socket_.non_blocking(true, ec);
  socket_.set_option(asio::ip::tcp::no_delay(true), ec);
#if PGVEIL_DRAINED_READ
  if (enable_drained_read(socket_))
    reactor_ = &asio::use_service<asio::detail::reactor>(asio::query(socket_.get_executor(), asio::execution::context));
#endif
}

asio::awaitable<std::error_code> Stream::tls_accept(asio::ssl::context& ctx) {
  tls_ = std::make_unique<asio::ssl::stream<asio::ip::tcp::socket&>>(socket_, ctx);
  auto [ec] = co_await tls_->async_handshake(asio::ssl::stream_base::server, kTuple);
  co_return ec;
}

asio::awaitable<std::error_code> Stream::tls_connect(asio::ssl::context& ctx, const std::string& host,
                                                     bool verify_host) {
  tls_ = std::make_unique<asio::ssl::stream<asio::ip::tcp::socket&>>(socket_, ctx);
  SSL* ssl = tls_->native_handle();
  asio::error_code addr_ec;
  asio::ip::make_address(host, addr_ec);
  if (addr_ec) SSL_set_tlsext_host_name(ssl, host.c_str());   // SNI only for names, as libpq
  if (verify_host) {
    X509_VERIFY_PARAM* param = SSL_get0_param(ssl);
    if (!addr_ec) {
      X509_VERIFY_PARAM_set1_ip_asc(param, host.c_str());
    } else {
      X509_VERIFY_PARAM_set1_host(param, host.c_str(), 0);
    }
  }
  auto [ec] = co_await tls_->async_handshake(asio::ssl::stream_base::client, kTuple);
  co_return ec;
}

asio::awaitable<std::error_code> Stream::wait_readable() {
  if (tls_) co_return std::error_code{};
  auto [ec] = co_await socket_.async_wait(asio::socket_base::wait_read, kTuple);
  co_return ec;
}

asio::awaitable<std::tuple<std::error_code, std::size_t>> Stream::read_some(std::span<std::uint8_t> into) {
  // A read op, not async_wait + read: Asio's reactor re-arms epoll (epoll_ctl) for every
  // async_wait, while a read op is queued on the already registered descriptor; and one that
  // skips the speculative recv after a short read (drained_read.h).
  const auto buffer = asio::buffer(into.data(), into.size());
  if (tls_) return tls_->async_read_some(buffer, kTuple);
#if PGVEIL_DRAINED_READ
  if (reactor_ != nullptr && !into.empty()) return async_drained_read(socket_, *reactor_, buffer, kTuple);
#endif
  return socket_.async_read_some(buffer, kTuple);
}

std::size_t Stream::write_now(std::span<const std::uint8_t> bytes, std::error_code& ec) {
  ec.clear();
  if (tls_) return 0;
  std::size_t written = 0;
  while (written < bytes.size()) {
    written += socket_.write_some(asio::buffer(bytes.data() + written, bytes.size() - written), ec);
    if (ec) {
      if (ec == asio::error::would_block || ec == asio::error::try_again) ec.clear();
      break;
    }
  }
  return written;
}

asio::awaitable<std::error_code> Stream::write_all(std::span<const std::uint8_t> bytes) {
  if (tls_) {
    auto [ec, n] = co_await asio::async_write(*tls_, asio::buffer(bytes.data(), bytes.size()), kTuple);
    co_return ec;
  }
  for (;;) {
    std::error_code ec;
    bytes = bytes.subspan(write_now(bytes, ec));
    if (ec) co_return ec;
    if (bytes.empty()) co_return std::error_code{};
    auto [wec] = co_await socket_.async_wait(asio::socket_base::wait_write, kTuple);
    if (wec) co_return wec;
  }
}

std::string Stream::certificate_der(bool own) const {
  if (!tls_) return {};
  SSL* ssl = const_cast<asio::ssl::stream<asio::ip::tcp::socket&>&>(*tls_).native_handle();
  X509* cert = own ? SSL_get_certificate(ssl) : SSL_get1_peer_certificate(ssl);
  if (cert == nullptr) return {};
  unsigned char* der = nullptr;
  int len = i2d_X509(cert, &der);
  std::string out;
  if (len > 0) out.assign(reinterpret_cast<char*>(der), static_cast<std::size_t>(len));
  OPENSSL_free(der);
  if (!own) X509_free(cert);
  return out;
}

std::string Stream::tls_description() const {
  if (!tls_) return "plain";
  SSL* ssl = const_cast<asio::ssl::stream<asio::ip::tcp::socket&>&>(*tls_).native_handle();
  return std::string(SSL_get_version(ssl)) + " " + SSL_get_cipher_name(ssl);
}

std::string Stream::peer() const {
  std::error_code ec;
  auto ep = socket_.remote_endpoint(ec);
  if (ec) return "?";
  return ep.address().to_string() + ":" + std::to_string(ep.port());
}

void Stream::close() {
  std::error_code ec;
  socket_.shutdown(asio::ip::tcp::socket::shutdown_both, ec);
  socket_.close(ec);
}

}  // namespace proxy
