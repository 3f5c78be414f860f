// Stream::read_some on plain TCP (drained_read.h): after a read that drained the socket the next
// read waits for epoll instead of trying recv first; nothing that arrives in between is missed,
// cancellation and EOF behave as async_read_some's.
#include <catch2/catch.hpp>

#include <asio/co_spawn.hpp>
#include <asio/executor_work_guard.hpp>
#include <asio/experimental/awaitable_operators.hpp>
#include <asio/io_context.hpp>
#include <asio/use_future.hpp>
#include <asio/write.hpp>
#include <array>
#include <chrono>
#include <string>
#include <thread>

#include "proxy/stream.h"
#include "proxy/timeout.h"

namespace {

using namespace std::chrono_literals;
using asio::experimental::awaitable_operators::operator||;

struct Peer {
  asio::io_context ctx{1};
  asio::ip::tcp::socket writer{ctx};
  std::unique_ptr<proxy::Stream> stream;

  Peer() {
    asio::ip::tcp::acceptor acceptor(ctx, {asio::ip::make_address("127.0.0.1"), 0});
    writer.connect(acceptor.local_endpoint());
    asio::ip::tcp::socket read_side(ctx);
    acceptor.accept(read_side);
    stream = std::make_unique<proxy::Stream>(std::move(read_side));
  }

  void send(const std::string& bytes) { asio::write(writer, asio::buffer(bytes)); }

  // One read of at most `size` bytes, bounded by `limit`: the bytes, or "<timeout>" / "<error: …>".
  std::string read(std::size_t size, std::chrono::milliseconds limit = 2000ms) {
    auto done = asio::co_spawn(
        ctx,
        [&]() -> asio::awaitable<std::string> {
          std::array<std::uint8_t, 4096> buffer{};
          auto got = co_await (stream->read_some(std::span(buffer).first(size)) || proxy::timeout(limit));
          if (got.index() == 1) co_return "<timeout>";
          auto [ec, n] = std::get<0>(got);
          if (ec) co_return "<error: " + ec.message() + ">";
          co_return std::string(reinterpret_cast<const char*>(buffer.data()), n);
        },
        asio::use_future);
    ctx.restart();
    ctx.run();
    return done.get();
  }

  // Lets the reactor see readiness while no read is queued (the edge between two reads).
  void poll_reactor() {
    auto guard = asio::make_work_guard(ctx);
    ctx.restart();
    for (int i = 0; i < 5; ++i) ctx.poll();
  }
};

TEST_CASE("a read after a short read waits for what the peer sends next") {
  Peer peer;
  peer.send("abc");
  CHECK(peer.read(512) == "abc");
  CHECK(peer.read(512, 50ms) == "<timeout>");   // nothing more: waits, and the wait is cancellable
  peer.send("de");
  CHECK(peer.read(512) == "de");
}

TEST_CASE("bytes that arrive between two reads are read, not waited for") {
  Peer peer;
  peer.send("abc");
  CHECK(peer.read(512) == "abc");   // short: the socket counts as drained
  peer.send("xyz");
  std::this_thread::sleep_for(20ms);
  peer.poll_reactor();              // epoll reports them while no read is queued
  CHECK(peer.read(512, 1000ms) == "xyz");
}

TEST_CASE("a read that fills the buffer leaves the rest for the next read") {
  Peer peer;
  const std::string data(1000, 'x');
  peer.send(data);
  std::this_thread::sleep_for(20ms);
  CHECK(peer.read(600) == data.substr(0, 600));
  CHECK(peer.read(600) == data.substr(600));
}

TEST_CASE("the peer's last bytes and its FIN, seen by epoll before the read: the next read gets eof") {
  // recv returns "last" and consumes the FIN behind it; no epoll edge is left to wake a queued
  // read, so the read must know the socket is not drained (TCP_INQ says so).
  Peer peer;
  peer.send("last");
  peer.writer.shutdown(asio::ip::tcp::socket::shutdown_send);
  std::this_thread::sleep_for(20ms);
  peer.poll_reactor();
  CHECK(peer.read(512) == "last");
  CHECK(peer.read(512, 1000ms) == "<error: " + asio::error_code(asio::error::eof).message() + ">");
}

}  // namespace
