// The interface between the Writer (queues, threads, tickets) and a place records go to.
#pragma once

#include <cstddef>
#include <expected>
#include <span>
#include <string>
#include <string_view>

namespace audit {

struct SinkError {
  int code = 0;         // errno when the cause is the OS (ENOSPC, EACCES, EIO), else 0
  std::string message;  // names the sink and the cause; never a record's content
};

// Called from one writer thread only (the Writer owns one thread per sink), so an
// implementation needs no locking of its own.
class Sink {
 public:
  virtual ~Sink() = default;

  virtual std::string name() const = 0;

  // Most events per write() call. 1 makes every event individually durable (fsync: always).
  virtual std::size_t max_batch() const = 0;

  // Records `events` (serialized JSON objects, event.h to_line), in order. All or nothing: when
  // this returns success every event is as durable as the sink promises; on error none of them
  // counts as recorded and the sink is ready to be tried again with later events.
  virtual std::expected<void, SinkError> write(std::span<const std::string> events) = 0;

  // Whether the next write() is a quick local one (no fsync, rotation or recovery due): the
  // Writer then writes an event on the submitting thread when nothing is queued ahead of it,
  // instead of waking its own thread and making the statement wait for two thread switches.
  virtual bool write_is_quick() const { return false; }
};

}  // namespace audit
