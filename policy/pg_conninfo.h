// libpq helpers shared by the PostgreSQL grant store's connection and its change listener.
// Internal to policy.
#pragma once

#include <libpq-fe.h>

#include <chrono>
#include <expected>
#include <string>
#include <string_view>

namespace policy::pg {

// Checks the syntax of a libpq connection string or URI without connecting, and returns a label
// for messages ("postgres://HOST/DBNAME") that never includes the password.
std::expected<std::string, std::string> describe(const std::string& conninfo);

// Connects with pgveil's defaults, which the connection string overrides: connect_timeout and
// tcp_user_timeout (a dead host fails instead of hanging), statement_timeout, application_name.
// Errors carry libpq's message, never the connection string.
std::expected<PGconn*, std::string> connect(const std::string& conninfo, std::chrono::seconds timeout,
                                            const char* application_name);

// "message (SQLSTATE xxxxx)" for a failed result, or the connection's error.
std::string error_of(PGconn* conn, const PGresult* result);

}  // namespace policy::pg
