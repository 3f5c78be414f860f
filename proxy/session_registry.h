// Live sessions, for the operations that reach across them: SIGTERM drain, grant revocation
// and expiry re-checks, `pgveil sessions`. Shared by every worker thread.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

namespace proxy {

class Session;

class SessionRegistry {
 public:
  void add(std::uint64_t id, std::weak_ptr<Session> session);
  void remove(std::uint64_t id);
  std::vector<std::shared_ptr<Session>> snapshot() const;
  std::shared_ptr<Session> find(std::uint64_t id) const;
  std::size_t size() const;

 private:
  mutable std::mutex mutex_;
  std::unordered_map<std::uint64_t, std::weak_ptr<Session>> sessions_;
};

}  // namespace proxy
