// Ticket: the caller's handle on one submitted event, completed when every sink has either
// recorded it or given up on it (writer.h).
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

namespace audit {

enum class Outcome {
  kPending,
  kRecorded,  // every sink recorded it (as durably as each sink's fsync mode promises)
  kDropped,   // on_failure: continue, and a sink could not record it: proceed, it is counted
  kFailed,    // on_failure: block, and a sink could not record it: refuse the statement
};

std::string_view to_string(Outcome outcome);

class Ticket {
 public:
  using Callback = std::function<void(Outcome, const std::string& error)>;

  // A ticket that still waits for `sinks` completions (0: already recorded).
  static Ticket pending(std::size_t sinks);
  // Already recorded, with no state behind it: an event every sink took at once (buffered or
  // written on this thread, writer.h) costs no allocation and shares nothing between threads.
  static Ticket recorded();

  Outcome outcome() const;
  bool done() const { return outcome() != Outcome::kPending; }
  // Recorded or dropped: the statement may be forwarded.
  bool may_proceed() const;
  // Why a sink failed (names the sink and the OS error); empty when recorded.
  std::string error() const;

  Outcome wait() const;
  Outcome wait_for(std::chrono::milliseconds timeout) const;

  // Runs `callback` exactly once: right away on this thread if the ticket is done, else on the
  // sink's writer thread when it completes. Keep it short (post to the session's strand).
  void on_complete(Callback callback) const;

  // Used by the Writer: one sink's verdict. The worst verdict wins (failed > dropped > recorded).
  void complete_one(Outcome outcome, const std::string& error = {}) const;

 private:
  struct State;
  explicit Ticket(std::shared_ptr<State> state) : state_(std::move(state)) {}
  std::shared_ptr<State> state_;
};

}  // namespace audit
