// store_under_test.h for unit_policy: SQLite files in a temporary directory.
#include "policy_test_support.h"
#include "store_under_test.h"

namespace store_test {

struct Stores::Impl {
  policy_test::TempDir dir;
};

Stores::Stores() : impl_(std::make_unique<Impl>()) {}
Stores::~Stores() = default;

std::string Stores::location(std::string_view name) { return impl_->dir.file(std::string(name)); }

bool Stores::holds_text(std::string_view name, std::string_view needle) {
  const auto path = location(name);
  for (const auto& file : {path, path + "-wal"})
    if (std::filesystem::exists(file) && policy_test::read_bytes(file).find(needle) != std::string::npos) return true;
  return false;
}

std::expected<std::unique_ptr<policy::GrantStore>, std::string> open_at(const std::string& location,
                                                                        const policy::GrantStore::Options& options) {
  return policy::GrantStore::open_sqlite(location, options);
}

std::string_view backend() { return "sqlite"; }

}  // namespace store_test
