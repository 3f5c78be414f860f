#include "proxy/session.h"

#include <asio/experimental/awaitable_operators.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "policy/admission.h"
#include "policy/time_format.h"
#include "proxy/message_reader.h"
#include "proxy/timeout.h"
#include "proxy/upstream.h"
#include "proxy/wire/auth_messages.h"
#include "proxy/wire/backend_messages.h"
#include "proxy/wire/frontend_messages.h"
#include "proxy/wire/message_types.h"
#include "proxy/wire/scram.h"

namespace proxy {
namespace {

using asio::experimental::awaitable_operators::operator||;

// Startup parameters that describe the session to the server and are passed upstream as the
// client sent them. user/database are replaced by the brokered login; replication is refused;
// _pq_.* protocol options are not understood and so not passed on (PROTOCOL.md rule 8).
bool passed_upstream(std::string_view name) {
  return name != "user" && name != "database" && name != "replication" && !name.starts_with("_pq_.");
}

bool replication_requested(const pgwire::StartupMessage& startup) {
  const std::string* value = startup.get("replication");
  if (value == nullptr) return false;
  std::string v;
  for (char c : *value) v.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  return !(v == "false" || v == "off" || v == "no" || v == "0");
}

}  // namespace

Session::Session(asio::ip::tcp::socket socket, Services& services, std::uint64_t id)
    : services_(services),
      runtime_(services.runtime.load()),
      client_(std::make_unique<Stream>(std::move(socket))),
      stop_timer_(client_->socket().get_executor()) {
  info_.id = id;
  info_.peer = client_->peer();
  info_.started = services_.now();
  stop_timer_.expires_at(asio::steady_timer::time_point::max());
}

Session::~Session() {
  if (minted_) services_.cancels.forget(*minted_);
}

SessionInfo Session::info() const {
  std::lock_guard lock(info_mutex_);
  return info_;
}

std::string Session::source_address() const {
  std::lock_guard lock(info_mutex_);
  const auto colon = info_.peer.rfind(':');
  return colon == std::string::npos ? info_.peer : info_.peer.substr(0, colon);
}

std::string Session::tag() const {
  std::lock_guard lock(info_mutex_);
  if (info_.person.empty()) return fmt::format("session {} from {}", info_.id, info_.peer);
  return fmt::format("session {} ({}@{})", info_.id, info_.person, info_.database);
}

void Session::stop(StopReason reason) {
  asio::post(stop_timer_.get_executor(), [self = shared_from_this(), reason = std::move(reason)]() mutable {
    if (self->stop_reason_) return;
    self->stop_reason_ = std::move(reason);
    self->stop_timer_.cancel();
  });
}

asio::awaitable<void> Session::send_fatal(const pgwire::ErrorFields& fields) {
  std::string out;
  pgwire::encode_error_response(out, fields);
  co_await client_->write_all(out);
}

asio::awaitable<void> Session::refuse(std::string_view sqlstate, std::string message, std::string hint) {
  spdlog::info("{}: refused ({}): {}", tag(), sqlstate, message);
  services_.series.refusal("admission", sqlstate);
  if (!refusal_rule_.empty()) {
    record(audit::Refusal{audit_ref(), info().peer, "admission", std::exchange(refusal_rule_, {}), std::string(sqlstate),
                          message, std::nullopt});
  }
  co_await send_fatal(pgwire::make_error("FATAL", sqlstate, std::move(message), std::move(hint)));
}

asio::awaitable<void> Session::run() {
  auto self = shared_from_this();
  services_.sessions.add(info_.id, weak_from_this());
  const auto& limits = runtime_->config->limits;
  auto established = co_await (establish() || timeout(limits.startup_timeout));
  std::optional<IoBuffer> rest;
  if (established.index() == 0) {
    rest = std::move(std::get<0>(established));
  } else {
    spdlog::info("{}: startup and authentication not finished within {} ms, closing", tag(),
                 limits.startup_timeout.count());
  }
  if (rest) {
    if (stop_reason_) {
      co_await send_fatal(pgwire::make_error("FATAL", stop_reason_->sqlstate, stop_reason_->message, stop_reason_->hint));
    } else {
      co_await relay_until_end(std::move(*rest));
    }
  }
  record_end();
  if (upstream_) upstream_->close();
  client_->close();
  services_.sessions.remove(info_.id);
}

asio::awaitable<std::optional<pgwire::StartupMessage>> Session::negotiate_startup() {
  IoBuffer& buffer = startup_buffer_;
  buffer = IoBuffer(1024);
  const auto& server_tls = runtime_->server_tls;

  // Direct TLS (PostgreSQL 17 sslnegotiation=direct, PROTOCOL.md rule 5): the first byte is a TLS
  // handshake record instead of a startup packet. Peek so the TLS engine still sees it.
  if (server_tls) {
    if (co_await client_->wait_readable()) co_return std::nullopt;
    std::uint8_t first = 0;
    std::error_code ec;
    std::size_t n = client_->socket().receive(asio::buffer(&first, 1), asio::socket_base::message_peek, ec);
    if (!ec && n == 1 && first == 0x16) {
      if (auto hec = co_await client_->tls_accept(*server_tls)) {
        spdlog::info("{}: direct TLS handshake failed: {}", tag(), hec.message());
        co_return std::nullopt;
      }
      const unsigned char* alpn = nullptr;
      unsigned int alpn_len = 0;
      SSL_get0_alpn_selected(client_->ssl(), &alpn, &alpn_len);
      if (std::string_view(reinterpret_cast<const char*>(alpn), alpn_len) != "postgresql") {
        co_await refuse("08P01", "direct TLS connection without ALPN \"postgresql\"",
                        "Use sslnegotiation=direct with a PostgreSQL 17+ client, or the default sslnegotiation=postgres.");
        co_return std::nullopt;
      }
    }
  }

  for (;;) {
    auto decoded = pgwire::decode_startup(buffer.data());
    if (auto* more = std::get_if<pgwire::NeedMore>(&decoded)) {
      buffer.reserve(more->total);
      auto [ec, n] = co_await client_->read_some(buffer.free_space());
      if (ec) {
        spdlog::debug("{}: closed before a startup packet: {}", tag(), ec.message());
        co_return std::nullopt;
      }
      buffer.commit(n);
      continue;
    }
    if (auto* error = std::get_if<pgwire::WireError>(&decoded)) {
      co_await refuse("08P01", error->message);
      co_return std::nullopt;
    }
    auto& frame = std::get<pgwire::StartupFrame>(decoded);
    buffer.consume(frame.consumed);
    if (std::holds_alternative<pgwire::SslRequest>(frame.packet)) {
      if (client_->tls()) {
        co_await refuse("08P01", "SSLRequest received on a connection that already uses TLS");
        co_return std::nullopt;
      }
      if (!server_tls) {
        co_await client_->write_all(std::string_view("N"));
        continue;
      }
      // Bytes sent after SSLRequest but before the handshake could come from a man in the
      // middle (CVE-2021-23214, PROTOCOL.md rule 3).
      if (!buffer.empty()) {
        co_await refuse("08P01", "received unencrypted data after SSL request");
        co_return std::nullopt;
      }
      if (co_await client_->write_all(std::string_view("S"))) co_return std::nullopt;
      if (auto ec = co_await client_->tls_accept(*server_tls)) {
        spdlog::info("{}: TLS handshake failed: {}", tag(), ec.message());
        co_return std::nullopt;
      }
      continue;
    }
    if (std::holds_alternative<pgwire::GssEncRequest>(frame.packet)) {
      // PROTOCOL.md rule 4: refuse GSS encryption; the client may go on with SSLRequest or startup.
      if (!buffer.empty()) {
        co_await refuse("08P01", "received unencrypted data after GSSENC request");
        co_return std::nullopt;
      }
      if (co_await client_->write_all(std::string_view("N"))) co_return std::nullopt;
      continue;
    }
    if (auto* cancel = std::get_if<pgwire::CancelRequest>(&frame.packet)) {
      co_await forward_cancel(*cancel);
      co_return std::nullopt;
    }
    auto& startup = std::get<pgwire::StartupMessage>(frame.packet);
    if (startup.major != 3) {
      co_await refuse("0A000", fmt::format("unsupported frontend protocol {}.{}: server supports 3.0 to 3.0",
                                           startup.major, startup.minor));
      co_return std::nullopt;
    }
    // PROTOCOL.md rule 8: we speak 3.0; tell newer clients so, with the options we ignore.
    std::vector<std::string> unsupported;
    for (const auto& [name, value] : startup.params) {
      if (name.starts_with("_pq_.")) unsupported.push_back(name);
    }
    if (startup.minor > 0 || !unsupported.empty()) {
      std::string out;
      pgwire::encode_negotiate_protocol_version(out, 0, unsupported);
      if (co_await client_->write_all(out)) co_return std::nullopt;
    }
    co_return std::move(startup);
  }
}

asio::awaitable<void> Session::forward_cancel(const pgwire::CancelRequest& request) {
  // A cancel gets no reply either way; unknown keys are dropped silently (PROTOCOL.md rule 9).
  auto target = services_.cancels.find(request.pid, request.key);
  if (!target) {
    spdlog::info("{}: cancel request for an unknown key dropped", tag());
    co_return;
  }
  const Database* db = runtime_->config->database(target->database);
  if (db == nullptr) co_return;
  spdlog::info("{}: forwarding cancel request to {} backend {}", tag(), target->database, target->upstream_pid);
  co_await send_cancel(*db, runtime_->tls_for(target->database), target->upstream_pid, target->upstream_key);
}

asio::awaitable<std::optional<IoBuffer>> Session::establish() {
  auto startup = co_await negotiate_startup();
  if (!startup) co_return std::nullopt;
  const Config& cfg = *runtime_->config;
  const std::string* user = startup->get("user");
  if (user == nullptr || user->empty()) {
    co_await refuse("28000", "no PostgreSQL user name specified in startup packet");
    co_return std::nullopt;
  }
  const std::string* db_param = startup->get("database");
  const std::string database = db_param != nullptr && !db_param->empty() ? *db_param : *user;
  {
    std::lock_guard lock(info_mutex_);
    info_.person = *user;
    info_.database = database;
    info_.tls = client_->tls_description();
    if (const std::string* app = startup->get("application_name")) info_.application_name = *app;
  }
  if (replication_requested(*startup)) {
    refusal_rule_ = "replication";
    co_await refuse("28000", "replication connections are not allowed through pgveil",
                    "Replication streams bypass masking and audit; connect to the database server directly for replication.");
    co_return std::nullopt;
  }
  if (cfg.tls.require && !client_->tls()) {
    refusal_rule_ = "tls.require";
    co_await refuse("28000", "pgveil requires an encrypted connection (SSL/TLS)",
                    "Connect with sslmode=require (or verify-full).");
    co_return std::nullopt;
  }
  const Database* db = cfg.database(database);
  if (db == nullptr) {
    refusal_rule_ = "databases";
    co_await refuse("3D000", fmt::format("database \"{}\" does not exist", database),
                    "Use a database name pgveil is configured to serve.");
    co_return std::nullopt;
  }
  const auto now = services_.now();
  if (auto wait = services_.auth_limiter.check(*user, source_address(), now)) {
    services_.metrics.counter("pgveil_auth_rate_limited_total", "Client logins refused by the failed-login rate limit").inc();
    co_await refuse("53300",
                    fmt::format("too many failed authentication attempts for user \"{}\" from {}", *user, source_address()),
                    fmt::format("Wait {} before trying again, with the secret printed when the grant was approved.",
                                policy::format_duration(*wait)));
    co_return std::nullopt;
  }
  auto found = services_.store->find_for(*user, database, now);
  if (!found) {
    spdlog::error("{}: grant store: {}", tag(), found.error());
    co_await refuse("57P03", "pgveil cannot read its grant store right now", "Try again shortly; operators see the cause in pgveil's log.");
    co_return std::nullopt;
  }
  const auto admission = policy::decide_admission(*user, database, *found, now);
  if (!admission.admitted()) {
    refusal_rule_ = admission.grant ? fmt::format("grant {}: {}", admission.grant->id, policy::to_string(admission.outcome))
                                    : std::string(policy::to_string(admission.outcome));
    {
      std::lock_guard lock(info_mutex_);
      if (admission.grant) info_.grant_id = admission.grant->id;
    }
    co_await refuse(admission.sqlstate, admission.message, admission.hint);
    co_return std::nullopt;
  }
  grant_ = *admission.grant;
  const Role* role = cfg.role(grant_->role);
  const Login* login = role != nullptr ? cfg.login_for(*role, database) : nullptr;
  if (login == nullptr) {
    refusal_rule_ = "roles." + grant_->role + ".databases";
    co_await refuse("28000", fmt::format("pgveil grant {} names role \"{}\", which does not cover database \"{}\" in the current configuration",
                                         grant_->id, grant_->role, database),
                    "Ask an operator for a grant with a role that covers this database.");
    co_return std::nullopt;
  }
  {
    std::lock_guard lock(info_mutex_);
    info_.role = grant_->role;
    info_.grant_id = grant_->id;
    info_.not_after = grant_->not_after;
  }

  auto rest = co_await authenticate_client(grant_->verifier, std::move(startup_buffer_));
  if (!rest) co_return std::nullopt;

  std::vector<std::pair<std::string, std::string>> params;
  for (auto& [name, value] : startup->params) {
    if (passed_upstream(name)) params.emplace_back(name, value);
  }
  UpstreamTarget target{db, login, runtime_->tls_for(database), 0x3fffffff, &services_.scram_cache};
  auto upstream = co_await connect_upstream(target, std::move(params));
  if (!upstream) {
    spdlog::warn("{}: {}", tag(), upstream.error().message);
    const auto& server = upstream.error().server;
    if (server && !server->sqlstate.starts_with("28")) {
      co_await send_fatal(*server);   // the server's own answer (database missing, too many connections ...)
    } else {
      co_await refuse("08006", fmt::format("pgveil could not open the upstream connection for database \"{}\": {}",
                                           database, upstream.error().message),
                      "This is not a problem with your grant: tell the pgveil operators (check databases." + database +
                          " in the configuration and that the server is up).");
    }
    co_return std::nullopt;
  }
  upstream_ = std::move(upstream->stream);
  upstream_pid_ = upstream->backend_pid;
  upstream_key_ = upstream->backend_key;
  minted_ = services_.cancels.mint({database, upstream_pid_, upstream_key_});
  if (!co_await prepare_masking(database)) co_return std::nullopt;
  gate_ = std::make_unique<StatementGate>(
      grant_->role, database,
      [view = RuntimeView(services_)]() mutable -> const std::shared_ptr<const Config>& { return view.current()->config; });
  gate_->on_refused = [series = &services_.series](const pgwire::ErrorFields& error) {
    series->refusal("statement", error.sqlstate);
  };
  start_statement_audit();

  std::string out;
  pgwire::encode_authentication_ok(out);
  out += upstream->parameters;
  pgwire::encode_backend_key_data(out, minted_->pid, minted_->key);
  out += upstream->ready_for_query;
  if (co_await client_->write_all(out)) co_return std::nullopt;

  services_.metrics.counter("pgveil_sessions_total", "Sessions admitted under a grant").inc();
  const auto remaining = grant_->not_after - services_.now();
  stop_timer_.expires_after(std::chrono::duration_cast<std::chrono::steady_clock::duration>(remaining));
  spdlog::info("{}: admitted under grant {} (role {}, until {}, masking {}), upstream {}:{} backend {}, client {}",
               tag(), grant_->id, grant_->role, policy::format_time(grant_->not_after),
               masking_ ? info_.masking : "none", db->host, db->port, upstream_pid_, client_->tls_description());
  record_start();
  co_return std::move(*rest);
}

asio::awaitable<bool> Session::prepare_masking(const std::string& database) {
  const Config& cfg = *runtime_->config;
  const Role* role = cfg.role(grant_->role);
  auto profile = role ? cfg.masking_profile(*role) : nullptr;
  if (!profile) co_return true;
  masking_ = std::make_unique<MaskingState>();
  masking_->role = role->name;
  // The profile in force now: a reload applies to the next result. A role that disappeared keeps
  // its last profile (fail closed); one switched to masking: none is the operator's decision.
  masking_->current_profile = [view = RuntimeView(services_), name = role->name, last = profile]() mutable {
    const auto& runtime = view.current();
    if (const Role* now = runtime->config->role(name)) last = runtime->config->masking_profile(*now);
    return last;
  };
  const auto now = std::chrono::steady_clock::now();
  masking_->catalog = services_.catalogs.fresh(database, now);
  if (!masking_->catalog) {
    auto loaded = co_await load_column_catalog(*upstream_, cfg.limits.max_message_size);
    if (!loaded) {
      spdlog::error("{}: cannot load the column catalog for masking: {}", tag(), loaded.error());
      co_await refuse("08006", "pgveil could not read the column catalog it needs to mask results",
                      "Tell the pgveil operators: the brokered login must be able to read pg_catalog.");
      co_return false;
    }
    masking_->catalog = *loaded;
    services_.catalogs.store(database, *loaded, now);
  }
  info_mutex_.lock();
  info_.masking = profile->name;
  info_mutex_.unlock();
  co_return true;
}

asio::awaitable<std::optional<IoBuffer>> Session::authenticate_client(const std::string& stored, IoBuffer rest) {
  auto verifier = pgwire::scram::Verifier::parse(stored);
  if (!verifier) {
    spdlog::error("{}: grant {} has an unreadable verifier: {}", tag(), grant_->id, verifier.error());
    co_await refuse("XX000", "pgveil cannot check this grant's secret", "Ask an operator to issue a new grant.");
    co_return std::nullopt;
  }
  std::string cbind;
  if (client_->tls()) {
    auto hash = pgwire::scram::tls_server_end_point(pgwire::as_bytes(client_->certificate_der(true)));
    if (hash) cbind = std::move(*hash);
  }
  const auto mechanisms = pgwire::scram::ServerExchange::mechanisms(!cbind.empty());
  pgwire::scram::ServerExchange exchange(std::move(*verifier), cbind);
  std::string out;
  pgwire::encode_authentication_sasl(out, mechanisms);
  if (co_await client_->write_all(out)) co_return std::nullopt;

  const std::string failed = fmt::format("password authentication failed for user \"{}\"", grant_->person);
  MessageReader reader(*client_, pgwire::kMaxStartupPacket, std::move(rest));
  auto first = co_await reader.next();
  if (!first) {
    // psql does this on purpose: it learns that a password is needed, prompts, reconnects.
    spdlog::debug("{}: client left during authentication", tag());
    co_return std::nullopt;
  }
  if (first->type != pgwire::fe::kPassword) {
    co_await refuse("08P01", fmt::format("expected SASL response, got message type {}", pgwire::printable_type(first->type)));
    co_return std::nullopt;
  }
  auto initial = pgwire::parse_sasl_initial_response(first->body);
  if (!initial) {
    co_await refuse("08P01", "malformed SASLInitialResponse: " + initial.error().message);
    co_return std::nullopt;
  }
  auto server_first = exchange.on_client_first(initial->mechanism,
                                               initial->data ? pgwire::as_chars(*initial->data) : std::string_view{});
  if (!server_first) {
    co_await refuse("08P01", server_first.error());
    co_return std::nullopt;
  }
  out.clear();
  pgwire::encode_authentication_sasl_continue(out, *server_first);
  if (co_await client_->write_all(out)) co_return std::nullopt;

  auto final_message = co_await reader.next();
  if (!final_message) co_return std::nullopt;
  if (final_message->type != pgwire::fe::kPassword) {
    co_await refuse("08P01", fmt::format("expected SASL response, got message type {}", pgwire::printable_type(final_message->type)));
    co_return std::nullopt;
  }
  auto server_final = exchange.on_client_final(pgwire::as_chars(final_message->body));
  if (!server_final) {
    spdlog::info("{}: SCRAM failed: {}", tag(), server_final.error());
    services_.metrics.counter("pgveil_auth_failures_total", "Failed client authentications").inc();
    services_.auth_limiter.failed(grant_->person, source_address(), services_.now());
    record(audit::AuthFailure{grant_->person, grant_->database, info().peer, grant_->id, "scram-sha-256",
                              server_final.error(), "28P01"});
    co_await refuse("28P01", failed, "Use the secret printed when the grant was issued; it is shown only once.");
    co_return std::nullopt;
  }
  services_.auth_limiter.succeeded(grant_->person, source_address());
  out.clear();
  pgwire::encode_authentication_sasl_final(out, *server_final);
  if (co_await client_->write_all(out)) co_return std::nullopt;
  co_return reader.take_rest();
}

}  // namespace proxy
