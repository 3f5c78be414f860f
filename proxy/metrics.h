// A tiny Prometheus registry: counters, gauges and histograms of atomics, rendered in the text
// exposition format (version 0.0.4) for GET /metrics. Series are registered once (start-up or
// first use) and then updated lock-free from any thread; collectors compute values that live
// elsewhere (grants by state, from the store) at scrape time. Other modules (audit, masking) add
// their own series through the same registry.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace proxy {

// `value` escaped for use inside a label's quotes (backslash, double quote, newline).
std::string metric_label(std::string_view value);

class Counter {
 public:
  void inc(std::uint64_t by = 1) { value_.fetch_add(by, std::memory_order_relaxed); }
  std::uint64_t value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<std::uint64_t> value_{0};
};

class Gauge {
 public:
  void add(std::int64_t by) { value_.fetch_add(by, std::memory_order_relaxed); }
  void set(std::int64_t value) { value_.store(value, std::memory_order_relaxed); }
  std::int64_t value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<std::int64_t> value_{0};
};

// Cumulative buckets with upper bounds in seconds (or whatever unit the name says).
class Histogram {
 public:
  explicit Histogram(std::vector<double> bounds);
  void observe(double value);
  struct Snapshot {
    std::vector<double> bounds;
    std::vector<std::uint64_t> cumulative;  // per bound, then +Inf
    double sum = 0;
  };
  Snapshot snapshot() const;

 private:
  std::vector<double> bounds_;
  std::unique_ptr<std::atomic<std::uint64_t>[]> counts_;  // bounds_.size() + 1 (the +Inf bucket)
  std::atomic<std::uint64_t> sum_micros_{0};              // sum in millionths, so it stays atomic
};

class Metrics {
 public:
  // `labels` is the inside of the braces, e.g. R"(state="active")", or empty. The same
  // (name, labels) returns the same series; references stay valid for the registry's life.
  Counter& counter(const std::string& name, const std::string& help, const std::string& labels = {});
  Gauge& gauge(const std::string& name, const std::string& help, const std::string& labels = {});
  Histogram& histogram(const std::string& name, const std::string& help, std::vector<double> bounds,
                       const std::string& labels = {});

  // A collector appends whole families (with their # HELP / # TYPE lines) at render time.
  using Collector = std::function<void(std::string& out)>;
  void add_collector(Collector collector);

  std::string render() const;

 private:
  struct Family {
    std::string help, type;
    std::map<std::string, std::unique_ptr<Counter>> counters;
    std::map<std::string, std::unique_ptr<Gauge>> gauges;
    std::map<std::string, std::unique_ptr<Histogram>> histograms;
  };
  Family& family(const std::string& name, const std::string& help, const char* type);

  mutable std::mutex mutex_;  // registration and render only; updates are atomics
  std::map<std::string, Family> families_;
  std::vector<Collector> collectors_;
};

}  // namespace proxy
