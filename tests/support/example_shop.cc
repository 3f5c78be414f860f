#include <filesystem>
#include "support/example_shop.h"

#include <set>
#include <stdexcept>

#include "support/files.h"

#ifndef PGVEIL_SOURCE_DIR
#error "PGVEIL_SOURCE_DIR must be defined (tests/CMakeLists.txt)"
#endif

namespace testsupport {

void load_example_shop(PgCluster& cluster, const std::string& db) {
  static std::set<std::string> loaded;
  if (loaded.contains(db)) return;
  const std::string examples = std::string(PGVEIL_SOURCE_DIR) + "/examples/";
  cluster.create_database(db);
  const auto schema = cluster.psql({"-q", "-f", examples + "schema.sql"}, db);
  if (schema.exit_code != 0) throw std::runtime_error("schema.sql failed: " + schema.err);
  const auto roles = cluster.psql({"-q", "-v", "support_ro_password=" + std::string(kSupportRoPassword),
                                   "-v", "dba_password=" + std::string(kDbaPassword), "-f",
                                   examples + "roles.sql"},
                                  db);
  if (roles.exit_code != 0) throw std::runtime_error("roles.sql failed: " + roles.err);
  loaded.insert(db);
}

std::string example_config(const std::string& upstream_db, const std::string& password_file) {
  std::string yaml = read_file(std::string(PGVEIL_SOURCE_DIR) + "/examples/pgveil.yaml");
  const auto rewrite = [&yaml](std::string_view from, const std::string& to) {
    if (yaml.find(from) == std::string::npos) {
      throw std::runtime_error("examples/pgveil.yaml has no '" + std::string(from) + "' to rewrite");
    }
    yaml = replace_all(std::move(yaml), from, to);
  };
  rewrite("listen: 127.0.0.1:6432", "listen: 127.0.0.1:{{LISTEN_PORT}}");
  rewrite("port: 5433", "port: {{PG_PORT}}");
  rewrite("dbname: shop", "dbname: " + upstream_db);
  rewrite("password_file: secrets/support_ro", "password_file: " + password_file);
  // The HMAC key for the example's masking profile, next to the password file.
  const std::string hmac = std::filesystem::path(password_file).parent_path().string() + "/pgveil_hmac";
  write_file(hmac, "example-hmac-key-of-32-bytes-0123\n", 0600);
  rewrite("file: secrets/pgveil_hmac", "file: " + hmac);
  rewrite("user: postgres", "user: dba");
  // The admin API on its own free port, with the bootstrap token kExampleAdminToken.
  rewrite("  listen: 127.0.0.1:6433", "  listen: 127.0.0.1:{{ADMIN_PORT}}");
  const std::string admin_token = std::filesystem::path(password_file).parent_path().string() + "/admin_token";
  write_file(admin_token, std::string(kExampleAdminToken) + "\n", 0600);
  rewrite("token_file: secrets/admin_token", "token_file: " + admin_token);
  return yaml;
}

}  // namespace testsupport
