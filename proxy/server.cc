#include "proxy/server.h"

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/executor_work_guard.hpp>
#include <asio/signal_set.hpp>
#include <asio/steady_timer.hpp>
#include <fmt/format.h>
#include <map>
#include <spdlog/spdlog.h>

#include "proxy/session.h"
#include "proxy/timeout.h"
#include "proxy/wire/error.h"

namespace proxy {

Server::Server(std::string config_path, std::shared_ptr<const Runtime> runtime,
               std::unique_ptr<policy::GrantStore> store, std::unique_ptr<audit::Writer> audit)
    : config_path_(std::move(config_path)), store_(std::move(store)) {
  services_.store = store_.get();
  services_.audit = std::move(audit);
  services_.runtime.store(std::move(runtime));
  services_.grants_changed = [this] {
    {
      // Under the mutex, so the poke cannot fall between the watcher's check and its sleep (the
      // watcher holds the mutex only while waiting, never during store calls).
      std::lock_guard lock(watcher_mutex_);
      grants_poked_ = true;
    }
    watcher_cv_.notify_all();
  };
}

Server::~Server() {
  if (admin_) admin_->stop();
  {
    std::lock_guard lock(watcher_mutex_);
    stopping_ = true;
  }
  watcher_cv_.notify_all();
  if (watcher_.joinable()) watcher_.join();
  // Before the workers' io_contexts go: ticket callbacks post to them.
  if (services_.audit) services_.audit->close();
}

asio::io_context& Server::next_worker() {
  auto& ctx = *workers_[next_];
  next_ = (next_ + 1) % workers_.size();
  return ctx;
}

int Server::run() {
  const auto runtime = services_.runtime.load();
  const Config& cfg = *runtime->config;
  int workers = cfg.workers > 0 ? cfg.workers : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  for (int i = 0; i < workers; ++i) workers_.push_back(std::make_unique<asio::io_context>(1));

  // The admin API first: once the proxy's port accepts, the API answers too (scripts and tests
  // wait for one port).
  register_metrics();
  if (cfg.admin.enabled) {
    admin_ = std::make_unique<AdminServer>(services_);
    if (auto started = admin_->start(cfg.admin.listen); !started) {
      spdlog::critical("{}", started.error());
      return 1;
    }
    if (cfg.admin.token.empty()) spdlog::warn("admin: no token_env / token_file: only personal API tokens are accepted");
  }

  asio::error_code ec;
  auto address = asio::ip::make_address(cfg.listen.host, ec);
  if (ec) {
    spdlog::critical("listen: \"{}\" is not an IP address", cfg.listen.host);
    return 1;
  }
  acceptor_ = std::make_unique<asio::ip::tcp::acceptor>(control_);
  asio::ip::tcp::endpoint endpoint(address, cfg.listen.port);
  acceptor_->open(endpoint.protocol(), ec);
  if (!ec) acceptor_->set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor_->bind(endpoint, ec);
  if (!ec) acceptor_->listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    spdlog::critical("cannot listen on {}:{}: {}", cfg.listen.host, cfg.listen.port, ec.message());
    return 1;
  }

  std::vector<asio::executor_work_guard<asio::io_context::executor_type>> guards;
  std::vector<std::thread> threads;
  for (auto& worker : workers_) {
    guards.push_back(asio::make_work_guard(*worker));
    threads.emplace_back([&ctx = *worker] { ctx.run(); });
  }
  watcher_ = std::thread([this] { watch_grants(); });

  asio::co_spawn(control_, accept_loop(), asio::detached);
  asio::co_spawn(control_, signal_loop(), asio::detached);
  spdlog::info("pgveil listening on {}:{} with {} worker threads, TLS {}", cfg.listen.host, cfg.listen.port, workers,
               runtime->server_tls ? (cfg.tls.require ? "required" : "offered") : "off");
  control_.run();

  if (admin_) admin_->stop();
  guards.clear();
  for (auto& worker : workers_) worker->stop();
  for (auto& t : threads) t.join();
  if (services_.audit) services_.audit->close();   // writes what is queued
  {
    std::lock_guard lock(watcher_mutex_);
    stopping_ = true;
  }
  watcher_cv_.notify_all();
  if (watcher_.joinable()) watcher_.join();
  spdlog::info("pgveil stopped");
  return 0;
}

