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
  minted.pid = target.upstream_pid;
  minted.key.resize(4);
  std::lock_guard lock(mutex_);
  for (;;) {
    random_bytes(minted.key.data(), minted.key.size());
    auto [first, last] = entries_.equal_range(minted.pid);
    bool taken = false;
    for (auto it = first; it != last; ++it) taken = taken || it->second.key == minted.key;
    if (!taken) break;
  }
  entries_.emplace(minted.pid, Entry{minted.key, std::move(target)});
  return minted;
}

void CancelRegistry::forget(const MintedKey& minted) {
  std::lock_guard lock(mutex_);
  auto [first, last] = entries_.equal_range(minted.pid);
  for (auto it = first; it != last; ++it) {
    if (it->second.key == minted.key) {
      entries_.erase(it);
      return;
    }
  }
}

std::optional<CancelTarget> CancelRegistry::find(std::int32_t pid, std::string_view key) const {
  std::lock_guard lock(mutex_);
  auto [first, last] = entries_.equal_range(pid);
  std::optional<CancelTarget> found;
  for (auto it = first; it != last; ++it) {
    const std::string& expected = it->second.key;
    if (expected.size() == key.size() && CRYPTO_memcmp(expected.data(), key.data(), key.size()) == 0) {
      found = it->second.target;
    }
  }
  return found;
}

std::size_t CancelRegistry::size() const {
  std::lock_guard lock(mutex_);
  return entries_.size();
}

}  // namespace proxy
