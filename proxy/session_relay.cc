// The logged-in part of a session: both relay directions raced against the session's end.
#include <asio/experimental/awaitable_operators.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "policy/time_format.h"
#include "proxy/audited_relay.h"
#include "proxy/session.h"
#include "proxy/timeout.h"
#include "proxy/upstream.h"
#include "proxy/wire/error.h"
#include "proxy/wire/auth_messages.h"
#include "proxy/wire/backend_messages.h"
#include "proxy/wire/frontend_messages.h"
#include "proxy/wire/message_types.h"

namespace proxy {
namespace {

using asio::experimental::awaitable_operators::operator||;

// PostgreSQL allows backend messages up to 1 GB - 1 (PROTOCOL.md rule 26); they are streamed.
constexpr std::uint32_t kMaxBackendMessage = 0x3fffffff;

struct FrontendObserver {
  ProtocolTracker& tracker;
  StatementGate& gate;
  Verdict on_message(char type, pgwire::Bytes body, bool complete, std::string& replacement) {
    tracker.on_frontend(type);
    if (gate.refuse(type, body, complete, replacement)) return Verdict::kReplace;
    // Forward Terminate, then close (PROTOCOL.md rule 27).
    return type == pgwire::fe::kTerminate ? Verdict::kStop : Verdict::kForward;
  }
  bool needs_whole(char type) const { return gate.needs_whole(type); }
};

struct BackendObserver {
  ProtocolTracker& tracker;
  StatementGate& gate;
  bool& fatal_seen;
  Verdict on_message(char type, pgwire::Bytes body, bool complete, std::string& replacement) {
    if (type == pgwire::be::kReadyForQuery && complete && body.size() == 1) {
      tracker.on_backend(type, static_cast<char>(body[0]));
    } else {
      tracker.on_backend(type);
    }
    if (type == pgwire::be::kErrorResponse && complete) {
      auto fields = pgwire::parse_error_fields(body);
      if (fields && (fields->severity == "FATAL" || fields->severity == "PANIC")) fatal_seen = true;
      if (fields && gate.swap_error(*fields, replacement)) return Verdict::kReplace;
    }
    return Verdict::kForward;
  }
  bool needs_whole(char) const { return false; }
};

// Around the plain or the masked observers: every client message and every ReadyForQuery is
// activity for the session's idle timeout (idle_watch.h).
template <class Inner>
struct IdleMarkingFrontend {
  Inner& inner;
  IdleWatch& idle;
  Verdict on_message(char type, pgwire::Bytes body, bool complete, std::string& replacement) {
    idle.touch();
    return inner.on_message(type, body, complete, replacement);
  }
  bool needs_whole(char type) const { return inner.needs_whole(type); }
};

template <class Inner>
struct IdleMarkingBackend {
  Inner& inner;
  IdleWatch& idle;
  Verdict on_message(char type, pgwire::Bytes body, bool complete, std::string& replacement) {
    if (type == pgwire::be::kReadyForQuery) idle.touch();
    return inner.on_message(type, body, complete, replacement);
  }
  bool needs_whole(char type) const { return inner.needs_whole(type); }
};

using Ended = std::variant<RelayOutcome, RelayOutcome, std::monostate>;

struct RelaySides {
  Stream& client;
  Stream& upstream;
  RelayOptions to_server, to_client;
  RelayPosition& upstream_position;
  RelayPosition& client_position;
};

// Both directions raced against the session's end; with audit on, the observers are wrapped by
// the audited ones (a separate instantiation, so the unaudited relay stays as it was).
template <class InnerFrontend, class InnerBackend>
asio::awaitable<Ended> race(RelaySides sides, IoBuffer client_rest, InnerFrontend& inner_frontend,
                            InnerBackend& inner_backend, IdleWatch& idle, StatementAudit* audit,
                            asio::awaitable<void> stop) {
  IdleMarkingFrontend<InnerFrontend> frontend{inner_frontend, idle};
  IdleMarkingBackend<InnerBackend> backend{inner_backend, idle};
  using Frontend = decltype(frontend);
  using Backend = decltype(backend);
  if (audit != nullptr) {
    AuditedFrontendObserver<Frontend> audited_frontend{frontend, *audit};
    AuditedBackendObserver<Backend> audited_backend{backend, *audit};
    co_return co_await (
        relay(sides.client, sides.upstream, std::move(client_rest), sides.to_server, audited_frontend,
              sides.upstream_position) ||
        relay(sides.upstream, sides.client, IoBuffer{}, sides.to_client, audited_backend, sides.client_position) ||
        std::move(stop));
  }
  co_return co_await (
      relay(sides.client, sides.upstream, std::move(client_rest), sides.to_server, frontend, sides.upstream_position) ||
      relay(sides.upstream, sides.client, IoBuffer{}, sides.to_client, backend, sides.client_position) ||
      std::move(stop));
}

std::string_view describe(RelayEnd end) {
  switch (end) {
    case RelayEnd::kPeerClosed: return "closed the connection";
    case RelayEnd::kReadError: return "read failed";
    case RelayEnd::kWriteError: return "write failed";
    case RelayEnd::kProtocolError: return "protocol violation";
    case RelayEnd::kStopped: return "terminated";
  }
  return "?";
}

// The end of a grant reached by time: its own not_after, or an earlier end set by a scheduled
// grant that supersedes it (`cut_short_by`: the "supersede" event's reason).
StopReason ended(std::int64_t grant_id, const std::string& person, const std::string& database, const std::string& role,
                 policy::TimePoint not_after, const std::string& cut_short_by) {
  const std::string how = cut_short_by.empty()
                              ? fmt::format("expired at {}", policy::format_time(not_after))
                              : fmt::format("ended at {}: {}", policy::format_time(not_after), cut_short_by);
  return StopReason{
      "57P01",
      fmt::format("pgveil grant {} for user \"{}\" on database \"{}\" {}; terminating connection", grant_id, person,
                  database, how),
      fmt::format("Ask for new access: pgveil request --db {} --role {} --reason \"<ticket>\"", database, role),
      cut_short_by.empty() ? "grant expired" : "grant superseded"};
}

}  // namespace

asio::awaitable<void> Session::watch_stop() {
  // A stop() that arrived during startup cancelled no wait, and the timer was re-armed since.
  if (stop_reason_) co_return;
  for (;;) {
    auto [ec] = co_await stop_timer_.async_wait(kTuple);
    if (stop_reason_) co_return;   // stopped from outside
    if (ec && std::exchange(deadline_moved_, false)) continue;  // re-armed earlier (recheck_grant)
    if (ec) co_return;             // the relay ended first
    break;
  }
  stop_reason_ = ended(grant_->id, grant_->person, grant_->database, grant_->role, grant_->not_after, cut_short_by_);
}

asio::awaitable<void> Session::watch_idle(IdleWatch& idle) {
  // One timer for the session, re-armed only when it runs out early (activity since it was set).
  asio::steady_timer timer(co_await asio::this_coro::executor);
  auto at = idle.deadline();
  for (;;) {
    timer.expires_at(at);
    auto [ec] = co_await timer.async_wait(kTuple);
    if (ec) co_return;   // the relay ended first
    const auto next = idle.check(IdleWatch::Clock::now(), tracker_.busy());
    if (!next) break;
    at = *next;
  }
  idle_ended_ = true;
}

asio::awaitable<void> Session::watch_end(IdleWatch& idle) {
  if (!idle.enabled()) {
    co_await watch_stop();
    co_return;
  }
  co_await (watch_stop() || watch_idle(idle));
}

void Session::expire_if_due(policy::TimePoint now) {
  std::unique_lock lock(info_mutex_);   // checked for every session 4 times a second: no copy unless due
  if (info_.grant_id == 0 || info_.not_after == policy::TimePoint{} || now < info_.not_after) return;
  auto reason = ended(info_.grant_id, info_.person, info_.database, info_.role, info_.not_after, cut_short_by_);
  lock.unlock();
  stop(std::move(reason));
}

asio::awaitable<void> Session::cancel_running_query() {
  if (!tracker_.busy() || upstream_pid_ == 0) co_return;
  const Database* db = runtime_->config->database(info_.database);
  if (db == nullptr) co_return;
  spdlog::info("{}: cancelling the running query (backend {})", tag(), upstream_pid_);
  co_await send_cancel(*db, runtime_->tls_for(info_.database), upstream_pid_, upstream_key_);
}

std::chrono::milliseconds Session::idle_limit() const {
  const Role* role = grant_ ? runtime_->config->role(grant_->role) : nullptr;
  if (role != nullptr && role->idle_timeout.count() > 0) return role->idle_timeout;
  return runtime_->config->limits.idle_timeout;
}

void Session::recheck_grant() {
  // Runs on the grant watcher's thread: only the mutex-guarded info is read here.
  const std::int64_t grant_id = info().grant_id;
  if (grant_id == 0 || services_.store == nullptr) return;
  auto fresh = services_.store->get(grant_id);
  if (!fresh || !*fresh) return;   // store trouble: keep the session; new admissions fail closed
  const auto& g = **fresh;
  if (policy::state_at(g, services_.now()) == policy::GrantState::kRevoked) {
    stop(StopReason{"57P01",
                    fmt::format("pgveil grant {} for user \"{}\" on database \"{}\" was revoked by {}{}; terminating connection",
                                g.id, g.person, g.database, g.revoked_by.empty() ? "an operator" : g.revoked_by,
                                g.revoke_reason.empty() ? "" : ": " + g.revoke_reason),
                    "Ask for new access if you still need it.", "grant revoked"});
    return;
  }
  if (g.status != policy::GrantStatus::kApproved) return;
  std::string why;
  for (const auto& e : g.history)
    if (e.action == "supersede") why = e.reason;
  asio::post(stop_timer_.get_executor(), [self = shared_from_this(), end = g.not_after, why = std::move(why)]() mutable {
    if (self->stop_reason_ || !self->grant_ || end >= self->grant_->not_after) return;
    self->grant_->not_after = end;
    {
      std::lock_guard lock(self->info_mutex_);   // expire_if_due reads both on the watcher's thread
      self->info_.not_after = end;
      self->cut_short_by_ = std::move(why);
    }
    self->deadline_moved_ = true;
    self->stop_timer_.expires_after(
        std::chrono::duration_cast<std::chrono::steady_clock::duration>(end - self->services_.now()));
  });
}

asio::awaitable<void> Session::relay_until_end(IoBuffer client_rest) {
  const Config& cfg = *runtime_->config;
  RelayPosition upstream_position;
  const RelayOptions to_server{cfg.limits.buffer_size, cfg.limits.max_message_size};
  // A masked result is rewritten whole, so the client side is bounded like the server side.
  const RelayOptions to_client{cfg.limits.buffer_size, masking_ ? cfg.limits.max_message_size : kMaxBackendMessage};

  const RelaySides sides{*client_, *upstream_, to_server, to_client, upstream_position, client_position_};
  IdleWatch idle(idle_limit());
  Ended ended;
  if (masking_) {
    MaskedFrontendObserver frontend{tracker_, *masking_, *gate_};
    MaskedBackendObserver backend{tracker_, *masking_, server_fatal_seen_, *gate_};
    ended = co_await race(sides, std::move(client_rest), frontend, backend, idle, statement_audit_.get(), watch_end(idle));
  } else {
    FrontendObserver frontend{tracker_, *gate_};
    BackendObserver backend{tracker_, *gate_, server_fatal_seen_};
    ended = co_await race(sides, std::move(client_rest), frontend, backend, idle, statement_audit_.get(), watch_end(idle));
  }

  std::optional<pgwire::ErrorFields> fatal;   // what the client is told, if it is still there
  bool client_gone = false;
  bool upstream_gone = false;
  switch (ended.index()) {
    case 0: {
      const auto& outcome = std::get<0>(ended);
      if (outcome.end == RelayEnd::kStopped) {
        spdlog::info("{}: client terminated the session", tag());
        end_reason_ = "client terminated";
        break;
      }
      end_reason_ = outcome.end == RelayEnd::kProtocolError ? "client protocol violation"
                    : outcome.end == RelayEnd::kWriteError ? "upstream closed"
                                                           : "client went away";
      spdlog::info("{}: client side ended: {}{}{}", tag(), describe(outcome.end), outcome.detail.empty() ? "" : ": ",
                   outcome.detail);
      if (outcome.end == RelayEnd::kProtocolError) {
        fatal = pgwire::make_error("FATAL", "08P01", "invalid frontend message: " + outcome.detail);
      } else if (outcome.end == RelayEnd::kWriteError) {
        upstream_gone = true;
        fatal = pgwire::make_error("FATAL", "08006", "pgveil lost the upstream connection: " + outcome.detail);
      } else {
        client_gone = true;
      }
      break;
    }
    case 1: {
      const auto& outcome = std::get<1>(ended);
      if (outcome.end == RelayEnd::kWriteError) {
        client_gone = true;
        end_reason_ = "client went away";
        spdlog::info("{}: client went away: {}", tag(), outcome.detail);
        break;
      }
      end_reason_ = outcome.end == RelayEnd::kProtocolError ? "upstream protocol violation" : "upstream closed";
      upstream_gone = outcome.end != RelayEnd::kProtocolError;
      spdlog::info("{}: upstream side ended: {}{}{}", tag(), describe(outcome.end), outcome.detail.empty() ? "" : ": ",
                   outcome.detail);
      if (!server_fatal_seen_) {
        fatal = pgwire::make_error("FATAL", "08006",
                                   outcome.end == RelayEnd::kProtocolError
                                       ? "pgveil received an invalid message from the upstream server: " + outcome.detail
                                       : "the upstream server closed the connection unexpectedly");
      }
      break;
    }
    default:
      if (idle_ended_) {
        end_reason_ = "idle timeout";
        spdlog::info("{}: idle timeout", tag());
        fatal = pgwire::make_error("FATAL", "57P05", "terminating connection due to idle-session timeout",
                                   fmt::format("pgveil closes sessions of role {} idle for {} ms.", info_.role,
                                               idle.limit().count()));
      } else if (stop_reason_) {
        end_reason_ = stop_reason_->why;
        spdlog::info("{}: {}", tag(), stop_reason_->message);
        fatal = pgwire::make_error("FATAL", stop_reason_->sqlstate, stop_reason_->message, stop_reason_->hint);
      }
      break;
  }

  // A client that vanished, or a session we end, must not leave its query running upstream
  // (PROTOCOL.md rule 27).
  if (!upstream_gone) {
    if (client_gone || fatal) co_await cancel_running_query();
    std::string terminate;
    pgwire::encode_terminate(terminate);
    co_await upstream_->write_all(terminate);
  }
  if (fatal && !client_gone && client_position_.at_boundary) co_await send_fatal(*fatal);
}

}  // namespace proxy
