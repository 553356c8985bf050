// The economic NMPC of the E. coli fed-batch (as in tests/control/nmpc_ecoli_validation_test.cc:
// models/ecoli_anane2017.yaml, plant qSmax and pAmax 20 % above the NMPC's model, maximise X*V
// over a 2 h horizon with A <= 0.8 g/L, DOT >= 30 %, S <= 1 g/L, V <= 5 L) fed not by the true
// plant state but by an EKF on the NMPC's model that sees only noisy DO-probe (DOTm, sd 1 %) and
// off-gas OUR (sd 1 mmol/(L*h)) readings and starts with a biomass guess 50 % too high
// (1.5 g/L for 1 g/L). Compared with the same NMPC on the true state and with a fixed feed.
// Limits are on IPOPT iterations and integrator steps only; nothing depends on the wall clock.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "control/control_config.h"
#include "model/model.h"
#include "runtime/runtime.h"
#include "sim/scenario.h"
#include "test_paths.h"

namespace biotwin {
namespace {

constexpr const char* kPlant = R"yaml(
biotwin_scenario: 1
name: ecoli_estimated_nmpc
until: 12 h
initial: {X: 1 g/L, S: 1 g/L, A: 0.05 g/L}
parameters:            # the plant: +20 % on two kinetic parameters of the NMPC's model
  qSmax: 0.76272 g/g/h # model 0.6356
  pAmax: 0.27216 g/g/h # model 0.2268
)yaml";

constexpr const char* kSensors = R"yaml(
control:
  sample_time: 0.25 h
  seed: 7
  sensors:
    DO: {signal: DOTm, noise: 1}         # %
    OUR: {signal: OUR, noise: 0.001}     # mol/(L*h) = 1 mmol/(L*h)
)yaml";

constexpr const char* kMpc = R"yaml(
  mpc:
    horizon: 2 h
    controls:
      F: {min: 0 L/h, max: 0.05 L/h, initial: 0.01 L/h}
    objective: {maximize: "X*V"}
    path_constraints:
      - "A <= 0.8 [g/L]"
      - "DOT >= 30 [%]"
      - "S <= 1 [g/L]"
      - "V <= 5 [L]"
    solver: {rtol: 1e-6, atol: 1e-8, hessian: limited_memory, max_steps: 2000}
    max_solve_time: 600 s  # generous: the outcome must not depend on the machine
    max_iterations: 200
    fallback:
      F: 0.006 L/h
)yaml";

constexpr const char* kEstimator = "    state: {estimator: ekf, noise: noise.yaml, initial: {X: 1.5 g/L}}\n";

constexpr const char* kFixed = R"yaml(
  schedules:
    F: 0.006 L/h
)yaml";

// Measurement sigmas as the sensors' noise; process noise for the model mismatch; a wide prior.
constexpr const char* kNoise = R"yaml(
measurements:
  DOTm: 1 %
  OUR: 1 mmol/(L*h)
process:
  X: 0.05 g/L
  S: 0.05 g/L
  A: 0.02 g/L
  DOT: 2 %
  DOTm: 1 %
  V: 0 L
initial:
  X: {sigma: 0.5 g/L}
  S: {sigma: 0.3 g/L}
  A: {sigma: 0.05 g/L}
  DOT: {sigma: 5 %}
  DOTm: {sigma: 5 %}
  V: {sigma: 0.01 L}
non_negative: [S, A, DOT, DOTm]
)yaml";

struct Outcome {
  double biomass_g = 0, max_acetate = 0, min_dot = 1e9, max_glucose = 0;
  int samples = 0, dot_violations = 0, acetate_violations = 0, fallbacks = 0;
  double rmse_x = 0, rmse_x_late = 0, x_error_first = 0;  // estimator only
};

