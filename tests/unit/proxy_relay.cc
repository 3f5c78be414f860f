// relay(): framing over real loopback sockets, with messages split at arbitrary points,
// messages larger than the buffer (streamed), a stop after Terminate and a bad length.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cctype>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/io_context.hpp>
#include <asio/read.hpp>
#include <asio/use_future.hpp>
#include <asio/write.hpp>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "proxy/relay.h"

namespace {

struct Pair {
  asio::ip::tcp::socket a, b;
};

Pair connected_pair(asio::io_context& ctx) {
  asio::ip::tcp::acceptor acceptor(ctx, {asio::ip::make_address("127.0.0.1"), 0});
  asio::ip::tcp::socket a(ctx), b(ctx);
  a.connect(acceptor.local_endpoint());
  acceptor.accept(b);
  return {std::move(a), std::move(b)};
}

std::string message(char type, const std::string& body) {
  std::string m(1, type);
  const auto len = static_cast<std::uint32_t>(body.size() + 4);
  for (int shift = 24; shift >= 0; shift -= 8) m.push_back(static_cast<char>((len >> shift) & 0xff));
  return m + body;
}

struct Recorder {
  std::vector<char> types;
  std::vector<bool> complete;
  char stop_on = 0;
  bool rewrite = false;   // 'D' bodies upper-cased (whole messages), 'S' swallowed
  proxy::Verdict on_message(char type, pgwire::Bytes body, bool whole, std::string& replacement) {
    types.push_back(type);
    complete.push_back(whole);
    if (type == stop_on) return proxy::Verdict::kStop;
    if (!rewrite || (type != 'D' && type != 'S')) return proxy::Verdict::kForward;
    if (type == 'D') {
      std::string upper(pgwire::as_chars(body));
      for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      replacement = message('D', upper);
    }
    return proxy::Verdict::kReplace;
  }
  bool needs_whole(char type) const { return rewrite && type == 'D'; }
};

struct Result {
  proxy::RelayOutcome outcome;
  std::string forwarded;
  Recorder recorder;
};

// Writes `input` into the relay's source in chunks of random sizes, then closes it; collects
// what the relay forwards to its destination.
Result run_relay(const std::string& input, std::size_t buffer_size, std::uint32_t max_message, char stop_on,
                 unsigned seed, bool rewrite = false) {
  asio::io_context ctx(1);
  auto [src_writer, src] = connected_pair(ctx);
  auto [dst, dst_reader] = connected_pair(ctx);
  proxy::Stream from(std::move(src));
  proxy::Stream to(std::move(dst));
  Result result{{proxy::RelayEnd::kPeerClosed, {}}, {}, {}};
  result.recorder.stop_on = stop_on;
  result.recorder.rewrite = rewrite;
  proxy::RelayPosition position;
  asio::co_spawn(
      ctx,
      [&]() -> asio::awaitable<void> {
        result.outcome = co_await proxy::relay(from, to, proxy::IoBuffer{}, {buffer_size, max_message},
                                                result.recorder, position);
        to.close();
      },
      asio::detached);
  std::thread writer([&, s = std::move(src_writer)]() mutable {
    std::mt19937 rng(seed);
    std::size_t pos = 0;
    while (pos < input.size()) {
      std::size_t n = std::min<std::size_t>(input.size() - pos, 1 + rng() % 700);
      asio::error_code ec;
      asio::write(s, asio::buffer(input.data() + pos, n), ec);
      if (ec) break;
      pos += n;
    }
    asio::error_code ec;
    s.shutdown(asio::ip::tcp::socket::shutdown_send, ec);
    // keep the socket open until the relay has read everything
    char c;
    s.read_some(asio::buffer(&c, 1), ec);
  });
  std::thread reader([&, s = std::move(dst_reader)]() mutable {
    char buf[65536];
    for (;;) {
      asio::error_code ec;
      std::size_t n = s.read_some(asio::buffer(buf), ec);
      if (ec) break;
      result.forwarded.append(buf, n);
    }
  });
  ctx.run();
  reader.join();
  from.close();
  writer.join();
  return result;
}

}  // namespace

