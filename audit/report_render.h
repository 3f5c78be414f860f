// Renderers of the compliance report (report_model.h): one self-contained HTML page with inline
// CSS and inline-SVG charts, Markdown for people and tickets, JSON for machines. Pure.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "audit/report_model.h"

namespace audit {

nlohmann::ordered_json report_to_json(const Report& report);
std::string render_report_json(const Report& report);
std::string render_report_markdown(const Report& report);
std::string render_report_html(const Report& report);

// Shared wording of the renderers (report_text.cc).
std::string grant_state(const GrantSummary& grant, TimePoint as_of);  // "active", "expired", "revoked", ...
std::string grant_window(const GrantSummary& grant);                 // "2026-12-03 09:00 .. 13:00 UTC"
std::string approvers(const GrantSummary& grant);                    // "bob, carol" or "" (none)
std::string short_time(TimePoint time);                              // "2026-12-03 21:38:00"
std::string escape_html(std::string_view text);

using ChartData = std::vector<std::pair<std::string, std::uint64_t>>;
// Small inline SVG charts (report_svg.cc): columns (e.g. statements per day) and horizontal
// bars with their labels (e.g. refusals by rule). Labels are escaped.
std::string svg_column_chart(std::string_view title, const ChartData& data);
std::string svg_bar_chart(std::string_view title, const ChartData& data);

}  // namespace audit
