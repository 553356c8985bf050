// Receding-horizon NMPC on a small model: closed-loop set-point tracking, warm starts, and the
// fallbacks (last feasible plan, then recipe) when the solve budget runs out.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>

#include "control/nmpc_controller.h"
#include "control/ocp_problem.h"
#include "test_paths.h"

namespace biotwin {
namespace {

constexpr const char* kModel = R"yaml(
biotwin: 1
model: {name: tank}
time_unit: h
states:
  x: {unit: g, initial: 0}
inputs:
  u: {unit: g/h, default: 0, limits: [-10, 10]}
balances:
  x: "u - 0.5*x*1 [1/h]"
)yaml";

constexpr const char* kProblem = R"yaml(
model: tank.yaml
horizon: {start: 0 h, end: 1 h}
intervals: 10
controls:
  u: {min: -2 g/h, max: 2 g/h, initial: 0}
objective:
  minimize: {running: "(x - 1 [g])^2 + 0.01 [h^2]*u^2"}
path_constraints:
  - "x <= 1.05 [g]"
)yaml";

class Nmpc : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing::TempDir();
    std::ofstream(dir_ + "/tank.yaml") << kModel;
    problem_ = control::LoadOcpProblemText(kProblem, "nmpc.yaml", dir_);
  }
  // Exact plant step for x' = u - 0.5 x with constant u over dt.
  static double Plant(double x, double u, double dt) {
    const double xs = 2.0 * u;
    return xs + (x - xs) * std::exp(-0.5 * dt);
  }
  std::string dir_;
  control::OcpProblem problem_;
};

TEST_F(Nmpc, ClosedLoopReachesTheSetPointWithinConstraints) {
  control::NmpcController mpc(problem_, {}, [](double) { return std::vector<double>{0.0}; });
  ASSERT_NEAR(mpc.sampling_period(), 0.1, 1e-12);
  double x = 0.0, t = 0.0;
  int warm_iterations = 0;
  for (int k = 0; k < 30; ++k) {
    const control::NmpcStep s = mpc.Step(t, {x});
    ASSERT_EQ(s.source, control::NmpcSource::kOptimal) << s.reason;
    EXPECT_TRUE(s.reason.empty());
    ASSERT_EQ(s.controls.size(), 1u);
    EXPECT_LE(std::fabs(s.controls[0]), 2.0 + 1e-9);
    if (k > 0) warm_iterations = std::max(warm_iterations, s.iterations);
    x = Plant(x, s.controls[0], mpc.sampling_period());
    t += mpc.sampling_period();
    EXPECT_LE(x, 1.05 + 1e-4);
  }
  // Steady state: x = 1 g needs u = 0.5 g/h (the small input penalty shifts it slightly).
  EXPECT_NEAR(x, 1.0, 0.02);
  EXPECT_LT(warm_iterations, 30);  // warm starts from the shifted solution converge quickly
}

TEST_F(Nmpc, FallsBackToTheLastFeasiblePlanThenToTheRecipe) {
  control::NmpcController mpc(problem_, {}, [](double) { return std::vector<double>{0.25}; });
  double x = 0.0, t = 0.0;
  const double dt = mpc.sampling_period();
  for (int k = 0; k < 3; ++k) {
    const auto s = mpc.Step(t, {x});
    ASSERT_EQ(s.source, control::NmpcSource::kOptimal);
    x = Plant(x, s.controls[0], dt);
    t += dt;
  }
  mpc.set_max_solve_seconds(0.0);  // no time to solve
  // The plan from t = 0.2 h covers 10 intervals: steps at 0.3 ... 1.1 h use intervals 2..10.
  for (int k = 0; k < 9; ++k) {
    const auto s = mpc.Step(t, {x});
    ASSERT_EQ(s.source, control::NmpcSource::kPreviousPlan) << k << ": " << s.reason;
    EXPECT_NE(s.reason.find("time_limit"), std::string::npos) << s.reason;
    EXPECT_NE(s.reason.find("interval " + std::to_string(k + 2) + " of the last feasible plan"), std::string::npos) << s.reason;
    x = Plant(x, s.controls[0], dt);
    t += dt;
  }
  const auto s = mpc.Step(t, {x});
  EXPECT_EQ(s.source, control::NmpcSource::kRecipe);
  EXPECT_NEAR(s.controls[0], 0.25, 0);
  EXPECT_NE(s.reason.find("ended before this step"), std::string::npos) << s.reason;
  // With time again, the controller recovers.
  mpc.set_max_solve_seconds(5.0);
  EXPECT_EQ(mpc.Step(t + dt, {x}).source, control::NmpcSource::kOptimal);
}

TEST_F(Nmpc, NoPlanYetUsesTheRecipeAndSaysSo) {
  control::NmpcOptions opt;
  opt.max_solve_seconds = 0.0;
  control::NmpcController mpc(problem_, opt, [](double t) { return std::vector<double>{t < 1 ? 0.1 : 0.2}; });
  const auto s = mpc.Step(0.0, {0.0});
  EXPECT_EQ(s.source, control::NmpcSource::kRecipe);
  EXPECT_NEAR(s.controls[0], 0.1, 0);
  EXPECT_NE(s.reason.find("no feasible plan yet"), std::string::npos) << s.reason;
}

}  // namespace
}  // namespace biotwin