Outcome RunCase(const std::string& control) {
  const std::string dir = testing::TempDir() + "/estimated_nmpc_ecoli";
  std::filesystem::create_directories(dir);
  std::ofstream(dir + "/noise.yaml") << kNoise;
  auto m = model::LoadModelFile(testing::SourcePath("models/ecoli_anane2017.yaml"));
  const auto& info = m->info();
  sim::Scenario sc = sim::LoadScenarioText(std::string(kPlant) + control, dir + "/scenario.yaml", info);
  control::ControlSetup setup = control::LoadScenarioControl(sc, info);
  std::vector<control::ControlColumn> cols;
  sim::SampledRunResult r = runtime::RunClosedLoop(m, sc, setup, {}, &cols);
  Outcome o;
  EXPECT_TRUE(r.ok) << r.message;
  const int X = info.StateIndex("X"), A = info.StateIndex("A"), DOT = info.StateIndex("DOT"), S = info.StateIndex("S");
  const int V = info.StateIndex("V");
  for (size_t k = 0; k < r.rows(); ++k) {
    const double* x = &r.states[k * r.n_states];
    o.max_acetate = std::max(o.max_acetate, x[A]);
    o.min_dot = std::min(o.min_dot, x[DOT]);
    o.max_glucose = std::max(o.max_glucose, x[S]);
    o.dot_violations += x[DOT] < 30.0 - 0.5;
    o.acetate_violations += x[A] > 0.8 + 0.01;
    ++o.samples;
    o.biomass_g = x[X] * x[V];
  }
  int n = 0, n_late = 0;
  for (const auto& c : cols) {
    if (c.name == "mpc:source") {
      for (double v : c.values) o.fallbacks += v > 0.5;
    }
    if (c.name != "est:X") continue;
    o.x_error_first = c.values[0] - r.states[X];
    for (size_t k = 0; k < r.rows(); ++k) {
      if (std::isnan(c.values[k])) continue;
      const double e = c.values[k] - r.states[k * r.n_states + X];
      o.rmse_x += e * e;
      ++n;
      if (r.time[k] >= 2.0) {
        o.rmse_x_late += e * e;
        ++n_late;
      }
    }
  }
  if (n) o.rmse_x = std::sqrt(o.rmse_x / n);
  if (n_late) o.rmse_x_late = std::sqrt(o.rmse_x_late / n_late);
  for (size_t i = 0; i < r.warnings.size() && i < 3; ++i) std::printf("  warning: %s\n", r.warnings[i].c_str());
  return o;
}

TEST(EstimatedNmpcEcoliValidation, EkfFedNmpcKeepsAcetateBelowItsLimitAndBeatsTheFixedFeed) {
  const Outcome est = RunCase(std::string(kSensors) + kMpc + kEstimator);
  const Outcome plant = RunCase(std::string(kSensors) + kMpc);
  const Outcome fixed = RunCase(std::string(kSensors) + kFixed);
  std::printf("E. coli fed-batch, 12 h, plant qSmax and pAmax +20 %% vs the NMPC's model:\n");
  for (const auto& [name, o] : {std::pair<const char*, const Outcome&>{"NMPC on the EKF estimate", est},
                                {"NMPC on the true state", plant},
                                {"fixed feed 0.006 L/h", fixed}}) {
    std::printf("  %-26s biomass %.2f g, max acetate %.3f g/L, min DOT %.1f %%, max glucose %.3f g/L, "
                "samples with DOT < 29.5 %%: %d of %d, with A > 0.81 g/L: %d, fallbacks %d\n",
                name, o.biomass_g, o.max_acetate, o.min_dot, o.max_glucose, o.dot_violations, o.samples,
                o.acetate_violations, o.fallbacks);
  }
  std::printf("  EKF biomass estimate: error at t = 0 %+.3f g/L, RMSE %.3f g/L over the run, %.3f g/L from 2 h on\n",
              est.x_error_first, est.rmse_x, est.rmse_x_late);
  // Measured (this machine; the run is deterministic: seeded sensor noise, iteration limits):
  // estimate error +0.155 g/L after the first update at t = 0 (prior +0.5 g/L), RMSE 0.21 g/L
  // from 2 h on; biomass 25.9 g (true-state NMPC 25.4 g, fixed feed 15.6 g); max acetate
  // 0.65 g/L; min DOT 21.9 %, 13 of 49 samples below 29.5 % (true state: 24.3 %, 4 of 49).
  // The first update still leaves the biomass clearly off; the filter then tracks it.
  EXPECT_GT(est.x_error_first, 0.05);
  EXPECT_LT(est.rmse_x_late, 0.4);
  // Acetate below its limit (0.8 g/L, tolerance 0.01 g/L) throughout.
  EXPECT_LE(est.max_acetate, 0.81);
  // More biomass than the conservative fixed feed, and about what the true-state NMPC makes.
  EXPECT_GT(est.biomass_g, 1.2 * fixed.biomass_g);
  EXPECT_GT(est.biomass_g, 0.9 * plant.biomass_g);
  // DOT: the estimate's error adds to the model mismatch; allowed: never below 15 %, at most a
  // third of the samples below 29.5 %.
  EXPECT_GE(est.min_dot, 15.0);
  EXPECT_LE(est.dot_violations, est.samples / 3);
  EXPECT_EQ(est.fallbacks, 0);
}

}  // namespace
}  // namespace biotwin
