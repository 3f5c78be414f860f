// Connecting and logging in to the upstream PostgreSQL with a brokered credential: TCP, the
// upstream's own TLS negotiation (PROTOCOL.md rule 6), StartupMessage, then whichever password
// method the server asks for (SCRAM-SHA-256[-PLUS], md5, cleartext, trust).
#pragma once

#include <asio/any_io_executor.hpp>
#include <asio/awaitable.hpp>
#include <asio/ssl/context.hpp>
#include <chrono>
#include <expected>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "proxy/config/config.h"
#include "proxy/stream.h"
#include "proxy/wire/error.h"

namespace pgwire::scram {
class SaltedPasswordCache;
}

namespace proxy {

struct Upstream {
  std::unique_ptr<Stream> stream;
  std::int32_t backend_pid = 0;
  std::string backend_key;
  // What the server sent after AuthenticationOk (ParameterStatus, NoticeResponse ...) up to but
  // excluding BackendKeyData and ReadyForQuery: forwarded to the client as is.
  std::string parameters;
  std::string ready_for_query;   // the final ReadyForQuery message, raw
};

struct UpstreamFailure {
  std::string message;                        // for the client and the log; never a secret
  std::optional<pgwire::ErrorFields> server;  // the server's own ErrorResponse, when it sent one
};

struct UpstreamTarget {
  const Database* database;
  const Login* login;
  std::shared_ptr<asio::ssl::context> tls;    // nullptr: plain
  std::uint32_t max_message;
  pgwire::scram::SaltedPasswordCache* scram_cache = nullptr;   // optional, outlives the login
};

asio::awaitable<std::expected<Upstream, UpstreamFailure>> connect_upstream(
    const UpstreamTarget& target, std::vector<std::pair<std::string, std::string>> params);

// Delivers a CancelRequest on a new connection (PROTOCOL.md rule 9); best effort, bounded.
asio::awaitable<void> send_cancel(const Database& database, std::shared_ptr<asio::ssl::context> tls,
                                  std::int32_t pid, std::string key);

}  // namespace proxy
