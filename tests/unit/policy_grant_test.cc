#include <catch2/catch.hpp>

#include <set>

#include "policy/grant.h"
#include "policy/secret.h"
#include "policy/time_format.h"
#include "policy_test_support.h"

using namespace std::chrono_literals;
using policy::GrantState;
using policy_test::base_time;

namespace {

policy::Grant window(policy::TimePoint from, policy::TimePoint to) {
  policy::Grant grant;
  grant.id = 1;
  grant.person = "alice";
  grant.database = "prod";
  grant.role = "support";
  grant.not_before = from;
  grant.not_after = to;
  return grant;
}

}  // namespace

TEST_CASE("state_at: not_before is inclusive, not_after is exclusive", "[policy][grant]") {
  const auto start = base_time();
  const auto end = start + 1h;
  const auto grant = window(start, end);
  CHECK(policy::state_at(grant, start - 1ns) == GrantState::kScheduled);
  CHECK(policy::state_at(grant, start) == GrantState::kActive);
  CHECK(policy::state_at(grant, start + 30min) == GrantState::kActive);
  CHECK(policy::state_at(grant, end - 1ns) == GrantState::kActive);
  CHECK(policy::state_at(grant, end) == GrantState::kExpired);
  CHECK(policy::state_at(grant, end + 24h) == GrantState::kExpired);
}

TEST_CASE("state_at: a revoked grant stays revoked whatever the clock says", "[policy][grant]") {
  const auto start = base_time();
  auto grant = window(start, start + 1h);
  grant.revoked_at = start + 10min;
  grant.revoked_by = "bob";
  CHECK(policy::state_at(grant, start + 20min) == GrantState::kRevoked);
  // A proxy whose clock lags the revoking CLI must not re-admit (fail closed).
  CHECK(policy::state_at(grant, start + 5min) == GrantState::kRevoked);
  CHECK(policy::state_at(grant, start - 1h) == GrantState::kRevoked);
  CHECK(policy::state_at(grant, start + 2h) == GrantState::kRevoked);
}

TEST_CASE("to_string(GrantState)", "[policy][grant]") {
  CHECK(policy::to_string(GrantState::kScheduled) == "scheduled");
  CHECK(policy::to_string(GrantState::kActive) == "active");
  CHECK(policy::to_string(GrantState::kExpired) == "expired");
  CHECK(policy::to_string(GrantState::kRevoked) == "revoked");
}

TEST_CASE("format_time: UTC ISO-8601, seconds, truncated toward the past", "[policy][time]") {
  CHECK(policy::format_time(base_time()) == "2026-12-03T17:00:00Z");
  CHECK(policy::format_time(base_time() + 1h + 2min + 3s + 999ms) == "2026-12-03T18:02:03Z");
  CHECK(policy::format_time(policy::TimePoint{}) == "1970-01-01T00:00:00Z");
  CHECK(policy::format_time(policy::TimePoint{} - 1ns) == "1969-12-31T23:59:59Z");
  CHECK(policy::format_time(policy::TimePoint(std::chrono::sys_days(std::chrono::year(2028) / 2 / 29)) +
                            23h + 59min + 59s) == "2028-02-29T23:59:59Z");
}

TEST_CASE("format_duration: two largest units, never negative", "[policy][time]") {
  CHECK(policy::format_duration(-5s) == "0s");
  CHECK(policy::format_duration(0s) == "0s");
  CHECK(policy::format_duration(45s) == "45s");
  CHECK(policy::format_duration(5min) == "5m");
  CHECK(policy::format_duration(5min + 7s) == "5m 7s");
  CHECK(policy::format_duration(2h + 5min + 59s) == "2h 5m");
  CHECK(policy::format_duration(3h) == "3h");
  CHECK(policy::format_duration(std::chrono::days(3) + 4h + 59min) == "3d 4h");
  CHECK(policy::format_duration(std::chrono::days(2)) == "2d");
}

TEST_CASE("generate_secret: 192 random bits, URL-safe base64 without padding", "[policy][secret]") {
  std::set<std::string> seen;
  for (int i = 0; i < 200; ++i) {
    const std::string secret = policy::generate_secret();
    CHECK(secret.size() == 32);  // 24 bytes -> 32 base64 characters, so >= 128 bits
    CHECK(secret.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") ==
          std::string::npos);
    seen.insert(secret);
  }
  CHECK(seen.size() == 200);
  // Every alphabet position is reachable: over 200 * 32 characters each of the 64 symbols shows up
  // (a broken encoder that, say, never emits '-' or '_' fails this; chance of a false failure is
  // about 64 * (63/64)^6400, i.e. nil).
  std::set<char> symbols;
  for (const auto& secret : seen) symbols.insert(secret.begin(), secret.end());
  CHECK(symbols.size() == 64);
}
