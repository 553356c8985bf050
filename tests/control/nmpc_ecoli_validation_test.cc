// Demonstration (issue 6, item 4a): economic NMPC of the E. coli fed-batch of Anane et al. 2017
// (models/ecoli_anane2017.yaml: X, S, A, DOT, DOTm, V) with plant-model mismatch. The plant's
// qSmax and pAmax are 20 % above the values of the NMPC's model (more glucose uptake and more
// overflow to acetate than the controller expects). The NMPC maximises the biomass X*V at the end
// of a 2 h horizon (8 intervals of 0.25 h), with acetate A <= 0.8 g/L (below the acetate level
// that inhibits glucose uptake, Kia = 1.24 g/L), DOT >= 30 %, glucose S <= 1 g/L (glucose-limited
// feeding) and V <= 5 L, feed F in [0, 0.05] L/h. It starts at the end of a batch phase
// (X = 1 g/L, S = 1 g/L) and runs 12 h. The reference is a fixed conservative feed of 0.006 L/h.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdio>

#include "control/control_config.h"
#include "model/model.h"
#include "sim/scenario.h"
#include "test_paths.h"

namespace biotwin {
namespace {

constexpr const char* kPlant = R"yaml(
biotwin_scenario: 1
name: ecoli_nmpc_demo
until: 12 h
initial: {X: 1 g/L, S: 1 g/L, A: 0.05 g/L}
parameters:            # the plant: +20 % on two kinetic parameters of the NMPC's model
  qSmax: 0.76272 g/g/h # model 0.6356
  pAmax: 0.27216 g/g/h # model 0.2268
)yaml";

constexpr const char* kNmpc = R"yaml(
control:
  sample_time: 0.25 h
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
    max_solve_time: 600 s  # generous: the outcome must not depend on the machine (see nmpc_controller_test for the budget)
    max_iterations: 200
    fallback:
      F: 0.006 L/h
)yaml";

constexpr const char* kFixed = R"yaml(
control:
  sample_time: 0.25 h
  schedules:
    F: 0.006 L/h
)yaml";

struct Outcome {
  double biomass_g = 0, max_acetate = 0, min_dot = 1e9, max_glucose = 0;
  int samples = 0, dot_violations = 0, acetate_violations = 0, fallbacks = 0;
  double seconds = 0;
};

Outcome RunCase(const std::string& control) {
  auto m = model::LoadModelFile(testing::SourcePath("models/ecoli_anane2017.yaml"));
  const auto& info = m->info();
  sim::Scenario sc = sim::LoadScenarioText(std::string(kPlant) + control,
                                           testing::SourcePath("models/nmpc_demo.yaml"), info);
  control::ControlSetup setup = control::LoadScenarioControl(sc, info);
  std::vector<control::ControlColumn> cols;
  const auto start = std::chrono::steady_clock::now();
  sim::SampledRunResult r = control::RunClosedLoop(m, sc, setup, {}, &cols);
  Outcome o;
  o.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
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
  for (const auto& c : cols) {
    if (c.name != "mpc:source") continue;
    for (double v : c.values) o.fallbacks += v > 0.5;
  }
  for (size_t i = 0; i < r.warnings.size() && i < 3; ++i) std::printf("  warning: %s\n", r.warnings[i].c_str());
  return o;
}

TEST(NmpcEcoliValidation, KeepsAcetateAndDoWithinLimitsAndBeatsAConservativeFeed) {
  const Outcome nmpc = RunCase(kNmpc), fixed = RunCase(kFixed);
  std::printf("E. coli fed-batch, 12 h, plant qSmax and pAmax +20 %% vs the NMPC's model:\n");
  for (const auto& [name, o] : {std::pair<const char*, const Outcome&>{"NMPC (economic, 2 h horizon)", nmpc},
                                {"fixed feed 0.006 L/h", fixed}}) {
    std::printf("  %-30s biomass %.2f g, max acetate %.3f g/L, min DOT %.1f %%, max glucose %.3f g/L, "
                "samples with DOT < 29.5 %%: %d of %d, with A > 0.81 g/L: %d, fallbacks %d, run %.1f s\n",
                name, o.biomass_g, o.max_acetate, o.min_dot, o.max_glucose, o.dot_violations, o.samples,
                o.acetate_violations, o.fallbacks, o.seconds);
  }
  // Acetate below its limit (0.8 g/L, tolerance 0.01 g/L) throughout.
  EXPECT_LE(nmpc.max_acetate, 0.81);
  // DOT: the model mismatch lets DOT dip below 30 % while the controller learns the plant's
  // faster uptake from the measured state; allowed: never below 22 %, and at most 10 % of the
  // samples below 29.5 %.
  EXPECT_GE(nmpc.min_dot, 22.0);
  EXPECT_LE(nmpc.dot_violations, nmpc.samples / 10);
  EXPECT_LE(nmpc.max_glucose, 1.0 + 1e-3);
  // More biomass than the conservative fixed feed.
  EXPECT_GT(nmpc.biomass_g, 1.2 * fixed.biomass_g);
}

}  // namespace
}  // namespace biotwin