asio::awaitable<void> Server::accept_loop() {
  for (;;) {
    asio::io_context& worker = next_worker();
    auto [ec, socket] = co_await acceptor_->async_accept(worker, kTuple);
    if (ec) {
      if (ec == asio::error::operation_aborted || !acceptor_->is_open()) co_return;
      spdlog::warn("accept failed: {}", ec.message());
      // Out of file descriptors and the like: back off instead of spinning.
      co_await timeout(std::chrono::milliseconds(100));
      continue;
    }
    const auto runtime = services_.runtime.load();
    const std::uint64_t id = next_session_id_++;
    if (services_.sessions.size() >= runtime->config->limits.max_sessions) {
      spdlog::warn("session {}: refused, {} sessions already open (limits.max_sessions)", id, services_.sessions.size());
      if (services_.audit) {
        std::error_code pec;
        const auto peer = socket.remote_endpoint(pec);
        audit::SessionRef ref;
        ref.id = id;
        services_.audit->submit(audit::Event(audit::Refusal{
            ref, pec ? std::string() : fmt::format("{}:{}", peer.address().to_string(), peer.port()), "admission",
            "limits.max_sessions", "53300", "sorry, too many clients already", std::nullopt}));
      }
      asio::co_spawn(worker, [s = std::make_shared<asio::ip::tcp::socket>(std::move(socket))]() -> asio::awaitable<void> {
        std::string out;
        pgwire::encode_error_response(out, pgwire::make_error("FATAL", "53300", "sorry, too many clients already",
                                                              "pgveil's limits.max_sessions is reached; try again later."));
        co_await asio::async_write(*s, asio::buffer(out), kTuple);
      }, asio::detached);
      continue;
    }
    auto session = std::make_shared<Session>(std::move(socket), services_, id);
    asio::co_spawn(worker, [session]() { return session->run(); }, asio::detached);
  }
}

asio::awaitable<void> Server::signal_loop() {
  asio::signal_set signals(control_, SIGHUP, SIGTERM, SIGINT);
  for (;;) {
    auto [ec, signo] = co_await signals.async_wait(kTuple);
    if (ec) co_return;
    if (signo == SIGHUP) {
      reload();
      continue;
    }
    spdlog::info("received {}, shutting down", signo == SIGTERM ? "SIGTERM" : "SIGINT");
    co_await drain();
    control_.stop();
    co_return;
  }
}

asio::awaitable<void> Server::drain() {
  asio::error_code ec;
  acceptor_->close(ec);
  const auto deadline = std::chrono::steady_clock::now() + services_.runtime.load()->config->limits.drain_timeout;
  if (services_.sessions.size() > 0) {
    spdlog::info("draining {} sessions (at most {} ms)", services_.sessions.size(),
                 services_.runtime.load()->config->limits.drain_timeout.count());
  }
  while (services_.sessions.size() > 0 && std::chrono::steady_clock::now() < deadline) {
    co_await timeout(std::chrono::milliseconds(50));
  }
  auto remaining = services_.sessions.snapshot();
  if (!remaining.empty()) {
    spdlog::info("terminating {} sessions still open after the drain deadline", remaining.size());
    for (auto& s : remaining) {
      s->stop(StopReason{"57P01", "terminating connection due to administrator command",
                         "pgveil is shutting down; reconnect in a moment.", "pgveil shutting down"});
    }
    remaining.clear();
    const auto hard = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (services_.sessions.size() > 0 && std::chrono::steady_clock::now() < hard) {
      co_await timeout(std::chrono::milliseconds(20));
    }
  }
}

void Server::reload() {
  auto loaded = load_config(config_path_);
  if (!loaded) {
    spdlog::error("reload of {} failed, keeping the previous configuration:", config_path_);
    std::vector<std::string> problems;
    for (const auto& p : loaded.error()) {
      spdlog::error("  {}", p.to_string());
      problems.push_back(p.to_string());
    }
    record_reload(false, std::move(problems));
    return;
  }
  auto runtime = Runtime::build(*loaded);
  if (!runtime) {
    spdlog::error("reload of {} failed, keeping the previous configuration: {}", config_path_, runtime.error());
    record_reload(false, {runtime.error()});
    return;
  }
  const auto old = services_.runtime.load();
  if (!(*loaded)->audit.same_writer(old->config->audit)) {
    // The writer's sinks are open files and threads; swapping them under live sessions could
    // lose or reorder events, so this waits for a restart, and nothing else of the reload applies.
    const std::string problem = fmt::format(
        "{}: audit.sinks, audit.key, audit.on_failure and audit.queue cannot change on reload; restart pgveil to "
        "apply them (audit.statements and roles' audit_statements can)",
        config_path_);
    spdlog::error("reload of {} refused, keeping the previous configuration: {}", config_path_, problem);
    record_reload(false, {problem});
    return;
  }
  const auto& now = *(*runtime)->config;
  if (now.listen.host != old->config->listen.host || now.listen.port != old->config->listen.port ||
      now.workers != old->config->workers || now.store_sqlite != old->config->store_sqlite ||
      now.store_postgres != old->config->store_postgres || now.request_ttl != old->config->request_ttl) {
    spdlog::warn("reload: listen, workers, store and workflow changes take effect at the next restart");
  }
  for (const auto& w : now.warnings) spdlog::warn("{}", w.to_string());
  services_.runtime.store(std::move(*runtime));
  spdlog::info("configuration reloaded from {}; new sessions use it", config_path_);
  record_reload(true, {});
}

