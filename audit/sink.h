// The interface between the Writer (queues, threads, tickets) and a place records go to.
#pragma once

#include <cstddef>
#include <cstdint>
#include <expected>
#include <span>
#include <string>
#include <string_view>

namespace audit {

struct SinkError {
  int code = 0;         // errno when the cause is the OS (ENOSPC, EACCES, EIO), else 0
  std::string message;  // names the sink and the cause; never a record's content
};

// write() is called by one thread at a time (the sink's writer thread, or a submitting thread
// under the queue's lock for a quick write), so an implementation needs no locking of its own
// for it; reserved_room() is read on any thread.
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

  // Bytes set aside for the events still to be written, in which a write cannot fail for lack
  // of space (a file sink's disk blocks preallocated past the end of its file). While the
  // events queued for the sink fit in it, the Writer acknowledges an event as soon as it is
  // queued and writes it on its own thread, so a statement never waits for a write(2) (writer.h,
  // buffered acknowledgement). 0: none; every event waits for its write. Read on any thread.
  virtual std::uint64_t reserved_room() const { return 0; }
  // The most bytes an event serialized as `line_bytes` can take once written (with the
  // sink's own framing): what the Writer counts against reserved_room().
  virtual std::uint64_t written_size_bound(std::size_t line_bytes) const { return line_bytes; }
};

}  // namespace audit
