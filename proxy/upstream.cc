#include "proxy/upstream.h"

#include <asio/connect.hpp>
#include <asio/experimental/awaitable_operators.hpp>
#include <asio/ip/tcp.hpp>
#include <fmt/format.h>

#include "proxy/message_reader.h"
#include "proxy/timeout.h"
#include "proxy/wire/md5_auth.h"
#include "proxy/wire/auth_messages.h"
#include "proxy/wire/backend_messages.h"
#include "proxy/wire/frontend_messages.h"
#include "proxy/wire/message_types.h"
#include "proxy/wire/scram.h"
#include "proxy/wire/startup.h"

namespace proxy {
namespace {

using asio::experimental::awaitable_operators::operator||;

std::unexpected<UpstreamFailure> fail(std::string message) {
  return std::unexpected(UpstreamFailure{std::move(message), std::nullopt});
}

std::string where(const Database& db) { return fmt::format("{}:{}", db.host, db.port); }

std::string_view raw(const pgwire::Frame& frame) {
  return {reinterpret_cast<const char*>(frame.body.data()) - 5, frame.size};
}

// TCP connect and the upstream's own TLS negotiation.
asio::awaitable<std::expected<std::unique_ptr<Stream>, UpstreamFailure>> open_stream(
    const Database& db, const std::shared_ptr<asio::ssl::context>& tls) {
  auto executor = co_await asio::this_coro::executor;
  asio::ip::tcp::resolver resolver(executor);
  auto [rec, endpoints] = co_await resolver.async_resolve(db.host, std::to_string(db.port), kTuple);
  if (rec) co_return fail(fmt::format("could not resolve upstream host \"{}\": {}", db.host, rec.message()));
  asio::ip::tcp::socket socket(executor);
  auto [cec, endpoint] = co_await asio::async_connect(socket, endpoints, kTuple);
  if (cec) co_return fail(fmt::format("could not connect to upstream {}: {}", where(db), cec.message()));
  auto stream = std::make_unique<Stream>(std::move(socket));
  if (!tls) co_return stream;

  std::string request;
  pgwire::encode_ssl_request(request);
  if (auto ec = co_await stream->write_all(request)) {
    co_return fail(fmt::format("upstream {} closed during SSLRequest: {}", where(db), ec.message()));
  }
  std::uint8_t answer = 0;
  auto [ec, n] = co_await stream->read_some({&answer, 1});
  if (ec || n != 1) co_return fail(fmt::format("upstream {} closed during SSLRequest", where(db)));
  const UpstreamTlsMode mode = db.tls.mode;
  if (answer == 'S') {
    if (auto hec = co_await stream->tls_connect(*tls, db.host, mode == UpstreamTlsMode::kVerifyFull)) {
      co_return fail(fmt::format("TLS handshake with upstream {} failed: {}", where(db), hec.message()));
    }
  } else if (answer == 'N') {
    if (mode != UpstreamTlsMode::kPrefer) {
      co_return fail(fmt::format("upstream {} does not accept TLS, but tls.mode is {}", where(db), to_string(mode)));
    }
  } else {
    // Anything else (an ErrorResponse from a pre-7 server or an attacker) is not to be trusted:
    // CVE-2024-10977. Do not read it.
    co_return fail(fmt::format("upstream {} answered SSLRequest with an unexpected byte", where(db)));
  }
  co_return stream;
}

asio::awaitable<std::expected<Upstream, UpstreamFailure>> login(
    const UpstreamTarget& target, std::vector<std::pair<std::string, std::string>> params) {
  const Database& db = *target.database;
  const Login& login = *target.login;
  auto opened = co_await open_stream(db, target.tls);
  if (!opened) co_return std::unexpected(opened.error());
  Upstream up;
  up.stream = std::move(*opened);
  Stream& stream = *up.stream;

  pgwire::StartupMessage startup;
  startup.params.emplace_back("user", login.user);
  startup.params.emplace_back("database", db.dbname);
  for (auto& p : params) startup.params.push_back(std::move(p));
  std::string out;
  pgwire::encode_startup_message(out, startup);
  if (auto ec = co_await stream.write_all(out)) {
    co_return fail(fmt::format("upstream {} closed during startup: {}", where(db), ec.message()));
  }

  MessageReader reader(stream, target.max_message);
  std::optional<pgwire::scram::ClientExchange> scram;
  bool authenticated = false;
  for (;;) {
    auto frame = co_await reader.next();
    if (!frame) {
      co_return fail(fmt::format("upstream {} {} during login as \"{}\"", where(db),
                                 frame.error().kind == ReadFailure::Kind::kProtocol ? "broke the protocol" : "closed the connection",
                                 login.user));
    }
    out.clear();
    switch (frame->type) {
      case pgwire::be::kErrorResponse: {
        auto fields = pgwire::parse_error_fields(frame->body);
        if (!fields) co_return fail(fmt::format("upstream {} sent a malformed error", where(db)));
        co_return std::unexpected(UpstreamFailure{
            fmt::format("upstream {} refused login \"{}\" ({}): {}", where(db), login.name, fields->sqlstate, fields->message),
            std::move(*fields)});
      }
      case pgwire::be::kNoticeResponse:
      case pgwire::be::kParameterStatus:
        if (authenticated) up.parameters.append(raw(*frame));
        continue;
      case pgwire::be::kBackendKeyData: {
        auto key = pgwire::parse_backend_key_data(frame->body);
        if (!key) co_return fail(fmt::format("upstream {} sent a malformed BackendKeyData", where(db)));
        up.backend_pid = key->pid;
        up.backend_key = key->key;
        continue;
      }
      case pgwire::be::kReadyForQuery:
        if (!authenticated) break;
        up.ready_for_query.assign(raw(*frame));
        co_return up;
      case pgwire::be::kNegotiateProtocolVersion:
        continue;   // we ask for 3.0 without _pq_ options; nothing to adapt
      case pgwire::be::kAuthentication: {
        auto auth = pgwire::parse_authentication(frame->body);
        if (!auth) co_return fail(fmt::format("upstream {} sent a malformed authentication request", where(db)));
        switch (auth->code) {
          case pgwire::kAuthOk:
            authenticated = true;
            continue;
          case pgwire::kAuthCleartext:
            pgwire::encode_password_message(out, login.password);
            break;
          case pgwire::kAuthMd5: {
            if (auth->data.size() != 4) co_return fail("upstream md5 request without a 4-byte salt");
            pgwire::encode_password_message(
                out, pgwire::md5_password(login.user, login.password, std::span<const std::uint8_t, 4>(auth->data.data(), 4)));
            break;
          }
          case pgwire::kAuthSasl: {
            std::string cbind;
            if (stream.tls()) {
              auto hash = pgwire::scram::tls_server_end_point(pgwire::as_bytes(stream.certificate_der(false)));
              if (hash) cbind = std::move(*hash);
            }
            scram.emplace(login.password, std::move(cbind));
            scram->use_cache(target.scram_cache);
            auto mechanism = scram->choose_mechanism(auth->mechanisms);
            if (!mechanism) co_return fail(fmt::format("upstream {}: {}", where(db), mechanism.error()));
            pgwire::encode_sasl_initial_response(out, *mechanism, scram->client_first());
            break;
          }
          case pgwire::kAuthSaslContinue: {
            if (!scram) co_return fail("upstream sent SASLContinue before SASL");
            auto reply = scram->on_server_first(pgwire::as_chars(auth->data));
            if (!reply) co_return fail(fmt::format("SCRAM with upstream {} failed: {}", where(db), reply.error()));
            pgwire::encode_sasl_response(out, *reply);
            break;
          }
          case pgwire::kAuthSaslFinal: {
            if (!scram) co_return fail("upstream sent SASLFinal before SASL");
            auto verified = scram->on_server_final(pgwire::as_chars(auth->data));
            if (!verified) co_return fail(fmt::format("SCRAM with upstream {} failed: {}", where(db), verified.error()));
            continue;
          }
          default:
            co_return fail(fmt::format("upstream {} asks for authentication method {}, which pgveil does not support "
                                       "(use scram-sha-256, md5, password or trust for the brokered login)",
                                       where(db), auth->code));
        }
        if (auto ec = co_await stream.write_all(out)) {
          co_return fail(fmt::format("upstream {} closed during authentication: {}", where(db), ec.message()));
        }
        continue;
      }
      default:
        break;
    }
    co_return fail(fmt::format("upstream {} sent an unexpected message '{}' during login", where(db), frame->type));
  }
}

}  // namespace

asio::awaitable<std::expected<Upstream, UpstreamFailure>> connect_upstream(
    const UpstreamTarget& target, std::vector<std::pair<std::string, std::string>> params) {
  auto result = co_await (login(target, std::move(params)) || timeout(target.database->connect_timeout));
  if (result.index() == 1) {
    co_return fail(fmt::format("timed out after {} ms connecting to upstream {}",
                               target.database->connect_timeout.count(), where(*target.database)));
  }
  co_return std::move(std::get<0>(result));
}

asio::awaitable<void> send_cancel(const Database& database, std::shared_ptr<asio::ssl::context> tls,
                                  std::int32_t pid, std::string key) {
  auto deliver = [&]() -> asio::awaitable<void> {
    auto stream = co_await open_stream(database, tls);
    if (!stream) co_return;
    std::string out;
    pgwire::encode_cancel_request(out, pid, key);
    if (co_await (*stream)->write_all(out)) co_return;
    // The server closes the connection once it has read the request; wait for that so the
    // cancel is not lost in a reset.
    std::uint8_t byte = 0;
    co_await (*stream)->read_some({&byte, 1});
  };
  co_await (deliver() || timeout(database.connect_timeout));
}

}  // namespace proxy
