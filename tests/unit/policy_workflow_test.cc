// The access workflow's decisions (policy/workflow.h) with a fake clock: every transition and
// every refusal, without a store.
#include <catch2/catch.hpp>

#include "policy/time_format.h"
#include "policy/workflow.h"
#include "policy_test_support.h"

using namespace std::chrono_literals;
using policy::Action;
using policy::GrantState;
using policy::GrantStatus;
using Kind = policy::Refusal::Kind;
using policy_test::base_time;
using policy_test::kAlice;
using policy_test::kBob;
using policy_test::kCarol;
using policy_test::kDave;
using policy_test::kAdmin;
using Catch::Matchers::Contains;

namespace {

policy::RoleRules support() {
  return {"support", {"prod"}, {"engineering"}, {"oncall-leads"}, {}, 1, 4h};
}

policy::AccessRequest ask(std::chrono::seconds duration = 2h, std::string reason = "INC-1") {
  return {"prod", "support", std::move(reason), duration, std::nullopt};
}

policy::Grant requested(const policy::RoleRules& role = support(), policy::AccessRequest request = ask()) {
  auto planned = policy::plan_request(kAlice, &role, request, base_time());
  REQUIRE(planned.has_value());
  planned->id = 7;
  return *planned;
}

// Applies a planned change the way the store does (status, window, event).
void apply(policy::Grant& grant, const policy::Change& change) {
  grant.status = change.status;
  if (change.not_before) grant.not_before = *change.not_before;
  if (change.not_after) grant.not_after = *change.not_after;
  if (change.status == GrantStatus::kRevoked) grant.revoked_at = change.event.at;
  grant.history.push_back(change.event);
}

policy::Refusal refused(const policy::Grant& grant, const policy::RoleRules* role, const policy::Actor& actor,
                        Action action, std::string_view reason, policy::TimePoint now) {
  auto change = policy::plan_change(grant, role, actor, action, reason, now);
  if (change) FAIL(policy::to_string(action) << " by " << actor.name << " was allowed");
  return change.error();
}

}  // namespace

TEST_CASE("workflow: a request records who asked, why and for how long, and opens no window", "[policy][workflow]") {
  const auto grant = requested();
  CHECK(grant.status == GrantStatus::kRequested);
  CHECK(policy::state_at(grant, base_time() + 1h) == GrantState::kRequested);
  CHECK(grant.person == "alice");
  CHECK(grant.created_by == "alice");
  CHECK(grant.duration == 2h);
  CHECK(grant.approvals_required == 1);
  REQUIRE(grant.history.size() == 1);
  CHECK(grant.history[0] == policy::GrantEvent{base_time(), "alice", "request", "INC-1"});
}

TEST_CASE("workflow: request refusals", "[policy][workflow]") {
  const auto role = support();
  auto refusal = [&](const policy::Actor& who, const policy::RoleRules* r, policy::AccessRequest req) {
    auto planned = policy::plan_request(who, r, req, base_time());
    REQUIRE_FALSE(planned.has_value());
    return planned.error();
  };
  {
    const auto e = refusal(kAlice, &role, ask(2h, ""));
    CHECK(e.kind == Kind::kInvalid);
    CHECK_THAT(e.message, Contains("reason is required"));
  }
  {
    const auto e = refusal(kAlice, &role, ask(4h + 1s));
    CHECK(e.kind == Kind::kInvalid);
    CHECK(e.message == "4h exceeds role \"support\"'s max_duration of 4h");
  }
  CHECK(refusal(kAlice, &role, ask(0s)).kind == Kind::kInvalid);
  {
    const auto e = refusal(kDave, &role, ask());
    CHECK(e.kind == Kind::kForbidden);
    CHECK_THAT(e.message, Contains("dave may not request role \"support\""));
    CHECK_THAT(e.message, Contains("(engineering)"));
  }
  CHECK(refusal(kAlice, nullptr, ask()).kind == Kind::kNotFound);
  CHECK(refusal(kAdmin, &role, ask()).kind == Kind::kForbidden);
  {
    auto other_db = ask();
    other_db.database = "billing";
    CHECK(refusal(kAlice, &role, other_db).kind == Kind::kInvalid);
  }
  {
    auto past = ask(1h);
    past.start = base_time() - 2h;
    CHECK(refusal(kAlice, &role, past).kind == Kind::kInvalid);
  }
  {
    auto nobody = role;
    nobody.requesters.clear();  // fail closed: a role that names no requesters admits no requests
    CHECK(refusal(kAlice, &nobody, ask()).kind == Kind::kForbidden);
  }
}

