// `pgveil audit tail [-f] [filters] FILE`: the audit stream for people (aligned, coloured on a
// TTY) or machines (--json: the records as written). Selection and formatting are pure
// (audit/tail_format.h); following across rotation is audit/log_follower.h.
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <deque>
#include <filesystem>
#include <fstream>
#include <thread>

#include <httplib.h>

#include "audit/log_follower.h"
#include "audit/tail_format.h"
#include "proxy/api_client.h"
#include "proxy/cli.h"
#include "proxy/config/units.h"

namespace proxy::cli {
namespace {

struct TailArgs {
  std::string file;  // empty: the admin API's live stream (ApiArgs)
  ApiArgs api;
  bool follow = false;
  bool json = false;
  bool with_rotated = false;
  std::string person, since;
  std::int64_t grant = -1;
  bool refused = false;
  std::vector<std::string> types;
  int lines = -1;  // -1: 10, or all with --since
  int interval_ms = 250;
};

[[noreturn]] void fail(int code, const std::string& message) {
  fmt::print(stderr, "pgveil audit tail: {}\n", message);
  throw Exit{code};
}

// RFC 3339 ("2026-12-03T21:00:00Z"), a date ("2026-12-03", midnight UTC) or a duration back
// from now ("15m", "2h", "1d").
std::optional<audit::TimePoint> parse_since(const std::string& text) {
  if (auto t = audit::parse_time(text)) return t;
  if (auto t = audit::parse_time(text + "T00:00:00Z")) return t;
  // Bounded so that the subtraction cannot overflow the clock's nanoseconds.
  if (auto d = parse_duration(text); d && *d <= std::chrono::days(36500)) return audit::Clock::now() - *d;
  return std::nullopt;
}

audit::TailFilter make_filter(const TailArgs& a) {
  audit::TailFilter f;
  if (!a.person.empty()) f.person = a.person;
  if (a.grant >= 0) f.grant = a.grant;
  f.refused = a.refused;
  for (const auto& list : a.types) {
    auto types = audit::parse_event_types(list);
    if (!types) fail(kExitUsage, types.error());
    f.types.insert(f.types.end(), types->begin(), types->end());
  }
  if (!a.since.empty()) {
    f.since = parse_since(a.since);
    if (!f.since) fail(kExitUsage, fmt::format("--since \"{}\": give a time (2026-12-03T21:00:00Z), a date or a duration (15m, 2h)", a.since));
  }
  return f;
}

class Printer {
 public:
  Printer(const TailArgs& a, audit::TailFilter filter)
      : json_(a.json), filter_(std::move(filter)), colour_(!a.json && ::isatty(STDOUT_FILENO) == 1 && std::getenv("NO_COLOR") == nullptr) {}

  // nullopt when the line is not for output (filtered, or not an event: said once on stderr).
  std::optional<std::string> render(const std::string& line) {
    const auto event = nlohmann::json::parse(line, nullptr, false);
    if (!event.is_object()) {
      if (!warned_) fmt::print(stderr, "pgveil audit tail: skipping lines that are not audit events\n");
      warned_ = true;
      return std::nullopt;
    }
    if (!audit::tail_matches(event, filter_)) return std::nullopt;
    return json_ ? line : audit::format_tail_line(event, colour_);
  }

