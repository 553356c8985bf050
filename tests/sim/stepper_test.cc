// The Simulator's stepping API: interval-by-interval integration agrees with a whole run through
// the same piecewise-constant inputs, re-initialises only when a held input changes or the state
// is set, and keeps firing the scenario's recipe events inside intervals.
#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "model/model.h"
#include "sim/scenario.h"
#include "sim/simulator.h"
#include "test_paths.h"

namespace biotwin::sim {
namespace {

constexpr const char* kDecay = R"yaml(biotwin: 1
model: {name: decay}
time_unit: h
states:
  y: {unit: "1", initial: 1}
parameters:
  k: {value: 0.5, unit: 1/h}
inputs:
  u: {unit: 1/h, default: 0}
balances:
  y: "u - k*y"
)yaml";

// Each integrator (solver.method): CVODES BDF and the Rosenbrock methods.
class Stepper : public ::testing::TestWithParam<const char*> {};

TEST_P(Stepper, MatchesAWholeRunThroughTheSamePiecewiseConstantInput) {
  auto m = model::LoadModelFile(testing::SourcePath("models/ecoli_anane2017.yaml"));
  const int f = m->info().InputIndex("F");
  // Whole run: F switches every 0.5 h; recipe samples (withdrawals) every 4 h.
  std::string times = "[", values = "[";
  for (int k = 0; k < 40; ++k) {
    times += (k ? ", " : "") + std::to_string(0.5 * k);
    values += (k ? ", " : "") + std::to_string(k < 18 ? 0.0 : 0.002 * (k - 17));
  }
  const std::string sc_text = "until: 20 h\noutput_interval: 0.5 h\nsolver: {rtol: 1e-8, atol: 1e-10}\n"
                              "inputs:\n  F: {piecewise_constant: {times: " + times + "], values: " + values + "]}}\n"
                              "events:\n  - {name: sample, at: {start: 4 h, every: 4 h}, actions: [{withdraw: 10 mL}]}\n";
  Scenario sc = LoadScenarioText(sc_text, "pc.yaml", m->info());
  sc.method = GetParam();
  SimResult whole = Simulator(m, sc).Run();
  ASSERT_TRUE(whole.ok) << whole.message;
  // Stepping: the same values held by SetInput (the profile is replaced).
  Simulator step(m, sc);
  std::string error;
  ASSERT_TRUE(step.Begin(&error)) << error;
  for (int k = 0; k < 40; ++k) {
    step.SetInput(f, k < 18 ? 0.0 : 0.002 * (k - 17));
    ASSERT_TRUE(step.Advance(0.5 * (k + 1), &error)) << error;
    EXPECT_DOUBLE_EQ(step.Time(), 0.5 * (k + 1));
    for (int i = 0; i < m->num_states(); ++i) {
      const double want = whole.states[k + 1][i];
      EXPECT_NEAR(step.State()[i], want, 1e-6 * std::max(1.0, std::fabs(want))) << "t = " << 0.5 * (k + 1) << " state " << i;
    }
  }
  EXPECT_EQ(step.Events().size(), whole.events.size());
  EXPECT_EQ(step.Events().size(), 5u);  // 4, 8, 12, 16, 20 h
}

TEST_P(Stepper, ReinitialisesOnlyAfterAChange) {
  auto m = model::LoadModelText(kDecay, "decay.yaml");
  Scenario sc = DefaultScenario(m->info(), model::kNaN);
  sc.rtol = 1e-10;
  sc.atol = 1e-12;
  sc.method = GetParam();
  Simulator s(m, sc);
  std::string error;
  ASSERT_TRUE(s.Begin(&error)) << error;
  s.SetInput(0, 0.25);
  ASSERT_TRUE(s.Advance(1.0, &error));
  const long first = s.Stats().reinits;  // the first held value is a change from the default
  for (int k = 2; k <= 10; ++k) {
    s.SetInput(0, 0.25);  // unchanged: the integrator continues
    ASSERT_TRUE(s.Advance(k, &error)) << error;
  }
  EXPECT_EQ(s.Stats().reinits, first);
  // y' = u − k·y from y(0) = 1: y = u/k + (1 − u/k)·e^{−kt}.
  EXPECT_NEAR(s.State()[0], 0.5 + 0.5 * std::exp(-5.0), 1e-8);
  s.SetInput(0, 1.0);
  ASSERT_TRUE(s.Advance(11, &error));
  EXPECT_EQ(s.Stats().reinits, first + 1);
  const double y5 = 0.5 + 0.5 * std::exp(-5.0);
  EXPECT_NEAR(s.State()[0], 2.0 + (y5 - 2.0) * std::exp(-0.5), 1e-8);
  // SetState: a jump, then the analytic solution from the new value.
  const double y0 = 3.0;
  s.SetState(&y0);
  ASSERT_TRUE(s.Advance(13, &error));
  EXPECT_EQ(s.Stats().reinits, first + 2);
  EXPECT_NEAR(s.State()[0], 2.0 + (3.0 - 2.0) * std::exp(-1.0), 1e-8);
  double out = 0;
  s.Outputs(&out);  // no outputs: a no-op
  EXPECT_FALSE(s.Advance(12, &error));  // backwards
  EXPECT_NE(error.find("not after"), std::string::npos);
}

INSTANTIATE_TEST_SUITE_P(Integrators, Stepper, ::testing::Values("bdf", "rodas3", "rodas4", "ros34pw2"));

}  // namespace
}  // namespace biotwin::sim
