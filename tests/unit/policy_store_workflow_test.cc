// GrantStore's workflow steps, on each backend (store_under_test.h): transitions persisted with
// their history, supersession (also at a scheduled start), the one-time secret, concurrent
// approvals, expiry events of grants and of requests nobody approved.
#include <catch2/catch.hpp>
#include <fmt/format.h>


#include <thread>

#include "policy/grant_store.h"
#include "policy/grant_store_schema.h"
#include "policy/time_format.h"
#include "policy_test_support.h"
#include "store_under_test.h"
#include "proxy/wire/scram.h"

using namespace std::chrono_literals;
using policy::Action;
using policy::GrantState;
using policy::GrantStatus;
using policy::GrantStore;
using Kind = policy::Refusal::Kind;
using policy_test::base_time;
using policy_test::kAlice;
using policy_test::kBob;
using policy_test::kCarol;
using Catch::Matchers::Contains;

namespace {

std::unique_ptr<GrantStore> open_store(const std::string& path) {
  auto store = store_test::open_at(path);
  if (!store) FAIL("open: " << store.error());
  return std::move(*store);
}

struct Roles {
  policy::RoleRules support{"support", {"prod"}, {"engineering"}, {"oncall-leads"}, {}, 1, 4h};
  GrantStore::RoleLookup lookup() const {
    return [this](std::string_view name) { return name == "support" ? &support : nullptr; };
  }
};

policy::Grant request(GrantStore& store, const Roles& roles, policy::TimePoint now,
                      const policy::Actor& who = kAlice) {
  auto grant = store.create_request(who, &roles.support, {"prod", "support", "INC-7", 2h, std::nullopt}, now);
  if (!grant) FAIL("create_request: " << grant.error().message);
  return *grant;
}

policy::Grant change(GrantStore& store, const Roles& roles, std::int64_t id, const policy::Actor& who, Action action,
                     std::string_view reason, policy::TimePoint now) {
  auto grant = store.change(id, roles.lookup(), who, action, reason, now);
  if (!grant) FAIL(policy::to_string(action) << ": " << grant.error().message);
  return *grant;
}

}  // namespace

TEST_CASE("store workflow: request, approve, collect the secret once; all persisted", "[policy][store][workflow]" STORE_TAG) {
  store_test::Stores dir;
  Roles roles;
  const auto path = dir.location("state.db");
  std::int64_t id = 0;
  std::string secret;
  {
    auto store = open_store(path);
    const auto asked = request(*store, roles, base_time());
    id = asked.id;
    CHECK(id > 0);
    CHECK(asked.status == GrantStatus::kRequested);
    auto found = store->find_for("alice", "prod", base_time() + 1min);
    REQUIRE(found.has_value());
    REQUIRE(found->has_value());
    CHECK(policy::state_at(**found, base_time()) == GrantState::kRequested);

    const auto self = store->change(id, roles.lookup(), policy::Actor{"alice", {"oncall-leads"}, false},
                                    Action::kApprove, "", base_time() + 1min);
    REQUIRE_FALSE(self.has_value());
    CHECK(self.error().kind == Kind::kForbidden);

    const auto approved = change(*store, roles, id, kBob, Action::kApprove, "", base_time() + 10min);
    CHECK(approved.status == GrantStatus::kApproved);
    CHECK(approved.not_before == base_time() + 10min);
    CHECK(approved.not_after == base_time() + 2h + 10min);

    CHECK(store->claim_secret(id, kBob, base_time() + 11min).error().kind == Kind::kForbidden);
    auto claimed = store->claim_secret(id, kAlice, base_time() + 11min);
    REQUIRE(claimed.has_value());
    secret = claimed->secret;
    CHECK(claimed->grant.verifier.find(secret) == std::string::npos);
    auto again = store->claim_secret(id, kAlice, base_time() + 12min);
    REQUIRE_FALSE(again.has_value());
    CHECK(again.error().kind == Kind::kConflict);
  }
  // A restart (a new GrantStore on the same file) sees everything, history included.
  auto store = open_store(path);
  auto got = store->get(id);
  REQUIRE(got.has_value());
  REQUIRE(got->has_value());
  const auto& g = **got;
  CHECK(g.status == GrantStatus::kApproved);
  CHECK(policy::state_at(g, base_time() + 1h) == GrantState::kActive);
  REQUIRE(g.history.size() == 3);
  CHECK(g.history[0] == policy::GrantEvent{base_time(), "alice", "request", "INC-7"});
  CHECK(g.history[1] == policy::GrantEvent{base_time() + 10min, "bob", "approve", ""});
  CHECK(g.history[2].action == "secret");
  CHECK(g.history[2].actor == "alice");
  auto verifier = pgwire::scram::Verifier::parse(g.verifier);
  REQUIRE(verifier.has_value());
}

