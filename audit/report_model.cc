#include "audit/report_model.h"

#include <algorithm>
#include <cctype>

#include <fmt/format.h>

#include "audit/event_fields.h"

namespace audit {
namespace {

using Json = nlohmann::json;

std::string str(const Json& e, const char* key) { return field_text(e, key); }

std::uint64_t unum(const Json& e, const char* key) {
  const auto it = e.find(key);
  return it != e.end() && it->is_number_unsigned() ? it->get<std::uint64_t>() : 0;
}

std::optional<std::int64_t> grant_of(const Json& e) { return field_grant(e); }

std::string lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(), [](unsigned char c) { return std::tolower(c); });
  return text;
}

bool contains(const std::string& text, std::string_view what) { return text.find(what) != std::string::npos; }

// The rule names of policy decisions are free text ("grant 12 expired", "no active grant",
// "self-approval"): classify by the words the proxy and the workflow use.
AnomalyKind classify_admission(const Json& e) {
  const auto words = lower(str(e, "rule") + " " + str(e, "message"));
  if (contains(words, "expired") || contains(words, "revoked")) return AnomalyKind::kAfterGrantEnded;
  if (!grant_of(e) || contains(words, "no grant") || contains(words, "no active") || contains(words, "no_grant")) {
    return AnomalyKind::kNoGrant;
  }
  return AnomalyKind::kAdmissionRefused;
}

bool is_self_approval(const Json& e) {
  const auto rule = lower(str(e, "rule"));
  return contains(rule, "self") && contains(rule, "approv");
}

}  // namespace

std::string_view to_string(AnomalyKind kind) {
  switch (kind) {
    case AnomalyKind::kNoGrant: return "no_grant";
    case AnomalyKind::kAfterGrantEnded: return "after_grant_ended";
    case AnomalyKind::kAdmissionRefused: return "admission_refused";
    case AnomalyKind::kAuthFailureBurst: return "auth_failure_burst";
    case AnomalyKind::kSelfApproval: return "self_approval";
    case AnomalyKind::kStatementRefused: return "statement_refused";
  }
  return "unknown";
}

std::string_view anomaly_title(AnomalyKind kind) {
  switch (kind) {
    case AnomalyKind::kNoGrant: return "Connection attempt without a grant";
    case AnomalyKind::kAfterGrantEnded: return "Connection attempt after the grant ended";
    case AnomalyKind::kAdmissionRefused: return "Connection refused";
    case AnomalyKind::kAuthFailureBurst: return "Burst of failed logins";
    case AnomalyKind::kSelfApproval: return "Self-approval attempt";
    case AnomalyKind::kStatementRefused: return "Statement refused";
  }
  return "Anomaly";
}

ReportBuilder::ReportBuilder(ReportOptions options) : options_(options) {
  report_.from = options.from;
  report_.to = options.to;
}

GrantSummary& ReportBuilder::grant(std::int64_t id, const Json& e) {
  auto& g = grants_[id];
  g.id = id;
  if (g.person.empty()) g.person = str(e, "person");
  if (g.database.empty()) g.database = str(e, "database");
  if (g.role.empty()) g.role = str(e, "role");
  return g;
}

void ReportBuilder::add_lifecycle(const Json& e, const std::string& type, TimePoint time) {
  const auto id = grant_of(e);
  if (!id) return;
  auto& g = grant(*id, e);
  GrantStep step{type.substr(6), time, str(e, "by"), str(e, "reason")};
  if (step.action == "requested") g.requested = step;
  if (step.action == "issued") {
    // An operator's `pgveil grant create`: asked and approved in one step, by the operator.
    g.requested = step;
    g.approvals.push_back({"approved", time, step.by, "issued by an operator, no approval workflow"});
  }
  if (step.action == "approved") {
    if (const auto n = e.find("approvals_required"); n != e.end() && n->is_number_integer() && *n > 1) {
      step.reason = fmt::format("approval {} of {}{}{}", str(e, "approval"), n->get<int>(),
                                step.reason.empty() ? "" : ": ", step.reason);
    }
    g.approvals.push_back(step);
  }
  if (step.action == "denied") g.denied = step;
  if (step.action == "cancelled") g.cancelled = step;
  if (step.action == "revoked" || step.action == "superseded") g.revoked = step;
  if (step.action == "expired") g.expired = step;
  if (step.action == "secret_claimed") g.secret_claimed = step;
  if (auto t = parse_time(str(e, "not_before"))) g.not_before = t;
  if (auto t = parse_time(str(e, "not_after"))) g.not_after = t;
  if (time >= options_.from) active_[*id] = true;
}

