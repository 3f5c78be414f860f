// SQLite-only behaviour of the grant store: the file itself (its mode, what pgveil refuses to
// open) and the migration of files written by earlier pgveil versions. Everything else runs
// against both backends (store_under_test.h).
#include <catch2/catch.hpp>

#include <sqlite3.h>
#include <sys/stat.h>

#include <fstream>

#include "policy/grant_store.h"
#include "policy_test_support.h"

using namespace std::chrono_literals;
using policy::GrantState;
using policy::GrantStatus;
using policy::GrantStore;
using policy_test::base_time;
using policy_test::TempDir;

namespace {

std::unique_ptr<GrantStore> open_store(const std::string& path) {
  auto store = GrantStore::open_sqlite(path);
  if (!store) FAIL("open_sqlite: " << store.error());
  return std::move(*store);
}

}  // namespace

TEST_CASE("store: the file is private to its owner", "[policy][store][sqlite]") {
  TempDir dir;
  const auto path = dir.file("state.db");
  auto store = open_store(path);
  REQUIRE(store->issue({"alice", "prod", "support", "INC-42", "cli:root", base_time(), base_time() + 1h}, base_time()));
  struct stat info {};
  REQUIRE(::stat(path.c_str(), &info) == 0);
  CHECK((info.st_mode & 0777) == 0600);
}

TEST_CASE("store: open refuses what it cannot or must not use", "[policy][store][sqlite]") {
  TempDir dir;
  SECTION("a directory that does not exist") {
    auto store = GrantStore::open_sqlite(dir.file("missing/state.db"));
    REQUIRE_FALSE(store);
    CHECK_THAT(store.error(), Catch::StartsWith("cannot open grant store \"" + dir.file("missing/state.db")));
  }
  SECTION("a file that is not a database") {
    const auto path = dir.file("notes.txt");
    std::ofstream(path) << "these are not the pages you are looking for, not a sqlite header at all\n";
    auto store = GrantStore::open_sqlite(path);
    REQUIRE_FALSE(store);
    CHECK_THAT(store.error(), Catch::Contains("not a database"));
  }
  SECTION("another program's SQLite database") {
    const auto path = dir.file("other.db");
    sqlite3* db = nullptr;
    REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
    REQUIRE(sqlite3_exec(db, "CREATE TABLE invoices (id INTEGER)", nullptr, nullptr, nullptr) == SQLITE_OK);
    sqlite3_close(db);
    auto store = GrantStore::open_sqlite(path);
    REQUIRE_FALSE(store);
    CHECK_THAT(store.error(), Catch::Contains("not a pgveil grant store"));
  }
  SECTION("a store written by a newer pgveil") {
    const auto path = dir.file("state.db");
    { open_store(path); }
    sqlite3* db = nullptr;
    REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
    REQUIRE(sqlite3_exec(db, "PRAGMA user_version = 999", nullptr, nullptr, nullptr) == SQLITE_OK);
    sqlite3_close(db);
    auto store = GrantStore::open_sqlite(path);
    REQUIRE_FALSE(store);
    CHECK_THAT(store.error(), Catch::Contains("schema version 999 is newer"));
  }
  SECTION("too few SCRAM iterations") {
    GrantStore::Options options;
    options.scram_iterations = 1000;
    auto store = GrantStore::open_sqlite(dir.file("state.db"), options);
    REQUIRE_FALSE(store);
    CHECK_THAT(store.error(), Catch::Contains("scram_iterations must be between 4096"));
  }
}

TEST_CASE("store workflow: a schema-1 file is migrated with its grants and revocations", "[policy][store][workflow][sqlite]") {
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
  const policy::RoleRules support{"support", {"prod"}, {"engineering"}, {"oncall-leads"}, {}, 1, 4h};
  auto next = store->create_request({"alice", {"engineering"}, false}, &support,
                                    {"prod", "support", "INC-7", 2h, std::nullopt}, base_time());
  REQUIRE(next.has_value());
  CHECK(next->id == 3);
}