 private:
  bool json_;
  audit::TailFilter filter_;
  bool colour_;
  bool warned_ = false;
};

// The server's live stream, filtered there (and again here, harmlessly) by the same filter.
void stream(const TailArgs& a) {
  if (!a.since.empty() || a.lines >= 0 || a.with_rotated) {
    fail(kExitUsage, "--since, --lines and --with-rotated read a FILE; the server's stream has only new events");
  }
  Printer printer(a, make_filter(a));
  httplib::Params params;
  if (!a.person.empty()) params.emplace("person", a.person);
  if (a.grant >= 0) params.emplace("grant", std::to_string(a.grant));
  if (a.refused) params.emplace("refused", "1");
  std::string types;
  for (const auto& t : a.types) types += (types.empty() ? "" : ",") + t;
  if (!types.empty()) params.emplace("type", types);
  httplib::Client client(a.api.server);
  if (!client.is_valid()) {
    fail(kExitUsage, fmt::format("--server '{}' is not a URL like http://127.0.0.1:6433", a.api.server));
  }
  client.set_connection_timeout(5, 0);
  client.set_read_timeout(60, 0);  // the server sends a blank line at least every 15 s
  httplib::Headers headers{{"Accept", "application/x-ndjson"}};
  if (!a.api.token.empty()) headers.emplace("Authorization", "Bearer " + a.api.token);
  std::string pending, error_body, dropped;
  int status = 0;
  auto result = client.Get(
      httplib::append_query_params("/v1/audit/stream", params), headers,
      [&](const httplib::Response& response) {
        status = response.status;
        return true;
      },
      [&](const char* data, std::size_t size) {
        if (status != 200) {
          error_body.append(data, size);
          return true;
        }
        pending.append(data, size);
        for (auto nl = pending.find('\n'); nl != std::string::npos; nl = pending.find('\n')) {
          const std::string line = pending.substr(0, nl);
          pending.erase(0, nl + 1);
          if (line.empty()) continue;  // the server's heartbeat
          if (line.find("\"stream_dropped\"") != std::string::npos) {
            dropped = line;
            return false;
          }
          if (auto out = printer.render(line)) fmt::print("{}\n", *out);
        }
        std::fflush(stdout);
        return true;
      });
  std::fflush(stdout);
  if (!dropped.empty()) fail(kExitFailure, "the server dropped this stream (too slow a reader): " + dropped);
  if (status != 0 && status != 200) {
    auto body = nlohmann::json::parse(error_body, nullptr, false);
    if (!body.is_object()) body = {{"error", {{"message", fmt::format("HTTP {}", status)}}}};
    fail_on_error(a.api, {status, std::move(body)}, "audit tail");
  }
  if (!result && status == 0) {
    fail(kExitFailure, fmt::format("cannot reach the pgveil admin API at {}: {} (is `pgveil serve` running with admin: "
                                   "and audit: sections? Set --server or PGVEIL_SERVER)",
                                   a.api.server, httplib::to_string(result.error())));
  }
  if (!result) {
    fail(kExitFailure,
         fmt::format("the audit stream at {} ended: {}", a.api.server, httplib::to_string(result.error())));
  }
  fail(kExitFailure, fmt::format("the audit stream at {} ended (pgveil stopped?)", a.api.server));
}

void tail(const TailArgs& a) {
  if (a.file.empty()) return stream(a);
  Printer printer(a, make_filter(a));
  const std::size_t keep = a.lines >= 0 ? static_cast<std::size_t>(a.lines) : a.since.empty() ? 10 : SIZE_MAX;
  std::deque<std::string> history;
  const auto remember = [&](const std::string& line) {
    if (keep == 0) return;
    if (auto out = printer.render(line)) {
      history.push_back(std::move(*out));
      if (history.size() > keep) history.pop_front();
    }
  };
  if (a.with_rotated) {
    const auto files = audit_files({a.file}, true);
    if (!files) fail(kExitFailure, files.error());
    for (const auto& file : *files) {
      if (file == std::filesystem::path(a.file)) continue;
      std::ifstream in(file, std::ios::binary);
      if (!in) fail(kExitFailure, fmt::format("{}: cannot read", file.string()));
      for (std::string line; std::getline(in, line);) remember(line);
    }
  }
  if (!a.follow && !std::filesystem::exists(a.file)) fail(kExitFailure, fmt::format("{}: no such file", a.file));

  audit::LogFollower follower(a.file, true);
  while (true) {  // the existing lines: history
    auto lines = follower.poll();
    if (!lines) fail(kExitFailure, lines.error());
    if (lines->empty()) break;
    for (const auto& line : *lines) remember(line);
  }
  for (const auto& line : history) fmt::print("{}\n", line);
  std::fflush(stdout);
  if (!a.follow) return;

  const auto interval = std::chrono::milliseconds(std::clamp(a.interval_ms, 10, 10'000));
  while (true) {
    auto lines = follower.poll();
    if (!lines) fail(kExitFailure, lines.error());
    for (const auto& line : *lines) {
      if (auto out = printer.render(line)) fmt::print("{}\n", *out);
    }
    if (lines->empty()) {
      std::this_thread::sleep_for(interval);
    } else {
      std::fflush(stdout);
    }
  }
}

}  // namespace

void add_audit_tail(CLI::App& audit_cmd) {
  auto args = std::make_shared<TailArgs>();
  auto* t = audit_cmd.add_subcommand(
      "tail", "Print audit events (the last 10, or all since --since); -f follows the file; without FILE, the "
              "admin API's live stream (--server, --token)");
  t->add_option("file", args->file, "Audit file (the active one; rotated files are FILE.<seq>); none: the live stream");
  t->add_flag("-f,--follow", args->follow, "Keep printing events as they are written, across rotations");
  t->add_option("-n,--lines", args->lines, "Print the last N matching events first (default 10; all with --since)");
  t->add_option("--person", args->person, "Only events of this person");
  t->add_option("--grant", args->grant, "Only events under this grant id");
  t->add_flag("--refused", args->refused, "Only refusals and failed logins");
  t->add_option("--type", args->types, "Only these event types (repeat or comma-separate: statement,refusal)");
  t->add_option("--since", args->since, "Only events at or after TIME (RFC 3339, a date, or a duration ago: 15m)");
  t->add_flag("--with-rotated", args->with_rotated, "Also read the rotated files FILE.<seq> (oldest first)");
  t->add_flag("--json", args->json, "Print the matching records as JSON lines, unchanged");
  t->add_option("--interval", args->interval_ms, "With -f: milliseconds between polls of the file")->capture_default_str();
  add_api_options(t, args->api, false);
  t->callback([args] { tail(*args); });
}

}  // namespace proxy::cli
