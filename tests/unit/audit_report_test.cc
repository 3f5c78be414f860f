// The report model on a synthetic month of events (audit_report_events.h) written by the real
// file sink and read back, and what each renderer makes of it.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "audit/file_sink.h"
#include "audit/report_render.h"
#include "audit_report_events.h"
#include "audit_test_support.h"

using audit_test::at;

namespace {

audit::Report build(audit::ReportOptions options) {
  audit_test::TempDir dir;
  const auto path = dir.path() / "audit.jsonl";
  {
    auto sink = audit::FileSink::open({.path = path, .fsync = audit::FsyncMode::kNone}, audit_test::test_key());
    REQUIRE(sink);
    std::vector<std::string> lines;
    for (const auto& e : audit_test::report_events()) lines.push_back(audit::to_line(e));
    REQUIRE((*sink)->write(lines));
  }
  audit::ReportBuilder builder(options);
  for (const auto& line : audit_test::read_lines(path)) builder.add(nlohmann::json::parse(line));
  builder.add(nlohmann::json::parse(R"({"no":"type"})"));
  return std::move(builder).finish({path.string()}, at("2027-01-02T00:00:00Z"));
}

audit::ReportOptions december() {
  audit::ReportOptions o;
  o.from = at("2026-12-01T00:00:00Z");
  o.to = at("2027-01-01T00:00:00Z");
  return o;
}

const audit::GrantSummary& grant(const audit::Report& r, std::int64_t id) {
  for (const auto& g : r.grants) {
    if (g.id == id) return g;
  }
  FAIL("grant " << id << " not in the report");
  throw std::logic_error("unreachable");
}

std::size_t count_kind(const audit::Report& r, audit::AnomalyKind kind) {
  return static_cast<std::size_t>(
      std::count_if(r.anomalies.begin(), r.anomalies.end(), [&](const auto& a) { return a.kind == kind; }));
}

}  // namespace

TEST_CASE("report: grants of the period with who asked, why, who approved, window", "[audit][report]") {
  const auto r = build(december());
  std::vector<std::int64_t> ids;
  for (const auto& g : r.grants) ids.push_back(g.id);
  CHECK(ids == std::vector<std::int64_t>{12, 13, 14});  // 10 ended in November, 20 is in January

  const auto& g12 = grant(r, 12);
  CHECK(g12.person == "alice");
  CHECK(g12.role == "support");
  REQUIRE(g12.requested);  // requested before the period: still shown
  CHECK(g12.requested->by == "alice");
  CHECK(g12.requested->reason == "INC-4711 refund failing for order 991");
  REQUIRE(g12.approvals.size() == 1);
  CHECK(g12.approvals[0].by == "bob");
  CHECK(g12.not_before == at("2026-12-01T09:00:00Z"));
  CHECK(g12.not_after == at("2026-12-02T13:00:00Z"));
  CHECK(g12.expired);
  CHECK(audit::grant_state(g12, r.to) == "expired");
  CHECK(audit::grant_window(g12) == "2026-12-01 09:00:00 .. 2026-12-02 13:00:00 UTC");

  const auto& g13 = grant(r, 13);
  REQUIRE(g13.revoked);
  CHECK(g13.revoked->by == "dave");
  CHECK(g13.revoked->reason == "disk freed");
  CHECK(audit::approvers(g13) == "dave");
  CHECK(audit::grant_state(g13, r.to) == "revoked");
  const auto& g14 = grant(r, 14);
  REQUIRE(g14.denied);
  CHECK(g14.denied->reason == "no ticket");
  CHECK(g14.sessions.empty());
  CHECK(audit::grant_state(g14, r.to) == "denied");
}

TEST_CASE("report: sessions, statements by kind, tables read, masked values, refusals", "[audit][report]") {
  const auto r = build(december());
  const auto& g12 = grant(r, 12);
  REQUIRE(g12.sessions.size() == 2);
  CHECK(g12.sessions[0].id == 1);
  CHECK(g12.sessions[0].client_addr == "10.0.0.5:50000");
  CHECK(g12.sessions[0].tls == "TLSv1.3");
  CHECK(g12.sessions[0].duration_ms == 35 * 60 * 1000);
  CHECK(g12.sessions[0].end_reason == "client terminated");
  CHECK(g12.sessions[1].application_name == "DBeaver");
  CHECK(g12.sessions[1].end_reason == "grant expired");
  CHECK(g12.statements == 3);
  CHECK(g12.statements_by_kind == std::map<std::string, std::uint64_t>{{"SELECT", 3}});
  CHECK(g12.tables_read == std::map<std::string, std::uint64_t>{{"customers", 3}, {"orders", 1}});
  CHECK(g12.masked_values == std::map<std::string, std::uint64_t>{{"customers.email", 4}, {"customers.ssn", 4}});
  CHECK(g12.masked_total == 8);
  CHECK(g12.refusal_count == 2);  // the UPDATE, then the connection after expiry
  REQUIRE(g12.refusals.size() == 2);
  CHECK(g12.refusals[0].rule == "role support: read-only");
  CHECK(g12.refusals[0].kind == "UPDATE");
  CHECK(g12.refusals[0].normalized == "UPDATE orders SET status = $1 WHERE id = $2");
  CHECK(grant(r, 13).statements_by_kind == std::map<std::string, std::uint64_t>{{"MAINTENANCE", 1}});

  CHECK(r.totals.grants == 3);
  CHECK(r.totals.sessions == 3);
  CHECK(r.totals.statements == 4);
  CHECK(r.totals.auth_failures == 8);
  CHECK(r.totals.masked_values == 8);
  CHECK(r.unreadable_lines == 1);
  CHECK(r.statements_per_day ==
        std::map<std::string, std::uint64_t>{{"2026-12-01", 2}, {"2026-12-02", 1}, {"2026-12-05", 1}});
  CHECK(r.refusals_by_rule.at("no active grant") == 2);
  CHECK(r.refusals_by_rule.at("self-approval") == 1);
}

