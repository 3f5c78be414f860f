// Shared helpers for the policy unit tests: a fake clock and a self-deleting temp directory.
#pragma once

#include <stdlib.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <string>

#include "policy/grant.h"

namespace policy_test {

using namespace std::chrono_literals;

// 2026-12-03T17:00:00Z: every test starts from the same instant.
inline policy::TimePoint base_time() {
  return policy::TimePoint(std::chrono::sys_days(std::chrono::year(2026) / 12 / 3)) + 17h;
}

// A manually advanced clock, for code that takes a policy::Now.
class FakeClock {
 public:
  explicit FakeClock(policy::TimePoint start = base_time()) : now_(start) {}
  policy::TimePoint now() const { return now_; }
  void advance(policy::Clock::duration by) { now_ += by; }
  policy::Now as_now() const {
    return [this] { return now_; };
  }

 private:
  policy::TimePoint now_;
};

class TempDir {
 public:
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "pgveil-policy-XXXXXX").string();
    if (mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  std::filesystem::path path() const { return path_; }
  std::string file(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

inline std::string read_bytes(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

}  // namespace policy_test
