#include "audit/live_feed.h"

#include <algorithm>

namespace audit {

LiveFeed::LiveFeed(std::size_t max_subscribers, std::size_t queue_capacity)
    : max_subscribers_(max_subscribers), capacity_(std::max<std::size_t>(queue_capacity, 1)) {}

void LiveFeed::publish(const std::shared_ptr<const std::string>& line) {
  if (count_.load(std::memory_order_relaxed) == 0) return;
  std::lock_guard lock(mutex_);
  for (auto it = subscribers_.begin(); it != subscribers_.end();) {
    Subscription* s = *it;
    std::lock_guard sub_lock(s->mutex_);
    if (s->queue_.size() < s->capacity_) {
      s->queue_.push_back(line);
      s->cv_.notify_one();
      ++it;
      continue;
    }
    // Too slow: what it has not read is discarded, and its slot is free at once (its reader may
    // still be stuck in a write to the client).
    s->dropped_ = true;
    s->missed_ = s->queue_.size() + 1;
    s->queue_.clear();
    s->cv_.notify_one();
    dropped_.fetch_add(1, std::memory_order_relaxed);
    it = subscribers_.erase(it);
    count_.store(subscribers_.size(), std::memory_order_relaxed);
  }
}

std::shared_ptr<LiveFeed::Subscription> LiveFeed::subscribe() {
  std::lock_guard lock(mutex_);
  if (subscribers_.size() >= max_subscribers_) return nullptr;
  std::shared_ptr<Subscription> s(new Subscription(*this, capacity_));
  subscribers_.push_back(s.get());
  count_.store(subscribers_.size(), std::memory_order_relaxed);
  return s;
}

void LiveFeed::remove(Subscription* subscription) {
  std::lock_guard lock(mutex_);
  subscribers_.remove(subscription);
  count_.store(subscribers_.size(), std::memory_order_relaxed);
}

LiveFeed::Subscription::~Subscription() { feed_.remove(this); }

LiveFeed::Subscription::Batch LiveFeed::Subscription::next(std::chrono::milliseconds wait) {
  std::unique_lock lock(mutex_);
  cv_.wait_for(lock, wait, [this] { return dropped_ || !queue_.empty(); });
  Batch batch;
  if (dropped_) {
    batch.missed = std::max<std::uint64_t>(missed_, 1);
    return batch;
  }
  batch.lines.assign(std::make_move_iterator(queue_.begin()), std::make_move_iterator(queue_.end()));
  queue_.clear();
  return batch;
}

}  // namespace audit
