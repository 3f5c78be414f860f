// One client connection, from the first startup byte to the close: startup negotiation (TLS,
// protocol version, cancel), admission by grant, SCRAM with the client, brokered login upstream,
// then the two relay directions raced against the session's end (grant expiry, revocation,
// shutdown). Everything of a session runs on its worker's thread.
#pragma once

#include <asio/awaitable.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/steady_timer.hpp>
#include <atomic>
#include <mutex>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "policy/grant.h"
#include "proxy/masked_relay.h"
#include "proxy/idle_watch.h"
#include "proxy/io_buffer.h"
#include "proxy/protocol_tracker.h"
#include "proxy/relay.h"
#include "proxy/statement_audit.h"
#include "proxy/runtime.h"
#include "proxy/statement_gate.h"
#include "proxy/stream.h"
#include "proxy/wire/error.h"
#include "proxy/wire/startup.h"

namespace proxy {

// Why a session is being ended from outside its relay loops.
struct StopReason {
  std::string sqlstate;
  std::string message;
  std::string hint;
  std::string why = "terminated by pgveil";   // session_end reason: "grant expired", "grant revoked" ...
};

struct SessionInfo {            // for logs and `pgveil sessions`
  std::uint64_t id = 0;
  std::string peer, person, database, role, application_name, tls;
  std::string masking;          // profile name; empty = none
  std::int64_t grant_id = 0;
  policy::TimePoint started{};
  policy::TimePoint not_after{};   // the admitting grant's end; unset until admitted
};

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(asio::ip::tcp::socket socket, Services& services, std::uint64_t id);
  ~Session();

  asio::awaitable<void> run();
  // Ends the session from any thread: FATAL to the client with `reason`, running query
  // cancelled upstream, both connections closed.
  void stop(StopReason reason);
  // Re-reads the session's grant from the store (after a change): stops the session if the grant
  // was revoked, and moves its end earlier if the grant was cut short (a scheduled grant that
  // supersedes it starts then).
  void recheck_grant();
  // Stops the session if its grant has ended by `now` (the grant watcher's wall-clock reading):
  // the per-session timer counts steady time, so a wall clock stepped forward (NTP, or the test
  // clock) would otherwise keep a session past its grant's end.
  void expire_if_due(policy::TimePoint now);
  SessionInfo info() const;

 private:
  asio::awaitable<std::optional<pgwire::StartupMessage>> negotiate_startup();
  asio::awaitable<std::optional<IoBuffer>> establish();
  // Under a masking profile: the state for the masked relay, with the column catalog.
  asio::awaitable<bool> prepare_masking(const std::string& database);
  asio::awaitable<std::optional<IoBuffer>> authenticate_client(const std::string& verifier, IoBuffer rest);
  asio::awaitable<void> forward_cancel(const pgwire::CancelRequest& request);
  asio::awaitable<void> cancel_running_query();
  asio::awaitable<void> relay_until_end(IoBuffer client_rest);
  asio::awaitable<void> watch_stop();
  asio::awaitable<void> watch_idle(IdleWatch& idle);   // sets idle_ended_ when it runs out
  asio::awaitable<void> watch_end(IdleWatch& idle);    // watch_stop, and watch_idle under a limit
  asio::awaitable<void> send_fatal(const pgwire::ErrorFields& fields);
  asio::awaitable<void> refuse(std::string_view sqlstate, std::string message, std::string hint = {});
  std::string tag() const;   // "session 12 (alice@prod)" for logs
  std::string source_address() const;   // the client's IP address (failed logins are limited per address)
  std::chrono::milliseconds idle_limit() const;   // the role's idle_timeout, else limits.idle_timeout

  // Audit events of the session (session_audit.cc); no-ops with audit off.
  audit::SessionRef audit_ref() const;
  void record(audit::EventBody body) const;
  void record_start();
  void record_end();
  void start_statement_audit();

  Services& services_;
  std::shared_ptr<const Runtime> runtime_;
  std::unique_ptr<Stream> client_;
  std::unique_ptr<Stream> upstream_;
  SessionInfo info_;
  mutable std::mutex info_mutex_;
  std::optional<policy::Grant> grant_;
  std::optional<MintedKey> minted_;
  std::int32_t upstream_pid_ = 0;
  std::string upstream_key_;
  ProtocolTracker tracker_;
  RelayPosition client_position_;
  asio::steady_timer stop_timer_;
  std::optional<StopReason> stop_reason_;
  std::string cut_short_by_;     // the "supersede" event's reason, once the grant's end moved earlier
                                 // (written on the session's executor under info_mutex_)
  bool deadline_moved_ = false;  // stop_timer_ was re-armed: its aborted wait is not an end
  IoBuffer startup_buffer_;
  bool server_fatal_seen_ = false;
  bool idle_ended_ = false;       // the relay ended for the idle timeout
  std::unique_ptr<MaskingState> masking_;   // null: no masking, the plain relay
  std::unique_ptr<StatementGate> gate_;      // the role's statement rules
  std::unique_ptr<StatementAudit> statement_audit_;   // null: audit off
  std::string refusal_rule_;   // set before an admission refusal: it is recorded with this rule
  std::string end_reason_;     // for session_end
  bool started_ = false;       // session_start recorded
};

}  // namespace proxy
