// One direction of a session's byte stream after login: read what is available, frame it,
// let an observer look at each message, forward the run of bytes in one write.
//
// Decide from the header, stream the body (pgbouncer): a message larger than the buffer is
// forwarded in pieces as it arrives, never held whole. Only whole messages are otherwise
// written, so between two writes the peer is at a message boundary and the session can inject
// its own ErrorResponse there. The buffer is returned to the pool whenever nothing is left over,
// so an idle direction holds no buffer.
#pragma once

#include <asio/awaitable.hpp>
#include <asio/experimental/awaitable_operators.hpp>
#include <chrono>
#include <string>
#include <variant>

#include "proxy/io_buffer.h"
#include "proxy/stream.h"
#include "proxy/timeout.h"
#include "proxy/wire/framing.h"

namespace proxy {

enum class RelayEnd { kPeerClosed, kReadError, kWriteError, kProtocolError, kStopped, kIdle };

struct RelayOutcome {
  RelayEnd end;
  std::string detail;
};

struct RelayOptions {
  std::size_t buffer_size = 64 << 10;
  std::uint32_t max_message = 64u << 20;
};

// Whether the destination is at a message boundary (nothing half-written).
struct RelayPosition {
  bool at_boundary = true;
};

// Observer: `bool on_message(char type, pgwire::Bytes body, bool complete)` is called once per
// message before it is forwarded (complete=false: only the part that arrived so far, the rest
// streams through); returning false stops the relay after this message has been forwarded.
// `std::chrono::milliseconds idle_limit()` (0 = none) bounds how long the source may stay silent.
template <class Observer>
asio::awaitable<RelayOutcome> relay(Stream& from, Stream& to, IoBuffer buffer, RelayOptions options,
                                    Observer& observer, RelayPosition& position) {
  using asio::experimental::awaitable_operators::operator||;
  std::size_t streaming = 0;   // bytes of an oversized message still to pass through unframed
  for (;;) {
    if (buffer.empty()) {
      BufferPool::release(std::move(buffer));
      const auto idle = observer.idle_limit();
      if (idle.count() > 0) {
        auto waited = co_await (from.wait_readable() || timeout(idle));
        if (waited.index() == 1) co_return RelayOutcome{RelayEnd::kIdle, {}};
        if (auto ec = std::get<0>(waited)) co_return RelayOutcome{RelayEnd::kReadError, ec.message()};
      } else if (auto ec = co_await from.wait_readable()) {
        co_return RelayOutcome{RelayEnd::kReadError, ec.message()};
      }
      buffer = BufferPool::acquire(options.buffer_size);
    }
    auto [ec, n] = co_await from.read_some(buffer.free_space());
    if (ec) {
      const bool closed = ec == asio::error::eof || ec == asio::error::connection_reset ||
                          ec == asio::ssl::error::stream_truncated;
      co_return RelayOutcome{closed ? RelayEnd::kPeerClosed : RelayEnd::kReadError, ec.message()};
    }
    buffer.commit(n);

    const std::uint8_t* data = buffer.data().data();
    const std::size_t end = buffer.size();
    std::size_t pos = 0;
    if (streaming > 0) {
      pos = std::min(streaming, end);
      streaming -= pos;
    }
    bool stop = false;
    std::string protocol_error;
    while (pos < end && streaming == 0) {
      auto header = pgwire::parse_header({data + pos, end - pos}, options.max_message);
      if (std::holds_alternative<pgwire::NeedMore>(header)) break;
      if (auto* error = std::get_if<pgwire::WireError>(&header)) {
        protocol_error = error->message;
        break;
      }
      const auto& h = std::get<pgwire::Header>(header);
      const std::size_t size = std::size_t{1} + h.length;
      const std::size_t available = std::min(size, end - pos);
      if (available < size && size <= buffer.capacity()) break;   // the rest fits: wait for it
      if (!observer.on_message(h.type, {data + pos + 5, available - 5}, available == size)) stop = true;
      pos += available;
      streaming = size - available;
      if (stop) break;
    }
    if (pos > 0) {
      position.at_boundary = false;
      if (auto wec = co_await to.write_all({data, pos})) {
        co_return RelayOutcome{RelayEnd::kWriteError, wec.message()};
      }
      position.at_boundary = streaming == 0;
      buffer.consume(pos);
    }
    if (!protocol_error.empty()) co_return RelayOutcome{RelayEnd::kProtocolError, protocol_error};
    if (stop) co_return RelayOutcome{RelayEnd::kStopped, {}};
  }
}

}  // namespace proxy
