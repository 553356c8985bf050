// Reports for many batches (ensembles, Monte Carlo): per-metric statistics and histograms as
// static inline SVG (no script needed), plus the list of failed batches.
#ifndef BIOTWIN_IO_DISTRIBUTION_REPORT_H_
#define BIOTWIN_IO_DISTRIBUTION_REPORT_H_

#include <string>
#include <utility>
#include <vector>

namespace biotwin::io {

struct MetricSamples {
  std::string name;            // "final titre"
  std::string unit;            // "g/L"
  std::vector<double> values;  // one per completed batch (non-finite values are skipped)
};

struct DistributionStats {
  size_t n = 0;
  double mean = 0, sd = 0, min = 0, p5 = 0, p50 = 0, p95 = 0, max = 0;
};

// Sample statistics (sd with n - 1; percentiles by linear interpolation between order
// statistics). n = 0 when there is no finite value.
DistributionStats Describe(const std::vector<double>& values);

struct DistributionReport {
  std::string title;
  std::vector<std::pair<std::string, std::string>> summary;  // key/value rows
  std::vector<MetricSamples> metrics;                         // one histogram each
  std::vector<std::pair<std::string, std::string>> failures;  // batch label -> reason
};

std::string RenderDistributionReport(const DistributionReport& report);

}  // namespace biotwin::io

#endif  // BIOTWIN_IO_DISTRIBUTION_REPORT_H_
