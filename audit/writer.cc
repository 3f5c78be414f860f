#include "audit/writer.h"

#include <fmt/format.h>

#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

namespace audit {

struct Writer::Queue {
  struct Item {
    std::shared_ptr<const std::string> line;
    Ticket ticket;
  };

  std::unique_ptr<Sink> sink;
  std::string name;
  std::size_t index = 0;
  mutable std::mutex mutex;
  std::condition_variable cv;
  std::deque<Item> items;
  bool closing = false;
  bool writing = false;  // the thread is writing a batch taken from `items`
  std::thread thread;

  // Counters are atomics so stats() never waits for a batch in progress.
  std::atomic<std::size_t> depth{0};
  std::atomic<std::uint64_t> recorded{0}, dropped{0}, failed{0}, write_errors{0}, batches{0};
  std::atomic<bool> healthy{true};
  mutable std::mutex error_mutex;
  std::string last_error;

  std::string last_error_copy() const {
    std::lock_guard lock(error_mutex);
    return last_error;
  }
};

Writer::Writer(std::vector<std::unique_ptr<Sink>> sinks, WriterOptions options) : options_(options) {
  for (auto& sink : sinks) {
    auto queue = std::make_unique<Queue>();
    queue->name = sink->name();
    queue->index = queues_.size();
    queue->sink = std::move(sink);
    queues_.push_back(std::move(queue));
  }
  for (auto& queue : queues_) {
    Queue& q = *queue;
    q.thread = std::thread([this, &q] { run(q); });
  }
}

Writer::~Writer() { close(); }

void Writer::close() {
  for (auto& queue : queues_) {
    std::lock_guard lock(queue->mutex);
    queue->closing = true;
    queue->cv.notify_one();
  }
  for (auto& queue : queues_) {
    if (queue->thread.joinable()) queue->thread.join();
  }
}

Ticket Writer::submit(const Event& event) { return submit_line(to_line(event)); }

void Writer::give_up(Queue& queue, const Ticket& ticket, const std::string& why) {
  if (options_.on_failure == FailurePolicy::kBlock) {
    queue.failed.fetch_add(1, std::memory_order_relaxed);
    ticket.complete_one(Outcome::kFailed, why);
  } else {
    queue.dropped.fetch_add(1, std::memory_order_relaxed);
    ticket.complete_one(Outcome::kDropped, why);
  }
}

Ticket Writer::submit_line(std::string line) {
  Ticket ticket = Ticket::pending(queues_.size());
  auto shared = std::make_shared<const std::string>(std::move(line));
  for (auto& queue : queues_) {
    std::unique_lock lock(queue->mutex);
    if (queue->closing || queue->items.size() >= options_.queue_capacity) {
      const bool closing = queue->closing;
      lock.unlock();
      give_up(*queue, ticket,
              closing ? fmt::format("audit sink {} is closed", queue->name)
                      : fmt::format("audit sink {} is behind: its queue of {} events is full", queue->name,
                                    options_.queue_capacity));
      continue;
    }
    if (queue->items.empty() && !queue->writing && queue->healthy.load(std::memory_order_relaxed) &&
        queue->sink->write_is_quick()) {
      // Nothing ahead of it: written here, under the queue's lock, so order is kept.
      if (write_out(*queue, std::span(shared.get(), 1))) {
        ticket.complete_one(Outcome::kRecorded);
      } else {
        give_up(*queue, ticket, queue->last_error_copy());
      }
      continue;
    }
    queue->items.push_back({shared, ticket});
    queue->depth.store(queue->items.size(), std::memory_order_relaxed);
    queue->cv.notify_one();
  }
  live_.publish(shared);
  return ticket;
}

void Writer::run(Queue& queue) {
  const std::size_t max_batch = std::max<std::size_t>(queue.sink->max_batch(), 1);
  std::vector<Queue::Item> batch;
  std::vector<std::string> lines;
  while (true) {
    {
      std::unique_lock lock(queue.mutex);
      queue.cv.wait(lock, [&] { return queue.closing || !queue.items.empty(); });
      if (queue.items.empty()) return;  // closing and drained
      while (!queue.items.empty() && batch.size() < max_batch) {
        batch.push_back(std::move(queue.items.front()));
        queue.items.pop_front();
      }
      queue.depth.store(queue.items.size(), std::memory_order_relaxed);
      queue.writing = true;
    }
    lines.clear();
    for (const auto& item : batch) lines.push_back(*item.line);
    if (write_out(queue, lines)) {
      for (const auto& item : batch) item.ticket.complete_one(Outcome::kRecorded);
    } else {
      const std::string why = queue.last_error_copy();
      for (const auto& item : batch) give_up(queue, item.ticket, why);
    }
    batch.clear();
    std::lock_guard lock(queue.mutex);
    queue.writing = false;
  }
}

bool Writer::write_out(Queue& queue, std::span<const std::string> lines) {
  const auto started = std::chrono::steady_clock::now();
  const auto written = queue.sink->write(lines);
  if (const auto hook = hook_.load()) (*hook)(queue.index, std::chrono::steady_clock::now() - started);
  if (written) {
    queue.recorded.fetch_add(lines.size(), std::memory_order_relaxed);
    queue.batches.fetch_add(1, std::memory_order_relaxed);
    queue.healthy.store(true, std::memory_order_relaxed);
    return true;
  }
  queue.write_errors.fetch_add(1, std::memory_order_relaxed);
  queue.healthy.store(false, std::memory_order_relaxed);
  std::lock_guard lock(queue.error_mutex);
  queue.last_error = written.error().message;
  return false;
}

std::vector<SinkStats> Writer::stats() const {
  std::vector<SinkStats> out;
  for (const auto& queue : queues_) {
    SinkStats s;
    s.name = queue->name;
    s.queue_depth = queue->depth.load(std::memory_order_relaxed);
    s.recorded = queue->recorded.load(std::memory_order_relaxed);
    s.dropped = queue->dropped.load(std::memory_order_relaxed);
    s.failed = queue->failed.load(std::memory_order_relaxed);
    s.write_errors = queue->write_errors.load(std::memory_order_relaxed);
    s.batches = queue->batches.load(std::memory_order_relaxed);
    s.healthy = queue->healthy.load(std::memory_order_relaxed);
    std::lock_guard lock(queue->error_mutex);
    s.last_error = queue->last_error;
    out.push_back(std::move(s));
  }
  return out;
}

bool Writer::healthy() const {
  for (const auto& queue : queues_) {
    if (!queue->healthy.load(std::memory_order_relaxed)) return false;
  }
  return true;
}

}  // namespace audit
