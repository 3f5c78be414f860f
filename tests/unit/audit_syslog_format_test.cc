// RFC 5424 formatting of audit events (the sink itself is tested over real sockets in
// tests/integration/audit_syslog_sink_test.cc).
#include <catch2/catch.hpp>

#include "audit/event.h"
#include "audit/syslog_format.h"
#include "audit/syslog_sink.h"

namespace {

const audit::TimePoint kTime = *audit::parse_time("2026-12-03T21:38:00.123Z");

}  // namespace

TEST_CASE("syslog: header fields, structured data and the event as MSG", "[audit][syslog]") {
  audit::SyslogHeader header{10, "db-proxy-1", "pgveil", "4242"};
  audit::Refusal refusal{{7, "alice", 12, "support", "prod"}, "10.0.0.5:1", "statement", "role support: read-only",
                         "25006", "refused", std::nullopt};
  const auto line = audit::to_line(audit::Event(refusal, kTime));
  const auto msg = audit::format_rfc5424(header, line);
  REQUIRE(msg);
  // authpriv (10) * 8 + warning (4) = 84
  CHECK(*msg == "<84>1 2026-12-03T21:38:00.123Z db-proxy-1 pgveil 4242 refusal [pgveil@32473 session=\"7\" "
                "person=\"alice\" grant=\"12\" role=\"support\" database=\"prod\" sqlstate=\"25006\"] \xEF\xBB\xBF" +
                    line);
}

TEST_CASE("syslog: severity by event type, facilities by name", "[audit][syslog]") {
  CHECK(audit::syslog_severity("auth_failure") == 4);
  CHECK(audit::syslog_severity("grant_approved") == 5);
  CHECK(audit::syslog_severity("session_start") == 5);
  CHECK(audit::syslog_severity("token_revoked") == 5);
  CHECK(audit::syslog_severity("statement") == 6);
  CHECK(audit::syslog_facility("local0") == 16);
  CHECK(audit::syslog_facility("authpriv") == 10);
  CHECK_FALSE(audit::syslog_facility("local8"));
}

TEST_CASE("syslog: values that would break the format are escaped or replaced", "[audit][syslog]") {
  audit::SyslogHeader header{16, "", "pg veil", ""};
  audit::AuthFailure failure{"a\"b]c\\d", "prod", "1.2.3.4:5", std::nullopt, "scram-sha-256", "wrong", "28P01"};
  const auto msg = audit::format_rfc5424(header, audit::to_line(audit::Event(failure, kTime)));
  REQUIRE(msg);
  CHECK(msg->starts_with("<132>1 2026-12-03T21:38:00.123Z - pg_veil - auth_failure [pgveil@32473 "));
  CHECK_THAT(*msg, Catch::Contains(R"(person="a\"b\]c\\d")"));
  CHECK_THAT(*msg, !Catch::Contains("grant="));  // null: left out
  CHECK_FALSE(audit::format_rfc5424(header, "not json"));
  CHECK_FALSE(audit::format_rfc5424(header, R"({"type":"statement"})"));
}

TEST_CASE("syslog: UDP targets from the config", "[audit][syslog]") {
  audit::SyslogSinkOptions o;
  REQUIRE(audit::set_udp_target(o, "collector.internal:1514"));
  CHECK(o.host == "collector.internal");
  CHECK(o.port == 1514);
  REQUIRE(audit::set_udp_target(o, "10.0.0.1"));
  CHECK(o.port == 514);
  REQUIRE(audit::set_udp_target(o, "[::1]:5514"));
  CHECK(o.host == "::1");
  CHECK(o.port == 5514);
  CHECK_FALSE(audit::set_udp_target(o, "::1:514"));
  CHECK_FALSE(audit::set_udp_target(o, "host:0"));
  CHECK_FALSE(audit::set_udp_target(o, "host:http"));
  CHECK_FALSE(audit::set_udp_target(o, ":514"));
}
