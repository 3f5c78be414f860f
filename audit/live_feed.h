// The live audit stream (issue #5 point 4: the admin API's GET /v1/audit/stream): every event the
// Writer accepts is also offered to the current subscribers, each with its own bounded queue.
//
// publish() runs on a session's thread, so it never waits for a subscriber: with none it costs
// one atomic load; otherwise it appends a shared pointer to each queue under a short lock. A
// subscriber whose queue is full (a slow reader) is dropped: its next() reports how many events
// it missed and the stream ends, so one slow client can neither block sessions nor grow memory.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace audit {

class LiveFeed {
 public:
  class Subscription;

  explicit LiveFeed(std::size_t max_subscribers = 4, std::size_t queue_capacity = 4096);

  // Offers one serialized event (event.h to_line) to every subscriber.
  void publish(const std::shared_ptr<const std::string>& line);

  // nullptr when max_subscribers are already connected.
  std::shared_ptr<Subscription> subscribe();

  std::size_t subscribers() const { return count_.load(std::memory_order_relaxed); }
  std::uint64_t dropped_subscribers() const { return dropped_.load(std::memory_order_relaxed); }

  class Subscription {
   public:
    struct Batch {
      std::vector<std::shared_ptr<const std::string>> lines;
      std::uint64_t missed = 0;  // > 0: dropped; the events it had not read then, and the one that overflowed
    };
    // Waits up to `wait` for events; an empty batch on timeout.
    Batch next(std::chrono::milliseconds wait);
    ~Subscription();  // unsubscribes

   private:
    friend class LiveFeed;
    explicit Subscription(LiveFeed& feed, std::size_t capacity) : feed_(feed), capacity_(capacity) {}
    LiveFeed& feed_;
    std::size_t capacity_;
    std::mutex mutex_;
    std::condition_variable cv_;
    std::deque<std::shared_ptr<const std::string>> queue_;
    bool dropped_ = false;
    std::uint64_t missed_ = 0;
  };

 private:
  void remove(Subscription* subscription);

  std::size_t max_subscribers_, capacity_;
  std::atomic<std::size_t> count_{0};
  std::atomic<std::uint64_t> dropped_{0};
  std::mutex mutex_;  // guards subscribers_
  std::list<Subscription*> subscribers_;
};

}  // namespace audit
