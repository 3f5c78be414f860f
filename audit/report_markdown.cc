// The report as Markdown: readable as plain text, renders as tables in tickets and wikis.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include "audit/report_render.h"
#include "audit/tail_format.h"

namespace audit {
namespace {

// A table cell: one line, pipes escaped.
std::string cell(std::string_view text) {
  std::string out;
  for (char c : terminal_safe(text)) {
    if (c == '|') out += "\\|";
    else out += c;
  }
  return out.empty() ? "-" : out;
}

std::string code(std::string_view text) {
  if (text.empty()) return "-";
  std::string inner = cell(text);
  // A backtick inside needs a longer fence (CommonMark code spans).
  return inner.find('`') == std::string::npos ? "`" + inner + "`" : "`` " + inner + " ``";
}

template <class Map>
std::string counts(const Map& m) {
  std::string out;
  for (const auto& [k, v] : m) out += fmt::format("{}{} {}", out.empty() ? "" : ", ", code(k), v);
  return out.empty() ? "none" : out;
}

void step_line(std::string& md, std::string_view what, const GrantStep& s) {
  md += fmt::format("- {} by **{}** at {}", what, cell(s.by), short_time(s.time));
  if (!s.reason.empty()) md += fmt::format(": {}", cell(s.reason));
  md += '\n';
}

void grant_section(std::string& md, const GrantSummary& g, TimePoint as_of) {
  md += fmt::format("### Grant #{}: {} as {} on {} ({})\n\n", g.id, cell(g.person), cell(g.role), cell(g.database),
                    grant_state(g, as_of));
  if (g.requested) step_line(md, "Requested", *g.requested);
  else md += "- Request: not in the log\n";
  if (g.approvals.empty()) md += "- Approved: no approval in the log\n";
  for (const auto& a : g.approvals) step_line(md, "Approved", a);
  if (g.denied) step_line(md, "Denied", *g.denied);
  if (g.cancelled) step_line(md, "Cancelled", *g.cancelled);
  if (g.secret_claimed) step_line(md, "Secret collected", *g.secret_claimed);
  md += fmt::format("- Window: {}\n", grant_window(g));
  if (g.revoked) step_line(md, "Revoked", *g.revoked);
  if (g.expired) md += fmt::format("- Expired at {}\n", short_time(g.expired->time));
  md += fmt::format("- Statements: {} ({} failed); by kind: {}\n", g.statements, g.failed_statements,
                    counts(g.statements_by_kind));
  md += fmt::format("- Tables read: {}\n", counts(g.tables_read));
  md += fmt::format("- Masked values: {}{}\n", g.masked_total,
                    g.masked_values.empty() ? "" : " (" + counts(g.masked_values) + ")");
  md += fmt::format("- Refusals: {}\n\n", g.refusal_count);
  if (!g.sessions.empty()) {
    md += "| session | start | end | duration | client | TLS | application | statements | refusals | ended because |\n";
    md += "|---|---|---|---|---|---|---|---|---|---|\n";
    for (const auto& s : g.sessions) {
      md += fmt::format("| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |\n", s.id, short_time(s.start),
                        s.end ? short_time(*s.end) : "open", s.end ? format_duration_ms(s.duration_ms) : "-",
                        cell(s.client_addr), cell(s.tls), cell(s.application_name), s.statements, s.refusals,
                        cell(s.end_reason));
    }
    md += '\n';
  }
  if (!g.refusals.empty()) {
    md += "| time | stage | rule | SQLSTATE | statement |\n|---|---|---|---|---|\n";
    for (const auto& r : g.refusals) {
      md += fmt::format("| {} | {} | {} | {} | {} |\n", short_time(r.time), cell(r.stage), cell(r.rule),
                        cell(r.sqlstate), code(r.normalized.empty() ? r.kind : r.normalized));
    }
    if (g.refusals.size() < g.refusal_count) md += fmt::format("\n{} more not listed.\n", g.refusal_count - g.refusals.size());
    md += '\n';
  }
}

}  // namespace

std::string render_report_markdown(const Report& r) {
  std::string md = "# pgveil access report\n\n";
  md += fmt::format("Period: {} .. {} UTC. Generated {} UTC from {}.\n\n", short_time(r.from), short_time(r.to),
                    short_time(r.generated), r.sources.empty() ? std::string("no files") : cell(fmt::format("{}", fmt::join(r.sources, ", "))));
  if (r.unreadable_lines > 0) {
    md += fmt::format("**Warning:** {} lines were not audit events and were skipped; run `pgveil audit verify`.\n\n",
                      r.unreadable_lines);
  }
  const auto& t = r.totals;
  md += "## Summary\n\n| grants | sessions | statements | refusals | failed logins | masked values | anomalies |\n";
  md += "|---|---|---|---|---|---|---|\n";
  md += fmt::format("| {} | {} | {} | {} | {} | {} | {} |\n\n", t.grants, t.sessions, t.statements, t.refusals,
                    t.auth_failures, t.masked_values, r.anomalies.size());

  md += "## Anomalies\n\n";
  if (r.anomalies.empty()) md += "None.\n\n";
  else {
    md += "| time | what | person | database | grant | count | detail |\n|---|---|---|---|---|---|---|\n";
    for (const auto& a : r.anomalies) {
      md += fmt::format("| {}{} | {} | {} | {} | {} | {} | {} |\n", short_time(a.time),
                        a.until ? " .. " + short_time(*a.until).substr(11) : "", anomaly_title(a.kind), cell(a.person),
                        cell(a.database), a.grant ? fmt::format("#{}", *a.grant) : "-", a.count, cell(a.detail));
    }
    md += '\n';
  }

  md += "## Grants\n\n";
  if (r.grants.empty()) md += "No grant was used or valid in this period.\n\n";
  for (const auto& g : r.grants) grant_section(md, g, r.to);

  md += "## Statements per day\n\n";
  if (r.statements_per_day.empty()) md += "None.\n\n";
  else {
    md += "| day | statements |\n|---|---|\n";
    for (const auto& [day, n] : r.statements_per_day) md += fmt::format("| {} | {} |\n", day, n);
    md += '\n';
  }
  md += "## Refusals by rule\n\n";
  if (r.refusals_by_rule.empty()) md += "None.\n";
  else {
    md += "| rule | refusals |\n|---|---|\n";
    for (const auto& [rule, n] : r.refusals_by_rule) md += fmt::format("| {} | {} |\n", cell(rule), n);
  }
  return md;
}

}  // namespace audit
