// What a session needs from the server: an immutable snapshot of the configuration with the
// TLS contexts built from it (swapped atomically on SIGHUP; a session keeps the snapshot it
// started with), and the long-lived services shared by every session.
#pragma once

#include <asio/ssl/context.hpp>
#include <atomic>
#include <expected>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "policy/auth_limiter.h"
#include "audit/writer.h"
#include "policy/grant.h"
#include "policy/grant_store.h"
#include "proxy/cancel_registry.h"
#include "proxy/column_catalog.h"
#include "proxy/config/config.h"
#include "proxy/metrics.h"
#include "proxy/proxy_metrics.h"
#include "proxy/session_registry.h"
#include "proxy/wire/scram_cache.h"

namespace proxy {

struct Runtime {
  std::shared_ptr<const Config> config;
  std::shared_ptr<asio::ssl::context> server_tls;   // nullptr: SSLRequest answered 'N'
  std::map<std::string, std::shared_ptr<asio::ssl::context>, std::less<>> upstream_tls;   // by database

  static std::expected<std::shared_ptr<const Runtime>, std::string> build(std::shared_ptr<const Config> config);
  std::shared_ptr<asio::ssl::context> tls_for(std::string_view database) const;
};

struct Services {
  policy::GrantStore* store = nullptr;
  CancelRegistry cancels;
  SessionRegistry sessions;
  pgwire::scram::SaltedPasswordCache scram_cache;
  CatalogCache catalogs;                            // column names for masking, per database
  std::unique_ptr<audit::Writer> audit;             // null: audit off (no audit: section)
  policy::Now now = [] { return policy::Clock::now(); };
  std::atomic<std::shared_ptr<const Runtime>> runtime;   // store with publish()
  // Moves on every publish(): a reader that saw the same number has the runtime in force and need
  // not load `runtime` again (RuntimeView).
  std::atomic<std::uint64_t> runtime_generation{0};
  Metrics metrics;                                  // GET /metrics on the admin API
  ProxyMetrics series{metrics};                     // statement, refusal and session series in it
  policy::AuthLimiter auth_limiter;                 // failed client authentications per (person, address)
  // Called after the admin API changed grants, so the watcher re-checks sessions at once.
  std::function<void()> grants_changed = [] {};

  // Makes `next` the runtime in force (start, SIGHUP).
  void publish(std::shared_ptr<const Runtime> next) {
    runtime.store(std::move(next));
    runtime_generation.fetch_add(1, std::memory_order_release);
  }
};

// A session's handle on the runtime in force, for what it checks per statement (statement rules,
// the audit's text mode, the masking profile): loading Services::runtime takes a lock and a
// reference on a control block that every worker thread shares, so it is done only after a
// reload moved runtime_generation.
class RuntimeView {
 public:
  explicit RuntimeView(const Services& services) : services_(&services) {}
  const std::shared_ptr<const Runtime>& current() {
    const std::uint64_t generation = services_->runtime_generation.load(std::memory_order_acquire);
    if (generation != seen_) {
      runtime_ = services_->runtime.load();
      seen_ = generation;
    }
    return runtime_;
  }

 private:
  const Services* services_;
  std::uint64_t seen_ = ~std::uint64_t{0};   // no generation: the first call loads
  std::shared_ptr<const Runtime> runtime_;
};

}  // namespace proxy
