// Writer: hands events to the sinks without blocking the caller (issue #5 points 2 and 3).
//
// Each sink has its own bounded queue and writer thread; a thread takes everything queued (up to
// the sink's max_batch and, while the sink keeps room, what the room holds: take_batch), writes
// it as one batch and only then completes the batch's tickets (a file sink with fsync: batch
// fsyncs behind the writer: file_sink.h).
//
// Buffered acknowledgement: while a sink has room set aside for what is queued (Sink::
// reserved_room: a file sink's preallocated disk blocks), an event is acknowledged as soon as it
// is queued: its write cannot fail for lack of space, and the sink's thread writes it within
// kLaterBound (or sooner, when a batch is full or the room half taken). A statement then never
// waits for a write(2) and sessions never contend for the file. What this gives up: a pgveil
// crash can lose the events of the last kLaterBound, which were acknowledged; a host crash could
// lose more before the next fsync anyway (fsync: batch).
//
// Without room (fsync: always, no preallocation on the file system, the disk too full to
// preallocate), a quick sink (Sink::write_is_quick) is written under the queue's lock by
// whichever thread has something to write, the submitting one included, so statements are never
// handed to the writer thread; any other sink's events wait for its thread. The proxy holds a
// statement until its ticket says may_proceed() (write-ahead), and sends the completion event
// without waiting (submit_later(): it rides in the next write instead of costing one of its own,
// within kLaterBound).
//
// Failure policy (config `audit.on_failure`):
//   kBlock (default): an event a sink could not record, or that found the queue full, completes
//     kFailed, so the proxy refuses the statement. Every later event is tried again, so the
//     proxy recovers by itself as soon as writes succeed (e.g. after space is freed). A write
//     that fails (EIO) after its events were acknowledged counts them failed and makes the sink
//     unhealthy, so the next statements wait for their own writes, and fail, until one succeeds.
//   kContinue: such events complete kDropped and are counted; the statement proceeds.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "audit/event.h"
#include "audit/live_feed.h"
#include "audit/sink.h"
#include "audit/ticket.h"

namespace audit {

enum class FailurePolicy { kBlock, kContinue };

struct WriterOptions {
  FailurePolicy on_failure = FailurePolicy::kBlock;
  std::size_t queue_capacity = 10'000;  // events per sink
};

// A snapshot for metrics (/metrics) and logs.
struct SinkStats {
  std::string name;
  std::size_t queue_depth = 0;
  std::uint64_t recorded = 0;      // events written
  std::uint64_t dropped = 0;       // kContinue: events given up (write error or full queue)
  std::uint64_t failed = 0;        // kBlock: events refused (write error or full queue)
  std::uint64_t write_errors = 0;  // failed write() calls
  std::uint64_t batches = 0;       // successful write() calls
  bool healthy = true;             // the last write succeeded
  std::string last_error;
};

class Writer {
 public:
  // Starts one thread per sink.
  Writer(std::vector<std::unique_ptr<Sink>> sinks, WriterOptions options = {});
  // close().
  ~Writer();
  Writer(const Writer&) = delete;
  Writer& operator=(const Writer&) = delete;

  // Never waits for a disk: queues the event on every sink and returns. The ticket completes at
  // once if the sink has room for it (buffered acknowledgement), if a queue is full or the writer
  // is closed, or if the sink's write is quick (Sink::write_is_quick) and nothing is being
  // written ahead of it: then it is written on this thread. Otherwise on the sink's thread.
  Ticket submit(const Event& event);
  Ticket submit_line(const std::string& line);  // an already serialized event (to_line)

  // An event nobody waits for (statement_done): queued without a ticket and without waking the
  // sink's thread, so it goes out with the next submitted event's write (in submission order, so
  // the chain's order is the submission order), or by the sink's thread kLaterBound after it was
  // queued if no event comes first. A pgveil crash can lose what is queued so; it was never
  // acknowledged. Its failure is counted (dropped or failed) like any other event's.
  void submit_later(const std::string& line);
  static constexpr std::chrono::milliseconds kLaterBound{5};

  // Stops accepting events, writes what is queued, joins the threads. Idempotent.
  void close();

  std::vector<SinkStats> stats() const;
  // Every sink's last write succeeded: for /healthz and for refusing early.
  bool healthy() const;
  FailurePolicy policy() const { return options_.on_failure; }

  // Called after each write() (on the sink's writer thread, or the submitting thread for a quick
  // write) with the sink's index (stats() order) and how long the write took: for latency
  // metrics. Replaceable at any time.
  using WriteHook = std::function<void(std::size_t sink, std::chrono::nanoseconds took)>;
  void set_write_hook(WriteHook hook) { hook_.store(std::make_shared<const WriteHook>(std::move(hook))); }

  // Every accepted event is also offered here (the admin API's live stream).
  LiveFeed& live() { return live_; }

 private:
  struct Queue;
  void run(Queue& queue);
  // sink->write() with the metrics around it; the caller owns the sink (writing flag or mutex).
  bool write_out(Queue& queue, std::span<const std::string> lines);
  void give_up(Queue& queue, const std::optional<Ticket>& ticket, const std::string& why);
  // After a write of their events: every ticket is recorded, or (the write failed) given up.
  void settle(Queue& queue, std::span<const std::optional<Ticket>> tickets, bool written);
  std::string refusal(const Queue& queue) const;  // why an event found no room; lock held
  // The sink's write is quick (Sink::write_is_quick) and nobody else writes: write on this
  // thread, under the queue's lock. Lock held.
  bool can_write_here(const Queue& queue) const;
  // The sink's reserved room holds what is queued plus `room` more: acknowledge before writing.
  bool can_buffer(const Queue& queue, std::uint64_t room) const;
  // The thread should write now rather than at the oldest ticketless event's deadline.
  bool write_due(const Queue& queue) const;
  // Moves the next batch from the queue: up to max_batch events, and while the sink keeps room,
  // no more (after the first) than the room holds, so a write that fails for lack of space never
  // takes an event acknowledged within the room along. Returns the batch's room. Lock held.
  std::uint64_t take_batch(Queue& queue, std::vector<std::string>& lines, std::vector<std::optional<Ticket>>& tickets);
  // Written lines go back to the queue's spare strings (lock held); `lines` is left empty.
  void keep_spare(Queue& queue, std::vector<std::string>& lines);
  // Queues an event (ticket: someone waits for its write) and wakes the thread if it must.
  void enqueue(Queue& queue, const std::string& line, std::optional<Ticket> ticket, std::uint64_t room);
  // Writes what is queued and then `line` (if not null) under the lock; settles the queued
  // events' tickets. Returns whether the write succeeded. Lock held.
  bool write_here(Queue& queue, const std::string* line);

  WriterOptions options_;
  std::vector<std::unique_ptr<Queue>> queues_;
  LiveFeed live_;
  std::atomic<std::shared_ptr<const WriteHook>> hook_;
};

}  // namespace audit
