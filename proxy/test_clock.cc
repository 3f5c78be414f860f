#include "proxy/test_clock.h"

#include <charconv>
#include <fstream>
#include <sstream>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

namespace proxy {

std::expected<std::int64_t, std::string> parse_clock_offset(std::string_view text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' ')) text.remove_suffix(1);
  if (!text.empty() && text.front() == '+') text.remove_prefix(1);
  std::int64_t seconds = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), seconds);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size()) {
    return std::unexpected(fmt::format("\"{}\" is not a whole number of seconds", text));
  }
  // Far enough for any test (about 300 years); beyond it system_clock's nanoseconds overflow.
  constexpr std::int64_t kLimit = 10'000'000'000;
  if (seconds > kLimit || seconds < -kLimit) return std::unexpected(fmt::format("{} seconds is out of range", seconds));
  return seconds;
}

policy::TimePoint TestClock::now() {
  std::ifstream in(path_);
  std::stringstream text;
  text << in.rdbuf();
  std::expected<std::int64_t, std::string> offset = std::unexpected(std::string("cannot read the file"));
  if (in) offset = parse_clock_offset(text.str());
  if (offset) {
    offset_seconds_ = *offset;
    complained_ = false;
  } else if (!complained_.exchange(true)) {
    spdlog::error("test clock {}: {}; keeping the offset of {} s", path_, offset.error(), offset_seconds_.load());
  }
  return policy::Clock::now() + std::chrono::seconds(offset_seconds_.load());
}

std::expected<std::string, std::string> test_clock_file(bool flag, const char* env_value) {
  const bool env_set = env_value != nullptr;
  if (!flag && !env_set) return std::string();
  if (!flag) {
    return std::unexpected(fmt::format(
        "{} is set but `serve --test-clock` was not given. The test clock exists for pgveil's own tests: "
        "whoever can write that file decides when grants start and end. Unset {} to run pgveil.",
        kTestClockEnv, kTestClockEnv));
  }
  if (!env_set || *env_value == '\0') {
    return std::unexpected(fmt::format("--test-clock needs {} to name the clock file (pgveil's tests only)", kTestClockEnv));
  }
  return std::string(env_value);
}

}  // namespace proxy