void Server::record_reload(bool ok, std::vector<std::string> problems) {
  if (services_.audit) services_.audit->submit(audit::Event(audit::ConfigReload{config_path_, ok, std::move(problems)}));
}

void Server::register_metrics() {
  services_.metrics.add_collector([this](std::string& out) {
    out += fmt::format("# HELP pgveil_sessions_active Sessions open now (including those still logging in)\n"
                       "# TYPE pgveil_sessions_active gauge\npgveil_sessions_active {}\n",
                       services_.sessions.size());
  });
  services_.metrics.add_collector([this](std::string& out) {
    auto grants = store_->list();
    if (!grants) return;   // a scrape must not fail; the store's trouble shows in /healthz
    std::map<std::string_view, int> by_state;
    for (auto state : {"requested", "scheduled", "active", "expired", "denied", "cancelled", "revoked"}) by_state[state] = 0;
    const auto now = services_.now();
    for (const auto& g : *grants) ++by_state[policy::to_string(policy::state_at(g, now))];
    out += "# HELP pgveil_grants Grants in the store by state\n# TYPE pgveil_grants gauge\n";
    for (const auto& [state, count] : by_state) out += fmt::format("pgveil_grants{{state=\"{}\"}} {}\n", state, count);
  });
  // Registered up front so they render as 0 before the first event.
  services_.metrics.counter("pgveil_sessions_total", "Sessions admitted under a grant");
  services_.metrics.counter("pgveil_auth_failures_total", "Failed client authentications");
  services_.metrics.counter("pgveil_auth_rate_limited_total", "Client logins refused by the failed-login rate limit");
  services_.metrics.counter("pgveil_admin_auth_failures_total", "Admin API requests refused for a bad token");
}

void Server::watch_grants() {
  // Revocations (and grants superseded by a new one) made by the CLI, the admin API or another
  // instance reach the live sessions within the poll interval; the admin API pokes the watcher
  // so its own changes apply at once, and with a PostgreSQL store a LISTEN connection pokes it
  // on every other instance's change too (policy/grant_change_listener.h). While that listener
  // is down the watcher polls fast again, so nothing waits longer than kPoll. Expiry needs no
  // poll: each session has a timer at its grant's not_after. The watcher also records the
  // "expire" events for the history.
  constexpr auto kPoll = std::chrono::milliseconds(250);
  constexpr auto kPollWhileListening = std::chrono::seconds(2);
  const auto listener = store_->listen(services_.grants_changed);
  std::int64_t seen = -1;
  auto last_expiry_scan = std::chrono::steady_clock::time_point{};
  std::unique_lock lock(watcher_mutex_);
  while (!stopping_) {
    const auto interval = listener && listener->connected()
                              ? std::chrono::duration_cast<std::chrono::milliseconds>(kPollWhileListening)
                              : kPoll;
    watcher_cv_.wait_for(lock, interval, [this] { return stopping_.load() || grants_poked_.load(); });
    if (stopping_) break;
    const bool poked = grants_poked_.exchange(false);
    // Store round trips (a network one with PostgreSQL) without the lock: pokes stay cheap.
    lock.unlock();
    recheck_sessions(poked, seen, last_expiry_scan);
    lock.lock();
  }
}

void Server::recheck_sessions(bool poked, std::int64_t& seen, std::chrono::steady_clock::time_point& last_expiry_scan) {
  if (std::chrono::steady_clock::now() - last_expiry_scan >= std::chrono::seconds(1)) {
    last_expiry_scan = std::chrono::steady_clock::now();
    if (auto recorded = store_->record_expiries(services_.now()); !recorded) {
      spdlog::warn("grant store: recording expiries: {}", recorded.error());
    }
  }
  auto counter = store_->change_counter();
  if (!counter) {
    spdlog::warn("grant store: {}", counter.error());
    return;
  }
  if (*counter == seen && !poked) return;
  seen = *counter;
  for (auto& session : services_.sessions.snapshot()) session->recheck_grant();
}

}  // namespace proxy
