// Proxy-minted cancel keys (PROTOCOL.md rule 9). Each client session gets the upstream backend's
// real pid (so PQbackendPID, pg_backend_pid() and NotificationResponse agree, as without pgveil)
// and a random key of pgveil's own; the upstream key never reaches the client. A CancelRequest
// arriving on a new connection is matched here (key compared in constant time) to the upstream
// pid/key and the database to deliver it to. Two upstream servers may hand out the same pid, so
// one pid can hold several entries, told apart by their keys. Shared by all
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
  void forget(const MintedKey& minted);
  // The target if pid is known and the key matches; compared in constant time.
  std::optional<CancelTarget> find(std::int32_t pid, std::string_view key) const;
  std::size_t size() const;

 private:
  struct Entry {
    std::string key;
    CancelTarget target;
  };
  mutable std::mutex mutex_;
  std::unordered_multimap<std::int32_t, Entry> entries_;
};

}  // namespace proxy
