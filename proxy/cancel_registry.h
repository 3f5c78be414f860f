// Proxy-minted cancel keys (PROTOCOL.md rule 9). Each client session gets its own positive pid
// and random key; a CancelRequest arriving on a new connection is matched here (in constant
// time) to the upstream backend's pid/key and the database to deliver it to. Shared by all
// worker threads, hence the mutex; it is touched once per session start/end and per cancel.
#pragma once

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

namespace proxy {

struct CancelTarget {
  std::string database;        // config name, to find host/port/TLS
  std::int32_t upstream_pid = 0;
  std::string upstream_key;
};

struct MintedKey {
  std::int32_t pid = 0;
  std::string key;             // 4 bytes (protocol 3.0)
};

class CancelRegistry {
 public:
  MintedKey mint(CancelTarget target);
  void forget(std::int32_t pid);
  // The target if pid is known and the key matches; compared in constant time.
  std::optional<CancelTarget> find(std::int32_t pid, std::string_view key) const;
  std::size_t size() const;

 private:
  struct Entry {
    std::string key;
    CancelTarget target;
  };
  mutable std::mutex mutex_;
  std::unordered_map<std::int32_t, Entry> entries_;
};

}  // namespace proxy
