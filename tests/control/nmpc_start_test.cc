// `mpc.start`: before it the fallback recipe drives the NMPC's controls and no NMPC step is made;
// from it on the NMPC steps every period.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>

#include "control/control_config.h"
#include "model/model.h"
#include "sim/scenario.h"
#include "tank_model.h"
#include "test_paths.h"

namespace biotwin {
namespace {

constexpr const char* kScenario = R"yaml(
biotwin_scenario: 1
name: tank_mpc_start
until: 2 h
control:
  sample_time: 0.1 h
  mpc:
    start: 1 h
    horizon: 1 h
    controls:
      u: {min: 0 g/h, max: 2 g/h, initial: 0.5 g/h}
    objective:
      minimize: {least_squares: ["(x - 1 [g])/(0.1 [g])"]}
    solver: {hessian: gauss_newton, rtol: 1e-6, atol: 1e-8, max_steps: 2000}
    max_solve_time: 600 s
    fallback:
      u: 0.3 g/h
)yaml";

TEST(NmpcStart, TheRecipeDrivesTheControlsUntilTheNmpcTakesOver) {
  const std::string dir = testing::TempDir() + "/nmpc_start";
  std::filesystem::create_directories(dir);
  std::ofstream(dir + "/tank.yaml") << testing::TankModelYaml();
  auto m = model::LoadModelFile(dir + "/tank.yaml");
  const auto& info = m->info();
  sim::Scenario sc = sim::LoadScenarioText(kScenario, dir + "/tank_mpc_start.yaml", info);
  control::ControlSetup setup = control::LoadScenarioControl(sc, info);
  std::vector<control::ControlColumn> cols;
  sim::SampledRunResult r = control::RunClosedLoop(m, sc, setup, {}, &cols);
  ASSERT_TRUE(r.ok) << r.message;
  const control::ControlColumn* src = nullptr;
  for (const auto& c : cols) {
    if (c.name == "mpc:source") src = &c;
  }
  ASSERT_NE(src, nullptr);
  const int u = info.InputIndex("u"), x = info.StateIndex("x");
  int steps = 0;
  for (size_t k = 0; k + 1 < r.rows(); ++k) {
    const double t = r.time[k];
    if (t < 1.0 - 1e-9) {
      EXPECT_TRUE(std::isnan(src->values[k])) << "t = " << t;
      EXPECT_DOUBLE_EQ(r.inputs[k * r.n_inputs + u], 0.3) << "t = " << t;
    } else {
      EXPECT_EQ(src->values[k], 0.0) << "t = " << t;
      ++steps;
    }
  }
  EXPECT_EQ(steps, 10);
  // The recipe alone: x = 0.3/0.5 (1 - exp(-0.5 t)) at 1 h; then the NMPC drives x towards 1 g.
  EXPECT_NEAR(r.states[10 * r.n_states + x], 0.6 * (1 - std::exp(-0.5)), 1e-5);
  EXPECT_GT(r.states[(r.rows() - 1) * r.n_states + x], 0.9);
}

}  // namespace
}  // namespace biotwin
