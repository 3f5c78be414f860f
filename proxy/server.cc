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
  services_.publish(std::move(runtime));
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
  if (services_.audit) {
    // Before the admin API takes requests: what the store holds now is the baseline.
    if (auto grants = store_->list()) {
      grant_trail_.prime(*grants);
    } else {
      spdlog::warn("grant store: {}; grant steps already in its history will be audited again", grants.error());
    }
  }
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
      services_.series.refusal("admission", "53300");
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
  services_.publish(std::move(*runtime));
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
  if (services_.audit) register_audit_metrics();
  // Registered up front so they render as 0 before the first event.
  services_.metrics.counter("pgveil_sessions_total", "Sessions admitted under a grant");
  services_.metrics.counter("pgveil_auth_failures_total", "Failed client authentications");
  services_.metrics.counter("pgveil_auth_rate_limited_total", "Client logins refused by the failed-login rate limit");
  services_.metrics.counter("pgveil_admin_auth_failures_total", "Admin API requests refused for a bad token");
}

void Server::register_audit_metrics() {
  audit::Writer& writer = *services_.audit;
  // Write latency per sink: the writer thread observes into series registered here, by index.
  auto latency = std::make_shared<std::vector<Histogram*>>();
  for (const auto& sink : writer.stats()) {
    latency->push_back(&services_.metrics.histogram(
        "pgveil_audit_write_seconds", "Time to write (and fsync, as configured) one batch of audit events, per sink",
        {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1},
        fmt::format("sink=\"{}\"", metric_label(sink.name))));
  }
  writer.set_write_hook([latency](std::size_t sink, std::chrono::nanoseconds took) {
    if (sink < latency->size()) (*latency)[sink]->observe(std::chrono::duration<double>(took).count());
  });
  services_.metrics.add_collector([this](std::string& out) {
    const auto stats = services_.audit->stats();
    const auto family = [&](const char* name, const char* type, const char* help, auto value) {
      out += fmt::format("# HELP {0} {1}\n# TYPE {0} {2}\n", name, help, type);
      for (const auto& s : stats) out += fmt::format("{}{{sink=\"{}\"}} {}\n", name, metric_label(s.name), value(s));
    };
    family("pgveil_audit_queue_depth", "gauge", "Audit events waiting in a sink's queue",
           [](const audit::SinkStats& s) { return static_cast<std::uint64_t>(s.queue_depth); });
    family("pgveil_audit_events_recorded_total", "counter", "Audit events a sink wrote",
           [](const audit::SinkStats& s) { return s.recorded; });
    family("pgveil_audit_events_dropped_total", "counter",
           "Audit events a sink gave up under on_failure: continue (the statement ran unrecorded)",
           [](const audit::SinkStats& s) { return s.dropped; });
    family("pgveil_audit_events_failed_total", "counter",
           "Audit events a sink could not record under on_failure: block (the statement was refused)",
           [](const audit::SinkStats& s) { return s.failed; });
    family("pgveil_audit_write_errors_total", "counter", "Failed writes of a sink",
           [](const audit::SinkStats& s) { return s.write_errors; });
    family("pgveil_audit_sink_healthy", "gauge", "1 when the sink's last write succeeded",
           [](const audit::SinkStats& s) { return s.healthy ? 1 : 0; });
    auto& live = services_.audit->live();
    out += fmt::format(
        "# HELP pgveil_audit_stream_subscribers Clients of GET /v1/audit/stream\n"
        "# TYPE pgveil_audit_stream_subscribers gauge\npgveil_audit_stream_subscribers {}\n"
        "# HELP pgveil_audit_stream_dropped_total Stream clients dropped for reading too slowly\n"
        "# TYPE pgveil_audit_stream_dropped_total counter\npgveil_audit_stream_dropped_total {}\n",
        live.subscribers(), live.dropped_subscribers());
  });
}

void Server::watch_grants() {
  // Revocations (and grants superseded by a new one) made by the CLI, the admin API or another
  // instance reach the live sessions within the poll interval; the admin API pokes the watcher
  // so its own changes apply at once, and with a PostgreSQL store a LISTEN connection pokes it
  // on every other instance's change too (policy/grant_change_listener.h). While that listener
  // is down the watcher polls fast again, so nothing waits longer than kPoll. Expiry: each session
  // has a timer at its grant's not_after, and each pass also compares not_after with the wall
  // clock (Session::expire_if_due), which a steady timer does not follow. The watcher also
  // records the "expire" events for the history and writes grant steps to the audit log.
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
  const auto now = services_.now();
  for (auto& session : services_.sessions.snapshot()) session->expire_if_due(now);
  bool expiries = false;
  if (std::chrono::steady_clock::now() - last_expiry_scan >= std::chrono::seconds(1)) {
    last_expiry_scan = std::chrono::steady_clock::now();
    auto recorded = store_->record_expiries(now);
    if (!recorded) spdlog::warn("grant store: recording expiries: {}", recorded.error());
    expiries = recorded && *recorded > 0;   // history only: the change counter does not move
  }
  auto counter = store_->change_counter();
  if (!counter) {
    spdlog::warn("grant store: {}", counter.error());
    return;
  }
  if (*counter == seen && !poked && !expiries) return;
  const bool changed = *counter != seen || poked;
  seen = *counter;
  if (changed) {
    for (auto& session : services_.sessions.snapshot()) session->recheck_grant();
  }
  write_grant_steps();
}

void Server::write_grant_steps() {
  if (!services_.audit) return;
  auto grants = store_->list();
  if (!grants) {
    spdlog::warn("grant store: {}; grant steps are audited at the next change", grants.error());
    return;
  }
  for (const auto& event : grant_trail_.take_new(*grants)) services_.audit->submit(event);
}

}  // namespace proxy
