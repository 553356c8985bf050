// The fast path of a closed-loop IndPenSim batch against the original simulator
// (../shared/reference/indpensim/indpensim_nominal_nodist_230h.csv, IndPenSim V2.01 under Octave
// lsode, rtol 1e-5): models/indpensim.yaml under examples/indpensim/recipe.yaml (SBC recipe, pH
// and temperature PID loops) through control::RunClosedLoop, 1150 intervals of 0.2 h, which applies
// the model's sample rules after every interval.
// P, X, S, DO2, V, pH and T must lie within 1 % of each signal's peak (RMS over the batch) and the
// final titre within 1 %. The batch runs with the scenario's solver settings, i.e. exactly what
// bench/indpensim_bench.cc times.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "control/control.h"
#include "model/model.h"
#include "sim/sample_rules.h"
#include "sim/scenario.h"
#include "test_paths.h"
#include "validation/indpensim_openloop_replay.h"

namespace biotwin {
namespace {

namespace ipt = indpensim_test;

struct Signal {
  const char* label;
  const char* column;
  // State(s) summed for the signal (X is a0 + a1 + a3 + a4); pH from H.
  std::vector<const char*> states;
  bool ph = false;
};

const std::vector<Signal>& Signals() {
  static const std::vector<Signal> s = {
      {"P", "P_g_per_L", {"P"}},     {"X", "X_g_per_L", {"a0", "a1", "a3", "a4"}},
      {"S", "S_g_per_L", {"S"}},     {"DO2", "DO2_mg_per_L", {"DO2"}},
      {"V", "V_L", {"V"}},           {"pH", "pH", {"H"}, true},
      {"T", "T_K", {"T"}}};
  return s;
}

double SignalAt(const model::Model& m, const sim::SampledRunResult& r, const Signal& s, size_t row) {
  double v = 0.0;
  for (const char* name : s.states) v += r.states[row * r.n_states + m.info().StateIndex(name)];
  return s.ph ? -std::log10(v) : v;
}

sim::SampledRunResult RunNominalBatch(const std::shared_ptr<const model::Model>& m) {
  const sim::Scenario sc = sim::LoadScenarioFile(testing::SourcePath("examples/indpensim/recipe.yaml"), m->info());
  const control::ControlSetup setup = control::LoadScenarioControl(sc, m->info());
  // RunClosedLoop applies the model's sample rules after each interval (clamps, resets, damage).
  return control::RunClosedLoop(m, sc, setup);
}

TEST(IndPenSimClosedLoop, NominalX0FileEqualsTheModelDefaults) {
  auto m = model::LoadModelFile(testing::SourcePath("models/indpensim.yaml"));
  const ipt::Batch b = ipt::LoadBatch("indpensim_nominal_nodist_230h", false);
  const std::vector<double> x = ipt::StateAt(*m, b, 0), x_default = m->info().InitialState();
  for (int i = 0; i < m->num_states(); ++i) {
    // The file has 12 significant digits.
    EXPECT_NEAR(x[i], x_default[i], 1e-10 * std::max(1.0, std::fabs(x_default[i]))) << m->info().states[i].name;
  }
  const std::vector<double> p = ipt::BatchParameters(*m, b), p_default = m->info().ParameterValues();
  for (int k = 0; k < m->num_parameters(); ++k) EXPECT_EQ(p[k], p_default[k]) << m->info().parameters[k].name;
}

TEST(IndPenSimClosedLoop, NominalBatchFollowsTheReference) {
  auto m = model::LoadModelFile(testing::SourcePath("models/indpensim.yaml"));
  const ipt::Batch b = ipt::LoadBatch("indpensim_nominal_nodist_230h", false);
  const sim::SampledRunResult r = RunNominalBatch(m);
  ASSERT_TRUE(r.ok) << r.message;
  ASSERT_EQ(static_cast<int>(r.rows()), b.data.rows());
  std::printf("closed-loop batch: %.0f ms, %ld steps, %ld RHS, %ld Jacobian evaluations, %ld LU factorisations\n",
              1e3 * r.wall_seconds, r.stats.steps, r.stats.rhs_evals, r.stats.jac_evals, r.stats.lin_setups);
  for (const Signal& s : Signals()) {
    const auto& ref = b.data.Column(s.column);
    double peak = 0.0, sq = 0.0, worst = 0.0;
    size_t worst_row = 0;
    for (size_t row = 0; row < r.rows(); ++row) {
      ASSERT_NEAR(r.time[row], b.data.Column("time_h")[row], 1e-9);
      peak = std::max(peak, std::fabs(ref[row]));
      const double e = SignalAt(*m, r, s, row) - ref[row];
      sq += e * e;
      if (std::fabs(e) > worst) {
        worst = std::fabs(e);
        worst_row = row;
      }
    }
    const double rms = std::sqrt(sq / r.rows()) / peak;
    std::printf("  %-3s RMS error %.2e of its peak %.6g; worst %.2e of peak at t = %.1f h\n", s.label, rms, peak,
                worst / peak, r.time[worst_row]);
    EXPECT_LT(rms, 0.01) << s.label;
  }
  const double p_end = SignalAt(*m, r, Signals()[0], r.rows() - 1), p_ref = b.data.Column("P_g_per_L").back();
  std::printf("  final titre %.4f g/L (reference %.4f g/L)\n", p_end, p_ref);
  EXPECT_NEAR(p_end, p_ref, 0.01 * p_ref);
}

}  // namespace
}  // namespace biotwin
