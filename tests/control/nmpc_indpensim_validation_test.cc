// Demonstration (issue 6, item 4b): economic NMPC of IndPenSim's sugar feed versus the fixed
// recipe, on the same batches. Plant: the full IndPenSim model (models/indpensim.yaml) under
// examples/indpensim/recipe.yaml (recipe arm) and examples/indpensim/nmpc.yaml (the same recipe
// with an NMPC on Fs from 30 h, internal model: the reduced model models/indpensim_reduced.yaml
// fitted to recipe batches of seeds 1-3). Both arms of a seed get the same draw of the recipe's
// `variation:` block (batch-to-batch spread and in-batch disturbances, as `biotwin ensemble`
// draws it); the test seeds are not the fit's. Reported per seed and as the mean: penicillin
// produced (P_total = P V + harvested, kg), final titre, and constraint violations: samples with
// DO2 below IndPenSim's critical level for production (0.3 DO*), with the sugar above the top of
// IndPenSim's production window (S > 4 mg/L) after 30 h, with the broth above 95 m3, and NMPC fallbacks.
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "control/control_config.h"
#include "model/model.h"
#include "sim/scenario.h"
#include "sim/variation.h"
#include "test_paths.h"

namespace biotwin {
namespace {

struct Outcome {
  double p_total_kg = 0, titre = 0, seconds = 0;
  int samples = 0, low_do = 0, high_sugar = 0, high_volume = 0, nmpc_steps = 0, fallbacks = 0;
  int violations() const { return low_do + high_sugar + high_volume; }
};

Outcome RunBatch(std::shared_ptr<const model::Model> m, sim::Scenario sc, const sim::BatchDraw& draw) {
  const auto& info = m->info();
  sim::ApplyDraw(draw, &sc);
  control::ControlSetup setup = control::LoadScenarioControl(sc, info);
  std::vector<control::ControlColumn> cols;
  const auto start = std::chrono::steady_clock::now();
  sim::SampledRunResult r = control::RunClosedLoop(m, sc, setup, {}, &cols);
  Outcome o;
  o.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_TRUE(r.ok) << r.message;
  const int S = info.StateIndex("S"), DO2 = info.StateIndex("DO2"), P = info.StateIndex("P"), V = info.StateIndex("V");
  const int DOstar = info.OutputIndex("DOstar"), Ptot = info.OutputIndex("P_total");
  for (size_t k = 0; k < r.rows(); ++k) {
    const double* x = &r.states[k * r.n_states];
    const double* y = &r.outputs[k * r.n_outputs];
    ++o.samples;
    o.low_do += x[DO2] < 0.3 * y[DOstar];
    o.high_sugar += r.time[k] >= 30.0 && x[S] > 0.004;
    o.high_volume += x[V] > 95000.0;
    o.titre = x[P];
    o.p_total_kg = y[Ptot];
  }
  for (const auto& c : cols) {
    if (c.name != "mpc:source") continue;
    for (double v : c.values) {
      if (std::isnan(v)) continue;
      ++o.nmpc_steps;
      o.fallbacks += v > 0.5;
    }
  }
  return o;
}

TEST(NmpcIndPenSimValidation, SugarFeedNmpcVersusTheRecipeOnTheSameBatches) {
  auto m = model::LoadModelFile(testing::SourcePath("models/indpensim.yaml"));
  const auto& info = m->info();
  const sim::Scenario recipe = sim::LoadScenarioFile(testing::SourcePath("examples/indpensim/recipe.yaml"), info);
  const sim::Scenario nmpc = sim::LoadScenarioFile(testing::SourcePath("examples/indpensim/nmpc.yaml"), info);
  const sim::VariationSpec variation = sim::LoadVariationSpec(recipe.text, recipe.file, info);
  const std::vector<uint64_t> seeds = {11, 12, 13};
  Outcome sum_r, sum_n;
  std::vector<double> per_seed_r, per_seed_n;
  std::printf("IndPenSim, recipe vs NMPC of the sugar feed (from 30 h), same draw per seed:\n");
  for (uint64_t seed : seeds) {
    const sim::BatchDraw draw = sim::DrawBatch(variation, info, recipe, seed);
    const Outcome r = RunBatch(m, recipe, draw), n = RunBatch(m, nmpc, draw);
    per_seed_r.push_back(r.p_total_kg);
    per_seed_n.push_back(n.p_total_kg);
    for (const auto& [name, o] : {std::pair<const char*, const Outcome&>{"recipe", r}, {"NMPC", n}}) {
      std::printf("  seed %2llu %-6s: %.0f h, P_total %.1f kg, titre %.2f g/L, samples with DO2 < 0.3 DO*: %d, "
                  "S > 4 mg/L: %d, V > 95 m3: %d (of %d); NMPC steps %d, fallbacks %d; run %.1f s\n",
                  static_cast<unsigned long long>(seed), name, draw.t_end, o.p_total_kg, o.titre, o.low_do,
                  o.high_sugar, o.high_volume, o.samples, o.nmpc_steps, o.fallbacks, o.seconds);
    }
    for (auto [sum, o] : {std::pair<Outcome*, const Outcome*>{&sum_r, &r}, {&sum_n, &n}}) {
      sum->p_total_kg += o->p_total_kg / seeds.size();
      sum->titre += o->titre / seeds.size();
      sum->low_do += o->low_do;
      sum->high_sugar += o->high_sugar;
      sum->high_volume += o->high_volume;
      sum->fallbacks += o->fallbacks;
      sum->nmpc_steps += o->nmpc_steps;
    }
  }
  const double gain = sum_n.p_total_kg / sum_r.p_total_kg - 1.0;
  std::printf("  mean recipe: P_total %.1f kg, titre %.2f g/L; violations (samples, all seeds) %d\n", sum_r.p_total_kg,
              sum_r.titre, sum_r.violations());
  std::printf("  mean NMPC  : P_total %.1f kg, titre %.2f g/L; violations (samples, all seeds) %d; fallbacks %d of %d "
              "steps\n", sum_n.p_total_kg, sum_n.titre, sum_n.violations(), sum_n.fallbacks, sum_n.nmpc_steps);
  std::printf("  NMPC gain in penicillin produced: %+.1f %%\n", 100.0 * gain);
  // Measured when this test was written (docs/indpensim.md): NMPC 3908.8 / 3914.8 / 3973.7 kg vs
  // the recipe's 2569.9 / 1888.7 / 3364.7 kg (mean +50.8 %; seeds 11 and 12 are batches in which
  // the fixed recipe overfeeds a slow culture and the sugar accumulates, seed 13 a normal one,
  // +18.1 %); 19 violating samples vs 626; 41 fallbacks in 302 NMPC steps. The bounds leave a
  // margin for platform differences in the NLP iterates.
  EXPECT_GE(gain, 0.25);
  for (size_t i = 0; i < seeds.size(); ++i) {
    EXPECT_GE(per_seed_n[i], 1.08 * per_seed_r[i]) << "seed " << seeds[i];
  }
  EXPECT_LE(sum_n.violations(), sum_r.violations());
  EXPECT_LE(sum_n.violations(), 60);
  EXPECT_LE(sum_n.low_do, 10);
  EXPECT_EQ(sum_n.high_volume, 0);
  EXPECT_LE(sum_n.fallbacks, sum_n.nmpc_steps / 4);
}

}  // namespace
}  // namespace biotwin
