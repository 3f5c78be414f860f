// The test clock: lets pgveil's integration tests move the proxy's wall clock forward so that a
// 2-hour grant expires in seconds (issue #3, "injectable clock so hours take seconds").
//
// TEST ONLY. It is active only when BOTH `pgveil serve --test-clock` is given AND the
// environment variable PGVEIL_TEST_CLOCK_FILE names a file; either one alone stops start-up
// (exit 2). Whoever can write that file decides when grants start and end, so it must never be
// switched on by something that travels silently: an environment variable is inherited from
// shells, unit files and container images, so it alone is an error rather than ignored (nobody
// should believe a test clock is running when it is not, or the reverse); the flag is hidden from
// --help and visible in the command line (ps, unit files). When active, start-up logs a warning.
//
// The file holds one signed integer: seconds added to the system clock ("7200" = two hours
// ahead). It is re-read at every clock reading, so a test writes a new offset and the next
// admission, API call or grant-watcher pass (every 250 ms) sees it. A file that cannot be read or
// parsed keeps the last good offset and logs why.
#pragma once

#include <atomic>
#include <cstdint>
#include <expected>
#include <string>

#include "policy/grant.h"

namespace proxy {

inline constexpr const char* kTestClockEnv = "PGVEIL_TEST_CLOCK_FILE";

class TestClock {
 public:
  explicit TestClock(std::string path) : path_(std::move(path)) {}
  policy::TimePoint now();
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  std::atomic<std::int64_t> offset_seconds_{0};
  std::atomic<bool> complained_{false};   // one log line per run of bad reads, not one per reading
};

// The offset in a test clock file ("-30", "7200\n"); an error says what is wrong.
std::expected<std::int64_t, std::string> parse_clock_offset(std::string_view text);

// Decides from `pgveil serve --test-clock` and $PGVEIL_TEST_CLOCK_FILE (null: unset): the file to
// use, "" when neither is given, or the usage error when only one is.
std::expected<std::string, std::string> test_clock_file(bool flag, const char* env_value);

}  // namespace proxy
