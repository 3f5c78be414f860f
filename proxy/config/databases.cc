// databases: the upstream PostgreSQL servers clients may name as dbname.
#include <fmt/format.h>

#include "proxy/config/sections.h"

namespace proxy::config_detail {
namespace {

void read_upstream_tls(LoadContext& ctx, const Field& field, UpstreamTls& tls) {
  MapFields m(ctx.diag, field, {"mode", "ca"});
  if (!m.is_map()) return;
  if (const Field* f = m.find("mode")) {
    if (auto v = read_choice(ctx.diag, *f,
                             {"disable", "prefer", "require", "verify-ca", "verify-full"}))
      tls.mode = *parse_upstream_tls_mode(*v);
  }
  if (const Field* f = m.find("ca")) {
    if (auto path = read_path(ctx.diag, *f, ctx.base_dir)) {
      if (check_readable_file(ctx.diag, *f, *path)) tls.ca_file = *path;
      // Like libpq's sslrootcert, the CA only matters when the server certificate is verified.
      if (tls.mode != UpstreamTlsMode::kVerifyCa && tls.mode != UpstreamTlsMode::kVerifyFull)
        ctx.diag.warning(f->key, fmt::format("{}: the CA is only used with mode verify-ca or "
                                             "verify-full (mode is {})",
                                             f->path, to_string(tls.mode)));
    }
  }
}

Database read_database(LoadContext& ctx, const Field& field) {
  Database db;
  db.name = field.key.Scalar();
  db.dbname = db.name;
  MapFields m(ctx.diag, field, {"host", "port", "dbname", "tls", "logins", "connect_timeout"});
  if (!m.is_map()) return db;

  if (const Field* f = m.find("host"))
    if (auto v = read_string(ctx.diag, *f)) db.host = *v;
  if (const Field* f = m.find("port"))
    if (auto v = read_port(ctx.diag, *f)) db.port = *v;
  if (const Field* f = m.find("dbname"))
    if (auto v = read_string(ctx.diag, *f)) db.dbname = *v;
  if (const Field* f = m.find("tls")) read_upstream_tls(ctx, *f, db.tls);
  if (const Field* f = m.find("connect_timeout"))
    if (auto v = read_duration(ctx.diag, *f, Millis{1})) db.connect_timeout = *v;

  const Field* logins_field = m.find("logins");
  if (logins_field == nullptr) {
    ctx.diag.error(field.key, fmt::format("{}: no logins (add logins: {{ NAME: {{ user: ..., "
                                          "password_env: ... }} }} for the roles to use)",
                                          field.path));
    return db;
  }
  MapFields logins(ctx.diag, *logins_field);
  if (logins.is_map() && logins.fields().empty())
    ctx.diag.error(logins_field->key, fmt::format("{}: no logins defined", logins_field->path));
  for (const Field& f : logins.fields()) {
    Login login = read_login(ctx, f);
    db.logins.emplace(login.name, std::move(login));
  }
  return db;
}

}  // namespace

void read_databases(LoadContext& ctx, const Field& section, Config& config) {
  MapFields dbs(ctx.diag, section);
  if (dbs.is_map() && dbs.fields().empty())
    ctx.diag.error(section.key, "databases: no databases defined (clients would have nothing to "
                                "connect to)");
  for (const Field& f : dbs.fields()) {
    Database db = read_database(ctx, f);
    config.databases.emplace(db.name, std::move(db));
  }
}

}  // namespace proxy::config_detail
