// GrantChangeListener: LISTENs on a PostgreSQL grant store's NOTIFY channel, so a grant change
// made through any pgveil instance (or the CLI) wakes every instance's grant watcher at once
// instead of at its next poll (issue #3: revocations end sessions on every instance within 1 s).
//
// It owns one connection and one thread, never a session's I/O thread. The trigger in the store
// NOTIFYs in the transaction of every change, so a notification arrives only after the change is
// committed and visible. If the connection is lost, the listener reconnects with backoff and
// calls `changed` once after each (re)connection — changes made while it was away sent no
// notification it could receive — and connected() turns false meanwhile, so the watcher falls
// back to fast polling and nothing is missed.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

namespace policy {

class GrantChangeListener {
 public:
  GrantChangeListener(std::string conninfo, std::chrono::seconds timeout, std::function<void()> changed);
  ~GrantChangeListener();  // stops and joins the thread (within about 100 ms)
  GrantChangeListener(const GrantChangeListener&) = delete;
  GrantChangeListener& operator=(const GrantChangeListener&) = delete;

  // True while LISTEN is in effect on a healthy connection.
  bool connected() const { return connected_.load(); }
  // Notifications received so far (for tests and logs).
  std::uint64_t notifications() const { return notifications_.load(); }

 private:
  void run();

  const std::string conninfo_;
  const std::chrono::seconds timeout_;
  const std::function<void()> changed_;
  std::atomic<bool> connected_{false};
  std::atomic<bool> stopping_{false};
  std::atomic<std::uint64_t> notifications_{0};
  std::mutex mutex_;
  std::condition_variable cv_;  // wakes the backoff sleep on stop
  std::thread thread_;
};

}  // namespace policy
