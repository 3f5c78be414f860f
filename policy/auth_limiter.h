// Failed client authentications are rate-limited per (person, source address) (issue #3): a
// token bucket per key; each failure takes a token, tokens come back at a steady rate, and while
// the bucket is empty the next attempt is refused before any secret is checked — so guessing a
// grant secret online costs the attacker time, while a person who mistyped gets a few tries.
//
// No I/O; the caller passes the clock reading. Thread-safe (sessions on every worker share it).
#pragma once

#include <chrono>
#include <cstddef>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "policy/grant.h"

namespace policy {

class AuthLimiter {
 public:
  struct Options {
    double burst = 5;                        // failures allowed in a row
    std::chrono::seconds refill{12};         // one more allowed per this much time
    std::size_t max_keys = 100'000;          // memory bound; full buckets are dropped first
  };
  AuthLimiter() : AuthLimiter(Options{}) {}
  explicit AuthLimiter(Options options) : options_(options) {}

  // nullopt: the attempt may go ahead. Otherwise how long to wait before the next one.
  std::optional<std::chrono::seconds> check(std::string_view person, std::string_view source, TimePoint now);
  // A failed authentication: takes one token.
  void failed(std::string_view person, std::string_view source, TimePoint now);
  // A successful one: the bucket is forgotten (a person who got in is not a guesser).
  void succeeded(std::string_view person, std::string_view source);

  std::size_t keys() const;

 private:
  struct Bucket {
    double tokens;
    TimePoint updated;
  };
  static std::string key_of(std::string_view person, std::string_view source);
  void refill(Bucket& bucket, TimePoint now) const;
  void prune(TimePoint now);

  Options options_;
  mutable std::mutex mutex_;
  std::unordered_map<std::string, Bucket> buckets_;
};

}  // namespace policy
