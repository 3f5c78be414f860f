#include <fmt/format.h>

#include "audit/report_render.h"

namespace audit {

std::string short_time(TimePoint time) {
  auto text = format_time(time);  // 2026-12-03T21:38:00.123Z
  return text.substr(0, 10) + " " + text.substr(11, 8);
}

std::string grant_state(const GrantSummary& g, TimePoint as_of) {
  if (g.denied) return "denied";
  if (g.cancelled) return "cancelled";
  if (g.revoked) return "revoked";
  if (g.expired || (g.not_after && *g.not_after <= as_of)) return "expired";
  if (g.approvals.empty() && g.requested) return "requested";
  if (g.not_before && *g.not_before > as_of) return "scheduled";
  return "active";
}

std::string grant_window(const GrantSummary& g) {
  if (!g.not_before && !g.not_after) return "unknown";
  const auto from = g.not_before ? short_time(*g.not_before) : std::string("?");
  auto to = g.not_after ? short_time(*g.not_after) : std::string("?");
  if (g.not_before && g.not_after && from.substr(0, 10) == to.substr(0, 10)) to = to.substr(11);
  return fmt::format("{} .. {} UTC", from, to);
}

std::string approvers(const GrantSummary& g) {
  std::string out;
  for (const auto& step : g.approvals) {
    if (!out.empty()) out += ", ";
    out += step.by.empty() ? "?" : step.by;
  }
  return out;
}

std::string escape_html(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

}  // namespace audit
