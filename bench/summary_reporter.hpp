#pragma once
// A Google Benchmark console reporter that also remembers, per benchmark name, the real and CPU
// time per iteration (in ns; medians when --benchmark_repetitions > 1) and the "allocs/msg"
// counter, so main() can print the comparison table once every benchmark has run.
// Thread-safety: used by the benchmark runner's thread only.

#include <map>
#include <optional>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>

namespace warden::bench {

class SummaryReporter : public benchmark::ConsoleReporter {
 public:
  struct Result {
    double ns = 0;      // real time per message
    double cpu_ns = 0;  // CPU time per message: above `ns` only when other processes held the CPU
    double allocs = 0;  // heap allocations per message
  };

  using benchmark::ConsoleReporter::ConsoleReporter;

  void ReportRuns(const std::vector<Run>& runs) override;

  // The figures of the benchmark called `name`, or nullopt if it did not run (filtered out,
  // or it failed).
  std::optional<Result> result(const std::string& name) const;

 private:
  struct Samples {
    std::vector<double> ns;
    std::vector<double> cpu_ns;
    std::optional<Result> median;  // from the library's "median" aggregate, if reported
    double allocs = 0;
  };
  std::map<std::string, Samples> samples_;
};

}  // namespace warden::bench