void ReportBuilder::add_refusal(const Json& e, TimePoint time) {
  ++report_.totals.refusals;
  const auto rule = str(e, "rule");
  const auto stage = str(e, "stage");
  ++report_.refusals_by_rule[rule.empty() ? "(none)" : rule];
  RefusalItem item{time, stage, rule, str(e, "sqlstate"), str(e, "message"), {}, {}};
  if (const auto it = e.find("statement"); it != e.end() && it->is_object()) {
    item.kind = str(*it, "kind");
    item.normalized = str(*it, "normalized");
  }
  if (const auto id = grant_of(e)) {
    auto& g = grant(*id, e);
    active_[*id] = true;
    ++g.refusal_count;
    if (g.refusals.size() < options_.max_refusals_listed) g.refusals.push_back(item);
  }

  std::optional<AnomalyKind> kind;
  if (is_self_approval(e)) {
    kind = AnomalyKind::kSelfApproval;
  } else if (stage == "admission") {
    kind = classify_admission(e);
  } else if (stage == "statement") {
    kind = AnomalyKind::kStatementRefused;
  }
  if (!kind) return;
  std::string detail = rule;
  if (!item.message.empty()) detail += (detail.empty() ? "" : ": ") + item.message;
  if (!item.normalized.empty()) detail += " -- " + item.normalized;
  // Repeats of the same attempt are one line with a count.
  Anomaly a{*kind, time, std::nullopt, str(e, "person"), str(e, "database"), str(e, "client_addr"), grant_of(e), 1, detail};
  for (auto& seen : report_.anomalies) {
    if (seen.kind == a.kind && seen.person == a.person && seen.database == a.database && seen.grant == a.grant &&
        seen.detail == a.detail) {
      ++seen.count;
      seen.until = time;
      return;
    }
  }
  report_.anomalies.push_back(std::move(a));
}