TEST_CASE("report: anomalies", "[audit][report]") {
  const auto r = build(december());
  using K = audit::AnomalyKind;
  CHECK(count_kind(r, K::kNoGrant) == 1);  // two attempts, one line
  CHECK(count_kind(r, K::kAfterGrantEnded) == 1);
  CHECK(count_kind(r, K::kSelfApproval) == 1);
  CHECK(count_kind(r, K::kStatementRefused) == 1);
  CHECK(count_kind(r, K::kAuthFailureBurst) == 1);  // mallory; frank's two failures an hour apart are not
  CHECK(count_kind(r, K::kAdmissionRefused) == 0);
  for (const auto& a : r.anomalies) {
    if (a.kind == K::kNoGrant) {
      CHECK(a.person == "mallory");
      CHECK(a.count == 2);
      CHECK(a.until == at("2026-12-10T03:00:30Z"));
    }
    if (a.kind == K::kAfterGrantEnded) CHECK(a.grant == 12);
    if (a.kind == K::kSelfApproval) CHECK(a.person == "carol");
    if (a.kind == K::kAuthFailureBurst) {
      CHECK(a.person == "mallory");
      CHECK(a.count == 6);
      CHECK(a.time == at("2026-12-10T03:01:00Z"));
      CHECK(a.until == at("2026-12-10T03:01:40Z"));
    }
  }
  CHECK(std::is_sorted(r.anomalies.begin(), r.anomalies.end(), [](const auto& a, const auto& b) { return a.time < b.time; }));

  SECTION("a stricter threshold finds no burst, a looser one finds frank's too") {
    auto strict = december();
    strict.burst_count = 7;
    CHECK(count_kind(build(strict), K::kAuthFailureBurst) == 0);
    auto loose = december();
    loose.burst_count = 2;
    loose.burst_window = std::chrono::hours(2);
    CHECK(count_kind(build(loose), K::kAuthFailureBurst) == 2);
  }
}

TEST_CASE("report: the period bounds what is counted", "[audit][report]") {
  auto first_day = december();
  first_day.to = at("2026-12-02T00:00:00Z");
  const auto r = build(first_day);
  REQUIRE(r.grants.size() == 1);
  CHECK(r.grants[0].id == 12);
  CHECK(r.grants[0].sessions.size() == 1);
  CHECK(r.grants[0].statements == 2);
  CHECK_FALSE(r.grants[0].expired);  // expired on the 2nd: after this report's end
  CHECK(r.anomalies.size() == 1);    // the refused UPDATE
  CHECK(r.totals.auth_failures == 0);
}

TEST_CASE("report renderers: JSON, Markdown and HTML carry the same facts", "[audit][report]") {
  const auto r = build(december());
  const auto j = nlohmann::json::parse(audit::render_report_json(r));
  CHECK(j["from"] == "2026-12-01T00:00:00.000Z");
  CHECK(j["totals"]["statements"] == 4);
  REQUIRE(j["grants"].size() == 3);
  CHECK(j["grants"][0]["id"] == 12);
  CHECK(j["grants"][0]["requested"]["reason"] == "INC-4711 refund failing for order 991");
  CHECK(j["grants"][0]["approvals"][0]["by"] == "bob");
  CHECK(j["grants"][0]["state"] == "expired");
  CHECK(j["grants"][0]["masked_values"]["customers.email"] == 4);
  CHECK(j["anomalies"].size() == r.anomalies.size());
  CHECK(j["anomalies"][0]["kind"] == "statement_refused");

  const auto md = audit::render_report_markdown(r);
  CHECK_THAT(md, Catch::Contains("## Anomalies"));
  CHECK_THAT(md, Catch::Contains("### Grant #12: alice as support on prod (expired)"));
  CHECK_THAT(md, Catch::Contains("- Requested by **alice** at 2026-11-30 18:00:00: INC-4711 refund failing for order 991"));
  CHECK_THAT(md, Catch::Contains("- Approved by **bob** at 2026-12-01 08:58:00"));
  CHECK_THAT(md, Catch::Contains("| Burst of failed logins | mallory | prod | - | 6 |"));
  CHECK_THAT(md, Catch::Contains("`customers` 3"));

  const auto html = audit::render_report_html(r);
  CHECK(html.starts_with("<!DOCTYPE html>"));
  for (const char* part : {"id=\"summary\"", "id=\"anomalies\"", "id=\"grants\"", "id=\"grant-12\"", "<svg",
                           "Statements per day", "Refusals by rule", "Self-approval attempt"}) {
    CHECK_THAT(html, Catch::Contains(part));
  }
  // Self-contained: nothing is loaded from elsewhere.
  CHECK_THAT(html, !Catch::Contains("<script"));
  CHECK_THAT(html, !Catch::Contains("src="));
  CHECK_THAT(html, !Catch::Contains("<link"));
}