TEST_CASE("workflow: approval starts access at approval time, never at request time", "[policy][workflow]") {
  const auto role = support();
  auto grant = requested();
  const auto approved_at = base_time() + 25min;
  auto change = policy::plan_change(grant, &role, kBob, Action::kApprove, "", approved_at);
  REQUIRE(change.has_value());
  CHECK(change->status == GrantStatus::kApproved);
  CHECK(change->supersede);
  CHECK(change->event == policy::GrantEvent{approved_at, "bob", "approve", ""});
  apply(grant, *change);
  CHECK(grant.not_before == approved_at);
  CHECK(grant.not_after == approved_at + 2h);
  CHECK(policy::state_at(grant, approved_at) == GrantState::kActive);
  CHECK(policy::state_at(grant, approved_at + 2h - 1ns) == GrantState::kActive);
  CHECK(policy::state_at(grant, approved_at + 2h) == GrantState::kExpired);
}

TEST_CASE("workflow: a scheduled request opens at its start, or at approval if that is later", "[policy][workflow]") {
  const auto role = support();
  auto req = ask(1h);
  req.start = base_time() + 3h;
  auto grant = requested(role, req);
  auto change = policy::plan_change(grant, &role, kCarol, Action::kApprove, "", base_time() + 1h);
  REQUIRE(change.has_value());
  apply(grant, *change);
  CHECK(policy::state_at(grant, base_time() + 2h) == GrantState::kScheduled);
  CHECK(grant.not_before == base_time() + 3h);
  CHECK(grant.not_after == base_time() + 4h);

  auto late = requested(role, req);
  auto late_change = policy::plan_change(late, &role, kCarol, Action::kApprove, "", base_time() + 3h + 30min);
  REQUIRE(late_change.has_value());
  CHECK(*late_change->not_before == base_time() + 3h + 30min);
  CHECK(*late_change->not_after == base_time() + 4h + 30min);
}

TEST_CASE("workflow: separation of duties on approval", "[policy][workflow]") {
  const auto role = support();
  const auto grant = requested();
  {
    INFO("self-approval, even by someone in the approver groups");
    policy::Grant own = grant;
    own.person = own.created_by = "bob";
    const auto e = refused(own, &role, kBob, Action::kApprove, "", base_time());
    CHECK(e.kind == Kind::kForbidden);
    CHECK_THAT(e.message, Contains("a requester can never approve their own request"));
  }
  {
    INFO("approver outside the approver groups");
    const auto e = refused(grant, &role, kDave, Action::kApprove, "", base_time());
    CHECK(e.kind == Kind::kForbidden);
    CHECK_THAT(e.message, Contains("approver groups (oncall-leads)"));
  }
  {
    INFO("the admin token does not approve");
    CHECK(refused(grant, &role, kAdmin, Action::kApprove, "", base_time()).kind == Kind::kForbidden);
  }
  {
    INFO("a role gone from the configuration cannot be approved");
    CHECK(refused(grant, nullptr, kBob, Action::kApprove, "", base_time()).kind == Kind::kConflict);
  }
}

