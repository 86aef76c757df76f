#include "summary_reporter.hpp"

#include <algorithm>

namespace warden::bench {

namespace {

double to_ns(double value, benchmark::TimeUnit unit) {
  switch (unit) {
    case benchmark::kNanosecond: return value;
    case benchmark::kMicrosecond: return value * 1e3;
    case benchmark::kMillisecond: return value * 1e6;
    case benchmark::kSecond: return value * 1e9;
  }
  return value;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

}  // namespace

void SummaryReporter::ReportRuns(const std::vector<Run>& runs) {
  for (const Run& run : runs) {
    if (run.error_occurred) continue;
    const bool median_aggregate = run.run_type == Run::RT_Aggregate && run.aggregate_name == "median";
    if (run.run_type != Run::RT_Iteration && !median_aggregate) continue;
    Samples& s = samples_[run.run_name.str()];  // the name without any aggregate suffix
    const double ns = to_ns(run.GetAdjustedRealTime(), run.time_unit);
    const double cpu_ns = to_ns(run.GetAdjustedCPUTime(), run.time_unit);
    if (median_aggregate) {
      s.median = Result{ns, cpu_ns, 0};
    } else {
      s.ns.push_back(ns);
      s.cpu_ns.push_back(cpu_ns);
    }
    if (auto it = run.counters.find("allocs/msg"); it != run.counters.end()) s.allocs = it->second.value;
  }
  ConsoleReporter::ReportRuns(runs);
}

std::optional<SummaryReporter::Result> SummaryReporter::result(const std::string& name) const {
  const auto it = samples_.find(name);
  if (it == samples_.end()) return std::nullopt;
  const Samples& s = it->second;
  // The library's own median when it computed one (--benchmark_report_aggregates_only), else ours.
  if (s.median) return Result{s.median->ns, s.median->cpu_ns, s.allocs};
  if (s.ns.empty()) return std::nullopt;
  return Result{median(s.ns), median(s.cpu_ns), s.allocs};
}

}  // namespace warden::bench
