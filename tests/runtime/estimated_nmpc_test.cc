// The NMPC fed by a state estimator (runtime::EstimatorStateSource, `mpc: state: {estimator:
// ...}`): with noise-free sensors and the true initial state the EKF and UKF track the plant so
// closely that the NMPC applies the same inputs as with the true plant state; bad `state:`
// blocks fail naming file, line and field.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>

#include "control/control_config.h"
#include "model/model.h"
#include "runtime/runtime.h"
#include "sim/scenario.h"
#include "test_paths.h"

namespace biotwin {
namespace {

// Two tanks in series: the NMPC steers the second (y, unmeasured) from the sensor on the first
// (x); the estimator has to infer y.
constexpr const char* kTank = R"yaml(
biotwin: 1
model: {name: tank2}
time_unit: h
states:
  x: {unit: g, initial: 0.2}
  y: {unit: g, initial: 0.1}
parameters:
  k: {value: 0.5, unit: 1/h, source: "test"}
  c: {value: 0.8, unit: 1/h, source: "test"}
inputs:
  u: {unit: g/h, default: 0, limits: [-10, 10]}
balances:
  x: "u - k*x"
  y: "c*(x - y)"
)yaml";

constexpr const char* kNoise = R"yaml(
measurements:
  x: 1 mg
process:
  x: 1 mg
  y: 1 mg
initial:
  x: {sigma: 10 mg}
  y: {sigma: 10 mg}
)yaml";

std::string Scenario(const std::string& state) {
  return R"yaml(
biotwin_scenario: 1
name: tank_estimated_mpc
until: 2 h
control:
  sample_time: 0.1 h
  sensors:
    level: {signal: x}
  mpc:
    horizon: 1 h
    controls:
      u: {min: 0 g/h, max: 2 g/h, initial: 0.5 g/h}
    objective:
      minimize: {least_squares: ["(y - 1 [g])/(0.1 [g])"]}
    solver: {hessian: gauss_newton, rtol: 1e-8, atol: 1e-10, max_steps: 2000}
    max_solve_time: 600 s
    fallback:
      u: 0.3 g/h
)yaml" + state;
}

class EstimatedNmpc : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing::TempDir() + "/estimated_nmpc";
    std::filesystem::create_directories(dir_);
    std::ofstream(dir_ + "/tank2.yaml") << kTank;
    std::ofstream(dir_ + "/noise.yaml") << kNoise;
    m_ = model::LoadModelFile(dir_ + "/tank2.yaml");
  }
  struct Run {
    sim::SampledRunResult result;
    std::vector<control::ControlColumn> cols;
    std::shared_ptr<runtime::EstimatorStateSource> est;
  };
  Run RunWith(const std::string& state) {
    const auto& info = m_->info();
    sim::Scenario sc = sim::LoadScenarioText(Scenario(state), dir_ + "/scenario.yaml", info);
    control::ControlSetup setup = control::LoadScenarioControl(sc, info);
    Run r;
    r.result = runtime::RunClosedLoop(m_, sc, setup, {}, &r.cols, &r.est);
    return r;
  }
  // The ModelError message of a bad block (empty when none is thrown).
  std::string ErrorOf(const std::string& state, const std::string& sensors_from = "    level: {signal: x}\n",
                      const std::string& sensors_to = "    level: {signal: x}\n") {
    const auto& info = m_->info();
    std::string text = Scenario(state);
    text.replace(text.find(sensors_from), sensors_from.size(), sensors_to);
    try {
      sim::Scenario sc = sim::LoadScenarioText(text, dir_ + "/bad.yaml", info);
      control::ControlSetup setup = control::LoadScenarioControl(sc, info);
      runtime::MakeStateSource(info, sc, setup);
    } catch (const model::ModelError& e) {
      return e.what();
    }
    return "";
  }
  std::string dir_;
  std::shared_ptr<const model::Model> m_;
};

