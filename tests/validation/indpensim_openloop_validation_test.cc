// models/indpensim.yaml against the original IndPenSim V2.01 simulator
// (../shared/reference/indpensim, Octave lsode runs): the model is driven open-loop with the
// reference's recorded manipulated variables and disturbances, one 0.2 h control interval at a
// time, with the plant's sample rules (clamps, integral reset, growth-damage rule) applied by
// sim::ApplySampleRules after every interval, exactly as indpensim.m does.
//
// (a) one interval ahead from the reference state at every sample: the equations themselves;
// (b) the whole batch open loop: P, X, S, DO2, V, pH and T within 1 % (nominal) / 3 % (seed 2,
//     batch-random parameters and in-batch disturbances) of each signal's peak, RMS over the batch.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "model/model.h"
#include "sim/sample_rules.h"
#include "test_paths.h"
#include "validation/indpensim_openloop_replay.h"

namespace biotwin {
namespace {

using indpensim_test::Batch;

// Relative tolerance of every interval (each state's absolute tolerance is in the model file).
const double kRtol = std::getenv("BIOTWIN_INDPENSIM_RTOL") ? std::atof(std::getenv("BIOTWIN_INDPENSIM_RTOL")) : 1e-8;

std::shared_ptr<const model::Model> LoadIndPenSim() {
  return model::LoadModelFile(testing::SourcePath("models/indpensim.yaml"));
}

double Peak(const model::Model& m, const Batch& b, int state) {
  double peak = 0.0;
  for (int row = 1; row <= b.steps(); ++row) {
    peak = std::max(peak, std::fabs(indpensim_test::ReferenceState(m, b, state, row)));
  }
  return peak;
}

// (a) Starts every interval from the reference state and compares the state reached (after the
// sample rules) with the next reference row; returns the worst error per state / its peak.
std::vector<double> OneIntervalAheadErrors(const std::shared_ptr<const model::Model>& m,
                                           const Batch& b, bool shifted_mvs = false,
                                           int max_steps = 1 << 30,
                                           std::vector<int>* worst_sample = nullptr) {
  const int n = m->num_states();
  const int mu_x = m->info().StateIndex("mu_X_calc"), mu_p = m->info().StateIndex("mu_P_calc");
  std::vector<double> worst(n, 0.0), peak(n);
  if (worst_sample != nullptr) worst_sample->assign(n, 0);
  for (int i = 0; i < n; ++i) peak[i] = indpensim_test::HasReferenceColumn(*m, i) ? Peak(*m, b, i) : 1.0;
  std::vector<double> p = indpensim_test::BatchParameters(*m, b);
  const int steps = std::min(b.steps(), max_steps);
  for (int k = 1; k <= steps; ++k) {
    std::vector<double> x = indpensim_test::StateAt(*m, b, k - 1);
    std::vector<double> u = indpensim_test::IntervalInputs(*m, b, shifted_mvs && k > 1 ? k - 1 : k);
    std::string msg;
    const double t0 = b.data.Column("time_h")[k - 1], t1 = b.data.Column("time_h")[k];
    EXPECT_TRUE(indpensim_test::Integrate(m, t0, t1, x, p, u, kRtol, &msg)) << "interval " << k << ": " << msg;
    const double integral_x = x[mu_x], integral_p = x[mu_p];
    sim::SampleRuleHistory fresh;  // one sample: clamps only (the damage rule needs 65)
    sim::ApplySampleRules(*m, k, t1, x, p, fresh);
    x[mu_x] = integral_x;
    x[mu_p] = integral_p;
    for (int i = 0; i < n; ++i) {
      if (!indpensim_test::HasReferenceColumn(*m, i)) continue;
      const double ref = indpensim_test::ReferenceState(*m, b, i, k);
      const double e = std::fabs(x[i] - ref) / peak[i];
      if (e > worst[i]) {
        worst[i] = e;
        if (worst_sample != nullptr) (*worst_sample)[i] = k;
      }
    }
  }
  return worst;
}

struct OpenLoopRun {
  std::vector<std::vector<double>> x;  // [row][state], row 0 = initial
  double wall_ms = 0.0;
  sim::SolverStats stats;
  int damage_firings = 0;
};

// (b) The whole batch from the initial state, open loop.
OpenLoopRun RunOpenLoop(const std::shared_ptr<const model::Model>& m, const Batch& b) {
  OpenLoopRun run;
  std::vector<double> x = indpensim_test::StateAt(*m, b, 0);
  std::vector<double> p = indpensim_test::BatchParameters(*m, b);
  sim::SampleRuleHistory history;
  run.x.push_back(x);
  const auto start = std::chrono::steady_clock::now();
  for (int k = 1; k <= b.steps(); ++k) {
    const double t0 = b.data.Column("time_h")[k - 1], t1 = b.data.Column("time_h")[k];
    std::string msg;
    if (!indpensim_test::Integrate(m, t0, t1, x, p, indpensim_test::IntervalInputs(*m, b, k),
                                   kRtol, &msg, &run.stats)) {
      ADD_FAILURE() << "interval " << k << " (" << t0 << " h to " << t1 << " h): " << msg;
      break;
    }
    sim::ApplySampleRules(*m, k, t1, x, p, history);
    run.x.push_back(x);
  }
  run.wall_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  const auto& rules = m->info().sample_rules;
  for (size_t r = 0; r < rules.size(); ++r) {
    if (rules[r].name == "growth_damage") run.damage_firings = history.Count(static_cast<int>(r));
  }
  return run;
}

// A signal of the batch for comparison: a state or a derived quantity (X, pH).
double Signal(const model::Model& m, const std::vector<double>& x, const std::string& name) {
  const auto& info = m.info();
  if (name == "X") {
    return x[info.StateIndex("a0")] + x[info.StateIndex("a1")] + x[info.StateIndex("a3")] +
           x[info.StateIndex("a4")];
  }
  if (name == "pH") return -std::log10(x[info.StateIndex("H")]);
  return x[info.StateIndex(name)];
}

double ReferenceSignal(const model::Model& m, const Batch& b, const std::string& name, int row) {
  if (name == "X") return b.data.Column("X_g_per_L")[row];
  if (name == "pH") return b.data.Column("pH")[row];
  return indpensim_test::ReferenceState(m, b, m.info().StateIndex(name), row);
}

struct SignalError {
  double rms_of_peak, final_of_peak;
};

SignalError CompareSignal(const model::Model& m, const Batch& b, const OpenLoopRun& run,
                          const std::string& name) {
  double peak = 0.0, sum = 0.0;
  for (int row = 1; row <= b.steps(); ++row) {
    peak = std::max(peak, std::fabs(ReferenceSignal(m, b, name, row)));
  }
  for (int row = 1; row <= b.steps(); ++row) {
    const double e = Signal(m, run.x[row], name) - ReferenceSignal(m, b, name, row);
    sum += e * e;
  }
  const int last = b.steps();
  return {std::sqrt(sum / b.steps()) / peak,
          std::fabs(Signal(m, run.x[last], name) - ReferenceSignal(m, b, name, last)) / peak};
}

void CheckOpenLoop(const std::string& prefix, bool disturbances, double tolerance) {
  auto m = LoadIndPenSim();
  Batch b = indpensim_test::LoadBatch(prefix, disturbances);
  OpenLoopRun run = RunOpenLoop(m, b);
  ASSERT_EQ(static_cast<int>(run.x.size()), b.steps() + 1);
  std::printf("%s: open-loop replay of %d intervals at rtol %g in %.0f ms: %ld steps, %ld RHS and "
              "%ld Jacobian evaluations, %ld Newton iterations, %ld error-test failures; "
              "growth-damage rule fired %d times\n",
              prefix.c_str(), b.steps(), kRtol, run.wall_ms, run.stats.steps, run.stats.rhs_evals,
              run.stats.jac_evals, run.stats.newton_iters, run.stats.error_test_fails,
              run.damage_firings);
  std::printf("  %-12s %14s %14s\n", "signal", "RMS err/peak", "final err/peak");
  for (const char* s : {"P", "X", "S", "DO2", "V", "pH", "T", "O2_offgas", "CO2_offgas", "PAA", "NH3",
                        "Viscosity", "Wt", "Q", "a0", "a1", "a3", "a4", "n9", "CO2_d"}) {
    SignalError e = CompareSignal(*m, b, run, s);
    std::printf("  %-12s %13.3e %14.3e\n", s, e.rms_of_peak, e.final_of_peak);
  }
  for (const char* s : {"P", "X", "S", "DO2", "V", "pH", "T"}) {
    SignalError e = CompareSignal(*m, b, run, s);
    EXPECT_LT(e.rms_of_peak, tolerance) << prefix << ": " << s << " RMS error / peak";
    // The transcription reaches ~1e-5 of peak; a 1e-3 bound catches regressions the
    // benchmark's 1 %/3 % would let through.
    EXPECT_LT(e.rms_of_peak, 1e-3) << prefix << ": " << s << " RMS error / peak (regression bound)";
  }
  const int last = b.steps();
  const double p_ref = b.data.Column("P_g_per_L")[last];
  const double p_end = Signal(*m, run.x[last], "P");
  std::printf("  final P: %.4f g/L (reference %.4f g/L, %.3f %%)\n", p_end, p_ref,
              100.0 * (p_end - p_ref) / p_ref);
  EXPECT_NEAR(p_end, p_ref, tolerance * p_ref) << prefix << ": final penicillin";
  EXPECT_EQ(run.damage_firings, 0) << "the growth-damage rule does not fire in the reference runs";
}

void CheckOneIntervalAhead(const std::string& prefix, bool disturbances) {
  auto m = LoadIndPenSim();
  Batch b = indpensim_test::LoadBatch(prefix, disturbances);
  std::vector<int> at;
  std::vector<double> worst = OneIntervalAheadErrors(m, b, false, 1 << 30, &at);
  std::printf("%s: worst one-interval-ahead error / peak over %d samples\n", prefix.c_str(), b.steps());
  for (int i = 0; i < m->num_states(); ++i) {
    if (!indpensim_test::HasReferenceColumn(*m, i)) continue;
    std::printf("  %-12s %10.2e  (sample %d)\n", m->info().states[i].name.c_str(), worst[i], at[i]);
    EXPECT_LT(worst[i], 1e-3) << prefix << ": state " << m->info().states[i].name;
  }
}

TEST(IndPenSimOpenLoop, OneIntervalAheadNominal) { CheckOneIntervalAhead("indpensim_nominal_nodist_230h", false); }

TEST(IndPenSimOpenLoop, OneIntervalAheadSeed2WithDisturbances) {
  CheckOneIntervalAhead("indpensim_default_seed2", true);
}

// The stored MVs of row k drive the interval ending at t_k: shifting them by one row makes the
// one-interval-ahead prediction of volume and temperature clearly worse.
TEST(IndPenSimOpenLoop, RecordedInputsApplyToTheIntervalEndingAtTheirRow) {
  auto m = LoadIndPenSim();
  Batch b = indpensim_test::LoadBatch("indpensim_nominal_nodist_230h", false);
  std::vector<double> right = OneIntervalAheadErrors(m, b, false, 200);
  std::vector<double> shifted = OneIntervalAheadErrors(m, b, true, 200);
  for (const char* s : {"V", "T", "H"}) {
    const int i = m->info().StateIndex(s);
    std::printf("%s: worst error/peak %.2e (row k) vs %.2e (row k-1)\n", s, right[i], shifted[i]);
    EXPECT_LT(10 * right[i], shifted[i]) << s;
  }
}

TEST(IndPenSimOpenLoop, NominalBatchWithinOnePercentOfPeak) {
  CheckOpenLoop("indpensim_nominal_nodist_230h", false, 0.01);
}

TEST(IndPenSimOpenLoop, Seed2BatchWithDisturbancesWithinThreePercentOfPeak) {
  CheckOpenLoop("indpensim_default_seed2", true, 0.03);
}

}  // namespace
}  // namespace biotwin
