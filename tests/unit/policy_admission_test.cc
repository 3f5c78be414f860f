#include <catch2/catch.hpp>

#include "policy/admission.h"
#include "policy_test_support.h"

using namespace std::chrono_literals;
using Outcome = policy::Admission::Outcome;
using policy_test::base_time;

namespace {

policy::Grant grant_12() {
  policy::Grant grant;
  grant.id = 12;
  grant.person = "alice";
  grant.database = "prod";
  grant.role = "support";
  grant.reason = "INC-42";
  grant.created_by = "cli:root";
  grant.created_at = base_time() - 1h;
  grant.not_before = base_time();
  grant.not_after = base_time() + 1h;  // 2026-12-03T18:00:00Z
  grant.verifier = "SCRAM-SHA-256$4096:c2FsdA==$a2V5:a2V5";  // admission only needs one to exist
  return grant;
}

}  // namespace

TEST_CASE("admission: active grant admits", "[policy][admission]") {
  const auto grant = grant_12();
  for (auto now : {base_time(), base_time() + 59min + 59s}) {
    const auto decision = policy::decide_admission("alice", "prod", grant, now);
    CHECK(decision.outcome == Outcome::kAdmitted);
    CHECK(decision.admitted());
    CHECK(decision.sqlstate.empty());
    CHECK(decision.hint.empty());
    REQUIRE(decision.grant);
    CHECK(decision.grant->id == 12);
    CHECK(decision.message ==
          "pgveil grant 12 for user \"alice\" on database \"prod\" (role support) is active until "
          "2026-12-03T18:00:00Z");
  }
}

TEST_CASE("admission: no grant at all", "[policy][admission]") {
  const auto decision = policy::decide_admission("alice", "prod", std::nullopt, base_time());
  CHECK(decision.outcome == Outcome::kNoGrant);
  CHECK_FALSE(decision.admitted());
  CHECK_FALSE(decision.grant);
  CHECK(decision.sqlstate == "28000");
  CHECK(decision.message == "no active pgveil grant for user \"alice\" on database \"prod\"");
  CHECK(decision.hint ==
        "Ask for access: pgveil request --db prod --role <role> --reason \"<ticket>\" (or ask an "
        "operator: pgveil grant create --user alice --db prod --role <role> --for 1h --reason "
        "\"<ticket>\")");
}

TEST_CASE("admission: a grant for someone else or another database is no grant", "[policy][admission]") {
  const auto grant = grant_12();
  const auto other_person = policy::decide_admission("mallory", "prod", grant, base_time());
  CHECK(other_person.outcome == Outcome::kNoGrant);
  CHECK(other_person.message == "no active pgveil grant for user \"mallory\" on database \"prod\"");
  const auto other_db = policy::decide_admission("alice", "billing", grant, base_time());
  CHECK(other_db.outcome == Outcome::kNoGrant);
  CHECK(other_db.sqlstate == "28000");
}

TEST_CASE("admission: scheduled grant says when it starts", "[policy][admission]") {
  const auto grant = grant_12();
  const auto decision = policy::decide_admission("alice", "prod", grant, base_time() - 2h - 5min);
  CHECK(decision.outcome == Outcome::kScheduled);
  CHECK(decision.sqlstate == "28000");
  REQUIRE(decision.grant);
  CHECK(decision.message ==
        "pgveil grant 12 for user \"alice\" on database \"prod\" starts at 2026-12-03T17:00:00Z");
  CHECK(decision.hint ==
        "The grant (role support) is valid from 2026-12-03T17:00:00Z until 2026-12-03T18:00:00Z; "
        "connect again in 2h 5m.");
  // One nanosecond before the start still refuses; the wait rounds up, never to "0s".
  const auto just_before = policy::decide_admission("alice", "prod", grant, base_time() - 1ns);
  CHECK(just_before.outcome == Outcome::kScheduled);
  CHECK_THAT(just_before.hint, Catch::EndsWith("connect again in 1s."));
}

TEST_CASE("admission: expired grant says when it expired", "[policy][admission]") {
  const auto grant = grant_12();
  const auto decision = policy::decide_admission("alice", "prod", grant, base_time() + 1h);
  CHECK(decision.outcome == Outcome::kExpired);
  CHECK(decision.sqlstate == "28000");
  CHECK(decision.message ==
        "pgveil grant 12 for user \"alice\" on database \"prod\" expired at 2026-12-03T18:00:00Z");
  CHECK(decision.hint ==
        "Ask for access again: pgveil request --db prod --role support --reason \"<ticket>\" (or "
        "ask an operator: pgveil grant create --user alice --db prod --role support --for 1h "
        "--reason \"<ticket>\")");
}

TEST_CASE("admission: a request nobody approved in time says it expired unapproved", "[policy][admission]") {
  auto grant = grant_12();
  grant.status = policy::GrantStatus::kRequested;
  grant.not_before = grant.not_after = {};
  grant.request_expires_at = base_time() + 30min;
  CHECK(policy::decide_admission("alice", "prod", grant, base_time() + 29min).outcome == Outcome::kPending);
  const auto decision = policy::decide_admission("alice", "prod", grant, base_time() + 30min);
  CHECK(decision.outcome == Outcome::kExpired);
  CHECK(decision.sqlstate == "28000");
  CHECK(decision.message ==
        "pgveil grant 12 for user \"alice\" on database \"prod\" expired at 2026-12-03T17:30:00Z without being "
        "approved");
}

TEST_CASE("admission: revoked grant says when, by whom and why", "[policy][admission]") {
  auto grant = grant_12();
  grant.revoked_at = base_time() + 10min;
  grant.revoked_by = "bob";
  grant.revoke_reason = "incident closed";
  const auto decision = policy::decide_admission("alice", "prod", grant, base_time() + 20min);
  CHECK(decision.outcome == Outcome::kRevoked);
  CHECK(decision.sqlstate == "28000");
  CHECK(decision.message ==
        "pgveil grant 12 for user \"alice\" on database \"prod\" was revoked at "
        "2026-12-03T17:10:00Z by bob: incident closed");
  CHECK_THAT(decision.hint, Catch::StartsWith("Ask for access again: pgveil request --db prod --role support"));

  grant.revoke_reason.clear();
  CHECK(policy::decide_admission("alice", "prod", grant, base_time() + 20min).message ==
        "pgveil grant 12 for user \"alice\" on database \"prod\" was revoked at 2026-12-03T17:10:00Z by bob");
}

TEST_CASE("admission: hints quote names a shell would misread", "[policy][admission]") {
  auto grant = grant_12();
  grant.person = "o'brien";
  grant.database = "prod eu";
  grant.role = "read only";
  const auto decision = policy::decide_admission("o'brien", "prod eu", grant, base_time() + 2h);
  CHECK(decision.outcome == Outcome::kExpired);
  CHECK(decision.hint ==
        "Ask for access again: pgveil request --db 'prod eu' --role 'read only' --reason \"<ticket>\" "
        "(or ask an operator: pgveil grant create --user 'o'\\''brien' --db 'prod eu' --role 'read "
        "only' --for 1h --reason \"<ticket>\")");
}

TEST_CASE("admission outcome names", "[policy][admission]") {
  CHECK(policy::to_string(Outcome::kAdmitted) == "admitted");
  CHECK(policy::to_string(Outcome::kNoGrant) == "no_grant");
  CHECK(policy::to_string(Outcome::kScheduled) == "scheduled");
  CHECK(policy::to_string(Outcome::kExpired) == "expired");
  CHECK(policy::to_string(Outcome::kRevoked) == "revoked");
}
