#include "proxy/cancel_registry.h"

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include <stdexcept>

namespace proxy {
namespace {

void random_bytes(void* out, std::size_t n) {
  if (RAND_bytes(static_cast<unsigned char*>(out), static_cast<int>(n)) != 1) {
    throw std::runtime_error("RAND_bytes failed");
  }
}

}  // namespace

MintedKey CancelRegistry::mint(CancelTarget target) {
  MintedKey minted;
  minted.key.resize(4);
  random_bytes(minted.key.data(), minted.key.size());
  std::lock_guard lock(mutex_);
  for (;;) {
    std::uint32_t raw = 0;
    random_bytes(&raw, sizeof raw);
    // Keep the pid positive: pg_basebackup and others broke on negative pids (pgbouncer's note).
    minted.pid = static_cast<std::int32_t>(raw & 0x7fffffffu);
    if (minted.pid != 0 && entries_.try_emplace(minted.pid, Entry{minted.key, std::move(target)}).second) {
      return minted;
    }
  }
}

void CancelRegistry::forget(std::int32_t pid) {
  std::lock_guard lock(mutex_);
  entries_.erase(pid);
}

std::optional<CancelTarget> CancelRegistry::find(std::int32_t pid, std::string_view key) const {
  std::lock_guard lock(mutex_);
  auto it = entries_.find(pid);
  if (it == entries_.end()) return std::nullopt;
  const std::string& expected = it->second.key;
  if (expected.size() != key.size() || CRYPTO_memcmp(expected.data(), key.data(), key.size()) != 0) {
    return std::nullopt;
  }
  return it->second.target;
}

std::size_t CancelRegistry::size() const {
  std::lock_guard lock(mutex_);
  return entries_.size();
}

}  // namespace proxy
