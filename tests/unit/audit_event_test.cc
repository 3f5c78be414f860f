#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "audit/event.h"
#include "audit/time_format.h"

using namespace std::chrono_literals;
using nlohmann::json;

namespace {

const audit::TimePoint kTime = audit::TimePoint(std::chrono::sys_days(std::chrono::year(2026) / 12 / 3)) + 21h + 38min + 123ms;

audit::SessionRef alice() { return {7, "alice", 12, "support", "prod"}; }

nlohmann::ordered_json parsed(const audit::Event& event) {
  const std::string line = audit::to_line(event);
  CHECK(line.find('\n') == std::string::npos);
  return nlohmann::ordered_json::parse(line);
}

}  // namespace

TEST_CASE("time format round-trips at millisecond precision", "[audit][event]") {
  CHECK(audit::format_time(kTime) == "2026-12-03T21:38:00.123Z");
  CHECK(audit::parse_time("2026-12-03T21:38:00.123Z") == kTime);
  CHECK(audit::parse_time("2026-12-03T21:38:00Z") == kTime - 123ms);
  CHECK_FALSE(audit::parse_time("2026-12-03 21:38:00Z"));
  CHECK_FALSE(audit::parse_time("2026-02-30T00:00:00Z"));
  CHECK_FALSE(audit::parse_time("2999-01-01T00:00:00Z"));  // beyond system_clock's nanoseconds
}

TEST_CASE("every event type serializes to one JSON object with type and time first", "[audit][event]") {
  audit::Statement statement{alice(), 3, "extended", "s1", audit::analyze_statement("SELECT * FROM t WHERE id = 5"),
                             {std::string("***"), std::nullopt}, 2};
  audit::StatementDone done{alice(), 3, 1500us, 5, 320, {{"customers.email", 5}}, "SELECT 5", std::nullopt};
  const std::vector<std::pair<audit::EventBody, std::string>> cases = {
      {audit::SessionStart{alice(), "10.0.0.5:51234", "TLSv1.3", "psql"}, "session_start"},
      {audit::SessionEnd{alice(), 90s, 4, 1, 20, 800, 4000, "client terminated"}, "session_end"},
      {audit::AuthFailure{"mallory", "prod", "10.0.0.9:4000", std::nullopt, "scram-sha-256", "wrong password", "28P01"},
       "auth_failure"},
      {audit::Refusal{alice(), "10.0.0.5:51234", "statement", "role support: read-only", "25006", "refused", std::nullopt},
       "refusal"},
      {statement, "statement"},
      {done, "statement_done"},
      {audit::GrantEvent{audit::GrantAction::kApproved, 12, "alice", "prod", "support", "bob", "INC-1", kTime, kTime + 1h},
       "grant_approved"},
      {audit::GrantEvent{audit::GrantAction::kExpired, 12, "alice", "prod", "support", "", "", {}, {}}, "grant_expired"},
      {audit::ConfigReload{"/etc/pgveil/pgveil.yaml", false, {"line 3: unknown key"}}, "config_reload"},
  };
  for (const auto& [body, type] : cases) {
    INFO(type);
    const auto j = parsed(audit::Event(body, kTime));
    REQUIRE(j.is_object());
    CHECK(j.begin().key() == "type");
    CHECK(j["type"] == type);
    CHECK(j["time"] == "2026-12-03T21:38:00.123Z");
  }
}

TEST_CASE("statement events carry analysis, masked params and session fields", "[audit][event]") {
  audit::Statement s{alice(), 3, "extended", "s1", audit::analyze_statement("SELECT * FROM t WHERE id = $1"),
                     {std::string("***"), std::nullopt}, 2};
  const auto j = parsed(audit::Event(s, kTime));
  CHECK(j["session"] == 7);
  CHECK(j["person"] == "alice");
  CHECK(j["grant"] == 12);
  CHECK(j["kind"] == "SELECT");
  CHECK(j["normalized"] == "SELECT * FROM t WHERE id = $1");
  CHECK(j["tables_read"] == json::array({"t"}));
  CHECK(j["params"] == json::array({"***", nullptr}));
  CHECK(j["param_count"] == 2);
  CHECK(j["prepared_name"] == "s1");

  audit::StatementDone d{alice(), 3, 1500us, 5, 320, {{"customers.email", 5}}, "SELECT 5", "57014"};
  const auto k = parsed(audit::Event(d, kTime));
  CHECK(k["duration_us"] == 1500);
  CHECK(k["masked_columns"]["customers.email"] == 5);
  CHECK(k["sqlstate"] == "57014");
}

TEST_CASE("invalid UTF-8 from a client is replaced, not thrown", "[audit][event]") {
  audit::SessionStart s{alice(), "10.0.0.5:1", std::nullopt, std::string("app\xff\xfe")};
  const auto j = parsed(audit::Event(s, kTime));
  CHECK(j["tls"].is_null());
  CHECK(j["application_name"].get<std::string>().starts_with("app"));
}
