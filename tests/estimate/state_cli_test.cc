// biotwin estimate end to end: the worked example of docs/estimate.md (its noise file is the one
// the page shows) tracks the simulated truth, and bad input fails with file, line and column.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <string>

#include "state_cli_support.h"
#include "test_paths.h"

namespace biotwin::estimate {
namespace {

using cli_support::CliRun;
using cli_support::ReadFile;
using cli_support::ReadTable;

class EstimateCli : public cli_support::CliFixture {};

TEST_F(EstimateCli, DocsNoiseBlockIsTheExampleFile) {
  const std::string doc = ReadFile(testing::SourcePath("docs/estimate.md"));
  const std::string file = ReadFile(testing::SourcePath("examples/ecoli_estimation/noise.yaml"));
  const size_t at = doc.find("# docs-noise:");
  ASSERT_NE(at, std::string::npos);
  const size_t end = doc.find("```", at);
  EXPECT_EQ(doc.substr(at, end - at), file) << "docs/estimate.md shows a different noise file";
}

TEST_F(EstimateCli, DocsExampleEkfTracksTheSimulatedTruth) {
  ASSERT_EQ(Run({"simulate", Ecoli(), "--scenario", Scenario(), "--out", Path("truth.csv"), "--no-record", "--quiet"}).code, 0);
  CliRun r = Run({"estimate", Ecoli(), "--scenario", Scenario(), "--data", Example("online.csv"), "--lab",
                  Example("lab.csv"), "--noise", Example("noise.yaml"), "--method", "ekf", "--out", Path("est.csv")});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("320 observations used (0 delayed), 18 delayed samples skipped"), std::string::npos) << r.out;
  const auto est = ReadTable(Path("est.csv"));
  const auto truth = ReadTable(Path("truth.csv"));
  ASSERT_EQ(est.rows.size(), 81u);  // the prior at 0 h and every 0.5 h to 40 h
  for (const char* h : {"t [h]", "X [g/L]", "X_sigma [g/L]", "S [g/L]", "S_sigma [g/L]", "mu [1/h]", "OUR [mmol/(L*h)]",
                        "CER [mmol/(L*h)]", "base_rate [mmol/(L*h)]"}) {
    EXPECT_GE(est.Column(h), 0) << h;
  }
  EXPECT_LT(cli_support::Rmse(est, truth, "X [g/L]"), 0.15);
  EXPECT_LT(cli_support::Rmse(est, truth, "S [g/L]"), 0.1);
  EXPECT_LT(cli_support::Rmse(est, truth, "mu [1/h]"), 0.01);
  // The reported sigma is consistent with the error at the end of the run.
  const auto& last = est.rows.back();
  const double err = last[est.Column("X [g/L]")] - truth.rows.back()[truth.Column("X [g/L]")];
  EXPECT_LT(std::fabs(err), 4 * last[est.Column("X_sigma [g/L]")]);
}

TEST_F(EstimateCli, BadInputNamesFileLineAndColumn) {
  const std::string online = Write("online.csv", "t [h],DOTm [%],pH [-]\n0.5,95,7\n");
  CliRun r = Run({"estimate", Ecoli(), "--data", online, "--out", Path("e.csv")});
  EXPECT_EQ(r.code, 3);
  EXPECT_NE(r.err.find("online.csv:1"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("pH"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("ignore"), std::string::npos) << r.err;

  Write("unit.csv", "t [h],OUR [g/L]\n0.5,3\n");
  r = Run({"estimate", Ecoli(), "--data", Path("unit.csv"), "--out", Path("e.csv")});
  EXPECT_EQ(r.code, 3);
  EXPECT_NE(r.err.find("OUR"), std::string::npos) << r.err;

  Write("ok.csv", "# online\nt [min],DOTm [%]\n30,95\n60,94\n");
  Write("lab.csv", "sample_time [h],report_time [h],X [g/L]\n1,2,0.3\n4,3,0.6\n");
  r = Run({"estimate", Ecoli(), "--data", Path("ok.csv"), "--lab", Path("lab.csv"), "--out", Path("e.csv")});
  EXPECT_EQ(r.code, 3);
  EXPECT_NE(r.err.find("lab.csv:3"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("report_time"), std::string::npos) << r.err;

  Write("noise.yaml", "measurements:\n  DOTm: 1 %\nprocess:\n  Z: 1 g/L\n");
  r = Run({"estimate", Ecoli(), "--data", Path("ok.csv"), "--noise", Path("noise.yaml"), "--out", Path("e.csv")});
  EXPECT_EQ(r.code, 3);
  EXPECT_NE(r.err.find("noise.yaml:4"), std::string::npos) << r.err;

  EXPECT_EQ(Run({"estimate", Ecoli(), "--out", Path("e.csv")}).code, 2);
  EXPECT_EQ(Run({"estimate", Ecoli(), "--data", Path("ok.csv"), "--method", "pf", "--out", Path("e.csv")}).code, 2);
  EXPECT_EQ(Run({"estimate", Ecoli(), "--data", Path("missing.csv"), "--out", Path("e.csv")}).code, 4);
  EXPECT_FALSE(std::filesystem::exists(Path("e.csv")));
}

TEST_F(EstimateCli, MinutesAndDefaultsAreReported) {
  Write("ok.csv", "t [min],DOTm [%]\n30,95\n60,94\n");
  CliRun r = Run({"estimate", Ecoli(), "--data", Path("ok.csv"), "--out", Path("e.csv")});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.err.find("no measurement sigma for DOTm"), std::string::npos) << r.err;
  const auto est = ReadTable(Path("e.csv"));
  ASSERT_EQ(est.rows.size(), 3u);
  EXPECT_DOUBLE_EQ(est.rows[2][0], 1.0);  // 60 min in the model's hours
}

}  // namespace
}  // namespace biotwin::estimate
