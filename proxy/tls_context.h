// OpenSSL contexts built from the configuration: one for clients (server side), one per
// upstream database (client side, by libpq sslmode semantics).
#pragma once

#include <asio/ssl/context.hpp>
#include <expected>
#include <memory>
#include <string>

#include "proxy/config/config.h"

namespace proxy {

std::expected<std::shared_ptr<asio::ssl::context>, std::string> make_server_tls(const ServerTls& tls);
// TLS 1.2 or later, no compression or renegotiation, the certificate chain and its key (which
// must match); the error names the file. Shared by the proxy's listener and the admin API.
std::expected<void, std::string> set_server_identity(SSL_CTX* native, const std::string& cert_file,
                                                     const std::string& key_file);
// nullptr for sslmode=disable.
std::expected<std::shared_ptr<asio::ssl::context>, std::string> make_upstream_tls(const UpstreamTls& tls);

}  // namespace proxy
