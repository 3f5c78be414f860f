#include "proxy/wire/scram_cache.h"

#include <openssl/crypto.h>

#include <algorithm>

#include "proxy/wire/scram_common.h"

namespace pgwire::scram {

SaltedPasswordCache::~SaltedPasswordCache() {
  for (auto& e : entries_) detail::cleanse(e.salted.data(), e.salted.size());
}

std::string SaltedPasswordCache::id_of(std::string_view prepared, std::string_view salt, int iterations) {
  const auto digest = detail::sha256({reinterpret_cast<const std::uint8_t*>(prepared.data()), prepared.size()});
  std::string id;
  if (!digest) return id;   // never matches: an empty id is not stored
  id.append(reinterpret_cast<const char*>(digest->data()), digest->size());
  id.append(std::to_string(iterations)).push_back(':');
  id.append(salt);
  return id;
}

std::optional<Key> SaltedPasswordCache::find(std::string_view prepared, std::string_view salt, int iterations) const {
  const std::string id = id_of(prepared, salt, iterations);
  if (id.empty()) return std::nullopt;
  std::lock_guard lock(mutex_);
  for (const auto& e : entries_) {
    if (e.id.size() == id.size() && CRYPTO_memcmp(e.id.data(), id.data(), id.size()) == 0) return e.salted;
  }
  return std::nullopt;
}

void SaltedPasswordCache::store(std::string_view prepared, std::string_view salt, int iterations, const Key& salted) {
  std::string id = id_of(prepared, salt, iterations);
  if (id.empty() || capacity_ == 0) return;
  std::lock_guard lock(mutex_);
  if (std::any_of(entries_.begin(), entries_.end(), [&](const Entry& e) { return e.id == id; })) return;
  if (entries_.size() == capacity_) {
    detail::cleanse(entries_.front().salted.data(), kKeyLength);
    entries_.pop_front();
  }
  entries_.push_back({std::move(id), salted});
}

std::size_t SaltedPasswordCache::size() const {
  std::lock_guard lock(mutex_);
  return entries_.size();
}

}  // namespace pgwire::scram
