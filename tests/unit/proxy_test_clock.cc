// The test clock (proxy/test_clock.h): its file format, its two-key activation, and readings that
// follow the file.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "proxy/test_clock.h"

using proxy::parse_clock_offset;
using proxy::test_clock_file;

TEST_CASE("test clock: offset file format", "[proxy][clock]") {
  CHECK(parse_clock_offset("7200\n") == 7200);
  CHECK(parse_clock_offset("+60") == 60);
  CHECK(parse_clock_offset("-30\r\n") == -30);
  CHECK(parse_clock_offset("0") == 0);
  CHECK_FALSE(parse_clock_offset("").has_value());
  CHECK_FALSE(parse_clock_offset("2h").has_value());
  CHECK_FALSE(parse_clock_offset("1 2").has_value());
  CHECK_FALSE(parse_clock_offset("99999999999999").has_value());   // out of system_clock's range
  CHECK_THAT(parse_clock_offset("soon").error(), Catch::Contains("\"soon\" is not a whole number of seconds"));
}

TEST_CASE("test clock: both the flag and the variable, or neither", "[proxy][clock]") {
  CHECK(test_clock_file(false, nullptr) == std::string());
  CHECK(test_clock_file(true, "/tmp/clock") == std::string("/tmp/clock"));
  const auto env_only = test_clock_file(false, "/tmp/clock");
  REQUIRE_FALSE(env_only.has_value());
  CHECK_THAT(env_only.error(), Catch::Contains("PGVEIL_TEST_CLOCK_FILE is set but `serve --test-clock` was not given"));
  const auto flag_only = test_clock_file(true, nullptr);
  REQUIRE_FALSE(flag_only.has_value());
  CHECK_THAT(flag_only.error(), Catch::Contains("--test-clock needs PGVEIL_TEST_CLOCK_FILE"));
  CHECK_FALSE(test_clock_file(true, "").has_value());
}

TEST_CASE("test clock: readings follow the file, a bad file keeps the last offset", "[proxy][clock]") {
  const auto path = std::filesystem::temp_directory_path() / ("pgveil-clock-unit-" + std::to_string(::getpid()));
  const auto write = [&path](const char* text) { std::ofstream(path) << text; };
  const auto offset_of = [](proxy::TestClock& clock) {
    return std::chrono::round<std::chrono::minutes>(clock.now() - policy::Clock::now()).count();
  };
  proxy::TestClock clock(path.string());
  CHECK(offset_of(clock) == 0);   // no file yet: offset 0
  write("7200\n");
  CHECK(offset_of(clock) == 120);
  write("-3600");
  CHECK(offset_of(clock) == -60);
  write("garbage");
  CHECK(offset_of(clock) == -60);
  std::filesystem::remove(path);
  CHECK(offset_of(clock) == -60);
  write("60");
  CHECK(offset_of(clock) == 1);
  std::filesystem::remove(path);
}
