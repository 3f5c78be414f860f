// The example shop (examples/schema.sql + examples/roles.sql) loaded into a test database.
#pragma once

#include <string>
#include <string_view>

#include "support/pg_cluster.h"

namespace testsupport {

// Passwords roles.sql gets for the upstream logins in tests.
inline constexpr std::string_view kSupportRoPassword = "support-secret";
inline constexpr std::string_view kDbaPassword = "dba-secret";
// The admin API's bootstrap token example_config() writes for the example's admin: section.
inline constexpr std::string_view kExampleAdminToken = "example-admin-token-0123456789abcdef";

// Creates `db` and loads schema.sql and roles.sql into it, once per database and test process
// (Catch2 re-enters a test case for every section). Throws with psql's stderr on failure.
void load_example_shop(PgCluster& cluster, const std::string& db);

// examples/pgveil.yaml made runnable by PgveilProcess: listen on {{LISTEN_PORT}}, upstream on
// {{PG_PORT}} / `upstream_db`, support_ro's password from `password_file`, the dba login
// as roles.sql's "dba" (password from $PGVEIL_DEMO_DBA_PASSWORD), the admin API on {{ADMIN_PORT}}
// with kExampleAdminToken (written next to `password_file`). Throws if the example no
// longer has the lines it rewrites (scripts/demo.sh rewrites the same ones).
std::string example_config(const std::string& upstream_db, const std::string& password_file);

}  // namespace testsupport
