// The sampled closed-loop runner: one row per sample (with a short last interval), inputs the
// controller does not manipulate keep following their profiles, the after-interval hook can
// change the state or stop the run, and sensors/actuator faults are recorded per row.
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <cstdio>

#include "control/control.h"
#include "model/model.h"
#include "sim/scenario.h"
#include "test_paths.h"

namespace biotwin::sim {
namespace {

constexpr const char* kTwoInputs = R"yaml(biotwin: 1
model: {name: two_inputs}
time_unit: h
states:
  y: {unit: "1", initial: 0}
  z: {unit: "1", initial: 0}
inputs:
  u: {unit: 1/h, default: 0}
  w: {unit: 1/h, default: 0}
balances:
  y: "u"
  z: "w"
)yaml";

// Writes u = k (sample index) at every sample.
class Counter : public SampledController {
 public:
  const std::vector<int>& ManipulatedInputs() const override { return mv_; }
  void Begin(double, const double*) override {}
  void Step(long k, double, const double*, double* u) override { u[0] = static_cast<double>(k); }
  void Applied(const double* u) override { applied.push_back(u[0]); }
  std::vector<double> applied;

 private:
  std::vector<int> mv_{0};
};

// Drives nothing (models without inputs).
class Idle : public SampledController {
 public:
  const std::vector<int>& ManipulatedInputs() const override { return none_; }
  void Begin(double, const double*) override {}
  void Step(long, double, const double*, double*) override {}
  void Applied(const double*) override {}

 private:
  std::vector<int> none_;
};

TEST(SampledRun, RowsHoldInputsOverIntervalsAndProfilesStayContinuous) {
  auto m = model::LoadModelText(kTwoInputs, "two.yaml");
  Scenario sc = LoadScenarioText("until: 1 h\nsolver: {rtol: 1e-10, atol: 1e-12}\n"
                                 "inputs:\n  w: {piecewise_linear: {times: [0, 1], values: [0, 2]}}\n",
                                 "s.yaml", m->info());
  SensorBank sensors;
  ActuatorBank actuators;
  Counter c;
  SampledRunOptions opt;
  opt.sample_time = 0.3;
  SampledRunResult r = RunSampled(m, sc, sensors, c, actuators, opt);
  ASSERT_TRUE(r.ok) << r.message;
  ASSERT_EQ(r.rows(), 5u);  // 0, 0.3, 0.6, 0.9 and the short last interval to 1.0
  EXPECT_EQ(r.intervals, 4);
  const double want_t[5] = {0, 0.3, 0.6, 0.9, 1.0};
  double y = 0;
  for (size_t k = 0; k < 5; ++k) {
    EXPECT_NEAR(r.time[k], want_t[k], 1e-12);
    EXPECT_NEAR(r.states[2 * k], y, 1e-9);                                  // ∫ held u
    EXPECT_NEAR(r.states[2 * k + 1], want_t[k] * want_t[k], 1e-8);          // ∫ 2t: the ramp is not sampled
    if (k < 4) {
      EXPECT_EQ(r.inputs[2 * k], static_cast<double>(k));
      y += k * (want_t[k + 1] - want_t[k]);
    }
  }
  EXPECT_EQ(r.inputs[2 * 4], 3.0);  // the last row shows the last held value
}

TEST(SampledRun, AfterIntervalHookChangesTheStateOrStopsTheRun) {
  auto m = model::LoadModelText(kTwoInputs, "two.yaml");
  Scenario sc = LoadScenarioText("until: 2 h\nsolver: {rtol: 1e-10, atol: 1e-12}\n", "s.yaml", m->info());
  SensorBank sensors;
  ActuatorBank actuators;
  Counter c;
  SampledRunOptions opt;
  opt.sample_time = 0.5;
  opt.after_interval = [](long, double, double* x, const double*, std::string*) {
    x[0] = std::min(x[0], 0.6);  // a plant-side clamp
    return true;
  };
  SampledRunResult r = RunSampled(m, sc, sensors, c, actuators, opt);
  ASSERT_TRUE(r.ok) << r.message;
  // u = k: y(0.5) = 0, y(1.0) = 0.5, y(1.5) = min(0.5 + 1.0, 0.6), y(2.0) = min(0.6 + 1.5, 0.6).
  EXPECT_NEAR(r.states[2 * 1], 0.0, 1e-9);
  EXPECT_NEAR(r.states[2 * 2], 0.5, 1e-9);
  EXPECT_NEAR(r.states[2 * 3], 0.6, 1e-12);
  EXPECT_NEAR(r.states[2 * 4], 0.6, 1e-12);
  opt.after_interval = [](long k, double, double*, const double*, std::string* e) {
    if (k < 2) return true;
    *e = "DO2 probe failure";
    return false;
  };
  Counter c2;
  r = RunSampled(m, sc, sensors, c2, actuators, opt);
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.message.find("DO2 probe failure"), std::string::npos) << r.message;
  EXPECT_NE(r.message.find("t = 1.5"), std::string::npos) << r.message;
}

