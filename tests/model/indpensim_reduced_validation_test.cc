// models/indpensim_reduced.yaml against the full IndPenSim model on batches the fit did not see
// (seeds 11-13 of the recipe's variation; the fit used seeds 1-3): the reduced model is run open
// loop from the plant's state at 30 h through the plant's applied feeds, discharges and feed
// disturbances (held per 0.2 h sample) to the end of the batch, and its penicillin is compared
// with the plant's. This is the prediction quality the NMPC of examples/indpensim/nmpc.yaml
// relies on, over a whole batch instead of its 12 h horizon. Two of the three batches are ones in
// which the recipe overfeeds and the sugar accumulates; there the reduced model overpredicts.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "control/control_config.h"
#include "model/model.h"
#include "sim/scenario.h"
#include "sim/simulator.h"
#include "sim/variation.h"
#include "test_paths.h"

namespace biotwin {
namespace {

struct Comparison {
  double plant_p_total = 0, reduced_p_total = 0, plant_titre = 0, reduced_titre = 0, plant_x = 0, reduced_x = 0;
  double max_plant_s = 0;
};

Comparison Compare(uint64_t seed) {
  auto plant = model::LoadModelFile(testing::SourcePath("models/indpensim.yaml"));
  auto reduced = model::LoadModelFile(testing::SourcePath("models/indpensim_reduced.yaml"));
  const auto& pi = plant->info();
  const auto& ri = reduced->info();
  sim::Scenario sc = sim::LoadScenarioFile(testing::SourcePath("examples/indpensim/recipe.yaml"), pi);
  const sim::Scenario nominal = sc;
  sim::ApplyDraw(sim::DrawBatch(sim::LoadVariationSpec(sc.text, sc.file, pi), pi, nominal, seed), &sc);
  const sim::SampledRunResult r = control::RunClosedLoop(plant, sc, control::LoadScenarioControl(sc, pi));
  EXPECT_TRUE(r.ok) << r.message;
  const size_t k0 = 150;  // t = 30 h
  EXPECT_NEAR(r.time[k0], 30.0, 1e-9);
  const size_t last = r.rows() - 1;
  auto plant_value = [&](const std::string& name, size_t k) {
    const int s = pi.StateIndex(name);
    return s >= 0 ? r.states[k * r.n_states + s] : r.outputs[k * r.n_outputs + pi.OutputIndex(name)];
  };
  sim::Scenario rs = sim::DefaultScenario(ri, r.time[last]);
  rs.t_begin = r.time[k0];
  rs.output_times = {r.time[last]};
  rs.rtol = 1e-7;
  rs.atol = 1e-9;
  rs.max_steps = 500000;
  for (const auto& s : ri.states) rs.initial[ri.StateIndex(s.name)] = plant_value(s.name, k0);
  for (const auto& in : ri.inputs) {
    const int j = pi.InputIndex(in.name);
    EXPECT_GE(j, 0) << in.name;
    EXPECT_EQ(pi.inputs[j].unit.text, in.unit.text) << in.name;
    std::vector<double> times, values;
    for (size_t k = k0; k < last; ++k) {
      times.push_back(r.time[k]);
      values.push_back(r.inputs[k * r.n_inputs + j]);
    }
    rs.inputs[ri.InputIndex(in.name)] = sim::InputProfile::PiecewiseConstant(times, values);
  }
  const sim::SimResult p = sim::Simulator(reduced, rs).Run();
  EXPECT_TRUE(p.ok) << p.message;
  Comparison c;
  c.plant_p_total = plant_value("P_total", last);
  c.plant_titre = plant_value("P", last);
  c.plant_x = plant_value("X", last);
  for (size_t k = k0; k <= last; ++k) c.max_plant_s = std::max(c.max_plant_s, plant_value("S", k));
  c.reduced_p_total = p.outputs.back()[ri.OutputIndex("P_total")];
  c.reduced_titre = p.states.back()[ri.StateIndex("P")];
  c.reduced_x = p.states.back()[ri.StateIndex("X")];
  return c;
}

TEST(IndPenSimReducedValidation, PredictsANormalBatchAndOverpredictsWhenTheSugarAccumulates) {
  for (uint64_t seed : {11, 12, 13}) {
    const Comparison c = Compare(seed);
    std::printf("seed %llu: P_total plant %.1f kg, reduced %.1f kg (%+.1f %%); titre %.2f vs %.2f g/L; X %.2f vs %.2f g/L; "
                "plant S max after 30 h %.4f g/L\n",
                static_cast<unsigned long long>(seed), c.plant_p_total, c.reduced_p_total,
                100.0 * (c.reduced_p_total / c.plant_p_total - 1.0), c.plant_titre, c.reduced_titre, c.plant_x,
                c.reduced_x, c.max_plant_s);
    if (c.max_plant_s < 2.0) {
      // A normal batch (seed 13: +1.9 % in P_total, titre 30.47 vs 30.15 g/L, X 24.13 vs 23.25 g/L).
      EXPECT_NEAR(c.reduced_p_total / c.plant_p_total, 1.0, 0.05) << "seed " << seed;
      EXPECT_NEAR(c.reduced_titre / c.plant_titre, 1.0, 0.05) << "seed " << seed;
      EXPECT_NEAR(c.reduced_x / c.plant_x, 1.0, 0.10) << "seed " << seed;
    } else {
      // The sugar accumulates in the plant (seeds 11, 12: tens of g/L) because its ageing culture
      // cannot take it up; the reduced model does not know this and keeps growing and producing
      // (+17.7 % and +83.5 %). This is the limit docs/indpensim.md states and the reason for the
      // NMPC's feed limit and sugar constraint; if it no longer holds, the model has improved:
      // update the docs.
      EXPECT_GT(c.reduced_p_total, 1.1 * c.plant_p_total) << "seed " << seed;
    }
  }
}

}  // namespace
}  // namespace biotwin