TEST_F(EstimatedNmpc, NoiseFreeSensorsAndTheTrueStartReproduceThePlantStateNmpc) {
  const Run plant = RunWith("");
  ASSERT_TRUE(plant.result.ok) << plant.result.message;
  EXPECT_EQ(plant.est, nullptr);
  for (const char* method : {"ekf", "ukf"}) {
    SCOPED_TRACE(method);
    const Run est = RunWith(std::string("    state: {estimator: ") + method + ", noise: noise.yaml}\n");
    ASSERT_TRUE(est.result.ok) << est.result.message;
    ASSERT_NE(est.est, nullptr);
    ASSERT_EQ(est.result.rows(), plant.result.rows());
    EXPECT_TRUE(est.result.warnings.empty()) << est.result.warnings.front();
    const int u = m_->info().InputIndex("u"), y = m_->info().StateIndex("y");
    double max_du = 0;
    for (size_t k = 0; k < est.result.rows(); ++k) {
      max_du = std::max(max_du, std::fabs(est.result.inputs[k * est.result.n_inputs + u] -
                                          plant.result.inputs[k * plant.result.n_inputs + u]));
    }
    // The inputs span 0..2 g/h; the estimate's error (x measured to 1 mg, y inferred) moves them
    // by far less than 1 % of that.
    EXPECT_LT(max_du, 0.01) << "g/h";
    // Every control sample was assimilated (20 samples, t = 0 ... 1.9 h; the last row, 2 h, is
    // the end of the run) and the estimate of the unmeasured y is the plant's at the last one.
    const size_t last = est.result.rows() - 2;
    EXPECT_EQ(est.est->estimator().summary().steps, static_cast<long>(last + 1));
    EXPECT_NEAR(est.est->estimator().time(), est.result.time[last], 1e-12);
    const double y_true = est.result.states[last * est.result.n_states + y];
    EXPECT_NEAR(est.est->estimator().state()[y], y_true, 2e-3);
    // The NMPC drives y towards 1 g.
    EXPECT_GT(y_true, 0.6);
  }
}

TEST_F(EstimatedNmpc, AWrongStartIsCorrectedFromTheMeasurements) {
  // Prior 50 % off on both states: the estimate converges and the NMPC keeps steering.
  const Run est = RunWith("    state: {estimator: ekf, noise: noise.yaml, initial: {x: 0.3 g, y: 0.15 g}}\n");
  ASSERT_TRUE(est.result.ok) << est.result.message;
  const int x = m_->info().StateIndex("x");
  const size_t last = est.result.rows() - 2;  // the last control sample, 1.9 h
  const double x0_error = 0.3 - 0.2;
  const double x_true = est.result.states[last * est.result.n_states + x];
  EXPECT_LT(std::fabs(est.est->estimator().state()[x] - x_true), 0.02 * x0_error);
}

TEST_F(EstimatedNmpc, BadStateBlocksNameFileLineAndField) {
  EXPECT_NE(ErrorOf("    state: kalman\n").find("bad.yaml:19: control.mpc.state"), std::string::npos)
      << ErrorOf("    state: kalman\n");
  const std::string unknown = ErrorOf("    state: {estimator: pf, noise: noise.yaml}\n");
  EXPECT_NE(unknown.find("bad.yaml:19: control.mpc.state.estimator"), std::string::npos) << unknown;
  EXPECT_NE(unknown.find("unknown estimator 'pf'"), std::string::npos) << unknown;
  const std::string mhe = ErrorOf("    state: {estimator: mhe, noise: noise.yaml}\n");
  EXPECT_NE(mhe.find("control.mpc.state.estimator"), std::string::npos) << mhe;
  const std::string missing = ErrorOf("    state: {estimator: ekf, noise: nowhere.yaml}\n");
  EXPECT_NE(missing.find("control.mpc.state.noise"), std::string::npos) << missing;
  EXPECT_NE(missing.find("no such file"), std::string::npos) << missing;
  const std::string bad_initial = ErrorOf("    state: {estimator: ekf, noise: noise.yaml, initial: {z: 1 g}}\n");
  EXPECT_NE(bad_initial.find("control.mpc.state.initial.z"), std::string::npos) << bad_initial;
  // The noise file measures x, but the loop has no sensor reading it.
  const std::string no_sensor = ErrorOf("    state: {estimator: ekf, noise: noise.yaml}\n", "    level: {signal: x}\n",
                                        "    level: {signal: y}\n");
  EXPECT_NE(no_sensor.find("bad.yaml:19: control.mpc.state.noise"), std::string::npos) << no_sensor;
  EXPECT_NE(no_sensor.find("'x'"), std::string::npos) << no_sensor;
}

TEST_F(EstimatedNmpc, TheControlLayerAloneRefusesAnEstimatorBlock) {
  const auto& info = m_->info();
  sim::Scenario sc = sim::LoadScenarioText(Scenario("    state: {estimator: ekf, noise: noise.yaml}\n"),
                                           dir_ + "/scenario.yaml", info);
  control::ControlSetup setup = control::LoadScenarioControl(sc, info);
  EXPECT_THROW(control::RunClosedLoop(m_, sc, setup), std::invalid_argument);
}

}  // namespace
}  // namespace biotwin