TEST(SampledRun, MeasurementsAndFaultsAreRecordedAndAppliedValuesFedBack) {
  auto m = model::LoadModelText(kTwoInputs, "two.yaml");
  const char* text = R"(until: 2 h
control:
  sample_time: 0.25 h
  sample_index_origin: 1
  sensors:
    y_meas: {signal: y, delay: 0.5 h, faults: [{name: y_bias, bias: 1, samples: [3, 4]}]}
  actuators:
    u: {faults: [{name: u_off, override: 0, time: [1 h, 1.5 h]}]}
  schedules:
    u: 2
)";
  Scenario sc = LoadScenarioText(text, "f.yaml", m->info());
  auto setup = control::LoadScenarioControl(sc, m->info());
  SampledRunResult r = control::RunClosedLoop(m, sc, setup);
  ASSERT_TRUE(r.ok) << r.message;
  ASSERT_EQ(r.fault_names, (std::vector<std::string>{"y_bias", "u_off"}));
  for (size_t k = 0; k + 1 < r.rows(); ++k) {
    const double t = r.time[k];
    const bool off = t >= 1.0 - 1e-9 && t < 1.5 - 1e-9;
    EXPECT_EQ(r.inputs[2 * k], off ? 0.0 : 2.0) << t;
    EXPECT_EQ(r.faults[2 * k + 1], off ? 1 : 0) << t;
    const bool bias = k + 1 >= 3 && k + 1 <= 4;
    EXPECT_EQ(r.faults[2 * k], bias ? 1 : 0) << t;
    // Measurement: y two samples earlier (first value before), plus the bias.
    const size_t j = k >= 2 ? k - 2 : 0;
    EXPECT_NEAR(r.measurements[k], r.states[2 * j] + (bias ? 1.0 : 0.0), 1e-9) << t;
  }
  EXPECT_NEAR(r.states[2 * (r.rows() - 1)], 2.0 * 1.5, 1e-9);  // 2 h at 2/h minus 0.5 h off
}

TEST(SampledRun, BeforeIntervalHookHoldsParameterDisturbancesOverEachInterval) {
  auto m = model::LoadModelText(R"yaml(biotwin: 1
model: {name: ramp}
time_unit: h
states:
  y: {unit: "1", initial: 0}
parameters:
  a: {value: 1, unit: 1/h}
balances:
  y: "a"
)yaml", "ramp.yaml");
  Scenario sc = LoadScenarioText("until: 2 h\nsolver: {rtol: 1e-10, atol: 1e-12}\n", "s.yaml", m->info());
  SensorBank sensors;
  ActuatorBank actuators;
  Idle idle;
  SampledRunOptions opt;
  opt.sample_time = 0.25;
  opt.before_interval = [](long k, double, double* p, std::string*) {
    p[0] = 1.0 + 0.5 * static_cast<double>(k % 3);  // a disturbance sequence, held per interval
    return true;
  };
  SampledRunResult r = RunSampled(m, sc, sensors, idle, actuators, opt);
  ASSERT_TRUE(r.ok) << r.message;
  double y = 0;
  for (long k = 0; k < 8; ++k) {
    EXPECT_NEAR(r.states[k], y, 1e-9) << k;
    y += 0.25 * (1.0 + 0.5 * static_cast<double>(k % 3));
  }
  EXPECT_NEAR(r.states[8], y, 1e-9);
  // A controller that names an input the model does not have is a failure, not a crash.
  Counter wrong;
  r = RunSampled(m, sc, sensors, wrong, actuators, opt);
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.message.find("input index 0"), std::string::npos) << r.message;
}

