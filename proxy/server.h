// The process: worker threads with one io_context each (a session lives on one of them), the
// listener, signals (SIGHUP reload, SIGTERM/SIGINT drain), and the grant watcher that ends
// sessions whose grant was revoked.
#pragma once

#include <asio/awaitable.hpp>
#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "proxy/admin_server.h"
#include "proxy/grant_audit.h"
#include "proxy/runtime.h"

namespace proxy {

class Server {
 public:
  // audit: the writer opened from the config's audit section; null = audit off.
  Server(std::string config_path, std::shared_ptr<const Runtime> runtime, std::unique_ptr<policy::GrantStore> store,
         std::unique_ptr<audit::Writer> audit = nullptr);
  ~Server();
  // Replaces the wall clock of every grant decision (before run(); `serve --test-clock` only).
  void set_clock(policy::Now now) { services_.now = std::move(now); }
  // Blocks until the server has shut down; returns the process exit code.
  int run();

 private:
  asio::awaitable<void> accept_loop();
  asio::awaitable<void> signal_loop();
  asio::awaitable<void> drain();
  void reload();
  // Records the reload's outcome in the audit log (config_reload).
  void record_reload(bool ok, std::vector<std::string> problems);
  void watch_grants();
  void register_metrics();
  void write_grant_steps();
  void register_audit_metrics();
  asio::io_context& next_worker();

  std::string config_path_;
  std::unique_ptr<policy::GrantStore> store_;
  Services services_;
  // Workers before control_: control_ is destroyed first, and its pending accept operation
  // holds a socket of a worker's context (destroying them the other way round is a
  // use-after-free at exit).
  std::vector<std::unique_ptr<asio::io_context>> workers_;
  asio::io_context control_{1};
  std::size_t next_ = 0;
  std::unique_ptr<asio::ip::tcp::acceptor> acceptor_;
  std::atomic<std::uint64_t> next_session_id_{1};
  std::atomic<bool> stopping_{false};
  std::atomic<bool> grants_poked_{false};   // the admin API changed grants: re-check now
  std::mutex watcher_mutex_;
  std::condition_variable watcher_cv_;
  std::thread watcher_;
  std::unique_ptr<AdminServer> admin_;
  GrantAuditTrail grant_trail_;  // primed in run(), then used by the watcher thread only
};

}  // namespace proxy
