#include "audit/writer.h"

#include <fmt/format.h>

#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

namespace audit {

struct Writer::Queue {
  struct Item {
    std::string line;
    std::optional<Ticket> ticket;  // none: acknowledged already (buffered), or nobody waits for it
    std::chrono::steady_clock::time_point queued;
    std::uint64_t room = 0;  // Sink::written_size_bound of the line
  };

  std::unique_ptr<Sink> sink;
  std::string name;
  std::size_t index = 0;
  std::size_t max_batch = 1;
  mutable std::mutex mutex;
  std::condition_variable cv;
  std::deque<Item> items;
  std::size_t waited = 0;  // items with a ticket: the thread writes as soon as there is one
  // The written size bound of the queued items and of a batch being written: what the sink's
  // reserved_room() must hold before one more event can be acknowledged before its write.
  std::uint64_t queued_room = 0;
  bool closing = false;
  bool writing = false;  // the thread is writing a batch taken from `items`
  bool idle = false;     // the thread waits without a deadline: a ticketless item must wake it
  std::vector<std::string> quick_lines;  // a quick write of what was queued plus the new event
  // Written lines' strings, kept for the next events: a line is copied into one of these instead
  // of a new allocation made on a session's thread and freed on the writer's.
  std::vector<std::string> spare;
  std::vector<std::optional<Ticket>> quick_tickets;  // the queued events' tickets in that write
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
    queue->max_batch = std::max<std::size_t>(queue->sink->max_batch(), 1);
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

void Writer::give_up(Queue& queue, const std::optional<Ticket>& ticket, const std::string& why) {
  if (options_.on_failure == FailurePolicy::kBlock) {
    queue.failed.fetch_add(1, std::memory_order_relaxed);
    if (ticket) ticket->complete_one(Outcome::kFailed, why);
  } else {
    queue.dropped.fetch_add(1, std::memory_order_relaxed);
    if (ticket) ticket->complete_one(Outcome::kDropped, why);
  }
}

void Writer::settle(Queue& queue, std::span<const std::optional<Ticket>> tickets, bool written) {
  if (written) {
    for (const auto& ticket : tickets) {
      if (ticket) ticket->complete_one(Outcome::kRecorded);
    }
    return;
  }
  const std::string why = queue.last_error_copy();
  for (const auto& ticket : tickets) give_up(queue, ticket, why);
}

bool Writer::can_buffer(const Queue& queue, std::uint64_t room) const {
  return queue.healthy.load(std::memory_order_relaxed) && queue.queued_room + room <= queue.sink->reserved_room();
}

bool Writer::write_due(const Queue& queue) const {
  if (queue.items.size() >= queue.max_batch) return true;
  const std::uint64_t room = queue.sink->reserved_room();
  return room > 0 && queue.queued_room * 2 > room;   // half the room taken: make more before it runs out
}

void Writer::keep_spare(Queue& queue, std::vector<std::string>& lines) {
  constexpr std::size_t kMaxSpare = 1024, kMaxSpareBytes = 16 * 1024;   // a burst's worth, no huge lines
  for (auto& line : lines) {
    if (queue.spare.size() >= kMaxSpare) break;
    if (line.capacity() <= kMaxSpareBytes) queue.spare.push_back(std::move(line));
  }
  lines.clear();
}

void Writer::enqueue(Queue& queue, const std::string& line, std::optional<Ticket> ticket, std::uint64_t room) {
  if (ticket) ++queue.waited;
  std::string copy;
  if (!queue.spare.empty()) {
    copy = std::move(queue.spare.back());
    queue.spare.pop_back();
  }
  copy.assign(line);
  queue.items.push_back({std::move(copy), std::move(ticket), std::chrono::steady_clock::now(), room});
  queue.queued_room += room;
  queue.depth.store(queue.items.size(), std::memory_order_relaxed);
  // A thread already waiting with a deadline (for an earlier ticketless event) needs no wake-up
  // unless this event is waited for or the queue should be written before that deadline.
  if (queue.idle || queue.waited > 0 || write_due(queue)) queue.cv.notify_one();
}

bool Writer::can_write_here(const Queue& queue) const {
  return !queue.writing && queue.items.size() < queue.max_batch && queue.healthy.load(std::memory_order_relaxed) &&
         queue.sink->write_is_quick();
}

bool Writer::write_here(Queue& queue, const std::string* line) {
  // Under the queue's lock, so order is kept: whatever is queued ahead (submit_later's events,
  // or events the thread has not taken yet) is written before `line`.
  auto& lines = queue.quick_lines;
  auto& tickets = queue.quick_tickets;
  bool ok = true;
  bool line_written = line == nullptr;
  while (!queue.items.empty() || !line_written) {
    lines.clear();
    tickets.clear();
    const std::uint64_t taken = take_batch(queue, lines, tickets);
    // `line` rides in the same write(2) as what was queued, unless the sink keeps room: then it
    // did not fit in it (or it would have been acknowledged), and if its write fails for lack of
    // space that must not take events acknowledged within the room along.
    if (!line_written && queue.items.empty() && (lines.empty() || queue.sink->reserved_room() == 0)) {
      lines.push_back(*line);
      line_written = true;
    }
    ok = write_out(queue, lines);
    queue.queued_room -= taken;   // after the write, which took the sink's room (lock held throughout)
    settle(queue, tickets, ok);
    keep_spare(queue, lines);
  }
  return ok;
}

std::uint64_t Writer::take_batch(Queue& queue, std::vector<std::string>& lines,
                                 std::vector<std::optional<Ticket>>& tickets) {
  const std::uint64_t room = queue.sink->reserved_room();
  std::uint64_t taken = 0;
  while (!queue.items.empty() && lines.size() < queue.max_batch) {
    auto& item = queue.items.front();
    if (room > 0 && !lines.empty() && taken + item.room > room) break;
    lines.push_back(std::move(item.line));
    if (item.ticket) --queue.waited;
    tickets.push_back(std::move(item.ticket));
    taken += item.room;
    queue.items.pop_front();
  }
  queue.depth.store(queue.items.size(), std::memory_order_relaxed);
  return taken;
}

std::string Writer::refusal(const Queue& queue) const {
  return queue.closing ? fmt::format("audit sink {} is closed", queue.name)
                       : fmt::format("audit sink {} is behind: its queue of {} events is full", queue.name,
                                     options_.queue_capacity);
}

Ticket Writer::submit_line(const std::string& line) {
  // The ticket is made only when some sink cannot record the event at once; an event every sink
  // wrote on this thread gets the shared recorded ticket.
  std::optional<Ticket> ticket;
  std::size_t recorded_here = 0;
  const auto ticket_for = [&]() -> const Ticket& {
    if (!ticket) {
      ticket = Ticket::pending(queues_.size());
      for (std::size_t i = 0; i < recorded_here; ++i) ticket->complete_one(Outcome::kRecorded);
    }
    return *ticket;
  };
  for (auto& queue : queues_) {
    std::unique_lock lock(queue->mutex);
    if (queue->closing || queue->items.size() >= options_.queue_capacity) {
      const std::string why = refusal(*queue);
      lock.unlock();
      give_up(*queue, ticket_for(), why);
      continue;
    }
    const std::uint64_t room = queue->sink->written_size_bound(line.size());
    if (can_buffer(*queue, room)) {
      // Acknowledged now: the sink has set room aside for it, and its thread writes it soon.
      enqueue(*queue, line, std::nullopt, room);
      if (ticket) {
        ticket->complete_one(Outcome::kRecorded);
      } else {
        ++recorded_here;
      }
      continue;
    }
    if (can_write_here(*queue)) {
      if (!write_here(*queue, &line)) {
        give_up(*queue, ticket_for(), queue->last_error_copy());
      } else if (ticket) {
        ticket->complete_one(Outcome::kRecorded);
      } else {
        ++recorded_here;
      }
      continue;
    }
    enqueue(*queue, line, ticket_for(), room);
  }
  if (live_.subscribers() > 0) live_.publish(std::make_shared<const std::string>(line));
  return ticket ? *ticket : Ticket::recorded();
}

void Writer::submit_later(const std::string& line) {
  for (auto& queue : queues_) {
    std::unique_lock lock(queue->mutex);
    if (queue->closing || queue->items.size() >= options_.queue_capacity) {
      const std::string why = refusal(*queue);
      lock.unlock();
      give_up(*queue, std::nullopt, why);
      continue;
    }
    enqueue(*queue, line, std::nullopt, queue->sink->written_size_bound(line.size()));
  }
  if (live_.subscribers() > 0) live_.publish(std::make_shared<const std::string>(line));
}

void Writer::run(Queue& queue) {
  std::vector<std::string> lines;
  std::vector<std::optional<Ticket>> tickets;
  std::unique_lock lock(queue.mutex);
  while (true) {
    // Write when an event is waited for, when the oldest event nobody waits for is kLaterBound
    // old, or to drain on close.
    while (true) {
      if (queue.items.empty()) {
        if (queue.closing) return;
        queue.idle = true;
        queue.cv.wait(lock);
        queue.idle = false;
        continue;
      }
      if (queue.closing || queue.waited > 0 || write_due(queue)) break;
      const auto due = queue.items.front().queued + kLaterBound;
      if (std::chrono::steady_clock::now() >= due) break;
      queue.cv.wait_until(lock, due);
    }
    if (can_write_here(queue) && queue.sink->reserved_room() == 0) {
      // A quick sink without reserved room is written under the lock, as submit_line() does: a
      // session that submits meanwhile waits for this write(2) and then writes its own event,
      // instead of finding the sink `writing` and handing its statement to this thread (a
      // wake-up of this thread and a post back to the session's, for every such statement).
      // With reserved room, sessions only queue, so the thread writes outside the lock.
      write_here(queue, nullptr);
      continue;
    }
    const std::uint64_t taken_room = take_batch(queue, lines, tickets);
    queue.writing = true;
    lock.unlock();
    settle(queue, tickets, write_out(queue, lines));
    tickets.clear();
    lock.lock();
    keep_spare(queue, lines);
    queue.writing = false;
    // Only now: until the write took the sink's room, the batch still counted against it.
    queue.queued_room -= taken_room;
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
