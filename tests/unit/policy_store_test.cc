#include <catch2/catch.hpp>

#include "policy/grant_store.h"
#include "policy/secret.h"
#include "proxy/wire/scram.h"
#include "policy_test_support.h"
#include "store_under_test.h"

using namespace std::chrono_literals;
using policy::GrantState;
using policy::GrantStore;
using policy_test::base_time;

namespace {

std::unique_ptr<GrantStore> open_store(const std::string& path) {
  auto store = store_test::open_at(path);
  if (!store) FAIL("open: " << store.error());
  return std::move(*store);
}

policy::NewGrant request(std::string person = "alice", std::string database = "prod",
                         policy::TimePoint from = base_time(), policy::Clock::duration length = 1h) {
  return policy::NewGrant{std::move(person), std::move(database), "support", "INC-42 refund check",
                          "cli:root", from, from + length};
}

policy::IssuedGrant issue(GrantStore& store, const policy::NewGrant& req, policy::TimePoint now) {
  auto issued = store.issue(req, now);
  if (!issued) FAIL("issue: " << issued.error());
  return std::move(*issued);
}

std::int64_t counter(GrantStore& store) {
  auto value = store.change_counter();
  if (!value) FAIL("change_counter: " << value.error());
  return *value;
}

}  // namespace

TEST_CASE("store: issue, get and list round-trip through the store", "[policy][store]" STORE_TAG) {
  store_test::Stores dir;
  auto store = open_store(dir.location("state.db"));
  const auto now = base_time() - 5min;
  const auto issued = issue(*store, request(), now);
  const auto& grant = issued.grant;
  CHECK(grant.id > 0);
  CHECK(grant.person == "alice");
  CHECK(grant.database == "prod");
  CHECK(grant.role == "support");
  CHECK(grant.reason == "INC-42 refund check");
  CHECK(grant.created_by == "cli:root");
  CHECK(grant.created_at == now);
  CHECK(grant.not_before == base_time());
  CHECK(grant.not_after == base_time() + 1h);
  CHECK_FALSE(grant.revoked_at);
  CHECK_FALSE(grant.verifier.empty());
  CHECK(grant.verifier.find(issued.secret) == std::string::npos);

  auto got = store->get(grant.id);
  REQUIRE(got);
  REQUIRE(*got);
  CHECK(**got == grant);

  auto missing = store->get(grant.id + 1000);
  REQUIRE(missing);
  CHECK_FALSE(*missing);

  const auto other = issue(*store, request("bob", "prod"), now);
  const auto other_db = issue(*store, request("alice", "billing"), now);
  auto all = store->list();
  REQUIRE(all);
  REQUIRE(all->size() == 3);
  CHECK((*all)[0] == grant);
  CHECK((*all)[1] == other.grant);
  CHECK((*all)[2] == other_db.grant);
  auto alices = store->list(std::string("alice"));
  REQUIRE(alices);
  REQUIRE(alices->size() == 2);
  CHECK((*alices)[0].id == grant.id);
  CHECK((*alices)[1].id == other_db.grant.id);
  auto on_prod = store->list(std::nullopt, std::string("prod"));
  REQUIRE(on_prod);
  CHECK(on_prod->size() == 2);
  auto alice_billing = store->list(std::string("alice"), std::string("billing"));
  REQUIRE(alice_billing);
  REQUIRE(alice_billing->size() == 1);
  CHECK((*alice_billing)[0].id == other_db.grant.id);
  auto nobody = store->list(std::string("carol"));
  REQUIRE(nobody);
  CHECK(nobody->empty());
}

TEST_CASE("store: times are kept to the microsecond, truncated toward the past", "[policy][store]" STORE_TAG) {
  store_test::Stores dir;
  auto store = open_store(dir.location("state.db"));
  auto req = request();
  req.not_before = base_time() + 1234567ns;  // 1.234567 ms
  req.not_after = base_time() + 1h + 999ns;
  const auto issued = issue(*store, req, base_time() - 1ns);
  CHECK(issued.grant.not_before == base_time() + 1234us);
  CHECK(issued.grant.not_after == base_time() + 1h);
  CHECK(issued.grant.created_at == base_time() - 1us);
  auto got = store->get(issued.grant.id);
  REQUIRE(got);
  REQUIRE(*got);
  CHECK(**got == issued.grant);
}

