// `pgveil report --from --to [--format html|md|json] [--out FILE] FILE...`: the compliance report
// from audit files (audit/report_model.h builds it, audit/report_render.h renders it).
// Exit 0: written; 1: a file could not be read or written; 2: usage.
#include <fmt/format.h>

#include <filesystem>
#include <fstream>

#include "audit/report_render.h"
#include "proxy/cli.h"
#include "proxy/config/units.h"

namespace proxy::cli {
namespace {

struct ReportArgs {
  std::string from, to, format = "html", out;
  std::vector<std::string> files;
  bool with_rotated = false;
  std::size_t burst_count = 5;
  std::string burst_window = "1m";
};

[[noreturn]] void fail(int code, const std::string& message) {
  fmt::print(stderr, "pgveil report: {}\n", message);
  throw Exit{code};
}

// RFC 3339, or a date: the start of that day for --from, the end of it for --to (so
// `--from 2026-12-01 --to 2026-12-31` covers all of December's 1st to 31st).
audit::TimePoint parse_bound(const std::string& text, bool end_of_day, const char* flag) {
  if (auto t = audit::parse_time(text)) return *t;
  if (auto t = audit::parse_time(text + "T00:00:00Z")) return end_of_day ? *t + std::chrono::days(1) : *t;
  fail(kExitUsage, fmt::format("{} \"{}\": give a date (2026-12-01) or a UTC time (2026-12-01T09:00:00Z)", flag, text));
}

void report(const ReportArgs& a) {
  audit::ReportOptions options;
  options.from = parse_bound(a.from, false, "--from");
  options.to = parse_bound(a.to, true, "--to");
  if (options.to <= options.from) fail(kExitUsage, "--to must be after --from");
  if (a.format != "html" && a.format != "md" && a.format != "json") {
    fail(kExitUsage, fmt::format("--format \"{}\": one of html, md, json", a.format));
  }
  const auto window = parse_duration(a.burst_window);
  if (!window || window->count() <= 0) fail(kExitUsage, "--burst-window: " + (window ? "must be positive" : window.error()));
  options.burst_window = std::chrono::duration_cast<std::chrono::seconds>(*window);
  options.burst_count = std::max<std::size_t>(a.burst_count, 1);

  const auto files = audit_files(a.files, a.with_rotated);
  if (!files) fail(kExitFailure, files.error());
  audit::ReportBuilder builder(options);
  std::vector<std::string> sources;
  for (const auto& file : *files) {
    std::ifstream in(file, std::ios::binary);
    if (!in) fail(kExitFailure, fmt::format("{}: cannot read", file.string()));
    for (std::string line; std::getline(in, line);) {
      auto event = nlohmann::json::parse(line, nullptr, false);
      if (event.is_object()) builder.add(event);
      else if (!line.empty()) builder.add_unreadable();
    }
    if (in.bad()) fail(kExitFailure, fmt::format("{}: read error", file.string()));
    sources.push_back(file.string());
  }
  const auto result = std::move(builder).finish(std::move(sources), audit::Clock::now());
  const std::string text = a.format == "html" ? audit::render_report_html(result)
                           : a.format == "md" ? audit::render_report_markdown(result)
                                              : audit::render_report_json(result);
  if (a.out.empty() || a.out == "-") {
    fmt::print("{}", text);
    return;
  }
  std::ofstream out(a.out, std::ios::binary | std::ios::trunc);
  out << text;
  out.close();
  if (!out) fail(kExitFailure, fmt::format("{}: cannot write", a.out));
  fmt::print(stderr, "pgveil report: wrote {} ({} grants, {} anomalies)\n", a.out, result.grants.size(),
             result.anomalies.size());
}

}  // namespace

void add_report(CLI::App& app, Common& /*common*/) {
  auto args = std::make_shared<ReportArgs>();
  auto* r = app.add_subcommand("report", "Compliance report from audit files: grants, sessions, statements, anomalies");
  r->add_option("--from", args->from, "Start of the period: date (start of day) or UTC time")->required();
  r->add_option("--to", args->to, "End of the period (exclusive): date (end of day) or UTC time")->required();
  r->add_option("--format", args->format, "html (one self-contained file), md or json")->capture_default_str();
  r->add_option("--out", args->out, "Write to this file instead of stdout");
  r->add_flag("--with-rotated", args->with_rotated, "Also read the rotated files of each FILE (FILE.<seq>), in order");
  r->add_option("--burst-count", args->burst_count, "Failed logins of one person that make a burst")->capture_default_str();
  r->add_option("--burst-window", args->burst_window, "... within this time")->capture_default_str();
  r->add_option("files", args->files, "Audit files, oldest first")->required();
  r->callback([args] { report(*args); });
}

}  // namespace proxy::cli
