#include "proxy/api_client.h"

#include <httplib.h>

#include <fmt/core.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "proxy/cli.h"

namespace proxy::cli {

void add_api_options(CLI::App* cmd, ApiArgs& args, bool json) {
  cmd->add_option("--server", args.server, "pgveil admin API URL")->envname("PGVEIL_SERVER")->capture_default_str();
  cmd->add_option("--token", args.token, "Your API token (from `pgveil token issue`)")->envname("PGVEIL_TOKEN");
  cmd->add_option("--ca", args.ca, "CA certificate (PEM) that signed an https:// admin API's certificate")
      ->envname("PGVEIL_CA");
  if (json) cmd->add_flag("--json", args.json, "Print JSON for scripts");
}

int exit_code_for_status(int status) {
  if (status >= 200 && status < 300) return kExitOk;
  if (status == 400 || status == 404) return kExitUsage;
  if (status == 401 || status == 403 || status == 409) return kExitRefused;
  return kExitFailure;
}

namespace {

std::string unreachable_hint(const ApiArgs& args, httplib::Error error) {
  switch (error) {
    case httplib::Error::SSLServerVerification:
      return "The admin API's certificate is not trusted for this address: pass --ca FILE (or PGVEIL_CA) with the CA "
             "that signed it.";
    case httplib::Error::SSLLoadingCerts:
      return "The CA file could not be loaded: --ca must name a PEM certificate.";
    case httplib::Error::SSLConnection:
      return "The TLS handshake failed: does the admin API have admin.tls (else use http://)?";
    default:
      if (args.server.starts_with("http://"))
        return "Is `pgveil serve` running with an admin: section? Set --server or PGVEIL_SERVER (https:// when the "
               "admin API has admin.tls).";
      return "Is `pgveil serve` running with an admin: section? Set --server or PGVEIL_SERVER.";
  }
}

}  // namespace

ApiAnswer api_call(const ApiArgs& args, const std::string& method, const std::string& path, const nlohmann::json& body) {
  httplib::Client client(args.server);
  if (!client.is_valid()) {
    fmt::print(stderr, "pgveil: --server '{}' is not a URL like http://127.0.0.1:6433\n", args.server);
    throw Exit{kExitUsage};
  }
  if (!args.ca.empty()) {
    if (!args.server.starts_with("https://")) {
      fmt::print(stderr, "pgveil: --ca (PGVEIL_CA) is for an https:// admin API, but --server is {}\n", args.server);
      throw Exit{kExitUsage};
    }
    if (std::FILE* f = std::fopen(args.ca.c_str(), "r")) {
      std::fclose(f);
    } else {
      fmt::print(stderr, "pgveil: --ca {}: {}\n", args.ca, std::strerror(errno));
      throw Exit{kExitUsage};
    }
    client.set_ca_cert_path(args.ca);
  }
  client.enable_server_certificate_verification(true);   // and the host name (IP SAN for 127.0.0.1)
  client.set_connection_timeout(5, 0);
  client.set_read_timeout(30, 0);
  httplib::Headers headers;
  if (!args.token.empty()) headers.emplace("Authorization", "Bearer " + args.token);
  httplib::Result result = method == "GET"
                               ? client.Get(path, headers)
                               : client.Post(path, headers, body.is_null() ? std::string("{}") : body.dump(),
                                             "application/json");
  if (!result) {
    fmt::print(stderr, "pgveil: cannot reach the pgveil admin API at {}: {}\n", args.server,
               httplib::to_string(result.error()));
    fmt::print(stderr, "  {}\n", unreachable_hint(args, result.error()));
    throw Exit{kExitFailure};
  }
  ApiAnswer answer{result->status, nlohmann::json::parse(result->body, nullptr, false)};
  if (answer.body.is_discarded()) answer.body = {{"error", {{"code", "bad_response"}, {"message", result->body}}}};
  return answer;
}

void fail_on_error(const ApiArgs& args, const ApiAnswer& answer, std::string_view command) {
  if (answer.status >= 200 && answer.status < 300) return;
  if (args.json) {
    fmt::print(stderr, "{}\n", answer.body.dump());
  } else {
    const auto& error = answer.body.contains("error") ? answer.body["error"] : answer.body;
    fmt::print(stderr, "pgveil {}: {}\n", command, error.value("message", answer.body.dump()));
    if (error.contains("hint")) fmt::print(stderr, "  {}\n", error["hint"].get<std::string>());
  }
  throw Exit{exit_code_for_status(answer.status)};
}

nlohmann::json api(const ApiArgs& args, const std::string& method, const std::string& path, std::string_view command,
                   const nlohmann::json& body) {
  auto answer = api_call(args, method, path, body);
  fail_on_error(args, answer, command);
  return answer.body;
}

}  // namespace proxy::cli
