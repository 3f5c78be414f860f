// The masking integration tests' world (issue #4): the example shop (examples/schema.sql) in its
// own database, plus what an adversary with a support grant would find there — views and SQL
// functions a superuser created over the masked columns, a table of typed values for the mask ×
// format matrix, a table whose column has a domain type (handles.handle, contact_handle over
// handle_base over text, masked by a user_type rule; customers.ip_address by a type rule), a
// partitioned table whose rule is on the parent (tax_records.tax_ref) — and
// one pgveil whose roles use masking profiles:
//   support    pii-strict   (as in examples/pgveil.yaml: refuse what cannot be proven)
//   strict     pii-strict + refuse_predicates: true
//   detecting  pii-strict with on_unprovable: detect
//   matrix     one column rule per mask on table mask_matrix, value detectors on the rest
// Each role has its own person with an active grant. Started once per test process.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "support/pgveil_process.h"

namespace testsupport::masking_shop {

inline constexpr std::string_view kDatabase = "masking_shop";

class World {
 public:
  static World& shared();

  PgveilProcess& pgveil() { return *pgveil_; }
  // libpq connection string through pgveil under `role` (support, strict, detecting, matrix).
  std::string proxied(std::string_view role) const;
  // Straight to PostgreSQL as the brokered login (support_ro), no masking.
  std::string direct() const;
  // Personal data of the example shop that must never come back raw: every value of the masked
  // columns of customers 1..kSampleCustomers (at least 5 characters, to avoid chance matches),
  // their IP addresses among them.
  const std::vector<std::string>& raw_values() const { return raw_; }
  // The first raw value of `text` found, or "" if none.
  std::string leaked_in(std::string_view text) const;
  const std::string& config_path() const { return pgveil_->config_path(); }

  static constexpr int kSampleCustomers = 25;

 private:
  World();
  std::unique_ptr<PgveilProcess> pgveil_;
  struct Access {
    std::string role, person, secret;
  };
  std::vector<Access> access_;
  std::vector<std::string> raw_;
};

// The YAML of the profiles and roles above (also used by the CLI tests).
std::string config_yaml(const std::string& password_file, const std::string& hmac_file);

}  // namespace testsupport::masking_shop
