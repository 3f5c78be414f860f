// The audit log and the admin API together (issue #5 points 1, 4, 6, 7): grant lifecycle events
// written by the workflow (API, CLI, supersession, expiry) into the chained file sink, the live
// stream GET /v1/audit/stream (curl and `pgveil audit tail -f`), the /metrics series moved by
// real traffic, and the report built from those events.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include <chrono>
#include <csignal>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "support/audit_log.h"
#include "support/files.h"
#include "support/pq.h"
#include "support/process.h"
#include "support/workflow_env.h"

using namespace std::chrono_literals;
using nlohmann::json;
using testsupport::PgConn;
using testsupport::PgveilProcess;

namespace {

using Clock = std::chrono::steady_clock;
constexpr std::string_view kKey = "0123456789abcdef0123456789abcdef";

std::string audited_config(std::string_view fsync = "batch") {
  return wf::config() + "audit:\n  sinks:\n    - file: { path: \"{{DIR}}/audit.jsonl\", fsync: " + std::string(fsync) +
         " }\n  key: { env: AUDIT_KEY }\n";
}

std::vector<std::string> audited_env() {
  auto env = wf::env();
  env.push_back("AUDIT_KEY=" + std::string(kKey));
  return env;
}

std::vector<json> events(const std::string& path) { return testsupport::audit_events(path); }

template <class Pred>
json wait_event(const std::string& path, Pred pred) {
  return testsupport::wait_audit_event(path, pred, 8s);
}

json grant_step(const std::string& path, std::string_view type, std::int64_t grant, std::string_view by = {}) {
  return wait_event(path, [&](const json& e) {
    return e.value("type", "") == type && e.value("grant", std::int64_t{-1}) == grant &&
           (by.empty() || e.value("by", "") == by);
  });
}

std::int64_t id_of(const wf::Answer& a) {
  INFO(a.body.dump());
  REQUIRE(a.body.contains("id"));
  return a.body["id"].get<std::int64_t>();
}

wf::Answer request(const PgveilProcess& p, const std::string& token, const std::string& role, const std::string& why) {
  auto a = wf::call(p, token, "POST", "/v1/requests", {{"database", "prod"}, {"role", role}, {"reason", why}, {"duration", "1h"}});
  INFO(a.body.dump());
  REQUIRE(a.status == 201);
  return a;
}

wf::Answer step(const PgveilProcess& p, const std::string& token, std::int64_t id, const std::string& verb,
                const std::string& reason = {}) {
  return wf::call(p, token, "POST", "/v1/grants/" + std::to_string(id) + "/" + verb, {{"reason", reason}});
}

// Prometheus text exposition (0.0.4): every sample line is `name{labels} value`, every family has
// one # TYPE before its samples; returns sample -> value.
std::map<std::string, double> parse_metrics(const std::string& text) {
  static const std::regex sample(R"(^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{([a-zA-Z_][a-zA-Z0-9_]*="([^"\\]|\\.)*",?)*\})? ([-+]?[0-9][0-9.eE+-]*|\+Inf|NaN)$)");
  static const std::regex type(R"(^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram|summary|untyped)$)");
  std::map<std::string, double> out;
  std::set<std::string> typed;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    INFO(line);
    std::smatch m;
    if (line.starts_with("# HELP ")) continue;
    if (std::regex_match(line, m, type)) {
      CHECK(typed.insert(m[1]).second);  // one TYPE line per family
      continue;
    }
    REQUIRE(std::regex_match(line, m, sample));
    std::string family = m[1];
    for (const char* suffix : {"_bucket", "_sum", "_count"}) {
      if (!typed.contains(family) && family.ends_with(suffix)) family.resize(family.size() - std::strlen(suffix));
    }
    CHECK(typed.contains(family));  // TYPE comes before the samples
    const auto space = line.rfind(' ');
    out[line.substr(0, space)] = std::stod(line.substr(space + 1));
  }
  return out;
}

double metric(const std::map<std::string, double>& m, const std::string& series) {
  const auto it = m.find(series);
  return it == m.end() ? 0 : it->second;
}

