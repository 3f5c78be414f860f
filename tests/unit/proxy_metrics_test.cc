#include <catch2/catch.hpp>

#include <thread>
#include <vector>

#include "proxy/metrics.h"
#include "proxy/proxy_metrics.h"

using Catch::Matchers::Contains;

TEST_CASE("metrics: Prometheus text for counters, gauges, histograms and collectors", "[proxy][metrics]") {
  proxy::Metrics metrics;
  auto& total = metrics.counter("pgveil_things_total", "Things seen");
  auto& red = metrics.counter("pgveil_colour_total", "Colours", R"(colour="red")");
  metrics.counter("pgveil_colour_total", "Colours", R"(colour="blue")").inc(2);
  CHECK(&metrics.counter("pgveil_things_total", "ignored") == &total);
  auto& active = metrics.gauge("pgveil_open", "Open now");
  auto& latency = metrics.histogram("pgveil_latency_seconds", "Latency", {0.1, 0.5});
  std::vector<std::thread> threads;
  for (int i = 0; i < 4; ++i)
    threads.emplace_back([&] {
      for (int j = 0; j < 1000; ++j) total.inc();
    });
  for (auto& t : threads) t.join();
  red.inc();
  active.add(3);
  active.add(-1);
  latency.observe(0.05);
  latency.observe(0.3);
  latency.observe(2);
  metrics.add_collector([](std::string& out) { out += "# TYPE pgveil_collected gauge\npgveil_collected 7\n"; });
  const std::string text = metrics.render();
  CHECK_THAT(text, Contains("# HELP pgveil_things_total Things seen\n# TYPE pgveil_things_total counter\n"
                            "pgveil_things_total 4000\n"));
  CHECK_THAT(text, Contains("pgveil_colour_total{colour=\"blue\"} 2\npgveil_colour_total{colour=\"red\"} 1\n"));
  CHECK_THAT(text, Contains("# TYPE pgveil_open gauge\npgveil_open 2\n"));
  CHECK_THAT(text, Contains("pgveil_latency_seconds_bucket{le=\"0.1\"} 1\n"
                            "pgveil_latency_seconds_bucket{le=\"0.5\"} 2\n"
                            "pgveil_latency_seconds_bucket{le=\"+Inf\"} 3\n"
                            "pgveil_latency_seconds_sum 2.35\n"
                            "pgveil_latency_seconds_count 3\n"));
  CHECK_THAT(text, Contains("pgveil_collected 7\n"));
}

TEST_CASE("proxy metrics: statements by kind, duration, masked values, refusals, session ends", "[proxy][metrics]") {
  proxy::Metrics registry;
  proxy::ProxyMetrics series(registry);
  series.statement("SELECT");
  series.statement("SELECT");
  series.statement("UPDATE");
  series.statement("SOMETHING_NEW");  // not a known kind: OTHER, never a new series
  series.statement_done(std::chrono::microseconds(1500), 4);
  series.statement_done(std::chrono::microseconds(40'000), 0);
  series.refusal("statement", "42501");
  series.refusal("admission", "28000");
  series.refusal("admission", "28000");
  series.session_ended("client \"x\" terminated");
  const std::string text = registry.render();
  CHECK_THAT(text, Contains("pgveil_statements_total{kind=\"SELECT\"} 2\n"));
  CHECK_THAT(text, Contains("pgveil_statements_total{kind=\"UPDATE\"} 1\n"));
  CHECK_THAT(text, Contains("pgveil_statements_total{kind=\"OTHER\"} 1\n"));
  CHECK_THAT(text, Contains("pgveil_statements_total{kind=\"DELETE\"} 0\n"));
  CHECK_THAT(text, Contains("pgveil_statement_duration_seconds_bucket{le=\"0.0025\"} 1\n"));
  CHECK_THAT(text, Contains("pgveil_statement_duration_seconds_bucket{le=\"0.05\"} 2\n"));
  CHECK_THAT(text, Contains("pgveil_statement_duration_seconds_count 2\n"));
  CHECK_THAT(text, Contains("pgveil_masked_values_total 4\n"));
  CHECK_THAT(text, Contains("pgveil_refusals_total{stage=\"admission\",sqlstate=\"28000\"} 2\n"));
  CHECK_THAT(text, Contains("pgveil_refusals_total{stage=\"statement\",sqlstate=\"42501\"} 1\n"));
  CHECK_THAT(text, Contains("pgveil_sessions_ended_total{reason=\"client \\\"x\\\" terminated\"} 1\n"));
}

TEST_CASE("metrics: label values are escaped as the text format wants", "[proxy][metrics]") {
  CHECK(proxy::metric_label("file:/var/log/a.jsonl") == "file:/var/log/a.jsonl");
  CHECK(proxy::metric_label("a\"b\\c\nd") == "a\\\"b\\\\c\\nd");
}
