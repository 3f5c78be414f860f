// The CLI's side of the admin API: one JSON request, with the server and token from --server /
// PGVEIL_SERVER and --token / PGVEIL_TOKEN, and the mapping from HTTP answers to exit codes.
#pragma once

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <string>

namespace proxy::cli {

struct ApiArgs {
  std::string server = "http://127.0.0.1:6433";
  std::string token;
  std::string ca;   // PEM CA file to verify an https:// server with; empty: the system's trust store
  bool json = false;
};

// Adds --server, --token and --ca (with their environment variables) to `cmd`; --json when `json`.
void add_api_options(CLI::App* cmd, ApiArgs& args, bool json = true);

struct ApiAnswer {
  int status = 0;
  nlohmann::json body;
};

// Sends the request. Connection failures print a message and throw Exit{1}; HTTP errors are
// returned (see fail_on_error).
ApiAnswer api_call(const ApiArgs& args, const std::string& method, const std::string& path,
                   const nlohmann::json& body = nullptr);

// For a non-2xx answer: prints the error (message and hint, or the JSON with --json) to stderr
// and throws Exit with the code for its status: 400/404 -> 2, 401/403/409 -> 3, else 1.
void fail_on_error(const ApiArgs& args, const ApiAnswer& answer, std::string_view command);

// api_call + fail_on_error.
nlohmann::json api(const ApiArgs& args, const std::string& method, const std::string& path, std::string_view command,
                   const nlohmann::json& body = nullptr);

int exit_code_for_status(int status);

}  // namespace proxy::cli