std::map<std::string, double> scrape(const PgveilProcess& p) {
  auto a = wf::call(p, "", "GET", "/metrics");
  REQUIRE(a.status == 200);
  return parse_metrics(a.body.get<std::string>());
}

}  // namespace

TEST_CASE("audit: grant lifecycle events from the API, the CLI, supersession and expiry; verify; report",
          "[audit][workflow][itf]") {
  PgveilProcess pgveil(audited_config(), audited_env());
  const std::string path = pgveil.dir() + "/audit.jsonl";
  const auto alice = wf::issue_token(pgveil, "alice");
  const auto bob = wf::issue_token(pgveil, "bob");
  const auto carol = wf::issue_token(pgveil, "carol");
  const auto erin = wf::issue_token(pgveil, "erin");

  const auto support = id_of(request(pgveil, alice, "support", "INC-77 refund stuck"));
  CHECK(step(pgveil, alice, support, "approve").status == 403);  // self-approval, recorded as a refusal
  REQUIRE(step(pgveil, carol, support, "approve").status == 200);
  auto secret = wf::call(pgveil, alice, "POST", "/v1/grants/" + std::to_string(support) + "/secret");
  REQUIRE(secret.status == 200);
  {
    auto conn = PgConn::must_connect(pgveil.conninfo("alice", "prod", secret.body["secret"].get<std::string>()));
    REQUIRE(conn.query("SELECT 1").has_value());
  }
  // Two approvals; the second supersedes alice's support grant (same person and database).
  const auto breakglass = id_of(request(pgveil, alice, "breakglass", "INC-78 outage"));
  REQUIRE(step(pgveil, bob, breakglass, "approve").status == 200);
  REQUIRE(step(pgveil, carol, breakglass, "approve").status == 200);
  const auto denied = id_of(request(pgveil, erin, "support", "curious"));
  REQUIRE(step(pgveil, bob, denied, "deny", "no ticket").status == 200);
  const auto cancelled = id_of(request(pgveil, erin, "breakglass", "mistake"));
  REQUIRE(step(pgveil, erin, cancelled, "cancel").status == 200);
  const auto auto_approved = id_of(request(pgveil, erin, "oncall_ro", "paged"));
  REQUIRE(step(pgveil, carol, breakglass, "revoke", "outage over").status == 200);
  // The operator path writes the store directly, from another process.
  auto r = pgveil.cli({"--config", pgveil.config_path(), "grant", "create", "--user", "dave", "--db", "prod", "--role",
                       "support", "--for", "2s", "--reason", "maintenance window", "--json"});
  REQUIRE(r.exit_code == 0);
  const auto issued = json::parse(r.out)["id"].get<std::int64_t>();
  r = pgveil.cli({"--config", pgveil.config_path(), "grant", "create", "--user", "carol", "--db", "prod", "--role",
                  "support", "--for", "1h", "--reason", "audit check", "--json"});
  REQUIRE(r.exit_code == 0);
  const auto revoked_by_cli = json::parse(r.out)["id"].get<std::int64_t>();
  REQUIRE(pgveil.cli({"--config", pgveil.config_path(), "grant", "revoke", std::to_string(revoked_by_cli), "--reason",
                      "done"}).exit_code == 0);
  // A token revoked through the API.
  auto tokens = wf::call(pgveil, std::string(wf::kAdminToken), "GET", "/v1/tokens");
  REQUIRE(tokens.status == 200);
  std::int64_t erin_token = -1;
  for (const auto& t : tokens.body) {
    if (t["person"] == "erin") erin_token = t["id"].get<std::int64_t>();
  }
  REQUIRE(wf::call(pgveil, std::string(wf::kAdminToken), "POST", "/v1/tokens/" + std::to_string(erin_token) + "/revoke")
              .status == 200);

  const auto requested = grant_step(path, "grant_requested", support, "alice");
  REQUIRE_FALSE(requested.is_null());
  CHECK(requested["reason"] == "INC-77 refund stuck");
  CHECK(requested["person"] == "alice");
  CHECK(requested["role"] == "support");
  CHECK(requested["database"] == "prod");
  CHECK(requested["approvals_required"] == 1);
  const auto approved = grant_step(path, "grant_approved", support, "carol");
  REQUIRE_FALSE(approved.is_null());
  CHECK(approved["approval"] == 1);
  CHECK(approved["not_before"].is_string());
  CHECK(approved["not_after"].is_string());
  CHECK_FALSE(grant_step(path, "grant_secret_claimed", support, "alice").is_null());
  const auto first = grant_step(path, "grant_approved", breakglass, "bob");
  REQUIRE_FALSE(first.is_null());
  CHECK(first["approval"] == 1);
  CHECK(first["approvals_required"] == 2);
  CHECK_FALSE(first.contains("not_before"));
  const auto second = grant_step(path, "grant_approved", breakglass, "carol");
  REQUIRE_FALSE(second.is_null());
  CHECK(second["approval"] == 2);
  const auto superseded = grant_step(path, "grant_superseded", support, "carol");
  REQUIRE_FALSE(superseded.is_null());
  CHECK(superseded["superseded_by"] == breakglass);
  CHECK(grant_step(path, "grant_denied", denied, "bob")["reason"] == "no ticket");
  CHECK_FALSE(grant_step(path, "grant_cancelled", cancelled, "erin").is_null());
  CHECK(grant_step(path, "grant_approved", auto_approved, "pgveil")["approval"] == 1);
  CHECK(grant_step(path, "grant_revoked", breakglass, "carol")["reason"] == "outage over");
  const auto by_cli = grant_step(path, "grant_issued", issued);
  REQUIRE_FALSE(by_cli.is_null());
  CHECK(by_cli["by"].get<std::string>().starts_with("cli:"));
  CHECK(by_cli["reason"] == "maintenance window");
  CHECK(grant_step(path, "grant_revoked", revoked_by_cli)["reason"] == "done");
  const auto expired = grant_step(path, "grant_expired", issued);
  REQUIRE_FALSE(expired.is_null());
  CHECK(expired["time"] == by_cli["not_after"]);  // dated when it ended, not when it was noticed
  const auto token_issued = wait_event(path, [](const json& e) { return e["type"] == "token_issued" && e["person"] == "erin"; });
  CHECK(token_issued["by"] == "admin");
  const auto token_revoked = wait_event(path, [](const json& e) { return e["type"] == "token_revoked"; });
  CHECK(token_revoked["person"] == "erin");
  CHECK(token_revoked["token"] == erin_token);
  const auto self = wait_event(path, [](const json& e) { return e["type"] == "refusal" && e["stage"] == "workflow"; });
  CHECK(self["rule"] == "workflow: self-approval");
  CHECK(self["person"] == "alice");
  CHECK(self["grant"] == support);

  // Each step once: the watcher does not repeat history it already wrote.
  std::size_t approvals_of_support = 0;
  for (const auto& e : events(path)) {
    if (e["type"] == "grant_approved" && e["grant"] == support) ++approvals_of_support;
  }
  CHECK(approvals_of_support == 1);

  pgveil.stop();
  r = pgveil.cli({"audit", "verify", path, "--key-env", "AUDIT_KEY"});
  INFO(r.out << r.err);
  CHECK(r.exit_code == 0);

  r = pgveil.cli({"report", "--from", "2000-01-01", "--to", "2100-01-01", "--format", "json", path});
  REQUIRE(r.exit_code == 0);
  const auto report = json::parse(r.out);
  json support_row, breakglass_row;
  for (const auto& g : report["grants"]) {
    if (g["id"] == support) support_row = g;
    if (g["id"] == breakglass) breakglass_row = g;
  }
  REQUIRE_FALSE(support_row.is_null());
  CHECK(support_row["requested"]["by"] == "alice");
  CHECK(support_row["requested"]["reason"] == "INC-77 refund stuck");
  REQUIRE(support_row["approvals"].size() == 1);
  CHECK(support_row["approvals"][0]["by"] == "carol");
  CHECK(support_row["not_before"].is_string());
  CHECK(support_row["revoked"]["reason"] == "superseded by grant " + std::to_string(breakglass));
  CHECK(support_row["sessions"].size() == 1);
  REQUIRE(breakglass_row["approvals"].size() == 2);
  CHECK(breakglass_row["approvals"][0]["reason"] == "approval 1 of 2");
  bool self_approval = false;
  for (const auto& a : report["anomalies"]) self_approval = self_approval || a["kind"] == "self_approval";
  CHECK(self_approval);
  r = pgveil.cli({"report", "--from", "2000-01-01", "--to", "2100-01-01", "--format", "md", path});
  CHECK_THAT(r.out, Catch::Contains("Approved by **carol**"));
  CHECK_THAT(r.out, Catch::Contains("INC-77 refund stuck"));
}

