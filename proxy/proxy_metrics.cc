#include "proxy/proxy_metrics.h"

#include <fmt/format.h>

#include <algorithm>

namespace proxy {
namespace {

constexpr const char* kStatements = "pgveil_statements_total";
constexpr const char* kStatementsHelp = "Statements run through pgveil (audited), by kind";
constexpr const char* kRefusals = "pgveil_refusals_total";
constexpr const char* kRefusalsHelp = "Refused connections and statements, by stage and SQLSTATE";

}  // namespace

ProxyMetrics::ProxyMetrics(Metrics& registry)
    : registry_(registry),
      statement_seconds_(registry.histogram(
          "pgveil_statement_duration_seconds",
          "Time from forwarding a statement to the end of its reply (audited statements)",
          {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30})),
      masked_values_(registry.counter("pgveil_masked_values_total", "Values masked in results (audited statements)")) {
  for (std::size_t i = 0; i < kKinds.size(); ++i) {
    by_kind_[i] = &registry.counter(kStatements, kStatementsHelp, fmt::format("kind=\"{}\"", kKinds[i]));
  }
  // The most common refusal, at 0, so the family is on /metrics (and alerts can be written
  // against it) before the first refusal.
  registry.counter(kRefusals, kRefusalsHelp, "stage=\"statement\",sqlstate=\"42501\"");
}

void ProxyMetrics::statement(std::string_view kind) {
  const auto it = std::find(kKinds.begin(), kKinds.end(), kind);
  by_kind_[it == kKinds.end() ? kKinds.size() - 1 : static_cast<std::size_t>(it - kKinds.begin())]->inc();
}

void ProxyMetrics::statement_done(std::chrono::microseconds duration, std::uint64_t masked_values) {
  statement_seconds_.observe(static_cast<double>(duration.count()) / 1e6);
  if (masked_values > 0) masked_values_.inc(masked_values);
}

void ProxyMetrics::refusal(std::string_view stage, std::string_view sqlstate) {
  const auto labels = fmt::format("stage=\"{}\",sqlstate=\"{}\"", metric_label(stage), metric_label(sqlstate));
  registry_.counter(kRefusals, kRefusalsHelp, labels).inc();
}

void ProxyMetrics::session_ended(std::string_view reason) {
  registry_.counter("pgveil_sessions_ended_total", "Admitted sessions that ended, by reason",
                    fmt::format("reason=\"{}\"", metric_label(reason)))
      .inc();
}

}  // namespace proxy
