// A cache of SCRAM SaltedPassword values for pgveil's upstream logins.
//
// Hi(password, salt, i) is 4096 rounds of HMAC-SHA-256 by default: about 2 ms of CPU for every
// upstream login, most of a new session's cost. The upstream answers the same salt and
// iteration count for a role until its password changes, so the result can be reused, as
// pgbouncer does with its cached SCRAM keys. Entries are keyed by a digest of the password (the
// password itself is not kept) with the salt and the count; a changed password or salt misses.
// Thread-safe; bounded (oldest entry dropped first).
#pragma once

#include <cstddef>
#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "proxy/wire/scram.h"

namespace pgwire::scram {

class SaltedPasswordCache {
 public:
  explicit SaltedPasswordCache(std::size_t capacity = 256) : capacity_(capacity) {}
  ~SaltedPasswordCache();
  SaltedPasswordCache(const SaltedPasswordCache&) = delete;
  SaltedPasswordCache& operator=(const SaltedPasswordCache&) = delete;

  // `prepared` is the SASLprep'ed password.
  std::optional<Key> find(std::string_view prepared, std::string_view salt, int iterations) const;
  void store(std::string_view prepared, std::string_view salt, int iterations, const Key& salted);
  std::size_t size() const;

 private:
  struct Entry {
    std::string id;   // digest(password) + salt + iterations
    Key salted;
  };
  static std::string id_of(std::string_view prepared, std::string_view salt, int iterations);

  std::size_t capacity_;
  mutable std::mutex mutex_;
  std::deque<Entry> entries_;
};

}  // namespace pgwire::scram
