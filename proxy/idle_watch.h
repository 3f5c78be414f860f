// When a logged-in session counts as idle (limits.idle_timeout, a role's idle_timeout): the
// client has sent nothing and no request of its has been running for the limit. The relay marks
// activity (every client message, every ReadyForQuery); one timer per session checks the mark
// when it could have run out, instead of a timer armed for every read. Pure: the caller passes
// the time and whether a request is running.
#pragma once

#include <chrono>
#include <optional>

namespace proxy {

class IdleWatch {
 public:
  using Clock = std::chrono::steady_clock;

  explicit IdleWatch(std::chrono::milliseconds limit, Clock::time_point now = Clock::now())
      : limit_(limit), last_(now) {}

  bool enabled() const { return limit_.count() > 0; }
  std::chrono::milliseconds limit() const { return limit_; }
  // The client sent a message, or the server answered its last request.
  void touch() {
    if (enabled()) last_ = Clock::now();
  }
  void touch(Clock::time_point now) { last_ = now; }

  // When to check first (the limit after the last activity).
  Clock::time_point deadline() const { return last_ + limit_; }
  // At a check: nullopt if the session has been idle for the limit by `now`, else when to look
  // again (a running request is not idle: its answer will touch the watch).
  std::optional<Clock::time_point> check(Clock::time_point now, bool busy) const {
    if (busy) return now + limit_;
    if (now - last_ >= limit_) return std::nullopt;
    return last_ + limit_;
  }

 private:
  std::chrono::milliseconds limit_;
  Clock::time_point last_;
};

}  // namespace proxy
