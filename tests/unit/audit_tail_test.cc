// `audit tail`: filters, the aligned line for people, and following a file sink across rotation.
#include <catch2/catch.hpp>

#include "audit/event.h"
#include "audit/file_sink.h"
#include "audit/log_follower.h"
#include "audit/tail_format.h"
#include "audit_test_support.h"

using nlohmann::json;

namespace {

const audit::TimePoint kTime = *audit::parse_time("2026-12-03T21:38:00.123Z");
const audit::SessionRef kAlice{7, "alice", 12, "support", "prod"};

json event(const audit::EventBody& body, audit::TimePoint t = kTime) {
  return json::parse(audit::to_line(audit::Event(body, t)));
}

json statement(const std::string& sql, audit::SessionRef s = kAlice) {
  return event(audit::Statement{s, 1, "simple", "", audit::analyze_statement(sql), {}, 0});
}

}  // namespace

TEST_CASE("tail filters: person, grant, refused, type, since", "[audit][tail]") {
  const auto sel = statement("SELECT 1");
  const auto bob = statement("SELECT 1", {8, "bob", 13, "support", "prod"});
  const auto refused = event(audit::Refusal{kAlice, "", "statement", "r", "25006", "m", std::nullopt});
  const auto failed_login = event(audit::AuthFailure{"alice", "prod", "", std::nullopt, "scram-sha-256", "x", "28P01"});

  audit::TailFilter f;
  CHECK(audit::tail_matches(sel, f));
  f.person = "alice";
  CHECK(audit::tail_matches(sel, f));
  CHECK_FALSE(audit::tail_matches(bob, f));
  f = {};
  f.grant = 13;
  CHECK(audit::tail_matches(bob, f));
  CHECK_FALSE(audit::tail_matches(sel, f));
  CHECK_FALSE(audit::tail_matches(failed_login, f));  // null grant
  f = {};
  f.refused = true;
  CHECK(audit::tail_matches(refused, f));
  CHECK(audit::tail_matches(failed_login, f));
  CHECK_FALSE(audit::tail_matches(sel, f));
  f = {};
  f.types = {"statement", "auth_failure"};
  CHECK(audit::tail_matches(sel, f));
  CHECK(audit::tail_matches(failed_login, f));
  CHECK_FALSE(audit::tail_matches(refused, f));
  f = {};
  f.since = kTime;
  CHECK(audit::tail_matches(sel, f));
  f.since = kTime + std::chrono::milliseconds(1);
  CHECK_FALSE(audit::tail_matches(sel, f));
  CHECK_FALSE(audit::tail_matches(json::parse("[1]"), {}));
}

TEST_CASE("tail line: aligned columns, normalized text, sqlstate, colour only when asked", "[audit][tail]") {
  const auto line = audit::format_tail_line(statement("SELECT * FROM customers WHERE id = 5"), false);
  CHECK(line == "2026-12-03 21:38:00.123  alice       #12     statement       SELECT           "
                "SELECT * FROM customers WHERE id = $1");
  const auto refused = audit::format_tail_line(
      event(audit::Refusal{kAlice, "", "statement", "role support: read-only", "25006", "refused",
                           audit::analyze_statement("DELETE FROM t")}),
      false);
  CHECK(refused == "2026-12-03 21:38:00.123  alice       #12     refusal         DELETE    25006  "
                   "role support: read-only: refused -- DELETE FROM t");
  // Every column starts at the same offset, whatever the type.
  CHECK(line.find("statement") == refused.find("refusal"));
  CHECK(line.substr(0, 50).find("\x1b") == std::string::npos);

  const auto coloured = audit::format_tail_line(
      event(audit::Refusal{kAlice, "", "statement", "r", "25006", "m", std::nullopt}), true);
  CHECK_THAT(coloured, Catch::Contains("\x1b[31mrefusal"));
  CHECK_THAT(coloured, Catch::Contains("\x1b[1;31m25006"));

  const auto done = audit::format_tail_line(
      event(audit::StatementDone{kAlice, 1, std::chrono::microseconds(1500), 5, 10, {{"c.email", 5}}, "SELECT 5", "57014"}),
      false);
  CHECK_THAT(done, Catch::EndsWith("57014  SELECT 5 in 1ms, 5 masked"));
}

