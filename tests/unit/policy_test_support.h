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
#include "policy/workflow.h"
#include "temp_dir.h"

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

using TempDir = unit_test::TempDir;

inline std::string read_bytes(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// The people of the workflow tests: requesters in engineering, approvers in oncall-leads.
inline const policy::Actor kAlice{"alice", {"engineering"}, false};
inline const policy::Actor kBob{"bob", {"engineering", "oncall-leads"}, false};
inline const policy::Actor kCarol{"carol", {"oncall-leads"}, false};
inline const policy::Actor kDave{"dave", {"sales"}, false};
inline const policy::Actor kAdmin{"admin", {}, true};

}  // namespace policy_test