void ReportBuilder::add(const Json& e) {
  const auto time = parse_time(str(e, "time"));
  const auto type = str(e, "type");
  if (!e.is_object() || !time || type.empty()) {
    ++unreadable_;
    return;
  }
  if (*time >= options_.to) return;  // the report is as of `to`
  if (type.starts_with("grant_")) add_lifecycle(e, type, *time);
  if (*time < options_.from) return;  // earlier lifecycle steps still tell who asked and approved
  ++report_.totals.events;

  // Session-scoped events count for their grant; a failed login names a grant it did not use.
  const bool session_scoped = type == "session_start" || type == "session_end" || type == "statement" ||
                              type == "statement_done";
  const auto id = session_scoped ? grant_of(e) : std::nullopt;
  GrantSummary* g = id ? &grant(*id, e) : nullptr;
  if (g != nullptr) active_[*id] = true;
  const auto session = unum(e, "session");

  if (type == "session_start") {
    ++report_.totals.sessions;
    if (g == nullptr) return;
    session_grant_[session] = *id;
    g->sessions.push_back({session, *time, std::nullopt, str(e, "client_addr"), str(e, "tls"),
                           str(e, "application_name"), {}, 0, 0, 0, 0});
  } else if (type == "session_end") {
    if (g == nullptr) return;
    auto it = std::find_if(g->sessions.rbegin(), g->sessions.rend(), [&](const auto& s) { return s.id == session; });
    const auto duration = std::chrono::milliseconds(e.value("duration_ms", std::int64_t{0}));
    if (it == g->sessions.rend()) {  // started before the period
      g->sessions.push_back({session, *time - duration, std::nullopt, {}, {}, {}, {}, 0, 0, 0, 0});
      it = g->sessions.rbegin();
    }
    it->end = *time;
    it->duration_ms = duration.count();
    it->statements = unum(e, "statements");
    it->refusals = unum(e, "refusals");
    it->rows = unum(e, "rows");
    it->end_reason = str(e, "reason");
  } else if (type == "statement") {
    ++report_.totals.statements;
    ++report_.statements_per_day[format_time(*time).substr(0, 10)];
    if (g == nullptr) return;
    ++g->statements;
    const auto kinds = e.find("kinds");
    if (kinds != e.end() && kinds->is_array() && !kinds->empty()) {
      for (const auto& k : *kinds) ++g->statements_by_kind[k.is_string() ? k.get<std::string>() : "OTHER"];
    } else {
      ++g->statements_by_kind[str(e, "kind")];
    }
    if (const auto tables = e.find("tables_read"); tables != e.end() && tables->is_array()) {
      for (const auto& t : *tables) {
        if (t.is_string()) ++g->tables_read[t.get<std::string>()];
      }
    }
  } else if (type == "statement_done") {
    if (g == nullptr) return;
    if (!str(e, "sqlstate").empty()) ++g->failed_statements;
    if (const auto masked = e.find("masked_columns"); masked != e.end() && masked->is_object()) {
      for (const auto& [column, count] : masked->items()) {
        const auto n = count.is_number_unsigned() ? count.get<std::uint64_t>() : 0;
        g->masked_values[column] += n;
        g->masked_total += n;
        report_.totals.masked_values += n;
      }
    }
  } else if (type == "refusal") {
    add_refusal(e, *time);
  } else if (type == "auth_failure") {
    ++report_.totals.auth_failures;
    const auto person = str(e, "person");
    auth_failures_[person].push_back(*time);
    auth_context_[person] = {str(e, "database"), str(e, "client_addr")};
  }
}

Report ReportBuilder::finish(std::vector<std::string> sources, TimePoint generated) && {
  // Failed-auth bursts: maximal runs in which every failure has burst_count - 1 others within
  // burst_window before it or after it.
  for (auto& [person, times] : auth_failures_) {
    std::sort(times.begin(), times.end());
    std::optional<std::pair<std::size_t, std::size_t>> burst;
    const auto emit = [&, &person = person, &times = times] {
      if (!burst) return;
      const auto& [db, addr] = auth_context_[person];
      report_.anomalies.push_back({AnomalyKind::kAuthFailureBurst, times[burst->first], times[burst->second], person,
                                   db, addr, std::nullopt, burst->second - burst->first + 1,
                                   "failed logins within " + std::to_string(options_.burst_window.count()) + "s"});
      burst.reset();
    };
    for (std::size_t i = 0, j = 0; j < times.size(); ++j) {
      while (times[j] - times[i] > options_.burst_window) ++i;
      if (j - i + 1 < options_.burst_count) continue;
      if (burst && i <= burst->second) {
        burst->second = j;
      } else {
        emit();
        burst = std::pair{i, j};
      }
    }
    emit();
  }
  std::stable_sort(report_.anomalies.begin(), report_.anomalies.end(),
                   [](const Anomaly& a, const Anomaly& b) { return a.time < b.time; });

  for (auto& [id, g] : grants_) {
    const bool window_overlaps = g.not_before && g.not_after && *g.not_before < options_.to && *g.not_after >= options_.from;
    if (!active_[id] && !window_overlaps) continue;
    report_.grants.push_back(std::move(g));
  }
  report_.totals.grants = report_.grants.size();
  report_.sources = std::move(sources);
  report_.generated = generated;
  report_.unreadable_lines = unreadable_;
  return std::move(report_);
}

}  // namespace audit
