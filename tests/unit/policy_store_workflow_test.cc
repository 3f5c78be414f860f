// GrantStore's workflow steps on a real SQLite file: transitions persisted with their history,
// supersession, the one-time secret, concurrent approvals, expiry events, and the migration of a
// schema-1 file written by an earlier pgveil.
#include <catch2/catch.hpp>

#include <sqlite3.h>

#include <thread>

#include "policy/grant_store.h"
#include "policy/grant_store_schema.h"
#include "policy_test_support.h"
#include "proxy/wire/scram.h"

using namespace std::chrono_literals;
using policy::Action;
using policy::GrantState;
using policy::GrantStatus;
using policy::GrantStore;
using Kind = policy::Refusal::Kind;
using policy_test::base_time;
using policy_test::TempDir;
using Catch::Matchers::Contains;

namespace {

const policy::Actor kAlice{"alice", {"engineering"}, false};
const policy::Actor kBob{"bob", {"engineering", "oncall-leads"}, false};
const policy::Actor kCarol{"carol", {"oncall-leads"}, false};

std::unique_ptr<GrantStore> open_store(const std::string& path) {
  auto store = GrantStore::open_sqlite(path);
  if (!store) FAIL("open_sqlite: " << store.error());
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

TEST_CASE("store workflow: request, approve, collect the secret once; all persisted", "[policy][store][workflow]") {
  TempDir dir;
  Roles roles;
  const auto path = dir.file("state.db");
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

TEST_CASE("store workflow: deny, cancel and revoke record actor, time and reason", "[policy][store][workflow]") {
  TempDir dir;
  Roles roles;
  auto store = open_store(dir.file("state.db"));
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

TEST_CASE("store workflow: a new approval supersedes the person's live grant", "[policy][store][workflow]") {
  TempDir dir;
  Roles roles;
  auto store = open_store(dir.file("state.db"));
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

TEST_CASE("store workflow: concurrent approvals and requests from two connections", "[policy][store][workflow]") {
  TempDir dir;
  Roles roles;
  roles.support.approvals = 2;
  const auto path = dir.file("state.db");
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

TEST_CASE("store workflow: expiry is recorded once, dated when the grant ended", "[policy][store][workflow]") {
  TempDir dir;
  Roles roles;
  auto store = open_store(dir.file("state.db"));
  const auto id = request(*store, roles, base_time()).id;
  change(*store, roles, id, kBob, Action::kApprove, "", base_time());
  CHECK(*store->record_expiries(base_time() + 1h) == 0);
  CHECK(*store->record_expiries(base_time() + 3h) == 1);
  CHECK(*store->record_expiries(base_time() + 4h) == 0);
  auto g = store->get(id);
  REQUIRE(g->has_value());
  CHECK((*g)->history.back() == policy::GrantEvent{base_time() + 2h, "pgveil", "expire", "the approved duration ended"});
}

TEST_CASE("store workflow: a schema-1 file is migrated with its grants and revocations", "[policy][store][workflow]") {
  TempDir dir;
  const auto path = dir.file("old.db");
  {
    sqlite3* raw = nullptr;
    REQUIRE(sqlite3_open(path.c_str(), &raw) == SQLITE_OK);
    // The schema pgveil 0.1 wrote (grant_store_schema.cc, migration 1), with two grants.
    const char* v1 = R"sql(
PRAGMA application_id = 1885828716;
CREATE TABLE grants (
  id INTEGER PRIMARY KEY AUTOINCREMENT, person TEXT NOT NULL, database TEXT NOT NULL, role TEXT NOT NULL,
  reason TEXT NOT NULL, created_by TEXT NOT NULL, created_at_us INTEGER NOT NULL, not_before_us INTEGER NOT NULL,
  not_after_us INTEGER NOT NULL, revoked_at_us INTEGER, revoked_by TEXT NOT NULL DEFAULT '',
  revoke_reason TEXT NOT NULL DEFAULT '', verifier TEXT NOT NULL, CHECK (not_after_us > not_before_us));
CREATE INDEX grants_by_person_database ON grants (person, database);
CREATE TABLE grant_changes (singleton INTEGER PRIMARY KEY CHECK (singleton = 1), counter INTEGER NOT NULL);
INSERT INTO grant_changes VALUES (1, 0);
CREATE TRIGGER grants_changed_on_insert AFTER INSERT ON grants BEGIN UPDATE grant_changes SET counter = counter + 1; END;
CREATE TRIGGER grants_changed_on_update AFTER UPDATE ON grants BEGIN UPDATE grant_changes SET counter = counter + 1; END;
CREATE TRIGGER grants_changed_on_delete AFTER DELETE ON grants BEGIN UPDATE grant_changes SET counter = counter + 1; END;
INSERT INTO grants (person, database, role, reason, created_by, created_at_us, not_before_us, not_after_us, verifier)
  VALUES ('alice', 'prod', 'support', 'INC-1', 'cli:root', 1000000, 1000000, 3601000000, 'v1');
INSERT INTO grants (person, database, role, reason, created_by, created_at_us, not_before_us, not_after_us,
                    revoked_at_us, revoked_by, revoke_reason, verifier)
  VALUES ('bob', 'prod', 'support', 'INC-2', 'cli:root', 1000000, 1000000, 3601000000, 2000000, 'cli:ops', 'done', 'v2');
PRAGMA user_version = 1;
)sql";
    REQUIRE(sqlite3_exec(raw, v1, nullptr, nullptr, nullptr) == SQLITE_OK);
    sqlite3_close(raw);
  }
  auto store = open_store(path);
  auto all = store->list();
  REQUIRE(all.has_value());
  REQUIRE(all->size() == 2);
  const auto& alice = (*all)[0];
  CHECK(alice.status == GrantStatus::kApproved);
  CHECK(alice.duration == 1h);
  CHECK(alice.verifier == "v1");
  REQUIRE(alice.history.size() == 1);
  CHECK(alice.history[0].action == "issue");
  CHECK(alice.history[0].actor == "cli:root");
  const auto& bob = (*all)[1];
  CHECK(bob.status == GrantStatus::kRevoked);
  CHECK(policy::state_at(bob, policy::TimePoint{} + 1500ms) == GrantState::kRevoked);
  REQUIRE(bob.history.size() == 2);
  CHECK(bob.history[1] == policy::GrantEvent{policy::TimePoint{} + 2s, "cli:ops", "revoke", "done"});
  // The triggers came back with the rebuilt table: changes are still counted.
  const auto before = *store->change_counter();
  REQUIRE(store->revoke(alice.id, "cli:ops", "x", policy::TimePoint{} + 3s).value());
  CHECK(*store->change_counter() > before);
  // New ids never reuse old ones.
  Roles roles;
  CHECK(request(*store, roles, base_time()).id == 3);
}

TEST_CASE("store tokens: shown once, stored as a digest, revocable", "[policy][store][token]") {
  TempDir dir;
  const auto path = dir.file("state.db");
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
  // Only the digest is in the file.
  CHECK(policy_test::read_bytes(path).find(value) == std::string::npos);
  CHECK(policy_test::read_bytes(path + "-wal").find(value) == std::string::npos);
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
