// The docs/estimate.md example with --method mhe (about 6 s): the 18 delayed lab values are used
// at their sample times (the EKF skips them) and biomass and growth rate are tracked. The RMSEs of
// both methods are printed; docs/estimate.md quotes them.
#include <gtest/gtest.h>

#include "state_cli_support.h"

namespace biotwin::estimate {
namespace {

using cli_support::CliRun;
using cli_support::ReadTable;
using cli_support::Rmse;

class EstimateCliValidation : public cli_support::CliFixture {};

TEST_F(EstimateCliValidation, DocsExampleMheUsesTheDelayedLabResults) {
  ASSERT_EQ(Run({"simulate", Ecoli(), "--scenario", Scenario(), "--out", Path("truth.csv"), "--no-record", "--quiet"}).code, 0);
  const auto truth = ReadTable(Path("truth.csv"));
  for (const char* method : {"ekf", "mhe"}) {
    CliRun r = Run({"estimate", Ecoli(), "--scenario", Scenario(), "--data", Example("online.csv"), "--lab",
                    Example("lab.csv"), "--noise", Example("noise.yaml"), "--method", method, "--out",
                    Path(std::string(method) + ".csv")});
    ASSERT_EQ(r.code, 0) << r.err;
    std::printf("%s", r.out.c_str());
    const auto est = ReadTable(Path(std::string(method) + ".csv"));
    std::printf("%s: RMSE X %.4f g/L, S %.4f g/L, mu %.5f 1/h\n", method, Rmse(est, truth, "X [g/L]"),
                Rmse(est, truth, "S [g/L]"), Rmse(est, truth, "mu [1/h]"));
    if (std::string(method) == "mhe") {
      EXPECT_NE(r.out.find("338 observations used (18 delayed), 0 delayed samples skipped"), std::string::npos) << r.out;
      EXPECT_LT(Rmse(est, truth, "X [g/L]"), 0.15);
      EXPECT_LT(Rmse(est, truth, "S [g/L]"), 0.1);
      EXPECT_LT(Rmse(est, truth, "mu [1/h]"), 0.01);
    }
  }
}

}  // namespace
}  // namespace biotwin::estimate
