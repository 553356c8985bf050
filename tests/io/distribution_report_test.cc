// Ensemble statistics against hand-computed values and the rendered report's content.
#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "io/distribution_report.h"

namespace biotwin::io {
namespace {

TEST(DistributionReport, DescribeMatchesHandComputedStatistics) {
  DistributionStats s = Describe({4, 1, 3, 2, NAN, 5});
  EXPECT_EQ(s.n, 5u);
  EXPECT_DOUBLE_EQ(s.mean, 3.0);
  EXPECT_DOUBLE_EQ(s.sd, std::sqrt(2.5));
  EXPECT_DOUBLE_EQ(s.min, 1.0);
  EXPECT_DOUBLE_EQ(s.max, 5.0);
  EXPECT_DOUBLE_EQ(s.p50, 3.0);
  EXPECT_DOUBLE_EQ(s.p5, 1.2);   // 0.05 * 4 = 0.2 of the way from 1 to 2
  EXPECT_DOUBLE_EQ(s.p95, 4.8);
  EXPECT_EQ(Describe({}).n, 0u);
}

TEST(DistributionReport, RendersUnitsCountsAndFailures) {
  DistributionReport r;
  r.title = "ensemble <test>";
  r.summary = {{"batches", "3"}};
  r.metrics.push_back({"final titre", "g/L", {30.1, 30.5, 31.0}});
  r.failures.push_back({"batch 2 (seed 3)", "solver failed at 120 h"});
  std::string html = RenderDistributionReport(r);
  EXPECT_NE(html.find("ensemble &lt;test&gt;"), std::string::npos);
  EXPECT_NE(html.find("final titre [g/L]"), std::string::npos);
  EXPECT_NE(html.find("solver failed at 120 h"), std::string::npos);
  EXPECT_NE(html.find("1 batch(es) failed"), std::string::npos);
  EXPECT_NE(html.find("<svg"), std::string::npos);
  // Every batch lands in one bar: the bar titles add up to 3 batches.
  int total = 0;
  for (size_t p = html.find(" batches</title>"); p != std::string::npos;
       p = html.find(" batches</title>", p + 1)) {
    size_t colon = html.rfind(": ", p);
    total += std::stoi(html.substr(colon + 2, p - colon - 2));
  }
  EXPECT_EQ(total, 3);
}

}  // namespace
}  // namespace biotwin::io
