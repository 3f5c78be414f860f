#include "proxy/tls_context.h"

#include <fmt/format.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

namespace proxy {
namespace {

std::string openssl_error() {
  unsigned long e = ERR_get_error();
  if (e == 0) return "unknown OpenSSL error";
  char buf[256];
  ERR_error_string_n(e, buf, sizeof buf);
  return buf;
}

// Direct TLS clients (PostgreSQL 17 sslnegotiation=direct) must offer ALPN "postgresql"; the
// session refuses a direct handshake that did not select it (PROTOCOL.md rule 5).
int select_alpn(SSL*, const unsigned char** out, unsigned char* outlen, const unsigned char* in, unsigned int inlen,
                void*) {
  static const unsigned char kPostgresql[] = {10, 'p', 'o', 's', 't', 'g', 'r', 'e', 's', 'q', 'l'};
  unsigned char* selected = nullptr;
  if (SSL_select_next_proto(&selected, outlen, kPostgresql, sizeof kPostgresql, in, inlen) != OPENSSL_NPN_NEGOTIATED) {
    return SSL_TLSEXT_ERR_NOACK;
  }
  *out = selected;
  return SSL_TLSEXT_ERR_OK;
}

}  // namespace

std::expected<void, std::string> set_server_identity(SSL_CTX* native, const std::string& cert_file,
                                                     const std::string& key_file) {
  SSL_CTX_set_min_proto_version(native, TLS1_2_VERSION);
  SSL_CTX_set_options(native, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION);
  if (SSL_CTX_use_certificate_chain_file(native, cert_file.c_str()) != 1) {
    return std::unexpected(fmt::format("cannot load TLS certificate {}: {}", cert_file, openssl_error()));
  }
  if (SSL_CTX_use_PrivateKey_file(native, key_file.c_str(), SSL_FILETYPE_PEM) != 1) {
    return std::unexpected(fmt::format("cannot load TLS key {}: {}", key_file, openssl_error()));
  }
  if (SSL_CTX_check_private_key(native) != 1) {
    return std::unexpected(fmt::format("TLS key {} does not match certificate {}", key_file, cert_file));
  }
  return {};
}

std::expected<std::shared_ptr<asio::ssl::context>, std::string> make_server_tls(const ServerTls& tls) {
  if (tls.cert_file.empty()) return nullptr;
  auto ctx = std::make_shared<asio::ssl::context>(asio::ssl::context::tls_server);
  SSL_CTX* native = ctx->native_handle();
  if (auto identity = set_server_identity(native, tls.cert_file, tls.key_file); !identity) {
    return std::unexpected(identity.error());
  }
  SSL_CTX_set_alpn_select_cb(native, select_alpn, nullptr);
  return ctx;
}

std::expected<std::shared_ptr<asio::ssl::context>, std::string> make_upstream_tls(const UpstreamTls& tls) {
  if (tls.mode == UpstreamTlsMode::kDisable) return nullptr;
  auto ctx = std::make_shared<asio::ssl::context>(asio::ssl::context::tls_client);
  SSL_CTX* native = ctx->native_handle();
  SSL_CTX_set_min_proto_version(native, TLS1_2_VERSION);
  SSL_CTX_set_options(native, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION);
  const bool verify = tls.mode == UpstreamTlsMode::kVerifyCa || tls.mode == UpstreamTlsMode::kVerifyFull;
  if (verify) {
    if (!tls.ca_file.empty()) {
      if (SSL_CTX_load_verify_locations(native, tls.ca_file.c_str(), nullptr) != 1) {
        return std::unexpected(fmt::format("cannot load CA file {}: {}", tls.ca_file, openssl_error()));
      }
    } else {
      SSL_CTX_set_default_verify_paths(native);
    }
    SSL_CTX_set_verify(native, SSL_VERIFY_PEER, nullptr);
  } else {
    SSL_CTX_set_verify(native, SSL_VERIFY_NONE, nullptr);
  }
  return ctx;
}

}  // namespace proxy
