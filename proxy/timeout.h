// `co_await (operation() || timeout(d))` — the awaitable-operators way to bound a step (STYLE.md).
#pragma once

#include <asio/awaitable.hpp>
#include <asio/steady_timer.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <chrono>

namespace proxy {

inline constexpr auto kTuple = asio::experimental::as_tuple(asio::use_awaitable);

// Completes after `d` (or never returns early unless cancelled by the other side of `||`).
inline asio::awaitable<void> timeout(std::chrono::steady_clock::duration d) {
  asio::steady_timer timer(co_await asio::this_coro::executor);
  timer.expires_after(d);
  co_await timer.async_wait(kTuple);
}

}  // namespace proxy
