#include "proxy/admin_server.h"

#include <httplib.h>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "proxy/access.h"
#include "proxy/admin_http.h"
#include "proxy/tls_context.h"

namespace proxy {
namespace admin {

int http_status(policy::Refusal::Kind kind) {
  switch (kind) {
    case policy::Refusal::Kind::kInvalid: return 400;
    case policy::Refusal::Kind::kForbidden: return 403;
    case policy::Refusal::Kind::kConflict: return 409;
    case policy::Refusal::Kind::kNotFound: return 404;
    case policy::Refusal::Kind::kInternal: return 500;
  }
  return 500;
}

void send_json(httplib::Response& res, int status, const nlohmann::json& body) {
  res.status = status;
  res.set_content(body.dump() + "\n", "application/json");
}

void send_error(httplib::Response& res, int status, std::string_view code, std::string_view message,
                std::string_view hint) {
  nlohmann::json error = {{"code", code}, {"message", message}};
  if (!hint.empty()) error["hint"] = hint;
  send_json(res, status, {{"error", std::move(error)}});
}

void send_refusal(httplib::Response& res, const policy::Refusal& refusal) {
  send_error(res, http_status(refusal.kind), policy::to_string(refusal.kind), refusal.message, refusal.hint);
}

std::optional<nlohmann::json> json_body(Call& call) {
  if (call.req.body.empty()) return nlohmann::json::object();
  auto body = nlohmann::json::parse(call.req.body, nullptr, /*allow_exceptions=*/false);
  if (body.is_discarded() || !body.is_object()) {
    send_error(call.res, 400, "invalid", "the request body must be a JSON object");
    return std::nullopt;
  }
  return body;
}

std::optional<std::string> string_field(Call& call, const nlohmann::json& body, const char* name) {
  auto it = body.find(name);
  if (it == body.end() || it->is_null()) return std::string();
  if (!it->is_string()) {
    send_error(call.res, 400, "invalid", fmt::format("\"{}\" must be a string", name));
    return std::nullopt;
  }
  return it->get<std::string>();
}

void handle(httplib::Server& server, Services& services, const char* method, const std::string& pattern,
            Route route) {
  auto wrapped = [&services, route = std::move(route)](const httplib::Request& req, httplib::Response& res) {
    const auto runtime = services.runtime.load();
    const Config& config = *runtime->config;
    std::string header = req.get_header_value("Authorization");
    std::string_view token;
    if (header.starts_with("Bearer ")) token = std::string_view(header).substr(7);
    auto actor = authenticate(config, *services.store, token);
    if (!actor) {
      services.metrics.counter("pgveil_admin_auth_failures_total", "Admin API requests refused for a bad token").inc();
      spdlog::info("admin API: {} {} from {}: not authenticated: {}", req.method, req.path, req.remote_addr,
                   actor.error());
      res.set_header("WWW-Authenticate", "Bearer");
      send_error(res, 401, "unauthenticated", "a valid bearer token is required",
                 "Pass --token (or PGVEIL_TOKEN) with a token from `pgveil token issue NAME`.");
      return;
    }
    Call call{req, res, *actor, config, services, services.now()};
    route(call);
    spdlog::info("admin API: {} {} by {}: {}", req.method, req.path, actor->name, res.status);
  };
  if (std::string_view(method) == "GET") {
    server.Get(pattern, wrapped);
  } else {
    server.Post(pattern, wrapped);
  }
}

}  // namespace admin

struct AdminServer::Impl {
  std::unique_ptr<httplib::Server> server;   // an httplib::SSLServer with admin.tls
  std::string tls_error;                     // why admin.tls could not be loaded; start() fails with it
  std::string scheme = "http";
};

AdminServer::AdminServer(Services& services) : impl_(std::make_unique<Impl>()) {
  const auto runtime = services.runtime.load();
  const Admin& admin = runtime->config->admin;
  if (admin.https()) {
    // HTTPS only: a plain HTTP request on this port fails the TLS handshake and gets no answer.
    impl_->scheme = "https";
    impl_->server = std::make_unique<httplib::SSLServer>([&admin, impl = impl_.get()](SSL_CTX& ctx) {
      auto identity = set_server_identity(&ctx, admin.tls_cert_file, admin.tls_key_file);
      if (!identity) impl->tls_error = identity.error();
      return identity.has_value();
    });
  } else {
    impl_->server = std::make_unique<httplib::Server>();
  }
  auto& server = *impl_->server;
  // A handful of threads: the API is for people and scripts, not traffic. Each live audit stream
  // holds one (at most 4, audit/live_feed.h), so 4 are left for requests.
  server.new_task_queue = [] { return new httplib::ThreadPool(8); };
  server.set_payload_max_length(64 * 1024);
  server.set_read_timeout(10, 0);
  server.set_write_timeout(10, 0);
  server.Get("/healthz", [&services](const httplib::Request&, httplib::Response& res) {
    auto counter = services.store->change_counter();
    if (!counter) {
      admin::send_json(res, 503, {{"status", "unavailable"}, {"store", counter.error()}});
      return;
    }
    // An audit sink whose last write failed means statements are being refused (on_failure:
    // block) or run unrecorded (continue): not a healthy pgveil.
    nlohmann::json failing = nlohmann::json::array();
    if (services.audit) {
      for (const auto& sink : services.audit->stats()) {
        if (!sink.healthy) failing.push_back({{"sink", sink.name}, {"error", sink.last_error}});
      }
    }
    if (!failing.empty()) {
      admin::send_json(res, 503, {{"status", "unavailable"}, {"audit", std::move(failing)}});
      return;
    }
    admin::send_json(res, 200, {{"status", "ok"}, {"sessions", services.sessions.size()}});
  });
  server.Get("/metrics", [&services](const httplib::Request&, httplib::Response& res) {
    res.set_content(services.metrics.render(), "text/plain; version=0.0.4");
  });
  admin::add_grant_routes(server, services);
  admin::add_session_routes(server, services);
  admin::add_token_routes(server, services);
  admin::add_audit_routes(server, services);
  server.set_exception_handler([](const httplib::Request& req, httplib::Response& res, std::exception_ptr ep) {
    std::string what = "unknown error";
    try {
      std::rethrow_exception(ep);
    } catch (const std::exception& e) {
      what = e.what();
    } catch (...) {
    }
    spdlog::error("admin API: {} {}: {}", req.method, req.path, what);
    admin::send_error(res, 500, "internal", "internal error; see pgveil's log");
  });
  server.set_error_handler([](const httplib::Request&, httplib::Response& res) {
    if (res.body.empty()) admin::send_error(res, res.status, res.status == 404 ? "not_found" : "error",
                                            fmt::format("HTTP {}", res.status));
  });
}

AdminServer::~AdminServer() { stop(); }

std::expected<void, std::string> AdminServer::start(const Endpoint& listen) {
  if (!impl_->server->is_valid()) return std::unexpected("admin API: admin.tls: " + impl_->tls_error);
  if (!impl_->server->bind_to_port(listen.host, listen.port)) {
    return std::unexpected(fmt::format("admin API: cannot listen on {}:{}", listen.host, listen.port));
  }
  thread_ = std::thread([this] { impl_->server->listen_after_bind(); });
  spdlog::info("admin API listening on {}://{}:{}", impl_->scheme, listen.host, listen.port);
  return {};
}

void AdminServer::stop() {
  impl_->server->stop();
  if (thread_.joinable()) thread_.join();
}

}  // namespace proxy
