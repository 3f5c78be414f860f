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
  runtime->config = std::move(config);
  return runtime;
}

std::shared_ptr<asio::ssl::context> Runtime::tls_for(std::string_view database) const {
  auto it = upstream_tls.find(database);
  return it == upstream_tls.end() ? nullptr : it->second;
}

}  // namespace proxy
