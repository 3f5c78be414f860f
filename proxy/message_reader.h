// Reads whole typed messages from a Stream during the startup and authentication phases, where
// messages are small and few. The relay does its own batched framing; this is the simple path.
#pragma once

#include <asio/awaitable.hpp>
#include <expected>
#include <string>

#include "proxy/io_buffer.h"
#include "proxy/stream.h"
#include "proxy/wire/framing.h"

namespace proxy {

struct ReadFailure {
  enum class Kind { kClosed, kIo, kProtocol } kind;
  std::string message;
};

class MessageReader {
 public:
  MessageReader(Stream& stream, std::uint32_t max_length, IoBuffer initial = {})
      : stream_(stream), decoder_(max_length), buffer_(std::move(initial)) {}

  // The next complete message. Its body stays valid until the next call.
  asio::awaitable<std::expected<pgwire::Frame, ReadFailure>> next();
  // Bytes read past the last returned message (to hand over to the relay).
  IoBuffer take_rest();
  bool has_unread() const { return buffer_.size() > consumed_; }

 private:
  Stream& stream_;
  pgwire::Decoder decoder_;
  IoBuffer buffer_;
  std::size_t consumed_ = 0;
};

}  // namespace proxy
