#include "policy/auth_limiter.h"

#include <algorithm>
#include <cmath>

namespace policy {

std::string AuthLimiter::key_of(std::string_view person, std::string_view source) {
  std::string key(person);
  key += '\0';  // cannot occur in a PostgreSQL user name, so keys never collide
  key += source;
  return key;
}

void AuthLimiter::refill(Bucket& bucket, TimePoint now) const {
  if (now <= bucket.updated) return;  // a clock step backwards gives nothing back
  const double elapsed = std::chrono::duration<double>(now - bucket.updated).count();
  bucket.tokens = std::min(options_.burst, bucket.tokens + elapsed / static_cast<double>(options_.refill.count()));
  bucket.updated = now;
}

std::optional<std::chrono::seconds> AuthLimiter::check(std::string_view person, std::string_view source,
                                                       TimePoint now) {
  std::lock_guard lock(mutex_);
  auto it = buckets_.find(key_of(person, source));
  if (it == buckets_.end()) return std::nullopt;
  refill(it->second, now);
  if (it->second.tokens >= 1.0) return std::nullopt;
  const double missing = 1.0 - it->second.tokens;
  return std::chrono::seconds(static_cast<std::int64_t>(std::ceil(missing * static_cast<double>(options_.refill.count()))));
}

void AuthLimiter::failed(std::string_view person, std::string_view source, TimePoint now) {
  std::lock_guard lock(mutex_);
  if (buckets_.size() >= options_.max_keys) prune(now);
  auto [it, added] = buckets_.try_emplace(key_of(person, source), Bucket{options_.burst, now});
  refill(it->second, now);
  it->second.tokens = std::max(0.0, it->second.tokens - 1.0);
}

void AuthLimiter::succeeded(std::string_view person, std::string_view source) {
  std::lock_guard lock(mutex_);
  buckets_.erase(key_of(person, source));
}

std::size_t AuthLimiter::keys() const {
  std::lock_guard lock(mutex_);
  return buckets_.size();
}

void AuthLimiter::prune(TimePoint now) {
  // Full buckets carry no state; if that is not enough, forget everything rather than grow
  // without bound (an attacker spraying source addresses must not exhaust memory).
  for (auto it = buckets_.begin(); it != buckets_.end();) {
    refill(it->second, now);
    it = it->second.tokens >= options_.burst ? buckets_.erase(it) : std::next(it);
  }
  if (buckets_.size() >= options_.max_keys) buckets_.clear();
}

}  // namespace policy