TEST(SampledRun, AnActuatorFaultActsOnAProfileInputTheControllerDoesNotDrive) {
  auto m = model::LoadModelText(kTwoInputs, "two.yaml");
  const char* text = R"(until: 2 h
solver: {rtol: 1e-10, atol: 1e-12}
inputs:
  w: {piecewise_constant: {times: [0, 1], values: [1, 3]}}
control:
  sample_time: 0.25 h
  actuators:
    w: {faults: [{name: w_off, override: 0, time: [0.5 h, 1.25 h]}]}
)";
  Scenario sc = LoadScenarioText(text, "w.yaml", m->info());
  auto setup = control::LoadScenarioControl(sc, m->info());
  SampledRunResult r = control::RunClosedLoop(m, sc, setup);
  ASSERT_TRUE(r.ok) << r.message;
  // w: 1 on [0, 0.5), off on [0.5, 1.25), 3 on [1.25, 2): z(2) = 0.5 + 0.75·3.
  EXPECT_NEAR(r.states[2 * (r.rows() - 1) + 1], 0.5 + 0.75 * 3, 1e-8);
  EXPECT_EQ(r.inputs[2 * 5 + 1], 3.0);  // 1.25 h: the profile's value, sampled
}

// The E. coli model under DO control with a noisy, delayed probe: prints the cost per control
// interval (the figure the closed-loop target is stated in); asserts only the control result.
TEST(SampledRun, EcoliDoStatHoldsTheSetPointAndReportsTheCostPerInterval) {
  auto m = model::LoadModelFile(testing::SourcePath("models/ecoli_anane2017.yaml"));
  const char* text = R"(until: 40 h
control:
  sample_time: 0.05 h
  seed: 7
  sensors:
    DO: {signal: DOTm, noise: 0.5, delay: 0.05 h}
  actuators:
    F: {limits: [0, 0.05], rate_limit: 0.1}
  loops:
    - name: DO
      measurement: DO
      setpoint: 30
      output: F
      pid: {kp: 0.0002, ti: 2 h, action: direct, limits: [0, 0.05], anti_windup: back_calculation}
      manual: {output: 0, until: 6 h}
)";
  Scenario sc = LoadScenarioText(text, "do.yaml", m->info());
  auto setup = control::LoadScenarioControl(sc, m->info());
  SampledRunResult r = control::RunClosedLoop(m, sc, setup);
  ASSERT_TRUE(r.ok) << r.message;
  ASSERT_EQ(r.intervals, 800);
  const int dot = m->info().StateIndex("DOT");
  double worst = 0;
  for (size_t k = 0; k < r.rows(); ++k) {
    if (r.time[k] >= 20) worst = std::max(worst, std::fabs(r.states[k * r.n_states + dot] - 30.0));
  }
  EXPECT_LT(worst, 5.0);  // % air saturation, from 20 h on
  std::printf("E. coli DO-stat closed loop: %ld intervals of 0.05 h, %.1f us per interval "
              "(controller and sensors %.2f us), %ld solver steps\n",
              r.intervals, r.wall_seconds * 1e6 / r.intervals, r.controller_seconds * 1e6 / r.intervals,
              r.stats.steps);
}

}  // namespace
}  // namespace biotwin::sim
