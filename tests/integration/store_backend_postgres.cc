// store_under_test.h for integration_tests: each store is a new database on the harness's shared
// PostgreSQL cluster, dropped when the test ends.
#include <fmt/format.h>

#include <atomic>
#include <map>

#include "store_under_test.h"
#include "support/pg_cluster.h"

namespace store_test {

struct Stores::Impl {
  std::map<std::string, std::string, std::less<>> databases;  // name -> database
};

Stores::Stores() : impl_(std::make_unique<Impl>()) {}

Stores::~Stores() {
  for (const auto& [name, database] : impl_->databases) {
    try {
      testsupport::PgCluster::shared().exec(fmt::format("DROP DATABASE IF EXISTS {} WITH (FORCE)", database));
    } catch (...) {
      // Left behind in a throwaway cluster: harmless.
    }
  }
}

std::string Stores::location(std::string_view name) {
  auto& cluster = testsupport::PgCluster::shared();
  auto it = impl_->databases.find(name);
  if (it == impl_->databases.end()) {
    static std::atomic<int> next{0};
    const auto database = fmt::format("pgveil_store_{}", next.fetch_add(1));
    cluster.exec(fmt::format("DROP DATABASE IF EXISTS {} WITH (FORCE)", database));
    cluster.create_database(database);
    it = impl_->databases.emplace(std::string(name), database).first;
  }
  return cluster.conninfo(it->second);
}

bool Stores::holds_text(std::string_view name, std::string_view needle) {
  location(name);
  const auto& database = impl_->databases.find(name)->second;
  // Needles are secrets and tokens (base64/hex/"pgv_"): no quote characters to escape.
  const auto count = testsupport::PgCluster::shared().query_value(
      fmt::format("SELECT count(*) FROM (SELECT g::text FROM grants g UNION ALL SELECT e::text FROM grant_events e "
                  "UNION ALL SELECT t::text FROM api_tokens t) AS x(row) WHERE strpos(row, '{}') > 0",
                  needle),
      database);
  return count != "0";
}

std::expected<std::unique_ptr<policy::GrantStore>, std::string> open_at(const std::string& location,
                                                                        const policy::GrantStore::Options& options) {
  return policy::GrantStore::open_postgres(location, options);
}

std::string_view backend() { return "postgres"; }

}  // namespace store_test
