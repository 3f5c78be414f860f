// Awaiting an audit ticket from a session's coroutine without blocking its worker thread: the
// writer thread that completes the ticket posts a wake-up to the session's executor (writer.h:
// on_complete callbacks must stay short).
#pragma once

#include <asio/awaitable.hpp>
#include <asio/post.hpp>
#include <asio/steady_timer.hpp>
#include <asio/this_coro.hpp>
#include <memory>

#include "audit/ticket.h"
#include "proxy/timeout.h"

namespace proxy {

inline asio::awaitable<audit::Outcome> wait_for_ticket(const audit::Ticket& ticket) {
  if (ticket.done()) co_return ticket.outcome();   // no timer on the fast path
  auto executor = co_await asio::this_coro::executor;
  // The session owns the timer; the callback holds it weakly, so a session that ended (its
  // coroutine destroyed) is not kept alive by a ticket still in a queue.
  auto timer = std::make_shared<asio::steady_timer>(executor, asio::steady_timer::time_point::max());
  ticket.on_complete([weak = std::weak_ptr<asio::steady_timer>(timer), executor](audit::Outcome, const std::string&) {
    asio::post(executor, [weak] {
      if (auto t = weak.lock()) t->cancel();
    });
  });
  // One thread per io_context: the posted wake-up runs only after this wait has started.
  co_await timer->async_wait(kTuple);
  co_return ticket.outcome();
}

}  // namespace proxy
