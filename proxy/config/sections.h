// Internal to pgveil_config: readers for each section of pgveil.yaml. Each reports its problems
// into the shared Diagnostics and fills what it could read, so later sections can still be
// checked against earlier ones (a role naming a database that had a typo in its port is not
// reported twice).
#pragma once

#include <expected>
#include <optional>
#include <string>

#include <filesystem>

#include "proxy/config/config.h"
#include "proxy/config/yaml_fields.h"

namespace proxy::config_detail {

struct LoadContext {
  Diagnostics& diag;
  std::filesystem::path base_dir;  // relative paths in the file are resolved against this
  const EnvLookup& env;
};

// databases: { NAME: { host, port, dbname, tls, logins, connect_timeout } }
void read_databases(LoadContext& ctx, const Field& section, Config& config);
// databases.<db>.logins.<name>: { user, password_env | password_file | password }
Login read_login(LoadContext& ctx, const Field& field);
// people: { NAME: { groups: [...] } }
void read_people(LoadContext& ctx, const Field& section, Config& config);
// roles: { NAME: {...} }, checked against the databases and people already read.
void read_roles(LoadContext& ctx, const Field& section, Config& config);

// roles.<name>.statements, deny_functions, allow_functions (statement_rules_section.cc).
void read_statement_rules(LoadContext& ctx, const MapFields& role_fields, Role& role);

// A secret in a file (password, HMAC key): at most 64 KiB, trailing newlines dropped, not empty.
struct SecretFile {
  std::string content;
  bool world_readable = false;
};
std::expected<SecretFile, std::string> read_secret_file(const std::string& path);
// ctx.env, or getenv when none was injected.
std::optional<std::string> lookup_env(const LoadContext& ctx, const std::string& name);

// masking: { keys, profiles } (masking/rules_yaml.h); read before roles, which name profiles.
void read_masking(LoadContext& ctx, const Field& field, Config& config);

// admin: { listen, token_env | token_file, tls: { cert, key }, allow_plain_http }
void read_admin(LoadContext& ctx, const Field& section, Config& config);
// The cert and key entries of a TLS map `m` at `field` (tls:, admin.tls:): both or neither, each
// a readable file; paths relative to the config's directory.
void read_cert_and_key(LoadContext& ctx, const Field& field, const MapFields& m, std::string& cert_file,
                       std::string& key_file);
// audit: { sinks, key, on_failure, queue, statements } (audit_config.h).
void read_audit(LoadContext& ctx, const Field& field, Config& config);

// listen, workers, tls, limits, store, logging and the sections reserved for later issues.
void read_server_sections(LoadContext& ctx, const MapFields& top, Config& config);

}  // namespace proxy::config_detail
