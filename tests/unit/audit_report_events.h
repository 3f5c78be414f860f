// A synthetic month of audit events for the report tests (unit: the model; integration: the
// HTML in headless Chromium): three grants with their lifecycle, sessions, statements, masked
// values, and every anomaly the report looks for.
#pragma once

#include <string>
#include <vector>

#include "audit/event.h"

namespace audit_test {

inline audit::TimePoint at(const std::string& rfc3339) { return *audit::parse_time(rfc3339); }

inline std::vector<audit::Event> report_events() {
  using namespace std::chrono_literals;
  using audit::Event;
  using audit::GrantAction;
  using audit::GrantEvent;
  const audit::SessionRef alice1{1, "alice", 12, "support", "prod"};
  const audit::SessionRef alice2{2, "alice", 12, "support", "prod"};
  const audit::SessionRef carol{3, "carol", 13, "breakglass", "prod"};
  const auto stmt = [](const audit::SessionRef& s, std::uint64_t id, const std::string& sql, const std::string& time) {
    return Event(audit::Statement{s, id, "simple", "", audit::analyze_statement(sql), {}, 0}, at(time));
  };
  const auto done = [](const audit::SessionRef& s, std::uint64_t id, std::map<std::string, std::uint64_t> masked,
                       const std::string& tag, const std::string& time) {
    return Event(audit::StatementDone{s, id, 1200us, 5, 400, std::move(masked), tag, std::nullopt}, at(time));
  };
  std::vector<Event> e;
  // Before the period: grant 10, requested, approved and over in November.
  e.emplace_back(GrantEvent{GrantAction::kRequested, 10, "alice", "prod", "support", "alice", "INC-4000", {}, {}},
                 at("2026-11-20T10:00:00Z"));
  e.emplace_back(GrantEvent{GrantAction::kApproved, 10, "alice", "prod", "support", "bob", "",
                            at("2026-11-20T10:00:00Z"), at("2026-11-20T12:00:00Z")},
                 at("2026-11-20T10:01:00Z"));
  // Grant 12: asked for the day before, used on two days, then expired.
  e.emplace_back(GrantEvent{GrantAction::kRequested, 12, "alice", "prod", "support", "alice",
                            "INC-4711 refund failing for order 991", {}, {}},
                 at("2026-11-30T18:00:00Z"));
  e.emplace_back(GrantEvent{GrantAction::kApproved, 12, "alice", "prod", "support", "bob", "",
                            at("2026-12-01T09:00:00Z"), at("2026-12-02T13:00:00Z")},
                 at("2026-12-01T08:58:00Z"));
  e.emplace_back(audit::SessionStart{alice1, "10.0.0.5:50000", "TLSv1.3", "psql"}, at("2026-12-01T09:05:00Z"));
  e.push_back(stmt(alice1, 1, "SELECT email, ssn FROM customers WHERE id = 991", "2026-12-01T09:06:00Z"));
  e.push_back(done(alice1, 1, {{"customers.email", 1}, {"customers.ssn", 1}}, "SELECT 1", "2026-12-01T09:06:00.010Z"));
  e.push_back(stmt(alice1, 2, "SELECT o.id FROM orders o JOIN customers c ON c.id = o.customer_id WHERE o.id = 991",
                   "2026-12-01T09:07:00Z"));
  e.push_back(done(alice1, 2, {}, "SELECT 1", "2026-12-01T09:07:00.010Z"));
  e.emplace_back(audit::Refusal{alice1, "10.0.0.5:50000", "statement", "role support: read-only", "25006",
                                "role support may only read",
                                audit::analyze_statement("UPDATE orders SET status = 'refunded' WHERE id = 991")},
                 at("2026-12-01T09:08:00Z"));
  e.emplace_back(audit::SessionEnd{alice1, 35min, 2, 1, 2, 900, 4000, "client terminated"}, at("2026-12-01T09:40:00Z"));
  e.emplace_back(audit::SessionStart{alice2, "10.0.0.5:50100", "TLSv1.3", "DBeaver"}, at("2026-12-02T10:00:00Z"));
  e.push_back(stmt(alice2, 1, "SELECT * FROM customers WHERE email = 'x@example.com'", "2026-12-02T10:01:00Z"));
  e.push_back(done(alice2, 1, {{"customers.email", 3}, {"customers.ssn", 3}}, "SELECT 3", "2026-12-02T10:01:00.010Z"));
  e.emplace_back(audit::SessionEnd{alice2, 2h, 1, 0, 3, 300, 2000, "grant expired"}, at("2026-12-02T12:00:00Z"));
  e.emplace_back(GrantEvent{GrantAction::kExpired, 12, "alice", "prod", "support", "", "", {}, {}},
                 at("2026-12-02T13:00:00Z"));
  e.emplace_back(audit::Refusal{alice2, "10.0.0.5:50200", "admission", "grant 12 expired", "28000",
                                "pgveil grant 12 for user \"alice\" on database \"prod\" expired", std::nullopt},
                 at("2026-12-02T14:00:00Z"));
  // Grant 13: carol tries to approve her own request, dave approves, then revokes it.
  e.emplace_back(GrantEvent{GrantAction::kRequested, 13, "carol", "prod", "breakglass", "carol", "INC-4800 disk full", {}, {}},
                 at("2026-12-05T02:00:00Z"));
  e.emplace_back(audit::Refusal{{0, "carol", 13, "breakglass", "prod"}, "", "approval", "self-approval", "42501",
                                "carol may not approve her own request", std::nullopt},
                 at("2026-12-05T02:01:00Z"));
  e.emplace_back(GrantEvent{GrantAction::kApproved, 13, "carol", "prod", "breakglass", "dave", "",
                            at("2026-12-05T02:05:00Z"), at("2026-12-05T03:05:00Z")},
                 at("2026-12-05T02:05:00Z"));
  e.emplace_back(audit::SessionStart{carol, "10.0.0.7:41000", std::nullopt, "psql"}, at("2026-12-05T02:06:00Z"));
  e.push_back(stmt(carol, 1, "VACUUM FULL orders", "2026-12-05T02:07:00Z"));
  e.push_back(done(carol, 1, {}, "VACUUM", "2026-12-05T02:09:00Z"));
  e.emplace_back(audit::SessionEnd{carol, 24min, 1, 0, 0, 50, 100, "grant revoked"}, at("2026-12-05T02:30:00Z"));
  e.emplace_back(GrantEvent{GrantAction::kRevoked, 13, "carol", "prod", "breakglass", "dave", "disk freed", {}, {}},
                 at("2026-12-05T02:30:00Z"));
  // Grant 14: denied.
  e.emplace_back(GrantEvent{GrantAction::kRequested, 14, "erin", "prod", "support", "erin", "curious", {}, {}},
                 at("2026-12-07T11:00:00Z"));
  e.emplace_back(GrantEvent{GrantAction::kDenied, 14, "erin", "prod", "support", "bob", "no ticket", {}, {}},
                 at("2026-12-07T11:30:00Z"));
  // No grant at all, twice; then six failed logins within 40 s, and two unrelated ones.
  for (const char* t : {"2026-12-10T03:00:00Z", "2026-12-10T03:00:30Z"}) {
    e.emplace_back(audit::Refusal{{0, "mallory", std::nullopt, "", "prod"}, "203.0.113.9:6000", "admission",
                                  "no active grant", "28000", "no active pgveil grant for user \"mallory\"", std::nullopt},
                   at(t));
  }
  for (int i = 0; i < 6; ++i) {
    e.emplace_back(audit::AuthFailure{"mallory", "prod", "203.0.113.9:6001", std::nullopt, "scram-sha-256", "wrong password", "28P01"},
                   at("2026-12-10T03:01:00Z") + std::chrono::seconds(8 * i));
  }
  e.emplace_back(audit::AuthFailure{"frank", "prod", "10.0.0.8:1", 16, "scram-sha-256", "wrong password", "28P01"},
                 at("2026-12-11T08:00:00Z"));
  e.emplace_back(audit::AuthFailure{"frank", "prod", "10.0.0.8:2", 16, "scram-sha-256", "wrong password", "28P01"},
                 at("2026-12-11T09:00:00Z"));
  // After the period.
  e.emplace_back(audit::SessionStart{{9, "alice", 20, "support", "prod"}, "10.0.0.5:1", "TLSv1.3", "psql"},
                 at("2027-01-05T09:00:00Z"));
  return e;
}

}  // namespace audit_test
