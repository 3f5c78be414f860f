// The grant store backend the store tests run against. The same test files
// (tests/unit/policy_store_*.cc) build into unit_policy against SQLite files and into
// integration_tests against PostgreSQL databases on the harness's cluster
// (PGVEIL_STORE_BACKEND_POSTGRES), so both backends pass one set of expectations.
#pragma once

#include <expected>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "policy/grant_store.h"

#ifdef PGVEIL_STORE_BACKEND_POSTGRES
#define STORE_TAG "[postgres]"
#else
#define STORE_TAG "[sqlite]"
#endif

namespace store_test {

// Fresh, empty stores for one test. location(name) names a store (a file in a temporary
// directory, or a new database); the same name gives the same store, so a test can open it again
// (a restart, a second process).
class Stores {
 public:
  Stores();
  ~Stores();
  Stores(const Stores&) = delete;
  Stores& operator=(const Stores&) = delete;
  std::string location(std::string_view name);
  // Whether `needle` appears anywhere in store `name`'s data (SQLite: the file and its WAL, read
  // while the store is open; PostgreSQL: every row of pgveil's tables, as text).
  bool holds_text(std::string_view name, std::string_view needle);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

std::expected<std::unique_ptr<policy::GrantStore>, std::string> open_at(const std::string& location,
                                                                        const policy::GrantStore::Options& options = {});

// "sqlite" or "postgres".
std::string_view backend();

}  // namespace store_test
