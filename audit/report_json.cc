// The report as JSON for machines: the model as it is, times in the audit log's own format.
#include "audit/report_render.h"

namespace audit {
namespace {

using Json = nlohmann::ordered_json;

Json opt_time(const std::optional<TimePoint>& t) { return t ? Json(format_time(*t)) : Json(); }

Json step_json(const std::optional<GrantStep>& s) {
  if (!s) return Json();
  return Json{{"time", format_time(s->time)}, {"by", s->by}, {"reason", s->reason}};
}

template <class Map>
Json map_json(const Map& m) {
  Json j = Json::object();
  for (const auto& [k, v] : m) j[k] = v;
  return j;
}

Json grant_json(const GrantSummary& g, TimePoint as_of) {
  Json j{{"id", g.id}, {"person", g.person}, {"database", g.database}, {"role", g.role},
         {"state", grant_state(g, as_of)}, {"not_before", opt_time(g.not_before)}, {"not_after", opt_time(g.not_after)},
         {"requested", step_json(g.requested)}};
  Json approvals = Json::array();
  for (const auto& a : g.approvals) approvals.push_back(step_json(a));
  j["approvals"] = std::move(approvals);
  j["denied"] = step_json(g.denied);
  j["cancelled"] = step_json(g.cancelled);
  j["secret_claimed"] = step_json(g.secret_claimed);
  j["revoked"] = step_json(g.revoked);
  j["expired"] = step_json(g.expired);
  Json sessions = Json::array();
  for (const auto& s : g.sessions) {
    sessions.push_back({{"session", s.id}, {"start", format_time(s.start)}, {"end", opt_time(s.end)},
                        {"client_addr", s.client_addr}, {"tls", s.tls.empty() ? Json() : Json(s.tls)},
                        {"application_name", s.application_name}, {"duration_ms", s.duration_ms},
                        {"statements", s.statements}, {"refusals", s.refusals}, {"rows", s.rows},
                        {"end_reason", s.end_reason}});
  }
  j["sessions"] = std::move(sessions);
  j["statements"] = g.statements;
  j["failed_statements"] = g.failed_statements;
  j["statements_by_kind"] = map_json(g.statements_by_kind);
  j["tables_read"] = map_json(g.tables_read);
  j["masked_values_total"] = g.masked_total;
  j["masked_values"] = map_json(g.masked_values);
  j["refusal_count"] = g.refusal_count;
  Json refusals = Json::array();
  for (const auto& r : g.refusals) {
    Json item{{"time", format_time(r.time)}, {"stage", r.stage}, {"rule", r.rule}, {"sqlstate", r.sqlstate},
              {"message", r.message}};
    if (!r.kind.empty()) item["kind"] = r.kind;
    if (!r.normalized.empty()) item["normalized"] = r.normalized;
    refusals.push_back(std::move(item));
  }
  j["refusals"] = std::move(refusals);
  return j;
}

}  // namespace

Json report_to_json(const Report& r) {
  Json j{{"from", format_time(r.from)}, {"to", format_time(r.to)}, {"generated", format_time(r.generated)},
         {"sources", r.sources}};
  const auto& t = r.totals;
  j["totals"] = {{"events", t.events},         {"grants", t.grants},         {"sessions", t.sessions},
                 {"statements", t.statements}, {"refusals", t.refusals},     {"auth_failures", t.auth_failures},
                 {"masked_values", t.masked_values}, {"unreadable_lines", r.unreadable_lines}};
  Json grants = Json::array();
  for (const auto& g : r.grants) grants.push_back(grant_json(g, r.to));
  j["grants"] = std::move(grants);
  Json anomalies = Json::array();
  for (const auto& a : r.anomalies) {
    anomalies.push_back({{"kind", to_string(a.kind)}, {"time", format_time(a.time)}, {"until", opt_time(a.until)},
                         {"person", a.person}, {"database", a.database}, {"client_addr", a.client_addr},
                         {"grant", a.grant ? Json(*a.grant) : Json()}, {"count", a.count}, {"detail", a.detail}});
  }
  j["anomalies"] = std::move(anomalies);
  j["statements_per_day"] = map_json(r.statements_per_day);
  j["refusals_by_rule"] = map_json(r.refusals_by_rule);
  return j;
}

std::string render_report_json(const Report& report) {
  return report_to_json(report).dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

}  // namespace audit
