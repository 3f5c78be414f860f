// The compliance report (issue #5 point 6): who had access to what, when, why, approved by whom,
// what they ran, and what looked wrong. Built from audit events alone (SCHEMA.md), so it needs
// neither the grant store nor the proxy. Pure: events in, a Report out; the renderers
// (report_render.h) turn it into HTML, Markdown or JSON.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "audit/time_format.h"

namespace audit {

struct ReportOptions {
  TimePoint from, to;  // events with from <= time < to are counted
  // A failed-auth burst: at least burst_count failures of one person within burst_window.
  std::size_t burst_count = 5;
  std::chrono::seconds burst_window{60};
  std::size_t max_refusals_listed = 200;  // per grant; the counts stay exact
};

struct GrantStep {  // one lifecycle event: requested, approved, denied, cancelled, revoked, expired …
  std::string action;  // "requested", "approved", ...
  TimePoint time;
  std::string by, reason;
};

struct SessionSummary {
  std::uint64_t id = 0;
  TimePoint start;
  std::optional<TimePoint> end;
  std::string client_addr, tls, application_name, end_reason;
  std::int64_t duration_ms = 0;
  std::uint64_t statements = 0, refusals = 0, rows = 0;
};

struct RefusalItem {
  TimePoint time;
  std::string stage, rule, sqlstate, message;
  std::string kind, normalized;  // of the refused statement, when there was one
};

struct GrantSummary {
  std::int64_t id = 0;
  std::string person, database, role;
  std::optional<GrantStep> requested;  // who asked and why
  std::vector<GrantStep> approvals;
  std::optional<GrantStep> denied, cancelled, revoked, expired;  // revoked: also superseded
  std::optional<GrantStep> secret_claimed;  // when the requester collected the connection secret
  std::optional<TimePoint> not_before, not_after;  // the window
  std::vector<SessionSummary> sessions;
  std::map<std::string, std::uint64_t> statements_by_kind;
  std::map<std::string, std::uint64_t> tables_read;     // relation -> statements reading it
  std::map<std::string, std::uint64_t> masked_values;   // column -> values masked
  std::uint64_t statements = 0, masked_total = 0, refusal_count = 0, failed_statements = 0;
  std::vector<RefusalItem> refusals;  // the first max_refusals_listed
};

enum class AnomalyKind {
  kNoGrant,          // a connection attempt without any grant
  kAfterGrantEnded,  // a connection attempt under an expired or revoked grant
  kAdmissionRefused, // any other refused connection (not yet valid, wrong database …)
  kAuthFailureBurst, // burst_count failed logins of one person within burst_window
  kSelfApproval,     // someone tried to approve their own request
  kStatementRefused, // a statement the policy refused
};
std::string_view to_string(AnomalyKind kind);   // "no_grant", ... (JSON)
std::string_view anomaly_title(AnomalyKind kind);  // "Connection attempt without a grant"

struct Anomaly {
  AnomalyKind kind;
  TimePoint time;                 // the first event
  std::optional<TimePoint> until; // bursts: the last failure
  std::string person, database, client_addr;
  std::optional<std::int64_t> grant;
  std::uint64_t count = 1;
  std::string detail;  // the rule, message or statement
};

struct ReportTotals {
  std::uint64_t events = 0, grants = 0, sessions = 0, statements = 0, refusals = 0, auth_failures = 0,
                masked_values = 0;
};

struct Report {
  TimePoint from, to, generated;
  std::vector<std::string> sources;  // input files
  std::vector<GrantSummary> grants;  // by id
  std::vector<Anomaly> anomalies;    // by time
  std::map<std::string, std::uint64_t> statements_per_day;  // "2026-12-03" -> statements
  std::map<std::string, std::uint64_t> refusals_by_rule;
  ReportTotals totals;
  std::uint64_t unreadable_lines = 0;  // lines that were not audit events
};

// Feed events in log order (file by file, oldest first), then take the report.
class ReportBuilder {
 public:
  explicit ReportBuilder(ReportOptions options);

  void add(const nlohmann::json& event);
  void add_unreadable() { ++unreadable_; }
  Report finish(std::vector<std::string> sources, TimePoint generated) &&;

 private:
  GrantSummary& grant(std::int64_t id, const nlohmann::json& event);
  void add_lifecycle(const nlohmann::json& e, const std::string& type, TimePoint time);
  void add_refusal(const nlohmann::json& e, TimePoint time);

  ReportOptions options_;
  std::map<std::int64_t, GrantSummary> grants_;
  std::map<std::int64_t, bool> active_;          // grant had an event inside the period
  std::map<std::uint64_t, std::int64_t> session_grant_;  // session id -> grant id
  std::map<std::string, std::vector<TimePoint>> auth_failures_;  // person -> times
  std::map<std::string, std::pair<std::string, std::string>> auth_context_;  // person -> database, addr
  Report report_;
  std::uint64_t unreadable_ = 0;
};

}  // namespace audit
