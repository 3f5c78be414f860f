// The proxy's own settings: listen, workers, tls, limits, store, logging, and the sections
// reserved for later issues.
#include <fmt/format.h>

#include "proxy/config/sections.h"

namespace proxy::config_detail {
namespace {

void read_listen(LoadContext& ctx, const Field& field, Config& config) {
  auto text = read_string(ctx.diag, field);
  if (!text) return;
  auto endpoint = parse_endpoint(*text, config.listen);
  if (!endpoint) {
    ctx.diag.error(field.key, fmt::format("{}: {}", field.path, endpoint.error()));
    return;
  }
  config.listen = *endpoint;
}

}  // namespace

void read_cert_and_key(LoadContext& ctx, const Field& field, const MapFields& m, std::string& cert_file,
                       std::string& key_file) {
  const Field* cert = m.find("cert");
  const Field* key = m.find("key");
  if (cert != nullptr)
    if (auto path = read_path(ctx.diag, *cert, ctx.base_dir))
      if (check_readable_file(ctx.diag, *cert, *path)) cert_file = *path;
  if (key != nullptr)
    if (auto path = read_path(ctx.diag, *key, ctx.base_dir))
      if (check_readable_file(ctx.diag, *key, *path)) key_file = *path;
  if ((cert == nullptr) != (key == nullptr))
    ctx.diag.error(field.key, fmt::format("{}: cert and key go together (found only {})",
                                          field.path, cert != nullptr ? "cert" : "key"));
}

namespace {

void read_server_tls(LoadContext& ctx, const Field& field, ServerTls& tls) {
  MapFields m(ctx.diag, field, {"cert", "key", "require"});
  if (!m.is_map()) return;
  const Field* cert = m.find("cert");
  read_cert_and_key(ctx, field, m, tls.cert_file, tls.key_file);
  if (const Field* f = m.find("require")) {
    if (auto v = read_bool(ctx.diag, *f)) {
      tls.require = *v;
      // Without a certificate every SSLRequest is answered 'N' (PROTOCOL.md rule 2), so requiring
      // TLS would refuse every client.
      if (tls.require && cert == nullptr)
        ctx.diag.error(f->key, fmt::format("{}: require: true needs cert and key (pgveil cannot "
                                           "offer TLS without a certificate)",
                                           f->path));
    }
  }
}

void read_limits(LoadContext& ctx, const Field& field, Limits& limits) {
  MapFields m(ctx.diag, field, {"max_message_size", "buffer_size", "startup_timeout",
                                "idle_timeout", "max_sessions", "drain_timeout"});
  // PostgreSQL refuses frontend messages above 1GB (PQ_LARGE_MESSAGE_LIMIT in pqcomm.c), so a
  // larger limit could only let through what the server rejects anyway.
  if (const Field* f = m.find("max_message_size"))
    if (auto v = read_size(ctx.diag, *f, 1u << 10, 1u << 30))
      limits.max_message_size = static_cast<std::uint32_t>(*v);
  if (const Field* f = m.find("buffer_size"))
    if (auto v = read_size(ctx.diag, *f, 4u << 10, 64u << 20))
      limits.buffer_size = static_cast<std::uint32_t>(*v);
  if (const Field* f = m.find("startup_timeout"))
    if (auto v = read_duration(ctx.diag, *f, Millis{1})) limits.startup_timeout = *v;
  if (const Field* f = m.find("idle_timeout"))
    if (auto v = read_duration(ctx.diag, *f, Millis{0})) limits.idle_timeout = *v;
  if (const Field* f = m.find("drain_timeout"))
    if (auto v = read_duration(ctx.diag, *f, Millis{0})) limits.drain_timeout = *v;
  if (const Field* f = m.find("max_sessions"))
    if (auto v = read_integer(ctx.diag, *f, 1, 1'000'000))
      limits.max_sessions = static_cast<std::uint32_t>(*v);
}

void read_store(LoadContext& ctx, const Field& field, Config& config) {
  MapFields m(ctx.diag, field, {"sqlite", "postgres"});
  if (!m.is_map()) return;
  if (const Field* f = m.find("postgres"))
    ctx.diag.error(f->key, fmt::format("{}: a PostgreSQL grant store is not available in this "
                                       "build yet; use store: {{ sqlite: PATH }}",
                                       f->path));
  if (const Field* f = m.find("sqlite"))
    if (auto path = read_path(ctx.diag, *f, ctx.base_dir)) config.store_sqlite = *path;
  if (m.fields().empty())
    ctx.diag.error(field.key, "store: empty (use store: { sqlite: PATH })");
}

void read_logging(LoadContext& ctx, const Field& field, Logging& logging) {
  MapFields m(ctx.diag, field, {"level", "format", "file"});
  if (const Field* f = m.find("level"))
    if (auto v = read_choice(ctx.diag, *f,
                             {"trace", "debug", "info", "warn", "error", "critical", "off"}))
      logging.level = *v;
  if (const Field* f = m.find("format"))
    if (auto v = read_choice(ctx.diag, *f, {"text", "json"})) logging.format = *v;
  if (const Field* f = m.find("file"))
    if (auto path = read_path(ctx.diag, *f, ctx.base_dir)) logging.file = *path;
}

bool is_empty_section(const YAML::Node& node) {
  return node.IsNull() || (node.IsMap() && node.size() == 0) ||
         (node.IsSequence() && node.size() == 0);
}

}  // namespace

void read_server_sections(LoadContext& ctx, const MapFields& top, Config& config) {
  if (const Field* f = top.find("listen")) read_listen(ctx, *f, config);
  if (const Field* f = top.find("workers"))
    if (auto v = read_integer(ctx.diag, *f, 0, 1024)) config.workers = static_cast<int>(*v);
  if (const Field* f = top.find("tls")) read_server_tls(ctx, *f, config.tls);
  if (const Field* f = top.find("limits")) read_limits(ctx, *f, config.limits);
  if (const Field* f = top.find("store")) read_store(ctx, *f, config);
  if (const Field* f = top.find("logging")) read_logging(ctx, *f, config.logging);
  if (const Field* f = top.find("admin"); f != nullptr && !is_empty_section(f->value)) read_admin(ctx, *f, config);
}

}  // namespace proxy::config_detail