TEST_CASE("workflow: n-of-m approvals count distinct approvers", "[policy][workflow]") {
  auto role = support();
  role.approvals = 2;
  auto grant = requested(role);
  CHECK(grant.approvals_required == 2);
  auto first = policy::plan_change(grant, &role, kBob, Action::kApprove, "", base_time() + 1min);
  REQUIRE(first.has_value());
  CHECK(first->status == GrantStatus::kRequested);
  CHECK_FALSE(first->not_before.has_value());
  apply(grant, *first);
  CHECK(grant.approvals() == 1);
  CHECK(policy::state_at(grant, base_time() + 2min) == GrantState::kRequested);

  const auto twice = refused(grant, &role, kBob, Action::kApprove, "", base_time() + 2min);
  CHECK(twice.kind == Kind::kConflict);
  CHECK_THAT(twice.message, Contains("already approved"));

  auto second = policy::plan_change(grant, &role, kCarol, Action::kApprove, "", base_time() + 5min);
  REQUIRE(second.has_value());
  CHECK(second->status == GrantStatus::kApproved);
  apply(grant, *second);
  CHECK(grant.approvals() == 2);
  CHECK(grant.not_before == base_time() + 5min);
  CHECK(refused(grant, &role, kCarol, Action::kApprove, "", base_time() + 6min).kind == Kind::kConflict);
}

TEST_CASE("workflow: auto-approval is immediate and still recorded", "[policy][workflow]") {
  auto role = support();
  role.auto_approve = {"engineering"};
  const auto grant = requested(role);
  CHECK(grant.status == GrantStatus::kApproved);
  CHECK(grant.not_before == base_time());
  CHECK(grant.not_after == base_time() + 2h);
  REQUIRE(grant.history.size() == 2);
  CHECK(grant.history[1].actor == "pgveil");
  CHECK(grant.history[1].action == "auto-approve");
  CHECK_THAT(grant.history[1].reason, Contains("group engineering"));

  role.auto_approve = {"oncall-leads"};  // alice is not on call: a normal request
  CHECK(requested(role).status == GrantStatus::kRequested);
}

TEST_CASE("workflow: deny", "[policy][workflow]") {
  const auto role = support();
  auto grant = requested();
  CHECK(refused(grant, &role, kBob, Action::kDeny, "", base_time()).kind == Kind::kInvalid);
  CHECK(refused(grant, &role, kDave, Action::kDeny, "no", base_time()).kind == Kind::kForbidden);
  {
    const auto e = refused(grant, &role, kAlice, Action::kDeny, "no", base_time());
    CHECK(e.kind == Kind::kForbidden);
    CHECK_THAT(e.hint, Contains("pgveil cancel 7"));
  }
  auto change = policy::plan_change(grant, &role, kCarol, Action::kDeny, "not needed", base_time() + 1min);
  REQUIRE(change.has_value());
  CHECK(change->status == GrantStatus::kDenied);
  CHECK(change->event == policy::GrantEvent{base_time() + 1min, "carol", "deny", "not needed"});
  apply(grant, *change);
  CHECK(policy::state_at(grant, base_time() + 2min) == GrantState::kDenied);
  CHECK(refused(grant, &role, kBob, Action::kApprove, "", base_time() + 2min).kind == Kind::kConflict);
  CHECK(refused(grant, &role, kAdmin, Action::kDeny, "again", base_time() + 2min).kind == Kind::kConflict);

  auto by_admin = policy::plan_change(requested(), &role, kAdmin, Action::kDeny, "freeze", base_time());
  CHECK(by_admin.has_value());
}

TEST_CASE("workflow: cancel by the requester, before access starts", "[policy][workflow]") {
  const auto role = support();
  auto grant = requested();
  CHECK(refused(grant, &role, kBob, Action::kCancel, "", base_time()).kind == Kind::kForbidden);
  auto change = policy::plan_change(grant, &role, kAlice, Action::kCancel, "", base_time() + 1min);
  REQUIRE(change.has_value());
  CHECK(change->status == GrantStatus::kCancelled);
  CHECK(change->event.reason == "cancelled by requester");

  auto approved = requested();
  apply(approved, *policy::plan_change(approved, &role, kBob, Action::kApprove, "", base_time()));
  const auto e = refused(approved, &role, kAlice, Action::kCancel, "", base_time() + 1min);
  CHECK(e.kind == Kind::kConflict);
  CHECK_THAT(e.hint, Contains("pgveil revoke 7"));
}