TEST_CASE("store workflow: deny, cancel and revoke record actor, time and reason", "[policy][store][workflow]" STORE_TAG) {
  store_test::Stores dir;
  Roles roles;
  auto store = open_store(dir.location("state.db"));
  const auto denied = change(*store, roles, request(*store, roles, base_time()).id, kCarol, Action::kDeny,
                             "use the replica", base_time() + 1min);
  CHECK(denied.status == GrantStatus::kDenied);
  CHECK(denied.history.back() == policy::GrantEvent{base_time() + 1min, "carol", "deny", "use the replica"});

  const auto cancelled = change(*store, roles, request(*store, roles, base_time()).id, kAlice, Action::kCancel, "",
                                base_time() + 2min);
  CHECK(cancelled.status == GrantStatus::kCancelled);

  const auto id = request(*store, roles, base_time()).id;
  change(*store, roles, id, kBob, Action::kApprove, "", base_time() + 3min);
  const auto revoked = change(*store, roles, id, kCarol, Action::kRevoke, "incident over", base_time() + 4min);
  CHECK(revoked.status == GrantStatus::kRevoked);
  CHECK(*revoked.revoked_at == base_time() + 4min);
  CHECK(revoked.revoked_by == "carol");
  CHECK(revoked.revoke_reason == "incident over");
  auto stored = store->get(id);
  REQUIRE(stored->has_value());
  CHECK(**stored == revoked);
  const auto missing = store->change(9999, roles.lookup(), kBob, Action::kApprove, "", base_time());
  CHECK(missing.error().kind == Kind::kNotFound);
}

TEST_CASE("store workflow: a new approval supersedes the person's live grant", "[policy][store][workflow]" STORE_TAG) {
  store_test::Stores dir;
  Roles roles;
  auto store = open_store(dir.location("state.db"));
  const auto first = request(*store, roles, base_time()).id;
  change(*store, roles, first, kBob, Action::kApprove, "", base_time());
  const auto second = request(*store, roles, base_time() + 10min).id;
  // Until the second is approved, the first stays the active one.
  CHECK((*store->find_for("alice", "prod", base_time() + 11min))->id == first);
  change(*store, roles, second, kCarol, Action::kApprove, "", base_time() + 20min);
  auto old = store->get(first);
  REQUIRE(old->has_value());
  CHECK(policy::state_at(**old, base_time() + 21min) == GrantState::kRevoked);
  CHECK((*old)->revoked_by == "carol");
  CHECK((*old)->revoke_reason == "superseded by grant " + std::to_string(second));
  CHECK((*old)->history.back().action == "revoke");
  CHECK((*store->find_for("alice", "prod", base_time() + 21min))->id == second);
}

TEST_CASE("store workflow: concurrent approvals and requests from two connections", "[policy][store][workflow]" STORE_TAG) {
  store_test::Stores dir;
  Roles roles;
  roles.support.approvals = 2;
  const auto path = dir.location("state.db");
  auto a = open_store(path);
  auto b = open_store(path);
  for (int round = 0; round < 10; ++round) {
    const auto id = request(*a, roles, base_time()).id;
    std::expected<policy::Grant, policy::Refusal> by_bob, by_carol;
    std::thread t1([&] { by_bob = a->change(id, roles.lookup(), kBob, Action::kApprove, "", base_time() + 1min); });
    std::thread t2([&] { by_carol = b->change(id, roles.lookup(), kCarol, Action::kApprove, "", base_time() + 1min); });
    t1.join();
    t2.join();
    REQUIRE(by_bob.has_value());
    REQUIRE(by_carol.has_value());
    auto final_grant = a->get(id);
    REQUIRE(final_grant->has_value());
    CHECK((*final_grant)->status == GrantStatus::kApproved);
    CHECK((*final_grant)->approvals() == 2);
    // Exactly one of the two saw the grant become approved.
    CHECK((by_bob->status == GrantStatus::kApproved) != (by_carol->status == GrantStatus::kApproved));
  }
  std::vector<std::thread> requesters;
  std::vector<std::int64_t> ids(8);
  for (int i = 0; i < 8; ++i)
    requesters.emplace_back([&, i] { ids[i] = request(i % 2 ? *a : *b, roles, base_time()).id; });
  for (auto& t : requesters) t.join();
  std::sort(ids.begin(), ids.end());
  CHECK(std::adjacent_find(ids.begin(), ids.end()) == ids.end());
}

