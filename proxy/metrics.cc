#include "proxy/metrics.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace proxy {
namespace {

std::string series(const std::string& name, const std::string& labels) {
  return labels.empty() ? name : fmt::format("{}{{{}}}", name, labels);
}

std::string with_le(const std::string& labels, const std::string& le) {
  return labels.empty() ? fmt::format("le=\"{}\"", le) : fmt::format("{},le=\"{}\"", labels, le);
}

}  // namespace

std::string metric_label(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    if (c == '\\' || c == '"') out += '\\';
    out += c;
  }
  return out;
}

Histogram::Histogram(std::vector<double> bounds)
    : bounds_(std::move(bounds)), counts_(new std::atomic<std::uint64_t>[bounds_.size() + 1]) {
  std::sort(bounds_.begin(), bounds_.end());
  for (std::size_t i = 0; i <= bounds_.size(); ++i) counts_[i].store(0);
}

void Histogram::observe(double value) {
  const auto it = std::lower_bound(bounds_.begin(), bounds_.end(), value);
  counts_[static_cast<std::size_t>(it - bounds_.begin())].fetch_add(1, std::memory_order_relaxed);
  if (value > 0) sum_micros_.fetch_add(static_cast<std::uint64_t>(std::llround(value * 1e6)), std::memory_order_relaxed);
}

Histogram::Snapshot Histogram::snapshot() const {
  Snapshot s{bounds_, {}, static_cast<double>(sum_micros_.load(std::memory_order_relaxed)) / 1e6};
  std::uint64_t running = 0;
  for (std::size_t i = 0; i <= bounds_.size(); ++i) {
    running += counts_[i].load(std::memory_order_relaxed);
    s.cumulative.push_back(running);
  }
  return s;
}

Metrics::Family& Metrics::family(const std::string& name, const std::string& help, const char* type) {
  auto [it, added] = families_.try_emplace(name);
  if (added) {
    it->second.help = help;
    it->second.type = type;
  }
  return it->second;
}

Counter& Metrics::counter(const std::string& name, const std::string& help, const std::string& labels) {
  std::lock_guard lock(mutex_);
  auto& slot = family(name, help, "counter").counters[labels];
  if (!slot) slot = std::make_unique<Counter>();
  return *slot;
}

Gauge& Metrics::gauge(const std::string& name, const std::string& help, const std::string& labels) {
  std::lock_guard lock(mutex_);
  auto& slot = family(name, help, "gauge").gauges[labels];
  if (!slot) slot = std::make_unique<Gauge>();
  return *slot;
}

Histogram& Metrics::histogram(const std::string& name, const std::string& help, std::vector<double> bounds,
                              const std::string& labels) {
  std::lock_guard lock(mutex_);
  auto& slot = family(name, help, "histogram").histograms[labels];
  if (!slot) slot = std::make_unique<Histogram>(std::move(bounds));
  return *slot;
}

void Metrics::add_collector(Collector collector) {
  std::lock_guard lock(mutex_);
  collectors_.push_back(std::move(collector));
}

std::string Metrics::render() const {
  std::string out;
  std::vector<Collector> collectors;
  {
    std::lock_guard lock(mutex_);
    for (const auto& [name, f] : families_) {
      out += fmt::format("# HELP {} {}\n# TYPE {} {}\n", name, f.help, name, f.type);
      for (const auto& [labels, c] : f.counters) out += fmt::format("{} {}\n", series(name, labels), c->value());
      for (const auto& [labels, g] : f.gauges) out += fmt::format("{} {}\n", series(name, labels), g->value());
      for (const auto& [labels, h] : f.histograms) {
        const auto s = h->snapshot();
        for (std::size_t i = 0; i < s.bounds.size(); ++i)
          out += fmt::format("{}_bucket{{{}}} {}\n", name, with_le(labels, fmt::format("{}", s.bounds[i])),
                             s.cumulative[i]);
        out += fmt::format("{}_bucket{{{}}} {}\n", name, with_le(labels, "+Inf"), s.cumulative.back());
        out += fmt::format("{} {}\n", series(name + "_sum", labels), s.sum);
        out += fmt::format("{} {}\n", series(name + "_count", labels), s.cumulative.back());
      }
    }
    collectors = collectors_;
  }
  // Outside the lock: a collector may take its own locks (the store's).
  for (const auto& collect : collectors) collect(out);
  return out;
}

}  // namespace proxy
