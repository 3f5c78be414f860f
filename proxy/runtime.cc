#include "proxy/runtime.h"

#include <fmt/format.h>

#include "proxy/tls_context.h"

namespace proxy {

std::expected<std::shared_ptr<const Runtime>, std::string> Runtime::build(std::shared_ptr<const Config> config) {
  auto runtime = std::make_shared<Runtime>();
  auto server_tls = make_server_tls(config->tls);
  if (!server_tls) return std::unexpected(server_tls.error());
  runtime->server_tls = std::move(*server_tls);
  for (const auto& [name, db] : config->databases) {
    auto tls = make_upstream_tls(db.tls);
    if (!tls) return std::unexpected(fmt::format("databases.{}.tls: {}", name, tls.error()));
    runtime->upstream_tls.emplace(name, std::move(*tls));
  }
  if (config->admin.https()) {
    // The admin API builds its own context when it starts; loading the files here as well makes
    // check-config (and a reload) catch a bad certificate or a key that does not match.
    asio::ssl::context probe(asio::ssl::context::tls_server);
    auto identity = set_server_identity(probe.native_handle(), config->admin.tls_cert_file, config->admin.tls_key_file);
    if (!identity) return std::unexpected("admin.tls: " + identity.error());
  }
  runtime->config = std::move(config);
  return runtime;
}

std::shared_ptr<asio::ssl::context> Runtime::tls_for(std::string_view database) const {
  auto it = upstream_tls.find(database);
  return it == upstream_tls.end() ? nullptr : it->second;
}

}  // namespace proxy
