// The report as one self-contained HTML file: inline CSS, inline SVG, no script, no external
// resource, so it can be archived as evidence and opened offline years later.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>

#include "audit/report_render.h"
#include "audit/tail_format.h"

namespace audit {
namespace {

constexpr std::string_view kStyle = R"(
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;color:#1d2430;margin:24px auto;max-width:1100px;padding:0 16px}
h1{font-size:24px;margin:0 0 4px}h2{font-size:19px;border-bottom:2px solid #d8dee8;padding-bottom:4px;margin-top:28px}
h3{font-size:16px;margin:22px 0 6px}.meta{color:#5b6678}.warn{background:#fff4d6;border:1px solid #e8c25a;padding:8px}
table{border-collapse:collapse;margin:8px 0 12px;width:100%}th,td{border:1px solid #d8dee8;padding:4px 8px;text-align:left;vertical-align:top}
th{background:#eef2f7}code{font:12px ui-monospace,monospace;background:#f3f5f8;padding:1px 3px;word-break:break-word}
.cards{display:flex;gap:10px;flex-wrap:wrap}.card{border:1px solid #d8dee8;border-radius:6px;padding:8px 14px;min-width:110px}
.card b{display:block;font-size:22px}.bad{color:#b3261e}.ok{color:#1e7d32}
.state{border-radius:10px;padding:1px 8px;font-size:12px;background:#e6ecf5}.state.revoked,.state.denied{background:#fbe2e0}
.charts{display:flex;gap:24px;flex-wrap:wrap}svg.chart{background:#fafbfd;border:1px solid #e3e8ef}
svg .ct{font:bold 12px sans-serif;fill:#1d2430}svg .cl{font:11px sans-serif;fill:#5b6678}
svg .axis{stroke:#9aa5b5}svg .bar{fill:#3a6ea5}svg .bar.bad{fill:#c0504d}dl{display:grid;grid-template-columns:max-content auto;gap:2px 14px}
dt{color:#5b6678}dd{margin:0}
)";

std::string h(std::string_view text) { return escape_html(terminal_safe(text)); }

template <class Map>
std::string counts(const Map& m) {
  std::string out;
  for (const auto& [k, v] : m) out += fmt::format("{}<code>{}</code> {}", out.empty() ? "" : ", ", h(k), v);
  return out.empty() ? "none" : out;
}

std::string step(const std::optional<GrantStep>& s) {
  if (!s) return "<span class=\"meta\">not in the log</span>";
  std::string out = fmt::format("<b>{}</b> at {}", h(s->by.empty() ? "?" : s->by), short_time(s->time));
  if (!s->reason.empty()) out += fmt::format(": {}", h(s->reason));
  return out;
}

void grant_section(std::string& html, const GrantSummary& g, TimePoint as_of) {
  const auto state = grant_state(g, as_of);
  html += fmt::format("<section class=\"grant\" id=\"grant-{}\"><h3>Grant #{}: {} as {} on {} <span class=\"state {}\">{}</span></h3><dl>",
                      g.id, g.id, h(g.person), h(g.role), h(g.database), state, state);
  html += fmt::format("<dt>Requested</dt><dd>{}</dd>", step(g.requested));
  std::string approved;
  for (const auto& a : g.approvals) approved += (approved.empty() ? "" : "<br>") + step(a);
  html += fmt::format("<dt>Approved</dt><dd>{}</dd>", approved.empty() ? "<span class=\"bad\">no approval in the log</span>" : approved);
  if (g.denied) html += fmt::format("<dt>Denied</dt><dd>{}</dd>", step(g.denied));
  if (g.cancelled) html += fmt::format("<dt>Cancelled</dt><dd>{}</dd>", step(g.cancelled));
  if (g.secret_claimed) html += fmt::format("<dt>Secret collected</dt><dd>{}</dd>", step(g.secret_claimed));
  html += fmt::format("<dt>Window</dt><dd>{}</dd>", h(grant_window(g)));
  if (g.revoked) html += fmt::format("<dt>Revoked</dt><dd>{}</dd>", step(g.revoked));
  if (g.expired) html += fmt::format("<dt>Expired</dt><dd>{}</dd>", short_time(g.expired->time));
  html += fmt::format("<dt>Statements</dt><dd>{} ({} failed): {}</dd>", g.statements, g.failed_statements,
                      counts(g.statements_by_kind));
  html += fmt::format("<dt>Tables read</dt><dd>{}</dd>", counts(g.tables_read));
  html += fmt::format("<dt>Masked values</dt><dd>{}{}</dd>", g.masked_total,
                      g.masked_values.empty() ? "" : ": " + counts(g.masked_values));
  html += fmt::format("<dt>Refusals</dt><dd class=\"{}\">{}</dd></dl>", g.refusal_count > 0 ? "bad" : "", g.refusal_count);
  if (!g.sessions.empty()) {
    html += "<table class=\"sessions\"><tr><th>session</th><th>start</th><th>end</th><th>duration</th><th>client</th>"
            "<th>TLS</th><th>application</th><th>statements</th><th>refusals</th><th>ended because</th></tr>";
    for (const auto& s : g.sessions) {
      html += fmt::format("<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                          s.id, short_time(s.start), s.end ? short_time(*s.end) : "open",
                          s.end ? format_duration_ms(s.duration_ms) : "-", h(s.client_addr),
                          s.tls.empty() ? "plaintext" : h(s.tls), h(s.application_name), s.statements, s.refusals,
                          h(s.end_reason));
    }
    html += "</table>";
  }
  if (!g.refusals.empty()) {
    html += "<table class=\"refusals\"><tr><th>time</th><th>stage</th><th>rule</th><th>SQLSTATE</th><th>statement</th></tr>";
    for (const auto& r : g.refusals) {
      html += fmt::format("<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td><code>{}</code></td></tr>",
                          short_time(r.time), h(r.stage), h(r.rule), h(r.sqlstate),
                          h(r.normalized.empty() ? r.kind : r.normalized));
    }
    html += "</table>";
    if (g.refusals.size() < g.refusal_count) {
      html += fmt::format("<p class=\"meta\">{} more not listed.</p>", g.refusal_count - g.refusals.size());
    }
  }
  html += "</section>";
}

}  // namespace

std::string render_report_html(const Report& r) {
  std::string html = fmt::format(
      "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>pgveil access report {} .. {}</title>"
      "<style>{}</style></head><body><h1>pgveil access report</h1>"
      "<p class=\"meta\">Period {} .. {} UTC &middot; generated {} UTC &middot; from {}</p>",
      short_time(r.from).substr(0, 10), short_time(r.to).substr(0, 10), kStyle, short_time(r.from), short_time(r.to),
      short_time(r.generated), h(fmt::format("{}", fmt::join(r.sources, ", "))));
  if (r.unreadable_lines > 0) {
    html += fmt::format("<p class=\"warn\">{} lines were not audit events and were skipped; check the files with "
                        "<code>pgveil audit verify</code>.</p>", r.unreadable_lines);
  }
  const auto& t = r.totals;
  html += "<section id=\"summary\"><h2>Summary</h2><div class=\"cards\">";
  const std::pair<std::string_view, std::uint64_t> cards[] = {
      {"grants", t.grants},         {"sessions", t.sessions},         {"statements", t.statements},
      {"refusals", t.refusals},     {"failed logins", t.auth_failures}, {"masked values", t.masked_values},
      {"anomalies", r.anomalies.size()}};
  for (const auto& [label, n] : cards) {
    const bool bad = (label == "refusals" || label == "failed logins" || label == "anomalies") && n > 0;
    html += fmt::format("<div class=\"card\"><b class=\"{}\">{}</b>{}</div>", bad ? "bad" : "", n, label);
  }
  html += "</div><div class=\"charts\">";
  ChartData per_day(r.statements_per_day.begin(), r.statements_per_day.end());
  ChartData by_rule(r.refusals_by_rule.begin(), r.refusals_by_rule.end());
  std::stable_sort(by_rule.begin(), by_rule.end(), [](const auto& a, const auto& b) { return a.second > b.second; });
  html += svg_column_chart("Statements per day", per_day);
  html += svg_bar_chart("Refusals by rule", by_rule);
  html += "</div></section>";

  html += "<section id=\"anomalies\"><h2>Anomalies</h2>";
  if (r.anomalies.empty()) {
    html += "<p class=\"ok\">None.</p>";
  } else {
    html += "<table><tr><th>time</th><th>what</th><th>person</th><th>database</th><th>grant</th><th>count</th><th>detail</th></tr>";
    for (const auto& a : r.anomalies) {
      html += fmt::format("<tr class=\"{}\"><td>{}{}</td><td class=\"bad\">{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                          to_string(a.kind), short_time(a.time), a.until ? " .. " + short_time(*a.until).substr(11) : "",
                          anomaly_title(a.kind), h(a.person), h(a.database),
                          a.grant ? fmt::format("#{}", *a.grant) : "-", a.count, h(a.detail));
    }
    html += "</table>";
  }
  html += "</section><section id=\"grants\"><h2>Grants</h2>";
  if (r.grants.empty()) html += "<p>No grant was used or valid in this period.</p>";
  for (const auto& g : r.grants) grant_section(html, g, r.to);
  html += "</section></body></html>\n";
  return html;
}

}  // namespace audit