TEST_CASE("store workflow: expiry is recorded once, dated when the grant ended", "[policy][store][workflow]" STORE_TAG) {
  store_test::Stores dir;
  Roles roles;
  auto store = open_store(dir.location("state.db"));
  const auto id = request(*store, roles, base_time()).id;
  change(*store, roles, id, kBob, Action::kApprove, "", base_time());
  CHECK(*store->record_expiries(base_time() + 1h) == 0);
  CHECK(*store->record_expiries(base_time() + 3h) == 1);
  CHECK(*store->record_expiries(base_time() + 4h) == 0);
  auto g = store->get(id);
  REQUIRE(g->has_value());
  CHECK((*g)->history.back() == policy::GrantEvent{base_time() + 2h, "pgveil", "expire", "the approved duration ended"});
}

TEST_CASE("store tokens: shown once, stored as a digest, revocable", "[policy][store][token]" STORE_TAG) {
  store_test::Stores dir;
  const auto path = dir.location("state.db");
  auto store = open_store(path);
  auto issued = store->issue_token("alice", "admin", base_time());
  REQUIRE(issued.has_value());
  const auto& [token, value] = *issued;
  CHECK(value.starts_with("pgv_"));
  CHECK(value.size() == 47);
  CHECK(token.person == "alice");
  auto found = store->find_token(value);
  REQUIRE(found.has_value());
  REQUIRE(found->has_value());
  CHECK((*found)->id == token.id);
  CHECK_FALSE(store->find_token(value + "x")->has_value());
  // Only the digest is stored.
  CHECK_FALSE(dir.holds_text("state.db", value));
  CHECK(dir.holds_text("state.db", policy::token_digest(value)));
  CHECK(policy::token_digest("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  CHECK(policy::same_digest(policy::token_digest("abc"), policy::token_digest("abc")));
  CHECK_FALSE(policy::same_digest(policy::token_digest("abc"), policy::token_digest("abd")));

  CHECK(*store->revoke_token(token.id, "admin", base_time() + 1min));
  CHECK_FALSE(*store->revoke_token(token.id, "admin", base_time() + 2min));
  CHECK_FALSE(store->revoke_token(999, "admin", base_time()).has_value());
  CHECK_FALSE(store->find_token(value)->has_value());
  auto all = store->list_tokens();
  REQUIRE(all->size() == 1);
  CHECK((*all)[0].revoked_by == "admin");
}

TEST_CASE("store workflow: a request nobody approves in time expires", "[policy][store][workflow]" STORE_TAG) {
  store_test::Stores dir;
  Roles roles;
  GrantStore::Options options;
  options.request_ttl = 30min;
  auto opened = store_test::open_at(dir.location("state.db"), options);
  REQUIRE(opened.has_value());
  auto& store = **opened;
  const auto t0 = base_time();
  const auto id = request(store, roles, t0).id;
  REQUIRE((*store.get(id))->request_expires_at == t0 + 30min);
  // Just before the deadline it is still waiting; admission says so.
  CHECK(policy::state_at(**store.get(id), t0 + 30min - 1us) == GrantState::kRequested);
  CHECK((*store.find_for("alice", "prod", t0 + 29min))->id == id);
  CHECK(*store.record_expiries(t0 + 29min) == 0);

  // From the deadline on it is expired: it can be neither approved nor denied, and the secret
  // cannot be collected.
  const auto late = t0 + 30min;
  auto approved = store.change(id, roles.lookup(), kBob, Action::kApprove, "", late);
  REQUIRE_FALSE(approved.has_value());
  CHECK(approved.error().kind == Kind::kConflict);
  CHECK_THAT(approved.error().message, Contains("it is expired"));
  auto denied = store.change(id, roles.lookup(), kBob, Action::kDeny, "too late", late + 1min);
  REQUIRE_FALSE(denied.has_value());
  CHECK(denied.error().kind == Kind::kConflict);
  CHECK_FALSE(store.claim_secret(id, kAlice, late).has_value());

  // The "expire" event is recorded once, dated at the deadline, with the reason.
  CHECK(*store.record_expiries(late + 2min) == 1);
  CHECK(*store.record_expiries(late + 3min) == 0);
  auto g = store.get(id);
  REQUIRE(g->has_value());
  CHECK((*g)->status == GrantStatus::kRequested);  // what people decided: nothing
  CHECK(policy::state_at(**g, late + 3min) == GrantState::kExpired);
  CHECK((*g)->history.back() ==
        policy::GrantEvent{t0 + 30min, "pgveil", "expire", "the request was not approved in time (workflow.request_ttl)"});
  CHECK((*g)->history.size() == 2);  // request, expire: the refused approve and deny left no trace

  // find_for ranks it with the ended grants: a newer pending request is what admission reports.
  const auto newer = request(store, roles, late + 5min).id;
  CHECK((*store.find_for("alice", "prod", late + 6min))->id == newer);
  // The deadline is kept across a restart.
  auto reopened = open_store(dir.location("state.db"));
  CHECK((*reopened->get(newer))->request_expires_at == late + 35min);
}

TEST_CASE("store workflow: approving a scheduled grant supersedes the live one at its start",
          "[policy][store][workflow]" STORE_TAG) {
  store_test::Stores dir;
  Roles roles;
  auto store = open_store(dir.location("state.db"));
  const auto t0 = base_time();
  const auto current = request(*store, roles, t0).id;  // t0 .. t0+2h once approved
  change(*store, roles, current, kBob, Action::kApprove, "", t0);
  // A later request for a window starting at t0+1h, approved at t0+10min.
  auto scheduled = store->create_request(kAlice, &roles.support, {"prod", "support", "INC-8", 2h, t0 + 1h}, t0 + 5min);
  REQUIRE(scheduled.has_value());
  const auto next = change(*store, roles, scheduled->id, kCarol, Action::kApprove, "", t0 + 10min);
  CHECK(next.not_before == t0 + 1h);

  // The current grant keeps working until the scheduled one starts, and then ends by the clock.
  auto old = store->get(current);
  REQUIRE(old->has_value());
  CHECK_FALSE((*old)->revoked_at);
  CHECK((*old)->status == GrantStatus::kApproved);
  CHECK((*old)->not_after == t0 + 1h);
  CHECK((*old)->history.back() ==
        policy::GrantEvent{t0 + 10min, "carol", "supersede",
                           fmt::format("superseded by grant {} from {}", next.id, policy::format_time(t0 + 1h))});
  CHECK(policy::state_at(**old, t0 + 59min) == GrantState::kActive);
  CHECK((*store->find_for("alice", "prod", t0 + 59min))->id == current);
  CHECK(policy::state_at(**old, t0 + 1h) == GrantState::kExpired);
  CHECK((*store->find_for("alice", "prod", t0 + 1h))->id == next.id);
  CHECK(*store->record_expiries(t0 + 1h) == 1);  // the old grant's end is in the history

  // A grant that would only start after the scheduled one starts is revoked at once.
  auto later = store->create_request(kAlice, &roles.support, {"prod", "support", "INC-9", 1h, t0 + 3h}, t0 + 20min);
  REQUIRE(later.has_value());
  change(*store, roles, later->id, kBob, Action::kApprove, "", t0 + 20min);
  auto earlier = store->create_request(kAlice, &roles.support, {"prod", "support", "INC-10", 1h, t0 + 2h}, t0 + 25min);
  REQUIRE(earlier.has_value());
  change(*store, roles, earlier->id, kBob, Action::kApprove, "", t0 + 25min);
  auto dropped = store->get(later->id);
  CHECK(policy::state_at(**dropped, t0 + 25min) == GrantState::kRevoked);
  CHECK((*dropped)->revoke_reason == "superseded by grant " + std::to_string(earlier->id));
}