TEST_CASE("store: issue rejects invalid requests without writing", "[policy][store]" STORE_TAG) {
  store_test::Stores dir;
  auto store = open_store(dir.location("state.db"));
  const auto before = counter(*store);
  auto check_rejected = [&](policy::NewGrant req, std::string_view expected) {
    auto issued = store->issue(req, base_time() - 1min);
    REQUIRE_FALSE(issued);
    CHECK_THAT(issued.error(), Catch::Contains(std::string(expected)));
  };
  auto req = request();
  req.person.clear();
  check_rejected(req, "user is empty");
  req = request();
  req.database.clear();
  check_rejected(req, "database is empty");
  req = request();
  req.role.clear();
  check_rejected(req, "role is empty");
  req = request();
  req.reason.clear();
  check_rejected(req, "reason is empty");
  req = request();
  req.created_by.clear();
  check_rejected(req, "created_by is empty");
  req = request();
  req.not_after = req.not_before;
  check_rejected(req, "ends (2026-12-03T17:00:00Z) before it starts (2026-12-03T17:00:00Z)");
  req = request();
  req.not_after = req.not_before + 999ns;  // the same microsecond once stored
  check_rejected(req, "before it starts");
  req = request("alice", "prod", base_time() - 2h, 1h);  // 15:00-16:00, issued at 17:00
  auto late = store->issue(req, base_time());
  REQUIRE_FALSE(late);
  CHECK_THAT(late.error(), Catch::Contains("ends (2026-12-03T16:00:00Z) before now (2026-12-03T17:00:00Z)"));
  CHECK(counter(*store) == before);
  auto all = store->list();
  REQUIRE(all);
  CHECK(all->empty());
}

TEST_CASE("store: find_for picks active, else scheduled, else the latest ended", "[policy][store]" STORE_TAG) {
  store_test::Stores dir;
  auto store = open_store(dir.location("state.db"));
  const auto t0 = base_time();

  auto none = store->find_for("alice", "prod", t0);
  REQUIRE(none);
  CHECK_FALSE(*none);

  // Grant A: 17:00-18:00.
  const auto a = issue(*store, request("alice", "prod", t0, 1h), t0 - 1h).grant;
  auto check_found = [&](policy::TimePoint now, std::int64_t id, GrantState state) {
    auto found = store->find_for("alice", "prod", now);
    REQUIRE(found);
    REQUIRE(*found);
    CHECK((*found)->id == id);
    CHECK(policy::state_at(**found, now) == state);
  };
  check_found(t0 - 1ns, a.id, GrantState::kScheduled);
  check_found(t0, a.id, GrantState::kActive);
  check_found(t0 + 1h - 1us, a.id, GrantState::kActive);
  check_found(t0 + 1h, a.id, GrantState::kExpired);

  // Other people and databases do not see it.
  auto bob = store->find_for("bob", "prod", t0);
  REQUIRE(bob);
  CHECK_FALSE(*bob);
  auto billing = store->find_for("alice", "billing", t0);
  REQUIRE(billing);
  CHECK_FALSE(*billing);

  // Grant B issued at 19:00 for 20:00-21:00 (A has expired, so nothing is superseded).
  const auto b = issue(*store, request("alice", "prod", t0 + 3h, 1h), t0 + 2h).grant;
  check_found(t0 + 2h, b.id, GrantState::kScheduled);  // scheduled beats an expired one
  check_found(t0 + 3h, b.id, GrantState::kActive);
  check_found(t0 + 5h, b.id, GrantState::kExpired);    // the most recently ended
  auto a_now = store->get(a.id);
  REQUIRE(a_now);
  CHECK_FALSE((*a_now)->revoked_at);

  // Revoked during its window: find_for reports the revocation.
  REQUIRE(store->revoke(b.id, "bob", "done early", t0 + 3h + 10min).value());
  check_found(t0 + 3h + 20min, b.id, GrantState::kRevoked);
  check_found(t0 + 10h, b.id, GrantState::kRevoked);
}

