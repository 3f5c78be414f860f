// Shared set-up for the access-workflow integration tests: a pgveil with people, groups, roles
// that need one or two approvals or auto-approve, and the admin API on its own port; an HTTP
// client for the API (cpp-httplib's) and the `pgveil` CLI run as a given token holder.
#pragma once

#include <nlohmann/json.hpp>

#include <chrono>
#include <string>
#include <vector>

#include "support/files.h"
#include "support/pq.h"

#include "support/itf_env.h"
#include "support/pgveil_process.h"
#include "support/process.h"

namespace wf {

// The bootstrap admin token the config reads from ADMIN_TOKEN.
inline constexpr std::string_view kAdminToken = "admin-token-for-tests-0123456789abcdef";

// People: alice (engineering), bob (engineering, oncall-leads), carol (oncall-leads),
// dave (sales), erin (engineering, oncall). Roles on prod: support (engineering asks,
// oncall-leads approve, 4h max, idle_timeout as given), breakglass (2 approvals, 1h),
// oncall_ro (auto-approved for oncall).
std::string config(const std::string& extra_roles = {}, const std::string& support_idle = "0");
std::vector<std::string> env();

struct Answer {
  int status = 0;
  nlohmann::json body;
};

// One admin API request as `token` (empty: no Authorization header).
Answer call(const testsupport::PgveilProcess& pgveil, const std::string& token, const std::string& method,
            const std::string& path, const nlohmann::json& body = nullptr);

// POST /v1/tokens as admin for `person`; REQUIREs 201 and returns the token.
std::string issue_token(const testsupport::PgveilProcess& pgveil, const std::string& person);

// pgveil's test clock (proxy/test_clock.h): a file holding the offset in seconds that a pgveil
// started with env_entry() and serve_args() adds to its wall clock. Starts at 0.
class ClockFile {
 public:
  ClockFile();
  void set(std::chrono::seconds offset);   // replaced atomically: pgveil never reads half a file
  std::string env_entry() const;           // "PGVEIL_TEST_CLOCK_FILE=<path>"
  static std::vector<std::string> serve_args() { return {"--test-clock"}; }

 private:
  testsupport::TempDir dir_;
  std::string path_;
};

// `pgveil <args...>` with PGVEIL_SERVER pointing at this pgveil and PGVEIL_TOKEN = token.
testsupport::RunResult cli(const testsupport::PgveilProcess& pgveil, const std::string& token,
                           const std::vector<std::string>& args);
// The same with PGVEIL_SERVER = `server` (e.g. https://127.0.0.1:PORT) and more "KEY=VALUE" entries.
testsupport::RunResult cli_at(const testsupport::PgveilProcess& pgveil, const std::string& server,
                              const std::string& token, const std::vector<std::string>& args,
                              const std::vector<std::string>& extra_env = {});

// request -> approve -> secret through the API; the approved grant with "secret" added.
nlohmann::json approved_grant(const testsupport::PgveilProcess& pgveil, const std::string& requester_token,
                              const std::string& approver_token, const std::string& duration = "1h",
                              const std::string& role = "support");

// A libpq connection through pgveil to prod as `user` with application_name `app`; FAILs the
// test (with libpq's error) if it does not connect within 10 s.
testsupport::PgConn connect_as(const testsupport::PgveilProcess& pgveil, const std::string& user,
                               const std::string& secret, const std::string& app);

// Starts pg_sleep(30) on `conn` and REQUIREs that its backend runs upstream within 3 s.
void start_long_query(testsupport::PgConn& conn, const std::string& app);

}  // namespace wf