namespace {

// A stream client that sends its request and then never reads: the slow subscriber.
class StalledClient {
 public:
  StalledClient(std::uint16_t port, const std::string& request) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    REQUIRE(fd_ >= 0);
    int small = 4096;  // a small receive buffer, so the server's writes back up soon
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
    REQUIRE(::send(fd_, request.data(), request.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(request.size()));
  }
  ~StalledClient() { ::close(fd_); }
  // Everything the server sent, until it closed or `timeout` passed.
  std::string drain(std::chrono::seconds timeout) {
    std::string out;
    const auto deadline = Clock::now() + timeout;
    char buf[65536];
    while (Clock::now() < deadline) {
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 200) <= 0) continue;
      const auto n = ::recv(fd_, buf, sizeof buf, 0);
      if (n <= 0) break;
      out.append(buf, static_cast<std::size_t>(n));
    }
    return out;
  }

 private:
  int fd_ = -1;
};

// Output of a background child (curl, pgveil audit tail -f) collected in a file.
class Background {
 public:
  Background(std::vector<std::string> argv, std::vector<std::string> env, const std::string& out_path)
      : path_(out_path) {
    out_fd_ = ::open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    REQUIRE(out_fd_ >= 0);
    testsupport::SpawnSpec spec;
    spec.argv = std::move(argv);
    spec.env = std::move(env);
    spec.stdout_fd = out_fd_;
    spec.stderr_fd = out_fd_;
    pid_ = testsupport::spawn(spec);
  }
  ~Background() {
    ::kill(pid_, SIGTERM);
    testsupport::wait_for_exit(pid_, 5s);
    ::close(out_fd_);
  }
  std::string text() const { return testsupport::read_file(path_); }
  // Waits until the output holds `needle`.
  bool wait_for(std::string_view needle, std::chrono::seconds timeout = 10s) const {
    const auto deadline = Clock::now() + timeout;
    while (Clock::now() < deadline) {
      if (text().find(needle) != std::string::npos) return true;
      std::this_thread::sleep_for(50ms);
    }
    return false;
  }

