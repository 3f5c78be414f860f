#include "audit/ticket.h"

#include <atomic>

namespace audit {

struct Ticket::State {
  mutable std::mutex mutex;
  std::condition_variable cv;
  std::size_t remaining = 0;
  Outcome worst = Outcome::kRecorded;
  // Written under the mutex, read without it: outcome() runs for every statement on the
  // session's thread, and the shared recorded ticket's mutex would otherwise be taken by every
  // worker thread for every quickly written event.
  std::atomic<Outcome> outcome{Outcome::kPending};
  std::string error;
  Callback callback;
};

std::string_view to_string(Outcome outcome) {
  switch (outcome) {
    case Outcome::kPending: return "pending";
    case Outcome::kRecorded: return "recorded";
    case Outcome::kDropped: return "dropped";
    case Outcome::kFailed: return "failed";
  }
  return "unknown";
}

Ticket Ticket::pending(std::size_t sinks) {
  auto state = std::make_shared<State>();
  state->remaining = sinks;
  if (sinks == 0) state->outcome.store(Outcome::kRecorded);
  return Ticket(std::move(state));
}

// No state at all: a shared one would have its reference count (and, for error(), its mutex)
// bounced between the worker threads for every statement.
Ticket Ticket::recorded() { return Ticket(nullptr); }

Outcome Ticket::outcome() const {
  return state_ ? state_->outcome.load(std::memory_order_acquire) : Outcome::kRecorded;
}

bool Ticket::may_proceed() const {
  const Outcome o = outcome();
  return o == Outcome::kRecorded || o == Outcome::kDropped;
}

std::string Ticket::error() const {
  if (!state_) return {};
  std::lock_guard lock(state_->mutex);
  return state_->error;
}

Outcome Ticket::wait() const {
  if (!state_) return Outcome::kRecorded;
  std::unique_lock lock(state_->mutex);
  state_->cv.wait(lock, [&] { return state_->outcome.load() != Outcome::kPending; });
  return state_->outcome.load();
}

Outcome Ticket::wait_for(std::chrono::milliseconds timeout) const {
  if (!state_) return Outcome::kRecorded;
  std::unique_lock lock(state_->mutex);
  state_->cv.wait_for(lock, timeout, [&] { return state_->outcome.load() != Outcome::kPending; });
  return state_->outcome.load();
}

void Ticket::on_complete(Callback callback) const {
  if (!state_) {
    callback(Outcome::kRecorded, {});
    return;
  }
  std::unique_lock lock(state_->mutex);
  if (state_->outcome.load() == Outcome::kPending) {
    state_->callback = std::move(callback);
    return;
  }
  const Outcome outcome = state_->outcome.load();
  const std::string error = state_->error;
  lock.unlock();
  callback(outcome, error);
}

void Ticket::complete_one(Outcome outcome, const std::string& error) const {
  if (!state_) return;   // recorded(): complete from the start
  std::unique_lock lock(state_->mutex);
  if (state_->remaining == 0) return;
  if (static_cast<int>(outcome) > static_cast<int>(state_->worst)) state_->worst = outcome;
  if (!error.empty() && state_->error.empty()) state_->error = error;
  if (--state_->remaining > 0) return;
  const Outcome final_outcome = state_->worst;
  state_->outcome.store(final_outcome, std::memory_order_release);
  Callback callback = std::move(state_->callback);
  const std::string final_error = state_->error;
  lock.unlock();
  state_->cv.notify_all();
  if (callback) callback(final_outcome, final_error);
}

}  // namespace audit
