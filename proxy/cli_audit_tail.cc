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

#include "audit/log_follower.h"
#include "audit/tail_format.h"
#include "proxy/cli.h"
#include "proxy/config/units.h"

namespace proxy::cli {
namespace {

struct TailArgs {
  std::string file;
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
    std::size_t start = 0;
    while (start <= list.size()) {
      const auto comma = std::min(list.find(',', start), list.size());
      const auto type = list.substr(start, comma - start);
      const auto known = audit::event_types();
      if (std::find(known.begin(), known.end(), type) == known.end()) {
        fail(kExitUsage, fmt::format("unknown event type \"{}\" (one of: {})", type, fmt::join(known, ", ")));
      }
      f.types.push_back(type);
      start = comma + 1;
    }
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

void tail(const TailArgs& a) {
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
  auto* t = audit_cmd.add_subcommand("tail", "Print audit events (the last 10, or all since --since); -f follows the file");
  t->add_option("file", args->file, "Audit file (the active one; rotated files are FILE.<seq>)")->required();
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
  t->callback([args] { tail(*args); });
}

}  // namespace proxy::cli