 private:
  std::string path_;
  int out_fd_ = -1;
  pid_t pid_ = -1;
};

}  // namespace

TEST_CASE("audit: the live stream over the admin API, /metrics moved by real traffic", "[audit][workflow][itf]") {
  PgveilProcess pgveil(audited_config(), audited_env());
  const std::string api = "http://127.0.0.1:" + std::to_string(pgveil.admin_port());
  const auto alice = wf::issue_token(pgveil, "alice");
  const auto carol = wf::issue_token(pgveil, "carol");
  const auto dave = wf::issue_token(pgveil, "dave");
  const auto grant = wf::approved_grant(pgveil, alice, carol);
  const std::string secret = grant["secret"].get<std::string>();

  {
    INFO("the stream needs a token; filters are checked");
    CHECK(wf::call(pgveil, "", "GET", "/v1/audit/stream").status == 401);
    const auto bad = wf::call(pgveil, alice, "GET", "/v1/audit/stream?type=nonsense");
    CHECK(bad.status == 400);
    CHECK_THAT(bad.body.dump(), Catch::Contains("unknown event type"));
    const auto refused = wf::cli(pgveil, "not-a-token", {"audit", "tail", "-f"});
    CHECK(refused.exit_code == 3);
    CHECK_THAT(refused.err, Catch::Contains("a valid bearer token is required"));
  }
  // curl as the admin, only alice's events; `pgveil audit tail -f` (no FILE: the server) as carol,
  // who approves role support, only statements; curl as dave (sales) sees nothing of alice.
  Background curl({"curl", "-sN", "-H", "Authorization: Bearer " + std::string(wf::kAdminToken),
                   api + "/v1/audit/stream?person=alice"},
                  {}, pgveil.dir() + "/curl.out");
  Background sse({"curl", "-sN", "-H", "Accept: text/event-stream", "-H", "Authorization: Bearer " + carol,
                  api + "/v1/audit/stream?type=statement_done"},
                 {}, pgveil.dir() + "/sse.out");
  Background outsider({"curl", "-sN", "-H", "Authorization: Bearer " + dave, api + "/v1/audit/stream"}, {},
                      pgveil.dir() + "/dave.out");
  Background tail({PGVEIL_BINARY, "audit", "tail", "-f", "--json", "--type", "statement", "--server", api},
                  {"PGVEIL_TOKEN=" + carol}, pgveil.dir() + "/tail.out");
  // The four streams are subscribed once the metric says so (a stream starts when its request is in).
  const auto subscribed_by = Clock::now() + 10s;
  while (metric(scrape(pgveil), "pgveil_audit_stream_subscribers") < 4 && Clock::now() < subscribed_by) {
    std::this_thread::sleep_for(50ms);
  }
  REQUIRE(metric(scrape(pgveil), "pgveil_audit_stream_subscribers") == 4);

  const auto before = scrape(pgveil);
  {
    auto conn = PgConn::must_connect(pgveil.conninfo("alice", "prod", secret));
    REQUIRE(conn.query("SELECT 'stream-literal-1'").has_value());
    REQUIRE(conn.query("SELECT 2").has_value());
    REQUIRE(conn.query_params("SELECT $1::int", {std::string("3")}).has_value());
    REQUIRE(conn.query("UPDATE pg_class SET relname = relname WHERE false").has_value() == false);  // permission error
  }
  CHECK_FALSE(PgConn::connect(pgveil.conninfo("mallory", "prod", "x"), 10s).has_value());  // no grant: 28000

  REQUIRE(curl.wait_for("\"session_end\""));
  REQUIRE(tail.wait_for("SELECT $1::int"));
  REQUIRE(sse.wait_for("\"42501\""));
  std::this_thread::sleep_for(300ms);  // anything else the streams would (wrongly) get
  {
    INFO(curl.text());
    std::size_t statements = 0;
    std::istringstream lines(curl.text());
    for (std::string line; std::getline(lines, line);) {
      if (line.empty()) continue;
      const auto e = json::parse(line);
      CHECK(e["person"] == "alice");  // the filter: mallory's refusal is not here
      if (e["type"] == "statement") ++statements;
      CHECK_FALSE(e.contains("seq"));  // events as accepted, not the file's chain records
    }
    CHECK(statements == 4);
    CHECK(curl.text().find("stream-literal-1") == std::string::npos);  // normalized, as in the file
    CHECK(curl.text().find("SELECT $1") != std::string::npos);
  }
  {
    INFO(tail.text());
    std::size_t lines_seen = 0;
    std::istringstream lines(tail.text());
    for (std::string line; std::getline(lines, line);) {
      const auto e = json::parse(line);
      CHECK(e["type"] == "statement");
      ++lines_seen;
    }
    CHECK(lines_seen == 4);
  }
  {
    INFO(sse.text());
    CHECK_THAT(sse.text(), Catch::Contains("data: {\"type\":\"statement_done\""));
    CHECK(sse.text().find("\"type\":\"statement\",") == std::string::npos);
  }
  CHECK(outsider.text().find("alice") == std::string::npos);  // dave neither is alice nor approves support

  const auto after = scrape(pgveil);
  const auto delta = [&](const std::string& series) { return metric(after, series) - metric(before, series); };
  CHECK(delta("pgveil_statements_total{kind=\"SELECT\"}") == 3);
  CHECK(delta("pgveil_statements_total{kind=\"UPDATE\"}") == 1);
  CHECK(delta("pgveil_statement_duration_seconds_count") == 4);
  CHECK(delta("pgveil_refusals_total{stage=\"admission\",sqlstate=\"28000\"}") == 1);
  CHECK(delta("pgveil_sessions_total") == 1);
  CHECK(delta("pgveil_sessions_ended_total{reason=\"client terminated\"}") == 1);
  const std::string sink = "{sink=\"file:" + pgveil.dir() + "/audit.jsonl\"}";
  CHECK(delta("pgveil_audit_events_recorded_total" + sink) >= 10);  // start, 4 + 4, end, refusal …
  CHECK(metric(after, "pgveil_audit_write_seconds_count" + sink) >= 1);
  CHECK(metric(after, "pgveil_audit_events_dropped_total" + sink) == 0);
  CHECK(after.contains("pgveil_audit_queue_depth" + sink));
  CHECK(metric(after, "pgveil_audit_sink_healthy" + sink) == 1);

  INFO("open streams do not hold up a shutdown");
  const auto stopping = Clock::now();
  CHECK(pgveil.stop() == 0);
  CHECK(Clock::now() - stopping < 5s);
}