TEST_CASE("store: issuing supersedes the live grant for the same person and database", "[policy][store]" STORE_TAG) {
  store_test::Stores dir;
  auto store = open_store(dir.location("state.db"));
  const auto t0 = base_time();
  // An older grant for alice on prod that had already expired when the others were issued.
  const auto expired = issue(*store, request("alice", "prod", t0 - 3h, 1h), t0 - 3h).grant;
  const auto active = issue(*store, request("alice", "prod", t0, 2h), t0).grant;
  const auto other_db = issue(*store, request("alice", "billing", t0, 2h), t0).grant;
  const auto other_person = issue(*store, request("bob", "prod", t0, 2h), t0).grant;

  // A grant starting now supersedes the active one at once.
  const auto newer = issue(*store, request("alice", "prod", t0 + 10min, 1h), t0 + 10min).grant;
  auto superseded = store->get(active.id);
  REQUIRE(superseded);
  REQUIRE(*superseded);
  REQUIRE((*superseded)->revoked_at);
  CHECK(*(*superseded)->revoked_at == t0 + 10min);
  CHECK((*superseded)->revoked_by == "cli:root");
  CHECK((*superseded)->revoke_reason == "superseded by grant " + std::to_string(newer.id));
  CHECK(policy::state_at(**superseded, t0 + 10min) == GrantState::kRevoked);

  // Untouched: other database, other person, and an unrelated expired grant.
  for (auto id : {other_db.id, other_person.id, expired.id}) {
    auto grant = store->get(id);
    REQUIRE(grant);
    REQUIRE(*grant);
    CHECK_FALSE((*grant)->revoked_at);
  }

  // A grant scheduled for later supersedes the active one at its start, not now: until then
  // alice keeps working on the old one, whose window now ends when the new one starts.
  const auto scheduled = issue(*store, request("alice", "prod", t0 + 30min, 1h), t0 + 15min).grant;
  auto cut = store->get(newer.id);
  REQUIRE(cut);
  REQUIRE(*cut);
  CHECK_FALSE((*cut)->revoked_at);
  CHECK((*cut)->not_after == t0 + 30min);
  CHECK((*cut)->history.back().action == "supersede");
  auto found = store->find_for("alice", "prod", t0 + 20min);
  REQUIRE(found);
  REQUIRE(*found);
  CHECK((*found)->id == newer.id);
  CHECK(policy::state_at(**found, t0 + 20min) == GrantState::kActive);
  CHECK((*store->find_for("alice", "prod", t0 + 30min))->id == scheduled.id);

  // A scheduled grant is superseded too: a grant starting before it replaces it at once.
  const auto newest = issue(*store, request("alice", "prod", t0 + 16min, 1h), t0 + 16min).grant;
  auto replaced = store->get(scheduled.id);
  REQUIRE(replaced);
  CHECK((*replaced)->revoke_reason == "superseded by grant " + std::to_string(newest.id));
  // An expired grant for the same pair is left alone (it already ended).
  const auto t1 = t0 + 5h;
  const auto later = issue(*store, request("alice", "prod", t1, 1h), t1).grant;
  auto ended = store->get(newest.id);
  REQUIRE(ended);
  CHECK_FALSE((*ended)->revoked_at);
  auto live = store->list(std::string("alice"), std::string("prod"));
  REQUIRE(live);
  int not_ended = 0;
  for (const auto& grant : *live) {
    if (!grant.revoked_at && grant.not_after > t1) ++not_ended;
  }
  CHECK(not_ended == 1);
  CHECK(later.id > newest.id);
}

TEST_CASE("store: revoke ends a live grant once", "[policy][store]" STORE_TAG) {
  store_test::Stores dir;
  auto store = open_store(dir.location("state.db"));
  const auto t0 = base_time();
  const auto grant = issue(*store, request("alice", "prod", t0, 1h), t0).grant;

  auto first = store->revoke(grant.id, "bob", "incident closed", t0 + 10min);
  REQUIRE(first);
  CHECK(*first);
  auto got = store->get(grant.id);
  REQUIRE(got);
  REQUIRE(*got);
  CHECK((*got)->revoked_at == std::optional(t0 + 10min));
  CHECK((*got)->revoked_by == "bob");
  CHECK((*got)->revoke_reason == "incident closed");

  // Already revoked: false, and the first revocation is kept.
  auto second = store->revoke(grant.id, "carol", "again", t0 + 20min);
  REQUIRE(second);
  CHECK_FALSE(*second);
  got = store->get(grant.id);
  CHECK((*got)->revoked_by == "bob");

  // Already expired: false, not marked revoked.
  const auto other = issue(*store, request("dave", "prod", t0, 1h), t0).grant;
  auto after_expiry = store->revoke(other.id, "bob", "late", t0 + 1h);
  REQUIRE(after_expiry);
  CHECK_FALSE(*after_expiry);
  CHECK_FALSE((*store->get(other.id))->revoked_at);

  // A scheduled grant can be revoked before it starts.
  const auto scheduled = issue(*store, request("erin", "prod", t0 + 1h, 1h), t0).grant;
  CHECK(store->revoke(scheduled.id, "bob", "not needed", t0).value());

  auto unknown = store->revoke(9999, "bob", "typo", t0);
  REQUIRE_FALSE(unknown);
  CHECK(unknown.error() == "no pgveil grant 9999");
  auto anonymous = store->revoke(scheduled.id, "", "who?", t0);
  REQUIRE_FALSE(anonymous);
  CHECK_THAT(anonymous.error(), Catch::Contains("revoked_by is empty"));
}

