// Durations, sizes and endpoints as written in pgveil.yaml.
#include <catch2/catch.hpp>

#include "proxy/config/config.h"

using namespace std::chrono_literals;

TEST_CASE("parse_duration accepts every unit and combinations from the largest down", "[config]") {
  struct Case {
    std::string_view text;
    std::chrono::milliseconds expected;
  };
  const Case cases[] = {
      {"0", 0ms},          {"0s", 0ms},          {"500ms", 500ms},       {"90s", 90s},
      {"15m", 15min},      {"4h", 4h},           {"2d", 48h},            {"1h30m", 90min},
      {"1d12h", 36h},      {"1m30s500ms", 90500ms}, {" 5s ", 5s},        {"1d1h1m1s1ms", 90061001ms},
      {"3600s", 1h},       {"007s", 7s},
  };
  for (const auto& c : cases) {
    INFO(c.text);
    auto parsed = proxy::parse_duration(c.text);
    REQUIRE(parsed.has_value());
    CHECK(*parsed == c.expected);
  }
}

TEST_CASE("parse_duration refuses ambiguous or malformed input with a helpful message", "[config]") {
  struct Case {
    std::string_view text;
    std::string_view message_part;
  };
  const Case cases[] = {
      {"", "empty duration"},
      {"4x", "'4x' is not a duration (use 30s, 15m, 4h, 1h30m)"},
      {"90", "'90' needs a unit: 90ms, 90s, 90m, 90h or 90d"},
      {"1.5h", "not a duration"},
      {"-5s", "not a duration"},
      {"1h 30m", "not a duration"},
      {"1h30", "not a duration"},
      {"30m1h", "from the largest down"},
      {"1h1h", "from the largest down"},
      {"5s5ms5s", "from the largest down"},
      {"h", "not a duration"},
      {"ms5", "not a duration"},
      {"5S", "not a duration"},
      {"5 s", "not a duration"},
      {"99999999999999999999s", "too long"},
      {"200000000000d", "too long"},
  };
  for (const auto& c : cases) {
    INFO(c.text);
    auto parsed = proxy::parse_duration(c.text);
    REQUIRE_FALSE(parsed.has_value());
    CHECK_THAT(parsed.error(), Catch::Contains(std::string(c.message_part)));
  }
}

TEST_CASE("format_duration writes what parse_duration reads back", "[config]") {
  for (std::chrono::milliseconds d : {0ms, 1ms, 999ms, 1000ms, 5400000ms, 129600000ms, 90061001ms}) {
    const std::string text = proxy::format_duration(d);
    INFO(text);
    auto back = proxy::parse_duration(text);
    REQUIRE(back.has_value());
    CHECK(*back == d);
  }
  CHECK(proxy::format_duration(90min) == "1h30m");
  CHECK(proxy::format_duration(500ms) == "500ms");
}

TEST_CASE("parse_size is 1024-based like PostgreSQL and takes plain bytes", "[config]") {
  struct Case {
    std::string_view text;
    std::uint64_t expected;
  };
  const Case cases[] = {
      {"65536", 65536},          {"0", 0},
      {"10B", 10},               {"64KiB", 64u << 10},
      {"64KB", 64u << 10},       {"64kB", 64u << 10},
      {"64K", 64u << 10},        {"256MB", 256u << 20},
      {"256MiB", 256u << 20},    {"1GiB", 1u << 30},
      {"1GB", 1u << 30},         {"1 GiB", 1u << 30},
      {"2TB", 2ull << 40},       {"64mb", 64u << 20},
      {"18446744073709551615", 18446744073709551615ull},
  };
  for (const auto& c : cases) {
    INFO(c.text);
    auto parsed = proxy::parse_size(c.text);
    REQUIRE(parsed.has_value());
    CHECK(*parsed == c.expected);
  }
}

TEST_CASE("parse_size refuses malformed and overflowing sizes", "[config]") {
  struct Case {
    std::string_view text;
    std::string_view message_part;
  };
  const Case cases[] = {
      {"", "empty size"},
      {"64XB", "'64XB' is not a size (use 65536, 64KiB, 256MB, 1GiB)"},
      {"1.5GB", "not a size"},
      {"-1", "not a size"},
      {"MB", "not a size"},
      {"64 M B", "not a size"},
      {"64Mbit", "not a size"},
      {"99999999999TB", "too large"},
      {"18446744073709551616", "too large"},
  };
  for (const auto& c : cases) {
    INFO(c.text);
    auto parsed = proxy::parse_size(c.text);
    REQUIRE_FALSE(parsed.has_value());
    CHECK_THAT(parsed.error(), Catch::Contains(std::string(c.message_part)));
  }
}

