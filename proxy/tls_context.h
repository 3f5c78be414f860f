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
// nullptr for sslmode=disable.
std::expected<std::shared_ptr<asio::ssl::context>, std::string> make_upstream_tls(const UpstreamTls& tls);

}  // namespace proxy
