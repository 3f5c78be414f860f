#include "proxy/message_reader.h"

#include <variant>

namespace proxy {
namespace {
constexpr std::size_t kInitialBuffer = 8192;
}

asio::awaitable<std::expected<pgwire::Frame, ReadFailure>> MessageReader::next() {
  if (!buffer_.allocated()) buffer_ = IoBuffer(kInitialBuffer);
  buffer_.consume(consumed_);
  consumed_ = 0;
  for (;;) {
    auto result = decoder_.next(buffer_.data());
    if (auto* frame = std::get_if<pgwire::Frame>(&result)) {
      consumed_ = frame->size;
      co_return *frame;
    }
    if (auto* error = std::get_if<pgwire::WireError>(&result)) {
      co_return std::unexpected(ReadFailure{ReadFailure::Kind::kProtocol, error->message});
    }
    const std::size_t needed = std::get<pgwire::NeedMore>(result).total;
    if (needed > buffer_.capacity()) buffer_.reserve(needed);
    auto [ec, n] = co_await stream_.read_some(buffer_.free_space());
    if (ec) {
      const bool closed = ec == asio::error::eof || ec == asio::error::connection_reset ||
                          ec == asio::ssl::error::stream_truncated;
      co_return std::unexpected(ReadFailure{closed ? ReadFailure::Kind::kClosed : ReadFailure::Kind::kIo,
                                            ec.message()});
    }
    buffer_.commit(n);
  }
}

IoBuffer MessageReader::take_rest() {
  buffer_.consume(consumed_);
  consumed_ = 0;
  return std::move(buffer_);
}

}  // namespace proxy