TEST_CASE("audit: a stream client that stops reading is dropped; sessions never wait for it", "[audit][workflow][itf]") {
  PgveilProcess pgveil(audited_config("none"), audited_env());  // fast: the point is the stream
  const auto alice = wf::issue_token(pgveil, "alice");
  const auto carol = wf::issue_token(pgveil, "carol");
  const auto grant = wf::approved_grant(pgveil, alice, carol);
  StalledClient stalled(pgveil.admin_port(), "GET /v1/audit/stream HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nAuthorization: Bearer " +
                                                 std::string(wf::kAdminToken) + "\r\n\r\n");
  const auto subscribed_by = Clock::now() + 10s;
  while (metric(scrape(pgveil), "pgveil_audit_stream_subscribers") < 1 && Clock::now() < subscribed_by) {
    std::this_thread::sleep_for(50ms);
  }
  REQUIRE(metric(scrape(pgveil), "pgveil_audit_stream_subscribers") == 1);

  // 24,000 events (a statement and its statement_done each, ~450 bytes), whatever the machine's
  // speed: far more than pgveil's send buffer (up to tcp_wmem's 4 MiB), the client's small
  // receive buffer and its queue (4,096 events) hold together. (12,000 were marginal: once in a
  // few runs the buffers held them all and the client was never dropped.)
  const std::string script = pgveil.dir() + "/select.sql";
  testsupport::write_file(script, "SELECT 1;\n");
  testsupport::RunOptions options;
  options.env = {"PGPASSWORD=" + grant["secret"].get<std::string>()};
  options.timeout = 120s;
  const auto bench = testsupport::run_with({"pgbench", "-n", "-f", script, "-M", "prepared", "-c", "2", "-j", "2", "-t",
                                            "6000", "-h", "127.0.0.1", "-p", std::to_string(pgveil.port()), "-U", "alice",
                                            "prod"},
                                           options);
  INFO(bench.out << bench.err);
  REQUIRE(bench.exit_code == 0);
  const auto after = scrape(pgveil);
  CHECK(metric(after, "pgveil_statements_total{kind=\"SELECT\"}") == 12000);
  CHECK(metric(after, "pgveil_audit_stream_dropped_total") == 1);
  CHECK(metric(after, "pgveil_audit_stream_subscribers") == 0);
  const std::string sink = "{sink=\"file:" + pgveil.dir() + "/audit.jsonl\"}";
  CHECK(metric(after, "pgveil_audit_events_failed_total" + sink) == 0);
  // What the client gets when it reads again: the events it had, then the note, then the end.
  const auto received = stalled.drain(10s);
  CHECK_THAT(received, Catch::Contains("\"type\":\"stream_dropped\""));
  CHECK_THAT(received, Catch::Contains("read too slowly"));
}