TEST_CASE("workflow: revoke ends an approved grant; the holder may give it up", "[policy][workflow]") {
  const auto role = support();
  auto grant = requested();
  CHECK(refused(grant, &role, kBob, Action::kRevoke, "x", base_time()).kind == Kind::kConflict);
  apply(grant, *policy::plan_change(grant, &role, kBob, Action::kApprove, "", base_time()));
  CHECK(refused(grant, &role, kBob, Action::kRevoke, "", base_time()).kind == Kind::kInvalid);
  CHECK(refused(grant, &role, kDave, Action::kRevoke, "x", base_time()).kind == Kind::kForbidden);
  CHECK(policy::plan_change(grant, &role, kAlice, Action::kRevoke, "done", base_time() + 1min).has_value());
  CHECK(policy::plan_change(grant, &role, kAdmin, Action::kRevoke, "freeze", base_time() + 1min).has_value());
  auto change = policy::plan_change(grant, &role, kCarol, Action::kRevoke, "incident over", base_time() + 1min);
  REQUIRE(change.has_value());
  CHECK(change->status == GrantStatus::kRevoked);
  apply(grant, *change);
  CHECK(policy::state_at(grant, base_time() + 2min) == GrantState::kRevoked);
  CHECK(refused(grant, &role, kCarol, Action::kRevoke, "again", base_time() + 2min).kind == Kind::kConflict);

  auto expired = requested();
  apply(expired, *policy::plan_change(expired, &role, kBob, Action::kApprove, "", base_time()));
  CHECK(refused(expired, &role, kBob, Action::kRevoke, "late", base_time() + 3h).kind == Kind::kConflict);
}

TEST_CASE("workflow: the connection secret goes to the requester, once, after approval", "[policy][workflow]") {
  const auto role = support();
  auto grant = requested();
  CHECK(policy::check_secret_claim(grant, kAlice, base_time()).error().kind == Kind::kConflict);
  apply(grant, *policy::plan_change(grant, &role, kBob, Action::kApprove, "", base_time()));
  CHECK(policy::check_secret_claim(grant, kBob, base_time()).error().kind == Kind::kForbidden);
  CHECK(policy::check_secret_claim(grant, kAdmin, base_time()).error().kind == Kind::kForbidden);
  CHECK(policy::check_secret_claim(grant, kAlice, base_time()).has_value());
  grant.verifier = "SCRAM-SHA-256$…";
  const auto again = policy::check_secret_claim(grant, kAlice, base_time());
  REQUIRE_FALSE(again.has_value());
  CHECK_THAT(again.error().message, Contains("already handed out"));
  grant.verifier.clear();
  CHECK(policy::check_secret_claim(grant, kAlice, base_time() + 3h).error().kind == Kind::kConflict);
}

TEST_CASE("parse_time reads what format_time writes, UTC only", "[policy][time]") {
  CHECK(policy::parse_time("2026-12-03T17:00:00Z") == base_time());
  CHECK(policy::parse_time(policy::format_time(base_time() + 90min)) == base_time() + 90min);
  CHECK_FALSE(policy::parse_time("2026-12-03T17:00:00").has_value());
  CHECK_FALSE(policy::parse_time("2026-12-03T17:00:00+01:00").has_value());
  CHECK_FALSE(policy::parse_time("2026-02-30T17:00:00Z").has_value());
  CHECK_FALSE(policy::parse_time("2026-12-03T24:00:00Z").has_value());
  CHECK_FALSE(policy::parse_time("tomorrow").has_value());
}