TEST_CASE("tail line: control characters from the log cannot reach the terminal", "[audit][tail]") {
  audit::SessionRef evil{7, "al\x1b[2Jice", 12, "support", "prod"};
  const auto line = audit::format_tail_line(
      event(audit::SessionStart{evil, "1.2.3.4:5", std::nullopt, "app\x1b]0;owned\x07\xc2\x9b"}), false);
  CHECK(line.find('\x1b') == std::string::npos);
  CHECK(line.find('\x07') == std::string::npos);
  CHECK(line.find("\xc2\x9b") == std::string::npos);
  CHECK_THAT(line, Catch::Contains("al?[2Jice"));
  CHECK(audit::terminal_safe("h\xc3\xa9llo\n") == "h\xc3\xa9llo?");
  CHECK(audit::format_duration_ms(850) == "850ms");
  CHECK(audit::format_duration_ms(12'345) == "12.3s");
  CHECK(audit::format_duration_ms(245'000) == "4m05s");
  CHECK(audit::format_duration_ms(7'800'000) == "2h10m");
}

TEST_CASE("log follower: reads appended lines and follows the file sink across rotations", "[audit][tail]") {
  audit_test::TempDir dir;
  const auto path = dir.path() / "audit.jsonl";
  audit::FileSinkOptions options{.path = path, .fsync = audit::FsyncMode::kNone, .rotate_size = 600};
  auto sink = audit::FileSink::open(options, audit_test::test_key());
  REQUIRE(sink);

  audit::LogFollower from_start(path, true);
  std::vector<std::uint64_t> seen;
  const auto drain = [&](audit::LogFollower& f) {
    while (true) {
      auto lines = f.poll(700);  // small budget: several calls per poll round
      REQUIRE(lines);
      if (lines->empty()) return;
      for (const auto& l : *lines) seen.push_back(json::parse(l)["seq"].get<std::uint64_t>());
    }
  };
  drain(from_start);  // no file yet
  CHECK(seen.empty());
  std::uint64_t written = 0;
  for (int round = 0; round < 12; ++round) {
    std::vector<std::string> batch;
    for (int i = 0; i < 3; ++i) batch.push_back(audit::to_line(audit::Event(audit::ConfigReload{"f", true, {}}, kTime)));
    REQUIRE((*sink)->write(batch));
    written += batch.size();
    if (round % 2 == 0) drain(from_start);  // sometimes two rotations between polls
  }
  drain(from_start);
  REQUIRE((*sink)->rotation_count() >= 4);
  CHECK(from_start.rotations() == (*sink)->rotation_count());
  std::vector<std::uint64_t> expected(written);
  for (std::uint64_t i = 0; i < written; ++i) expected[i] = i + 1;
  CHECK(seen == expected);  // every record once, in order

  SECTION("starting at the end skips what is there") {
    audit::LogFollower at_end(path, false);
    seen.clear();
    drain(at_end);
    CHECK(seen.empty());
    REQUIRE((*sink)->write(std::vector<std::string>{audit::to_line(audit::Event(audit::ConfigReload{"f", true, {}}, kTime))}));
    drain(at_end);
    CHECK(seen == std::vector<std::uint64_t>{written + 1});
  }
}

TEST_CASE("tail: event type lists for --type and the stream's ?type=", "[audit][tail]") {
  const auto types = audit::parse_event_types("statement,grant_superseded,token_issued");
  REQUIRE(types);
  CHECK(*types == std::vector<std::string>{"statement", "grant_superseded", "token_issued"});
  const auto bad = audit::parse_event_types("statement,nonsense");
  REQUIRE_FALSE(bad);
  CHECK(bad.error().find("unknown event type \"nonsense\"") != std::string::npos);
  CHECK(bad.error().find("grant_secret_claimed") != std::string::npos);  // the known ones are listed
  CHECK_FALSE(audit::parse_event_types(""));
}

TEST_CASE("tail line: approval k of n and token events", "[audit][tail]") {
  audit::GrantEvent approved{audit::GrantAction::kApproved, 12, "alice", "prod", "support", "bob", "", {}, {}};
  approved.approvals = 1;
  approved.approvals_required = 2;
  const auto line = audit::format_tail_line(event(approved), false);
  CHECK(line.find("grant_approved") != std::string::npos);
  CHECK(line.find("role support on prod by bob (1 of 2)") != std::string::npos);
  const auto token = audit::format_tail_line(event(audit::TokenEvent{true, 3, "erin", "admin"}), false);
  CHECK(token.find("token_revoked") != std::string::npos);
  CHECK(token.find("API token 3 of erin by admin") != std::string::npos);
}
