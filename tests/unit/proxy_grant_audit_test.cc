// Grant lifecycle events from the store's history (proxy/grant_audit.h).
#include <catch2/catch.hpp>

#include "audit/event.h"
#include "proxy/grant_audit.h"

using namespace std::chrono_literals;

namespace {

const policy::TimePoint kT0 = policy::TimePoint{} + std::chrono::hours(24 * 365 * 56);

nlohmann::ordered_json json_of(const audit::Event& e) { return audit::to_json(e); }

// Requested by alice, approved by bob then carol (2 of 2), superseded later, as the store keeps it.
policy::Grant two_approvals() {
  policy::Grant g;
  g.id = 7;
  g.person = "alice";
  g.database = "prod";
  g.role = "support";
  g.reason = "INC-1";
  g.created_by = "alice";
  g.status = policy::GrantStatus::kRevoked;
  g.approvals_required = 2;
  g.not_before = kT0 + 10min;
  g.not_after = kT0 + 70min;
  g.history = {{kT0, "alice", "request", "INC-1"},
               {kT0 + 5min, "bob", "approve", ""},
               {kT0 + 10min, "carol", "approve", ""},
               {kT0 + 11min, "alice", "secret", "connection secret handed out"},
               {kT0 + 20min, "dave", "revoke", "superseded by grant 9"}};
  return g;
}

}  // namespace

TEST_CASE("grant audit: each history step becomes its lifecycle event", "[proxy][grant_audit]") {
  const auto g = two_approvals();
  const auto requested = json_of(proxy::grant_history_event(g, 0));
  CHECK(requested["type"] == "grant_requested");
  CHECK(requested["by"] == "alice");
  CHECK(requested["reason"] == "INC-1");
  CHECK(requested["approvals_required"] == 2);
  CHECK(requested["grant"] == 7);
  CHECK(requested["role"] == "support");
  CHECK(requested["time"] == audit::format_time(kT0));

  const auto first = json_of(proxy::grant_history_event(g, 1));
  CHECK(first["type"] == "grant_approved");
  CHECK(first["by"] == "bob");
  CHECK(first["approval"] == 1);
  CHECK(first["approvals_required"] == 2);
  CHECK_FALSE(first.contains("not_before"));  // the window opens with the last approval

  const auto second = json_of(proxy::grant_history_event(g, 2));
  CHECK(second["approval"] == 2);
  CHECK(second["by"] == "carol");
  CHECK(second["not_before"] == audit::format_time(kT0 + 10min));
  CHECK(second["not_after"] == audit::format_time(kT0 + 70min));

  CHECK(json_of(proxy::grant_history_event(g, 3))["type"] == "grant_secret_claimed");

  const auto superseded = json_of(proxy::grant_history_event(g, 4));
  CHECK(superseded["type"] == "grant_superseded");
  CHECK(superseded["superseded_by"] == 9);
  CHECK(superseded["by"] == "dave");
}

TEST_CASE("grant audit: issue, auto-approve, deny, cancel, revoke, expire and unknown steps", "[proxy][grant_audit]") {
  policy::Grant g;
  g.id = 3;
  g.person = "erin";
  g.status = policy::GrantStatus::kApproved;
  g.approvals_required = 2;
  g.not_before = kT0;
  g.not_after = kT0 + 1h;
  g.history = {{kT0, "cli:ops", "issue", "maintenance"},
               {kT0, "pgveil", "auto-approve", "role auto-approves group oncall"},
               {kT0, "frank", "deny", "no"},
               {kT0, "erin", "cancel", "not needed"},
               {kT0, "frank", "revoke", "done"},
               {kT0 + 1h, "pgveil", "expire", "the approved duration ended"},
               {kT0, "x", "teleport", "new in a later version"}};
  const auto type = [&](std::size_t i) { return json_of(proxy::grant_history_event(g, i))["type"]; };
  CHECK(type(0) == "grant_issued");
  CHECK(json_of(proxy::grant_history_event(g, 0))["not_after"] == audit::format_time(kT0 + 1h));
  CHECK(type(1) == "grant_approved");
  CHECK(json_of(proxy::grant_history_event(g, 1))["approval"] == 2);  // auto-approval counts as all
  CHECK(type(2) == "grant_denied");
  CHECK(type(3) == "grant_cancelled");
  CHECK(type(4) == "grant_revoked");
  const auto expired = json_of(proxy::grant_history_event(g, 5));
  CHECK(expired["type"] == "grant_expired");
  CHECK(expired["by"] == "");
  CHECK(expired["time"] == audit::format_time(kT0 + 1h));
  const auto unknown = json_of(proxy::grant_history_event(g, 6));
  CHECK(unknown["type"] == "grant_changed");
  CHECK(unknown["reason"] == "teleport: new in a later version");
}

TEST_CASE("grant audit: primed history is not repeated, later steps come once, in time order", "[proxy][grant_audit]") {
  auto a = two_approvals();
  a.history.resize(2);
  policy::Grant b;
  b.id = 9;
  b.person = "alice";
  b.history = {{kT0 + 1min, "alice", "request", "INC-2"}};

  proxy::GrantAuditTrail trail;
  trail.prime({a});
  CHECK(trail.take_new({a}).empty());

  a.history.push_back({kT0 + 10min, "carol", "approve", ""});
  const auto events = trail.take_new({a, b});  // b is new: all of its history
  REQUIRE(events.size() == 2);
  CHECK(json_of(events[0])["grant"] == 9);  // 00:01 before 00:10
  CHECK(json_of(events[1])["type"] == "grant_approved");
  CHECK(trail.take_new({a, b}).empty());
}
