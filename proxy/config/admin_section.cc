// admin: where the admin HTTP API listens, its optional TLS (HTTPS only when given) and the
// bootstrap admin token. The token is resolved at load time (like upstream passwords) so a missing
// one stops start-up, and messages name its source, never its value.
#include <fmt/format.h>

#include "proxy/config/sections.h"

namespace proxy::config_detail {
namespace {

// Shorter tokens could be guessed over the network; generate one with `openssl rand -hex 32`.
constexpr std::size_t kMinTokenLength = 32;

bool is_loopback(const std::string& host) {
  return host == "127.0.0.1" || host == "::1" || host == "localhost" || host.starts_with("127.");
}

// Bearer tokens, and the connection secrets handed out on approval, cross the admin API: on a
// non-loopback address in plain HTTP anyone on the path could read them, so that takes TLS or
// an explicit allow_plain_http (a TLS proxy in front), which is still warned about.
void check_exposure(LoadContext& ctx, const Field& listen, const Admin& admin, bool tls_given) {
  if (is_loopback(admin.listen.host) || tls_given) return;
  if (admin.allow_plain_http) {
    ctx.diag.warning(listen.key, fmt::format("{}: the admin API speaks plain HTTP on {} (allow_plain_http: true); "
                                             "make sure a TLS proxy in front of it is the only way in",
                                             listen.path, admin.listen.host));
    return;
  }
  ctx.diag.error(listen.key, fmt::format("{}: {} is not a loopback address and admin.tls is not set: bearer tokens "
                                         "and connection secrets would cross the network unencrypted. Add "
                                         "admin.tls {{ cert, key }}, listen on 127.0.0.1, or set allow_plain_http: "
                                         "true if a TLS proxy in front terminates HTTPS",
                                         listen.path, admin.listen.host));
}

}  // namespace

void read_admin(LoadContext& ctx, const Field& section, Config& config) {
  MapFields m(ctx.diag, section, {"listen", "token_env", "token_file", "tls", "allow_plain_http"});
  if (!m.is_map()) return;
  Admin& admin = config.admin;
  admin.enabled = true;
  admin.token_source = "none";
  if (const Field* f = m.find("tls")) {
    MapFields tls(ctx.diag, *f, {"cert", "key"});
    if (tls.is_map()) {
      read_cert_and_key(ctx, *f, tls, admin.tls_cert_file, admin.tls_key_file);
      if (tls.find("cert") == nullptr && tls.find("key") == nullptr)
        ctx.diag.error(f->key, fmt::format("{}: give cert and key (PEM files) for the admin API's HTTPS", f->path));
    }
  }
  if (const Field* f = m.find("allow_plain_http")) {
    if (auto v = read_bool(ctx.diag, *f)) admin.allow_plain_http = *v;
  }
  if (const Field* f = m.find("listen")) {
    if (auto text = read_string(ctx.diag, *f)) {
      auto endpoint = parse_endpoint(*text, admin.listen);
      if (!endpoint) {
        ctx.diag.error(f->key, fmt::format("{}: {}", f->path, endpoint.error()));
      } else {
        admin.listen = *endpoint;
        check_exposure(ctx, *f, admin, m.find("tls") != nullptr);
      }
    }
  }
  const Field* env = m.find("token_env");
  const Field* file = m.find("token_file");
  if (env != nullptr && file != nullptr) {
    ctx.diag.error(section.key, fmt::format("{}: give the admin token one way only: token_env or token_file",
                                            section.path));
    return;
  }
  const Field* source = env != nullptr ? env : file;
  std::optional<std::string> token;
  if (env != nullptr) {
    auto name = read_string(ctx.diag, *env);
    if (!name) return;
    admin.token_source = fmt::format("env {}", *name);
    token = lookup_env(ctx, *name);
    if (!token || token->empty()) {
      ctx.diag.error(env->key, fmt::format("{}: environment variable {} is {}", env->path, *name,
                                           token ? "empty" : "not set"));
      return;
    }
  } else if (file != nullptr) {
    auto path = read_path(ctx.diag, *file, ctx.base_dir);
    if (!path) return;
    admin.token_source = fmt::format("file {}", *path);
    auto content = read_secret_file(*path);
    if (!content) {
      ctx.diag.error(file->key, fmt::format("{}: admin token {}", file->path, content.error()));
      return;
    }
    if (content->world_readable)
      ctx.diag.warning(file->key, fmt::format("{}: admin token file {} is readable by every user on this machine "
                                              "(chmod o-r)",
                                              file->path, *path));
    token = std::move(content->content);
  }
  if (token && token->size() < kMinTokenLength) {
    ctx.diag.error(source->key, fmt::format("{}: the admin token ({}) is {} characters; use at least {} "
                                            "(e.g. openssl rand -hex 32)",
                                            source->path, admin.token_source, token->size(), kMinTokenLength));
    return;
  }
  if (token) admin.token = std::move(*token);
}

}  // namespace proxy::config_detail