TEST_CASE("store: change_counter moves on every change and only then", "[policy][store]" STORE_TAG) {
  store_test::Stores dir;
  auto store = open_store(dir.location("state.db"));
  const auto t0 = base_time();
  auto last = counter(*store);
  auto expect_moved = [&] {
    const auto now = counter(*store);
    CHECK(now > last);
    last = now;
  };
  auto expect_still = [&] { CHECK(counter(*store) == last); };

  const auto a = issue(*store, request("alice", "prod", t0, 1h), t0).grant;
  expect_moved();
  const auto b = issue(*store, request("alice", "prod", t0, 1h), t0 + 1min).grant;  // supersedes a
  expect_moved();
  (void)store->get(a.id);
  (void)store->list();
  (void)store->find_for("alice", "prod", t0);
  expect_still();
  REQUIRE(store->revoke(b.id, "bob", "done", t0 + 2min).value());
  expect_moved();
  REQUIRE_FALSE(store->revoke(b.id, "bob", "done", t0 + 3min).value());  // no change
  expect_still();
  REQUIRE_FALSE(store->issue(request("", "prod"), t0));  // rejected, no change
  expect_still();

  // Changes made through another connection (the CLI process, say) are seen too.
  auto other = open_store(dir.location("state.db"));
  issue(*other, request("bob", "prod", t0, 1h), t0);
  expect_moved();
}

TEST_CASE("store: grants survive closing and re-opening the store", "[policy][store]" STORE_TAG) {
  store_test::Stores dir;
  const auto path = dir.location("state.db");
  const auto t0 = base_time();
  policy::Grant kept, revoked;
  std::int64_t counter_before = 0;
  {
    auto store = open_store(path);
    kept = issue(*store, request("alice", "prod", t0, 1h), t0).grant;
    revoked = issue(*store, request("bob", "prod", t0, 1h), t0).grant;
    REQUIRE(store->revoke(revoked.id, "carol", "left the team", t0 + 1min).value());
    revoked = **store->get(revoked.id);
    counter_before = counter(*store);
  }
  auto store = open_store(path);
  auto all = store->list();
  REQUIRE(all);
  REQUIRE(all->size() == 2);
  CHECK((*all)[0] == kept);
  CHECK((*all)[1] == revoked);
  CHECK(counter(*store) == counter_before);
  // Ids are never reused after re-opening.
  const auto next = issue(*store, request("carol", "prod", t0, 1h), t0).grant;
  CHECK(next.id > revoked.id);
}

TEST_CASE("store: the secret is never stored, only a verifier", "[policy][store]" STORE_TAG) {
  store_test::Stores dir;
  auto store = open_store(dir.location("state.db"));
  std::vector<std::string> secrets;
  for (int i = 0; i < 3; ++i) {
    const auto issued = issue(*store, request("person" + std::to_string(i)), base_time());
    REQUIRE(issued.secret.size() >= 22);  // >= 128 bits of base64
    secrets.push_back(issued.secret);
    for (const auto& secret : secrets) CHECK_FALSE(dir.holds_text("state.db", secret));
    CHECK(dir.holds_text("state.db", issued.grant.verifier));
  }
}

TEST_CASE("store: the stored verifier authenticates the issued secret, and only it", "[policy][store]" STORE_TAG) {
  store_test::Stores dir;
  auto store = open_store(dir.location("state.db"));
  const auto issued = issue(*store, request(), base_time());
  auto verifier = pgwire::scram::Verifier::parse((**store->get(issued.grant.id)).verifier);
  REQUIRE(verifier);
  CHECK(verifier->iterations == 4096);
  CHECK(pgwire::scram::make_verifier_with_salt(issued.secret, verifier->salt, verifier->iterations) ==
        *verifier);
  CHECK_FALSE(pgwire::scram::make_verifier_with_salt(issued.secret + "x", verifier->salt,
                                                     verifier->iterations) == *verifier);

  // A whole SCRAM-SHA-256 exchange, as psql and the proxy will run it.
  auto exchange = [&](const std::string& password) -> std::expected<void, std::string> {
    pgwire::scram::ServerExchange server(*verifier);
    pgwire::scram::ClientExchange client(password);
    auto server_first = server.on_client_first(pgwire::scram::kMechanism, client.client_first());
    if (!server_first) return std::unexpected(server_first.error());
    auto client_final = client.on_server_first(*server_first);
    if (!client_final) return std::unexpected(client_final.error());
    auto server_final = server.on_client_final(*client_final);
    if (!server_final) return std::unexpected(server_final.error());
    return client.on_server_final(*server_final);
  };
  auto good = exchange(issued.secret);
  INFO((good ? std::string() : good.error()));
  CHECK(good);
  CHECK_FALSE(exchange(policy::generate_secret()));
}
