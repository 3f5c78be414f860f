#include "policy/pg_conninfo.h"

#include <fmt/format.h>

#include <algorithm>

namespace policy::pg {
namespace {

std::string trimmed(std::string_view text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.remove_suffix(1);
  return std::string(text);
}

}  // namespace

std::expected<std::string, std::string> describe(const std::string& conninfo) {
  char* error = nullptr;
  PQconninfoOption* parsed = PQconninfoParse(conninfo.c_str(), &error);
  if (parsed == nullptr) {
    auto message = fmt::format("invalid connection string: {}", trimmed(error != nullptr ? error : "out of memory"));
    PQfreemem(error);
    return std::unexpected(std::move(message));
  }
  std::string host = "local", dbname = "(default)";
  for (auto* o = parsed; o->keyword != nullptr; ++o) {
    if (o->val == nullptr || *o->val == '\0') continue;
    if (std::string_view(o->keyword) == "host") host = o->val;
    if (std::string_view(o->keyword) == "dbname") dbname = o->val;
  }
  PQconninfoFree(parsed);
  return fmt::format("postgres://{}/{}", host, dbname);
}

std::expected<PGconn*, std::string> connect(const std::string& conninfo, std::chrono::seconds timeout,
                                            const char* application_name) {
  const auto seconds = std::max<long>(timeout.count(), 1);
  const auto timeout_s = std::to_string(seconds);
  const auto timeout_ms = std::to_string(seconds * 1000);
  // synchronous_commit=on: a committed revocation must survive a crash of the store's server even
  // where the server's default is off. client_min_messages: notices are noise on pgveil's stderr.
  const auto server_options =
      "-c statement_timeout=" + timeout_ms + " -c synchronous_commit=on -c client_min_messages=warning";
  // Defaults first: the connection string (expanded from "dbname") overrides them.
  const char* keywords[] = {"connect_timeout", "tcp_user_timeout", "options", "application_name", "dbname", nullptr};
  const char* values[] = {timeout_s.c_str(), timeout_ms.c_str(), server_options.c_str(), application_name,
                          conninfo.c_str(), nullptr};
  PGconn* conn = PQconnectdbParams(keywords, values, 1);
  if (conn == nullptr) return std::unexpected("connect: out of memory");
  if (PQstatus(conn) != CONNECTION_OK) {
    auto cause = "connect: " + trimmed(PQerrorMessage(conn));
    PQfinish(conn);
    return std::unexpected(std::move(cause));
  }
  return conn;
}

std::string error_of(PGconn* conn, const PGresult* result) {
  const char* sqlstate = result != nullptr ? PQresultErrorField(result, PG_DIAG_SQLSTATE) : nullptr;
  const std::string message = trimmed(result != nullptr && *PQresultErrorMessage(result) != '\0'
                                          ? PQresultErrorMessage(result)
                                          : PQerrorMessage(conn));
  if (sqlstate == nullptr) return message;
  return fmt::format("{} (SQLSTATE {})", message, sqlstate);
}

}  // namespace policy::pg
