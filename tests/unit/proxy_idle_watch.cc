// IdleWatch: when a session is idle (no client message and no request running for the limit),
// and when its one timer looks again.
#include <catch2/catch.hpp>

#include "proxy/idle_watch.h"

namespace {

using namespace std::chrono_literals;
using proxy::IdleWatch;

const IdleWatch::Clock::time_point t0{std::chrono::hours(1)};

TEST_CASE("a session with no activity since the start is idle once the limit has passed") {
  IdleWatch idle(1000ms, t0);
  REQUIRE(idle.enabled());
  CHECK(idle.deadline() == t0 + 1000ms);
  CHECK(idle.check(t0 + 1000ms, false) == std::nullopt);
  CHECK(idle.check(t0 + 5000ms, false) == std::nullopt);
}

TEST_CASE("activity before the deadline moves the next check to the limit after it") {
  IdleWatch idle(1000ms, t0);
  idle.touch(t0 + 400ms);   // a client message
  const auto next = idle.check(t0 + 1000ms, false);
  REQUIRE(next.has_value());
  CHECK(*next == t0 + 1400ms);
  CHECK(idle.check(t0 + 1400ms, false) == std::nullopt);
}

TEST_CASE("a running request is never idle, however long it runs") {
  IdleWatch idle(1000ms, t0);
  idle.touch(t0 + 100ms);   // the Query
  auto next = idle.check(t0 + 1100ms, true);
  REQUIRE(next.has_value());
  CHECK(*next == t0 + 2100ms);
  CHECK(idle.check(t0 + 60s, true).has_value());
  // Its answer (ReadyForQuery) starts the idle period: idle only a limit after that.
  idle.touch(t0 + 60s);
  next = idle.check(t0 + 60s + 500ms, false);
  REQUIRE(next.has_value());
  CHECK(*next == t0 + 61s);
  CHECK(idle.check(t0 + 61s, false) == std::nullopt);
}

TEST_CASE("no limit: disabled, and touch() without a time leaves it alone") {
  IdleWatch idle(0ms, t0);
  CHECK_FALSE(idle.enabled());
  idle.touch();
  CHECK(idle.deadline() == t0);
}

}  // namespace
