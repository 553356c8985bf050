// The NMPC's real-time safeguards in a closed-loop run (`mpc:` in a scenario): a solve that has no
// time or whose problem turns infeasible falls back to the last feasible plan, then to the recipe,
// and every fallback is recorded (mpc:source column, warning with the reason).
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>

#include "control/control_config.h"
#include "model/model.h"
#include "sim/scenario.h"
#include "tank_model.h"
#include "test_paths.h"

namespace biotwin {
namespace {

struct LoopRun {
  sim::SampledRunResult result;
  std::vector<double> source, iterations;
};

LoopRun RunScenario(const std::string& mpc_tail) {
  const std::string dir = testing::TempDir();
  std::ofstream(dir + "/tank.yaml") << testing::TankModelYaml();
  auto m = model::LoadModelFile(dir + "/tank.yaml");
  const std::string text = std::string(R"yaml(
biotwin_scenario: 1
until: 2 h
control:
  sample_time: 0.1 h
  mpc:
    horizon: 1 h
    controls:
      u: {min: 0 g/h, max: 2 g/h, initial: 0.5 g/h}
    objective:
      minimize: {least_squares: ["(x - 1 [g])/(0.1 [g])"]}
    solver: {hessian: gauss_newton, regularization: 1e-3}
    fallback:
      u: {until: {times: [1.5 h], values: [0.25 g/h], beyond: 0.75 g/h}}
)yaml") + mpc_tail;
  sim::Scenario sc = sim::LoadScenarioText(text, dir + "/s.yaml", m->info());
  control::ControlSetup setup = control::LoadScenarioControl(sc, m->info());
  LoopRun run;
  std::vector<control::ControlColumn> cols;
  run.result = control::RunClosedLoop(m, sc, setup, {}, &cols);
  for (const auto& c : cols) {
    if (c.name == "mpc:source") run.source = c.values;
    if (c.name == "mpc:iterations") run.iterations = c.values;
  }
  return run;
}

double InputAt(const LoopRun& r, size_t k) { return r.result.inputs[k * r.result.n_inputs]; }

TEST(NmpcFallback, NoTimeToSolveAppliesTheRecipeAndSaysWhy) {
  const LoopRun r = RunScenario("    max_solve_time: 0 s\n");
  ASSERT_TRUE(r.result.ok) << r.result.message;
  ASSERT_EQ(r.source.size(), r.result.rows());
  for (size_t k = 0; k + 1 < r.result.rows(); ++k) {
    EXPECT_EQ(r.source[k], 2.0) << k;
    EXPECT_DOUBLE_EQ(InputAt(r, k), r.result.time[k] <= 1.5 + 1e-9 ? 0.25 : 0.75) << "t = " << r.result.time[k];
  }
  EXPECT_TRUE(std::isnan(r.source.back()));  // the end-of-run row has no NMPC step
  ASSERT_EQ(r.result.warnings.size(), r.result.rows() - 1);
  EXPECT_NE(r.result.warnings[0].find("time_limit"), std::string::npos) << r.result.warnings[0];
  EXPECT_NE(r.result.warnings[0].find("no feasible plan yet"), std::string::npos) << r.result.warnings[0];
}

TEST(NmpcFallback, ABudgetTooShortForASolveIsATimeLimit) {
  const LoopRun r = RunScenario("    max_solve_time: 0.0002 s\n");
  ASSERT_TRUE(r.result.ok) << r.result.message;
  ASSERT_FALSE(r.result.warnings.empty());
  for (const auto& w : r.result.warnings) EXPECT_NE(w.find("'time_limit'"), std::string::npos) << w;
  for (size_t k = 0; k + 1 < r.result.rows(); ++k) EXPECT_EQ(r.source[k], 2.0) << k;
}

TEST(NmpcFallback, InfeasibleSolvesUseTheLastPlanThenTheRecipe) {
  // From t > 1 h on, x <= -98 g: impossible. The step at t = 0 sees the horizon up to 1 h and
  // solves; every later step's horizon reaches past 1 h and is infeasible.
  const LoopRun r = RunScenario(
      "    path_constraints:\n      - \"x + if(t > 1 [h], 100 [g], 0 [g]) <= 2 [g]\"\n    max_solve_time: 60 s\n    max_iterations: 30\n");
  ASSERT_TRUE(r.result.ok) << r.result.message;
  ASSERT_GE(r.source.size(), 20u);
  EXPECT_EQ(r.source[0], 0.0);
  for (size_t k = 1; k <= 9; ++k) EXPECT_EQ(r.source[k], 1.0) << "t = " << r.result.time[k];
  for (size_t k = 10; k < 20; ++k) {
    EXPECT_EQ(r.source[k], 2.0) << "t = " << r.result.time[k];
    EXPECT_DOUBLE_EQ(InputAt(r, k), r.result.time[k] <= 1.5 + 1e-9 ? 0.25 : 0.75);
  }
  ASSERT_EQ(r.result.warnings.size(), 19u);
  EXPECT_NE(r.result.warnings[0].find("applied interval 2 of the last feasible plan"), std::string::npos) << r.result.warnings[0];
  EXPECT_NE(r.result.warnings[8].find("applied interval 10 of the last feasible plan"), std::string::npos) << r.result.warnings[8];
  EXPECT_NE(r.result.warnings[9].find("the last feasible plan ended before this step"), std::string::npos) << r.result.warnings[9];
  EXPECT_NE(r.result.warnings[0].find("the solve ended '"), std::string::npos);
}

TEST(NmpcFallback, ConfigurationErrorsNameTheField) {
  const std::string dir = testing::TempDir();
  std::ofstream(dir + "/tank.yaml") << testing::TankModelYaml();
  auto m = model::LoadModelFile(dir + "/tank.yaml");
  auto expect_error = [&](const std::string& text, const std::string& field) {
    sim::Scenario sc = sim::LoadScenarioText(text, dir + "/s.yaml", m->info());
    try {
      control::LoadScenarioControl(sc, m->info());
      ADD_FAILURE() << "accepted: " << text;
    } catch (const model::ModelError& e) {
      EXPECT_NE(std::string(e.what()).find(field), std::string::npos) << e.what();
    }
  };
  const std::string head = "biotwin_scenario: 1\nuntil: 2 h\ncontrol:\n  sample_time: 0.1 h\n  mpc:\n";
  expect_error(head + "    horizon: 1.05 h\n    controls: {u: {min: 0 g/h, max: 2 g/h}}\n    objective: {minimize: \"x\"}\n    fallback: {u: 0}\n",
               "control.mpc.horizon");
  expect_error(head + "    horizon: 1 h\n    controls: {u: {min: 0 g/h, max: 2 g/h}}\n    objective: {minimize: \"x\"}\n",
               "control.mpc.fallback");
  expect_error(head + "    horizon: 1 h\n    controls: {u: {min: 0 g/h, max: 2 g/h}}\n    objective: {minimize: \"x\"}\n    fallback: {u: 0}\n    state: kalman\n",
               "control.mpc.state");
  expect_error(head + "    horizon: 1 h\n    controls: {u: {min: 0 g/h, max: 2 g/h}}\n    objective: {minimize: \"x\"}\n    fallback: {u: 0}\n  schedules:\n    u: 1 g/h\n",
               "already driven");
}

TEST(NmpcLoop, HoldsInputsOtherLoopsDriveAtThePlantValue) {
  // x' = u - k x - d with a withdrawal d = 0.5 g/h set by a schedule: the NMPC's model sees the
  // plant's d (its default is 0), so the content settles at the set-point (u = k x + d = 1 g/h).
  const std::string dir = testing::TempDir();
  std::ofstream(dir + "/tank_d.yaml") << R"yaml(
biotwin: 1
model: {name: tank_d}
time_unit: h
states:
  x: {unit: g, initial: 0}
parameters:
  k: {value: 0.5, unit: 1/h, source: "test"}
inputs:
  u: {unit: g/h, default: 0, limits: [-10, 10]}
  d: {unit: g/h, default: 0, limits: [0, 10]}
balances:
  x: "u - k*x - d"
)yaml";
  auto m = model::LoadModelFile(dir + "/tank_d.yaml");
  sim::Scenario sc = sim::LoadScenarioText(R"yaml(
biotwin_scenario: 1
until: 4 h
control:
  sample_time: 0.1 h
  schedules:
    d: 0.5 g/h
  mpc:
    horizon: 1 h
    controls:
      u: {min: 0 g/h, max: 2 g/h, initial: 0.5 g/h}
    objective:
      minimize: {least_squares: ["(x - 1 [g])/(0.1 [g])"]}
    solver: {hessian: gauss_newton, regularization: 1e-3}
    fallback:
      u: 1 g/h
)yaml", dir + "/s.yaml", m->info());
  control::ControlSetup setup = control::LoadScenarioControl(sc, m->info());
  ASSERT_EQ(setup.mpc->held_inputs.size(), 1u);
  const sim::SampledRunResult r = control::RunClosedLoop(m, sc, setup);
  ASSERT_TRUE(r.ok) << r.message;
  EXPECT_TRUE(r.warnings.empty()) << r.warnings[0];
  EXPECT_NEAR(r.states.back(), 1.0, 0.01);
  EXPECT_NEAR(r.inputs[(r.rows() - 2) * r.n_inputs], 1.0, 0.02);  // u at the last sample
}

}  // namespace
}  // namespace biotwin
