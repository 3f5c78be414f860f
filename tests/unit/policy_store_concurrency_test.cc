// Several writers at once: threads sharing one GrantStore (its mutex) and threads each with
// their own connection to the same file (SQLite's locks, BEGIN IMMEDIATE + busy_timeout), as the
// CLI and several proxy processes will be.
#include <catch2/catch.hpp>

#include <atomic>
#include <mutex>
#include <set>
#include <thread>

#include "policy/grant_store.h"
#include "policy_test_support.h"
#include "store_under_test.h"

using namespace std::chrono_literals;
using policy::GrantStore;
using policy_test::base_time;

namespace {

constexpr int kThreads = 6;
constexpr int kGrantsPerThread = 8;

policy::NewGrant request(std::string person, std::string database) {
  return policy::NewGrant{std::move(person), std::move(database), "support", "load test",
                          "cli:root", base_time(), base_time() + 1h};
}

struct Results {
  std::mutex mutex;
  std::vector<std::string> errors;
  std::set<std::int64_t> ids;
  void add(std::expected<policy::IssuedGrant, std::string> issued) {
    std::lock_guard lock(mutex);
    if (issued) {
      ids.insert(issued->grant.id);
    } else {
      errors.push_back(issued.error());
    }
  }
};

// Runs `body(thread_index)` on kThreads threads released together.
template <typename Body>
void run_together(Body body) {
  std::atomic<bool> go{false};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      while (!go.load()) std::this_thread::yield();
      body(t);
    });
  }
  go = true;
  for (auto& thread : threads) thread.join();
}

}  // namespace

TEST_CASE("store: concurrent issue through one shared store loses nothing", "[policy][store][concurrency]" STORE_TAG) {
  store_test::Stores dir;
  auto opened = store_test::open_at(dir.location("state.db"));
  REQUIRE(opened);
  GrantStore& store = **opened;
  const auto counter_before = store.change_counter().value();
  Results results;
  run_together([&](int t) {
    for (int i = 0; i < kGrantsPerThread; ++i) {
      results.add(store.issue(request("p" + std::to_string(t) + "_" + std::to_string(i), "prod"), base_time()));
    }
  });
  for (const auto& error : results.errors) UNSCOPED_INFO(error);
  CHECK(results.errors.empty());
  CHECK(results.ids.size() == kThreads * kGrantsPerThread);
  auto all = store.list();
  REQUIRE(all);
  CHECK(all->size() == kThreads * kGrantsPerThread);
  // One insert each, no supersedes (all people differ): the counter moved exactly that much.
  CHECK(store.change_counter().value() - counter_before == kThreads * kGrantsPerThread);
}

TEST_CASE("store: concurrent issue through separate connections: no 'database is locked'",
          "[policy][store][concurrency]" STORE_TAG) {
  store_test::Stores dir;
  const auto path = dir.location("state.db");
  Results results;
  std::vector<std::string> open_errors;
  std::mutex open_mutex;
  // Every thread opens the (new) file at the same moment: schema creation must be race-free too.
  run_together([&](int t) {
    auto store = store_test::open_at(path);
    if (!store) {
      std::lock_guard lock(open_mutex);
      open_errors.push_back(store.error());
      return;
    }
    for (int i = 0; i < kGrantsPerThread; ++i) {
      results.add((*store)->issue(request("p" + std::to_string(t) + "_" + std::to_string(i), "prod"),
                                  base_time()));
      // Interleave reads with other connections' writes.
      (void)(*store)->find_for("p0_0", "prod", base_time());
    }
  });
  for (const auto& error : open_errors) UNSCOPED_INFO(error);
  CHECK(open_errors.empty());
  for (const auto& error : results.errors) UNSCOPED_INFO(error);
  CHECK(results.errors.empty());
  CHECK(results.ids.size() == kThreads * kGrantsPerThread);
  auto store = store_test::open_at(path);
  REQUIRE(store);
  auto all = (*store)->list();
  REQUIRE(all);
  CHECK(all->size() == kThreads * kGrantsPerThread);
  CHECK((*store)->change_counter().value() == kThreads * kGrantsPerThread);
}

TEST_CASE("store: concurrent issue for the same person and database leaves exactly one live grant",
          "[policy][store][concurrency]" STORE_TAG) {
  store_test::Stores dir;
  const auto path = dir.location("state.db");
  REQUIRE(store_test::open_at(path));  // create the schema first; this test is about supersede
  Results results;
  run_together([&](int) {
    auto store = store_test::open_at(path);
    if (!store) {
      results.add(std::unexpected(store.error()));
      return;
    }
    for (int i = 0; i < kGrantsPerThread; ++i) results.add((*store)->issue(request("alice", "prod"), base_time()));
  });
  for (const auto& error : results.errors) UNSCOPED_INFO(error);
  CHECK(results.errors.empty());
  auto store = store_test::open_at(path);
  REQUIRE(store);
  auto all = (*store)->list(std::string("alice"), std::string("prod"));
  REQUIRE(all);
  REQUIRE(all->size() == kThreads * kGrantsPerThread);
  // The last one issued (highest id, since ids follow commit order) is the live one; every other
  // was superseded by some later grant.
  const auto& last = all->back();
  for (const auto& grant : *all) {
    if (grant.id == last.id) {
      CHECK_FALSE(grant.revoked_at);
    } else {
      REQUIRE(grant.revoked_at);
      CHECK_THAT(grant.revoke_reason, Catch::StartsWith("superseded by grant "));
      CHECK(std::stoll(grant.revoke_reason.substr(20)) > grant.id);
    }
  }
  auto found = (*store)->find_for("alice", "prod", base_time());
  REQUIRE(found);
  REQUIRE(*found);
  CHECK((*found)->id == last.id);
}
