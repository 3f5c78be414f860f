#include "support/workflow_env.h"

#include <catch2/catch.hpp>
#include <httplib.h>

#include <cstdio>
#include <stdexcept>

#ifndef PGVEIL_BINARY
#define PGVEIL_BINARY "pgveil"
#endif

namespace wf {

std::string config(const std::string& extra_roles, const std::string& support_idle) {
  itf::ConfigParts parts;
  parts.roles =
      "  breakglass: { databases: [prod], login: app, max_duration: 1h, requesters: [engineering],\n"
      "                approvers: [oncall-leads], approvals: 2 }\n"
      "  oncall_ro: { databases: [prod], login: app, max_duration: 2h, requesters: [engineering],\n"
      "               approvers: [oncall-leads], auto_approve: [oncall] }\n" +
      extra_roles;
  parts.top =
      "people:\n"
      "  alice: { groups: [engineering] }\n"
      "  bob: { groups: [engineering, oncall-leads] }\n"
      "  carol: { groups: [oncall-leads] }\n"
      "  dave: { groups: [sales] }\n"
      "  erin: { groups: [engineering, oncall] }\n"
      "admin: { listen: \"127.0.0.1:{{ADMIN_PORT}}\", token_env: ADMIN_TOKEN }\n";
  std::string yaml = itf::config(parts);
  // The base role gets the workflow's fields.
  const std::string base = "  support: { databases: [prod], login: app, max_duration: 4h }\n";
  const auto at = yaml.find(base);
  if (at == std::string::npos) throw std::logic_error("itf::config no longer has the support role line");
  yaml.replace(at, base.size(),
               "  support: { databases: [prod], login: app, max_duration: 4h, requesters: [engineering],\n"
               "             approvers: [oncall-leads], idle_timeout: " + support_idle + " }\n");
  return yaml;
}

std::vector<std::string> env() {
  auto out = itf::pgveil_env();
  out.push_back("ADMIN_TOKEN=" + std::string(kAdminToken));
  return out;
}

Answer call(const testsupport::PgveilProcess& pgveil, const std::string& token, const std::string& method,
            const std::string& path, const nlohmann::json& body) {
  httplib::Client client("127.0.0.1", pgveil.admin_port());
  client.set_connection_timeout(5, 0);
  client.set_read_timeout(10, 0);
  httplib::Headers headers;
  if (!token.empty()) headers.emplace("Authorization", "Bearer " + token);
  auto result = method == "GET" ? client.Get(path, headers)
                                : client.Post(path, headers, body.is_null() ? "" : body.dump(), "application/json");
  if (!result) throw std::runtime_error("admin API " + method + " " + path + ": " + httplib::to_string(result.error()));
  Answer answer{result->status, nlohmann::json::parse(result->body, nullptr, false)};
  if (answer.body.is_discarded()) answer.body = result->body;  // /metrics is text
  return answer;
}

std::string issue_token(const testsupport::PgveilProcess& pgveil, const std::string& person) {
  auto answer = call(pgveil, std::string(kAdminToken), "POST", "/v1/tokens", {{"person", person}});
  if (answer.status != 201) throw std::runtime_error("token issue failed: " + answer.body.dump());
  return answer.body.at("token").get<std::string>();
}

ClockFile::ClockFile() : dir_("pgveil-clock"), path_(dir_.path() + "/offset") { set(std::chrono::seconds(0)); }

void ClockFile::set(std::chrono::seconds offset) {
  testsupport::write_file(path_ + ".new", std::to_string(offset.count()) + "\n", 0600);
  if (std::rename((path_ + ".new").c_str(), path_.c_str()) != 0) throw std::runtime_error("rename " + path_);
}

std::string ClockFile::env_entry() const { return "PGVEIL_TEST_CLOCK_FILE=" + path_; }

testsupport::RunResult cli(const testsupport::PgveilProcess& pgveil, const std::string& token,
                           const std::vector<std::string>& args) {
  return cli_at(pgveil, "http://127.0.0.1:" + std::to_string(pgveil.admin_port()), token, args);
}

testsupport::RunResult cli_at(const testsupport::PgveilProcess& pgveil, const std::string& server,
                              const std::string& token, const std::vector<std::string>& args,
                              const std::vector<std::string>& extra_env) {
  std::vector<std::string> argv = {PGVEIL_BINARY};
  argv.insert(argv.end(), args.begin(), args.end());
  auto environment = env();
  environment.push_back("PGVEIL_SERVER=" + server);
  environment.push_back("PGVEIL_TOKEN=" + token);
  environment.insert(environment.end(), extra_env.begin(), extra_env.end());
  testsupport::RunOptions options;
  options.env = std::move(environment);
  options.timeout = std::chrono::seconds(60);
  options.cwd = pgveil.dir();
  return testsupport::run_with(argv, options);
}

nlohmann::json approved_grant(const testsupport::PgveilProcess& pgveil, const std::string& requester_token,
                              const std::string& approver_token, const std::string& duration,
                              const std::string& role) {
  auto asked = call(pgveil, requester_token, "POST", "/v1/requests",
                    {{"database", "prod"}, {"role", role}, {"reason", "INC-1"}, {"duration", duration}});
  if (asked.status != 201) throw std::runtime_error("request failed: " + asked.body.dump());
  const auto id = asked.body.at("id").get<std::int64_t>();
  const auto path = "/v1/grants/" + std::to_string(id);
  auto approved = call(pgveil, approver_token, "POST", path + "/approve");
  if (approved.status != 200) throw std::runtime_error("approve failed: " + approved.body.dump());
  auto secret = call(pgveil, requester_token, "POST", path + "/secret");
  if (secret.status != 200) throw std::runtime_error("secret failed: " + secret.body.dump());
  auto grant = secret.body.at("grant");
  grant["secret"] = secret.body.at("secret");
  grant["psql"] = secret.body.at("psql");
  return grant;
}

testsupport::PgConn connect_as(const testsupport::PgveilProcess& pgveil, const std::string& user,
                               const std::string& secret, const std::string& app) {
  auto conn = testsupport::PgConn::connect(pgveil.conninfo(user, "prod", secret) + " application_name=" + app,
                                           std::chrono::seconds(10));
  if (!conn) FAIL("connect: " << conn.error().to_string());
  return std::move(*conn);
}

void start_long_query(testsupport::PgConn& conn, const std::string& app) {
  REQUIRE(PQsendQuery(conn.get(), "SELECT pg_sleep(30)") == 1);
  REQUIRE(itf::wait_backends(app, 1, std::chrono::seconds(3)));
}

}  // namespace wf