TEST_CASE("report HTML escapes what came from the log", "[audit][report]") {
  audit::ReportBuilder builder(december());
  audit::Event e(audit::GrantEvent{audit::GrantAction::kRequested, 30, "<script>x</script>", "prod", "support",
                                   "<b>", "\"quoted\" & <tag>", {}, {}},
                 at("2026-12-03T00:00:00Z"));
  builder.add(nlohmann::json::parse(audit::to_line(e)));
  const auto html = audit::render_report_html(std::move(builder).finish({}, at("2027-01-01T00:00:00Z")));
  CHECK_THAT(html, !Catch::Contains("<script>"));
  CHECK_THAT(html, Catch::Contains("&lt;script&gt;x&lt;/script&gt;"));
  CHECK_THAT(html, Catch::Contains("&quot;quoted&quot; &amp; &lt;tag&gt;"));
}

TEST_CASE("report: issued, k-of-n approvals, cancelled, superseded and secret steps", "[audit][report]") {
  using audit::GrantAction;
  using audit::GrantEvent;
  const auto t = at("2026-12-05T10:00:00Z");
  std::vector<audit::Event> events;
  events.emplace_back(GrantEvent{GrantAction::kIssued, 30, "ops1", "prod", "dba", "cli:root", "maintenance INC-9",
                                 t, t + std::chrono::hours(1)}, t);
  GrantEvent first{GrantAction::kApproved, 31, "alice", "prod", "support", "bob", "", {}, {}};
  first.approvals = 1;
  first.approvals_required = 2;
  GrantEvent second = first;
  second.by = "carol";
  second.approvals = 2;
  second.not_before = t;
  second.not_after = t + std::chrono::hours(2);
  events.emplace_back(GrantEvent{GrantAction::kRequested, 31, "alice", "prod", "support", "alice", "INC-10", {}, {}}, t);
  events.emplace_back(first, t);
  events.emplace_back(second, t);
  events.emplace_back(GrantEvent{GrantAction::kSecretClaimed, 31, "alice", "prod", "support", "alice", "", {}, {}}, t);
  GrantEvent superseded{GrantAction::kSuperseded, 31, "alice", "prod", "support", "dave", "superseded by grant 33", {}, {}};
  superseded.superseded_by = 33;
  events.emplace_back(superseded, t + std::chrono::minutes(5));
  events.emplace_back(GrantEvent{GrantAction::kCancelled, 32, "erin", "prod", "support", "erin", "not needed", {}, {}}, t);

  audit::ReportBuilder builder(december());
  for (const auto& e : events) builder.add(nlohmann::json::parse(audit::to_line(e)));
  const auto r = std::move(builder).finish({}, at("2027-01-02T00:00:00Z"));

  const auto& issued = grant(r, 30);
  REQUIRE(issued.requested);
  CHECK(issued.requested->by == "cli:root");
  CHECK(issued.requested->reason == "maintenance INC-9");
  REQUIRE(issued.approvals.size() == 1);
  CHECK(issued.approvals[0].by == "cli:root");
  CHECK(issued.not_after == t + std::chrono::hours(1));

  const auto& two = grant(r, 31);
  REQUIRE(two.approvals.size() == 2);
  CHECK(two.approvals[0].by == "bob");
  CHECK(two.approvals[0].reason == "approval 1 of 2");
  CHECK(two.approvals[1].reason == "approval 2 of 2");
  CHECK(two.not_before == t);
  REQUIRE(two.secret_claimed);
  REQUIRE(two.revoked);
  CHECK(two.revoked->reason == "superseded by grant 33");
  CHECK(audit::grant_state(two, r.to) == "revoked");

  const auto& cancelled = grant(r, 32);
  REQUIRE(cancelled.cancelled);
  CHECK(audit::grant_state(cancelled, r.to) == "cancelled");
  const auto md = audit::render_report_markdown(r);
  CHECK(md.find("approval 2 of 2") != std::string::npos);
  CHECK(md.find("Cancelled by **erin**") != std::string::npos);
}
