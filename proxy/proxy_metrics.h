// The proxy's traffic series on /metrics (issue #5 point 7): statements by kind and their
// duration, masked values, refusals by stage and SQLSTATE, sessions ended by reason. The series a
// statement touches are registered up front and kept as references, so the per-statement path is
// a few relaxed atomic adds (no lock, no allocation); refusals and session ends are rare and look
// their labelled series up in the registry.
//
// Statement series come from the audit's statement path (its kind is the audit's analysis and its
// duration the audit's request/reply matching), so they need an audit: section.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <string_view>

#include "proxy/metrics.h"

namespace proxy {

class ProxyMetrics {
 public:
  explicit ProxyMetrics(Metrics& registry);

  void statement(std::string_view kind);
  void statement_done(std::chrono::microseconds duration, std::uint64_t masked_values);
  void refusal(std::string_view stage, std::string_view sqlstate);
  void session_ended(std::string_view reason);

  // Statement kinds of audit/statement.h with a series of their own; anything else is "OTHER".
  static constexpr std::array<std::string_view, 26> kKinds{
      "SELECT", "INSERT",  "UPDATE",     "DELETE", "MERGE", "COPY",     "TRUNCATE",    "DDL",    "DCL",
      "TRANSACTION", "SET", "SHOW",      "EXPLAIN", "PREPARE", "EXECUTE", "DEALLOCATE", "CALL",  "DO",
      "LOCK",   "MAINTENANCE", "LISTEN", "MULTI",  "EMPTY", "unparsed", "FUNCTION_CALL", "OTHER"};

 private:
  Metrics& registry_;
  std::array<Counter*, kKinds.size()> by_kind_{};
  Histogram& statement_seconds_;
  Counter& masked_values_;
};

}  // namespace proxy
