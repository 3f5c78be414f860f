// The admin HTTP API (README "Admin API"): JSON over HTTP with bearer tokens, loopback by default,
// for the workflow (requests, approvals, revocations), sessions, tokens, /healthz and /metrics.
// It runs on its own threads (cpp-httplib's blocking server with a small pool) and touches the
// sessions only through thread-safe entry points (SessionRegistry, Session::stop), so it never
// blocks a session's worker.
#pragma once

#include <expected>
#include <memory>
#include <string>
#include <thread>

#include "proxy/config/config.h"
#include "proxy/runtime.h"

namespace proxy {

class AdminServer {
 public:
  explicit AdminServer(Services& services);
  ~AdminServer();  // stop()
  AdminServer(const AdminServer&) = delete;
  AdminServer& operator=(const AdminServer&) = delete;

  // Binds `listen` (so a taken port fails start-up, not later) and serves on a thread.
  std::expected<void, std::string> start(const Endpoint& listen);
  void stop();

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
  std::thread thread_;
};

}  // namespace proxy
