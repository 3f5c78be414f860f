// One direction of a session's byte stream after login: read what is available, frame it,
// let an observer look at each message, forward the run of bytes in one write.
//
// Decide from the header, stream the body (pgbouncer): a message larger than the buffer is
// forwarded in pieces as it arrives, never held whole. Only whole messages are otherwise
// written, so between two writes the peer is at a message boundary and the session can inject
// its own ErrorResponse there. The buffer is returned to the pool whenever nothing is left over,
// so an idle direction holds no buffer; what an idle direction reads (a request or a short
// reply, the common case) is framed and forwarded from where it was read, and only a partial
// message left over goes into a pooled buffer.
#pragma once

#include <asio/awaitable.hpp>
#include <array>
#include <concepts>
#include <cstring>
#include <tuple>
#include <string>
#include <variant>

#include "proxy/io_buffer.h"
#include "proxy/stream.h"
#include "proxy/wire/framing.h"

namespace proxy {

enum class RelayEnd { kPeerClosed, kReadError, kWriteError, kProtocolError, kStopped };

struct RelayOutcome {
  RelayEnd end;
  std::string detail;
};

inline constexpr std::size_t kIdleReadSize = 512;

struct RelayOptions {
  std::size_t buffer_size = 64 << 10;
  std::uint32_t max_message = 64u << 20;
};

// Whether the destination is at a message boundary (nothing half-written).
struct RelayPosition {
  bool at_boundary = true;
};

// What the observer decides for one message.
enum class Verdict {
  kForward,   // pass the original bytes on
  kReplace,   // send `replacement` (possibly empty: swallow) instead; only for complete messages
  kStop,      // forward it, then end the relay
  kHold,      // forward what came before it, then wait for `observer.resume()` (complete messages only)
};

// An observer that may hold a message (audit write-ahead) has
//   asio::awaitable<Verdict> resume(char type, pgwire::Bytes body, std::string& replacement),
// awaited after everything before the held message was written: kForward or kReplace (or kStop).
template <class Observer>
concept HoldingObserver = requires(Observer& o, char type, pgwire::Bytes body, std::string& out) {
  { o.resume(type, body, out) } -> std::same_as<asio::awaitable<Verdict>>;
};

// Observer:
// - `Verdict on_message(char type, pgwire::Bytes body, bool complete, std::string& replacement)`
//   is called once per message before it is forwarded (complete=false: only the part that
//   arrived so far, the rest streams through; kReplace is then not allowed). `replacement` is
//   empty on entry; on kReplace it holds whole messages to send instead.
// - `bool needs_whole(char type)`: true if messages of this type must be seen complete (to be
//   rewritten): the buffer then grows to the message, up to options.max_message.
// How long a source may stay silent is the session's business (idle_watch.h), not the relay's.
template <class Observer>
asio::awaitable<RelayOutcome> relay(Stream& from, Stream& to, IoBuffer buffer, RelayOptions options,
                                    Observer& observer, RelayPosition& position) {
  std::size_t streaming = 0;   // bytes of an oversized message still to pass through unframed
  // An idle direction waits by reading into this small array in the coroutine frame, so it holds
  // no pooled buffer.
  std::array<std::uint8_t, kIdleReadSize> idle_read;
  std::string replacement, out;   // used only by observers that rewrite
  bool unread = false;            // the buffer still holds whole messages (after a hold)
  for (;;) {
    std::error_code ec;
    std::size_t n = 0;
    bool direct = false;   // this round's bytes are the n in idle_read, not in `buffer`
    if (unread) {
      // Process what is left before reading more.
    } else if (buffer.empty()) {
      BufferPool::release(std::move(buffer));
      if (out.capacity() > kIdleReadSize) std::string().swap(out);   // idle sessions keep nothing
      std::tie(ec, n) = co_await from.read_some(idle_read);
      direct = !ec;
    } else {
      std::tie(ec, n) = co_await from.read_some(buffer.free_space());
    }
    if (!unread && ec) {
      const bool closed = ec == asio::error::eof || ec == asio::error::connection_reset ||
                          ec == asio::ssl::error::stream_truncated;
      co_return RelayOutcome{closed ? RelayEnd::kPeerClosed : RelayEnd::kReadError, ec.message()};
    }
    if (!unread && !direct) buffer.commit(n);
    unread = false;

    const std::uint8_t* data = direct ? idle_read.data() : buffer.data().data();
    const std::size_t end = direct ? n : buffer.size();
    const std::size_t capacity = direct ? options.buffer_size : buffer.capacity();
    std::size_t pos = 0;
    if (streaming > 0) {
      pos = std::min(streaming, end);
      streaming -= pos;
    }
    bool stop = false;
    bool rewritten = false;      // `out` holds this round's bytes (some messages were replaced)
    std::size_t flushed = 0;     // data[0, flushed) is already in `out`
    std::size_t grow_to = 0;     // a message that must be whole does not fit the buffer
    std::string protocol_error;
    bool held = false;
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
      if (available < size) {
        if (size <= capacity) break;   // the rest fits: wait for it
        if (observer.needs_whole(h.type)) {
          grow_to = size;
          break;
        }
      }
      replacement.clear();
      const Verdict verdict = observer.on_message(h.type, {data + pos + 5, available - 5}, available == size, replacement);
      if (verdict == Verdict::kReplace && available == size) {
        if (!rewritten) out.clear();
        rewritten = true;
        out.append(reinterpret_cast<const char*>(data) + flushed, pos - flushed);
        out += replacement;
        flushed = pos + size;
      }
      if (verdict == Verdict::kHold && available == size) {
        held = true;   // pos stays at the held message
        break;
      }
      if (verdict == Verdict::kStop) stop = true;
      pos += available;
      streaming = size - available;
      if (stop) break;
    }
    if (pos > 0) {
      position.at_boundary = false;
      std::span<const std::uint8_t> bytes{data, pos};
      if (rewritten) {
        out.append(reinterpret_cast<const char*>(data) + flushed, pos - flushed);
        bytes = {reinterpret_cast<const std::uint8_t*>(out.data()), out.size()};
      }
      // Written in place when the socket takes it all (the common case); suspends only on a full
      // socket buffer or under TLS.
      std::error_code wec;
      const std::size_t written = to.write_now(bytes, wec);
      if (!wec && written < bytes.size()) wec = co_await to.write_all(bytes.subspan(written));
      if (wec) co_return RelayOutcome{RelayEnd::kWriteError, wec.message()};
      position.at_boundary = streaming == 0;
    }
    if (direct) {
      if (pos < end) {   // a partial (or held) message: it waits in a pooled buffer
        buffer = BufferPool::acquire(options.buffer_size);
        std::memcpy(buffer.free_space().data(), data + pos, end - pos);
        buffer.commit(end - pos);
      }
    } else {
      buffer.consume(pos);
    }
    if constexpr (HoldingObserver<Observer>) {
      if (held) {
        // The held message is now first in the buffer, whole; no read happens until it is sent.
        const pgwire::Header h = std::get<pgwire::Header>(pgwire::parse_header(buffer.data(), options.max_message));
        const std::size_t size = std::size_t{1} + h.length;
        replacement.clear();
        const Verdict verdict = co_await observer.resume(h.type, {buffer.data().data() + 5, size - 5}, replacement);
        position.at_boundary = false;
        const std::error_code wec =
            verdict == Verdict::kReplace ? co_await to.write_all(replacement)
                                         : co_await to.write_all({buffer.data().data(), size});
        if (wec) co_return RelayOutcome{RelayEnd::kWriteError, wec.message()};
        position.at_boundary = true;
        buffer.consume(size);
        if (verdict == Verdict::kStop) co_return RelayOutcome{RelayEnd::kStopped, {}};
        unread = !buffer.empty();
        continue;
      }
    }
    if (grow_to > 0) buffer.reserve(grow_to);
    if (!protocol_error.empty()) co_return RelayOutcome{RelayEnd::kProtocolError, protocol_error};
    if (stop) co_return RelayOutcome{RelayEnd::kStopped, {}};
  }
}

}  // namespace proxy
