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
  std::atomic<std::shared_ptr<const Runtime>> runtime;
  Metrics metrics;                                  // GET /metrics on the admin API
  ProxyMetrics series{metrics};                     // statement, refusal and session series in it
  policy::AuthLimiter auth_limiter;                 // failed client authentications per (person, address)
  // Called after the admin API changed grants, so the watcher re-checks sessions at once.
  std::function<void()> grants_changed = [] {};
};

}  // namespace proxy