TEST_CASE("relay forwards every byte and sees every message, whatever the read boundaries") {
  std::string input;
  std::vector<char> expected;
  std::mt19937 rng(42);
  for (int i = 0; i < 2000; ++i) {
    const char type = "DTCZNA"[rng() % 6];
    input += message(type, std::string(rng() % 300, static_cast<char>('a' + i % 26)));
    expected.push_back(type);
  }
  for (unsigned seed : {1u, 2u, 3u}) {
    auto r = run_relay(input, 4096, 1 << 20, 0, seed);
    CHECK(r.outcome.end == proxy::RelayEnd::kPeerClosed);
    CHECK(r.forwarded == input);
    CHECK(r.recorder.types == expected);
  }
}

TEST_CASE("messages larger than the buffer are streamed through, not held") {
  const std::string big = message('D', std::string(100000, 'x'));
  const std::string input = message('T', "abc") + big + message('C', "SELECT 1") + message('Z', "I");
  auto r = run_relay(input, 4096, 1 << 20, 0, 7);
  CHECK(r.outcome.end == proxy::RelayEnd::kPeerClosed);
  CHECK(r.forwarded == input);
  REQUIRE(r.recorder.types == std::vector<char>{'T', 'D', 'C', 'Z'});
  CHECK(r.recorder.complete == std::vector<bool>{true, false, true, true});
}

TEST_CASE("the observer stops the relay after forwarding the message (Terminate)") {
  const std::string input = message('Q', std::string("select 1") + '\0') + message('X', "") + message('Q', "late");
  auto r = run_relay(input, 4096, 1 << 20, 'X', 3);
  CHECK(r.outcome.end == proxy::RelayEnd::kStopped);
  CHECK(r.forwarded == input.substr(0, input.size() - message('Q', "late").size()));
}

TEST_CASE("a bad length or an oversized message ends the relay with a protocol error after the good ones") {
  SECTION("length below 4") {
    const std::string good = message('Q', "ok");
    std::string bad = "Q";
    bad += std::string("\0\0\0\2", 4);
    auto r = run_relay(good + bad + "garbage", 4096, 1 << 20, 0, 5);
    CHECK(r.outcome.end == proxy::RelayEnd::kProtocolError);
    CHECK(r.forwarded == good);
  }
  SECTION("longer than max_message") {
    const std::string good = message('Q', "ok");
    auto r = run_relay(good + message('Q', std::string(5000, 'y')), 4096, 1024, 0, 6);
    CHECK(r.outcome.end == proxy::RelayEnd::kProtocolError);
    CHECK(r.forwarded == good);
  }
}

TEST_CASE("an observer rewrites and swallows whole messages; large ones are held whole, not streamed") {
  std::string input, expected;
  std::mt19937 rng(9);
  for (int i = 0; i < 500; ++i) {
    // Some rows are larger than the 4 KiB buffer: they must still reach the observer complete.
    const std::size_t size = i % 50 == 0 ? 20000 + rng() % 5000 : rng() % 200;
    const std::string body(size, static_cast<char>('a' + i % 26));
    input += message('T', "desc") + message('D', body) + message('S', "secret") + message('C', "SELECT 1");
    expected += message('T', "desc") + message('D', std::string(size, static_cast<char>('A' + i % 26))) +
                message('C', "SELECT 1");
  }
  for (unsigned seed : {11u, 12u}) {
    auto r = run_relay(input, 4096, 1 << 20, 0, seed, true);
    CHECK(r.outcome.end == proxy::RelayEnd::kPeerClosed);
    CHECK(r.forwarded == expected);
    CHECK(std::find(r.recorder.complete.begin(), r.recorder.complete.end(), false) == r.recorder.complete.end());
  }
}

TEST_CASE("a message that must be whole but exceeds max_message is a protocol error") {
  const std::string good = message('D', "ok");
  auto r = run_relay(good + message('D', std::string(5000, 'y')), 4096, 4096, 0, 13, true);
  CHECK(r.outcome.end == proxy::RelayEnd::kProtocolError);
  CHECK(r.forwarded == message('D', "OK"));
}
