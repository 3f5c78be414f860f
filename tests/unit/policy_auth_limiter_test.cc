#include <catch2/catch.hpp>

#include "policy/auth_limiter.h"
#include "policy_test_support.h"

using namespace std::chrono_literals;
using policy_test::base_time;

TEST_CASE("auth limiter: a burst of failures, then one attempt per refill period", "[policy][limiter]") {
  policy::AuthLimiter limiter({3, 10s, 100});
  const auto t0 = base_time();
  for (int i = 0; i < 3; ++i) {
    CHECK_FALSE(limiter.check("alice", "10.0.0.1", t0).has_value());
    limiter.failed("alice", "10.0.0.1", t0);
  }
  auto wait = limiter.check("alice", "10.0.0.1", t0);
  REQUIRE(wait.has_value());
  CHECK(*wait == 10s);
  CHECK(*limiter.check("alice", "10.0.0.1", t0 + 4s) == 6s);
  CHECK_FALSE(limiter.check("alice", "10.0.0.1", t0 + 10s).has_value());
  // Other people and other addresses are not affected.
  CHECK_FALSE(limiter.check("bob", "10.0.0.1", t0).has_value());
  CHECK_FALSE(limiter.check("alice", "10.0.0.2", t0).has_value());
  // One failure after the refill empties the bucket again.
  limiter.failed("alice", "10.0.0.1", t0 + 10s);
  CHECK(limiter.check("alice", "10.0.0.1", t0 + 10s).has_value());
  // A clock step backwards gives nothing back.
  CHECK(limiter.check("alice", "10.0.0.1", t0).has_value());
  // Success forgets the bucket.
  limiter.succeeded("alice", "10.0.0.1");
  CHECK_FALSE(limiter.check("alice", "10.0.0.1", t0 + 10s).has_value());
  CHECK(limiter.keys() == 0);
}

TEST_CASE("auth limiter: memory is bounded", "[policy][limiter]") {
  policy::AuthLimiter limiter({2, 10s, 50});
  for (int i = 0; i < 500; ++i) limiter.failed("x", "10.0.0." + std::to_string(i), base_time());
  CHECK(limiter.keys() <= 50);
}