TEST_CASE("format_size is exact", "[config]") {
  CHECK(proxy::format_size(64u << 20) == "64MiB");
  CHECK(proxy::format_size(1536u << 10) == "1536KiB");
  CHECK(proxy::format_size(1000) == "1000B");
  CHECK(proxy::format_size(0) == "0B");
}

TEST_CASE("parse_endpoint reads host:port, bracketed IPv6, :port and a bare port", "[config]") {
  struct Case {
    std::string_view text;
    std::string host;
    std::uint16_t port;
  };
  const Case cases[] = {
      {"0.0.0.0:6432", "0.0.0.0", 6432},
      {"db1.internal:5432", "db1.internal", 5432},
      {"[::1]:6432", "::1", 6432},
      {"[fe80::1%eth0]:7000", "fe80::1%eth0", 7000},
      {":7432", "127.0.0.1", 7432},  // keeps the default (loopback) host
      {"7432", "127.0.0.1", 7432},
      {"localhost:1", "localhost", 1},
      {"localhost:65535", "localhost", 65535},
  };
  for (const auto& c : cases) {
    INFO(c.text);
    auto parsed = proxy::parse_endpoint(c.text);
    REQUIRE(parsed.has_value());
    CHECK(parsed->host == c.host);
    CHECK(parsed->port == c.port);
  }
}

TEST_CASE("parse_endpoint refuses addresses without a valid port or with bare IPv6", "[config]") {
  struct Case {
    std::string_view text;
    std::string_view message_part;
  };
  const Case cases[] = {
      {"", "empty address"},
      {"localhost", "has no port"},
      {"localhost:", "port (1..65535)"},
      {"localhost:0", "port (1..65535)"},
      {"localhost:65536", "port (1..65535)"},
      {"localhost:64x", "port (1..65535)"},
      {"0", "not a port"},
      {"99999", "not a port"},
      {"::1:6432", "brackets"},
      {"[::1]", "needs a port"},
      {"[::1:6432", "no closing ']'"},
      {"[]:6432", "empty host"},
      {"local host:1", "spaces"},
  };
  for (const auto& c : cases) {
    INFO(c.text);
    auto parsed = proxy::parse_endpoint(c.text);
    REQUIRE_FALSE(parsed.has_value());
    CHECK_THAT(parsed.error(), Catch::Contains(std::string(c.message_part)));
  }
}

TEST_CASE("upstream TLS modes use libpq's sslmode names", "[config]") {
  using proxy::UpstreamTlsMode;
  for (auto mode : {UpstreamTlsMode::kDisable, UpstreamTlsMode::kPrefer, UpstreamTlsMode::kRequire,
                    UpstreamTlsMode::kVerifyCa, UpstreamTlsMode::kVerifyFull}) {
    auto back = proxy::parse_upstream_tls_mode(proxy::to_string(mode));
    REQUIRE(back.has_value());
    CHECK(*back == mode);
  }
  CHECK(proxy::to_string(UpstreamTlsMode::kVerifyFull) == "verify-full");
  CHECK_FALSE(proxy::parse_upstream_tls_mode("allow").has_value());  // libpq has it; we do not
  CHECK_FALSE(proxy::parse_upstream_tls_mode("VERIFY-FULL").has_value());
}

TEST_CASE("ConfigProblem::to_string is file:line:column: message", "[config]") {
  CHECK(proxy::ConfigProblem{"pgveil.yaml", 12, 5, "roles.x: bad"}.to_string() ==
        "pgveil.yaml:12:5: roles.x: bad");
  CHECK(proxy::ConfigProblem{"pgveil.yaml", 12, 0, "m"}.to_string() == "pgveil.yaml:12: m");
  CHECK(proxy::ConfigProblem{"pgveil.yaml", 0, 0, "m"}.to_string() == "pgveil.yaml: m");
}
