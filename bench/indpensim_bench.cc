// IndPenSim benchmark (issue 3, item 7; driven by bench/run): one 230 h nominal closed-loop batch
// of models/indpensim.yaml under examples/indpensim/recipe.yaml (SBC recipe, pH and temperature
// loops, 1150 control intervals of 0.2 h) through control::RunClosedLoop, which applies the
// model's sample rules after every interval. The initial state and
// parameters are the model's defaults, which equal the reference's nominal x0 file
// (tests/validation/indpensim_closedloop_validation_test checks that).
//
// BM_IndPenSimBatch: time per batch and solver counters of the last batch, with the model's
// built-in compiled code (src/model/compiled_tapes.h); BM_IndPenSimBatchInterpreted: the same
// batch through the tape interpreter (same numbers, same steps). BM_IndPenSimEnsemble: batches
// per second with one thread per core, all sharing the one immutable model, each batch drawn
// from the recipe's `variation:` block (batch-to-batch spread, in-batch disturbances, batch
// length) as `biotwin ensemble` draws it.
#include <benchmark/benchmark.h>

#include <cstdio>
#include <exception>
#include <memory>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "control/control.h"
#include "model/compiled_tapes.h"
#include "model/model.h"
#include "sim/ensemble.h"
#include "sim/sample_rules.h"
#include "sim/scenario.h"
#include "sim/variation.h"

namespace {

namespace sim = biotwin::sim;

struct Case {
  std::shared_ptr<const biotwin::model::Model> model;
  sim::Scenario scenario;
  biotwin::control::ControlSetup setup;
  sim::VariationSpec variation;
};

Case Load(bool compiled) {
  Case k;
  biotwin::model::SetCompiledTapesEnabled(compiled);
  k.model = biotwin::model::LoadModelFile(std::string(BIOTWIN_SOURCE_DIR) + "/models/indpensim.yaml");
  biotwin::model::SetCompiledTapesEnabled(true);
  k.scenario = sim::LoadScenarioFile(std::string(BIOTWIN_SOURCE_DIR) + "/examples/indpensim/recipe.yaml",
                                     k.model->info());
  k.setup = biotwin::control::LoadScenarioControl(k.scenario, k.model->info());
  k.variation = sim::LoadVariationSpec(k.scenario.text, k.scenario.file, k.model->info());
  return k;
}

const Case& Nominal() {
  static const Case c = Load(true);
  return c;
}

const Case& NominalInterpreted() {
  static const Case c = Load(false);
  return c;
}

// One batch: the closed loop; RunClosedLoop applies the model's sample rules after each interval.
sim::SampledRunResult RunBatch(const Case& c) {
  return biotwin::control::RunClosedLoop(c.model, c.scenario, c.setup);
}

double FinalState(const Case& c, const sim::SampledRunResult& r, const char* name) {
  return r.states[(r.rows() - 1) * r.n_states + c.model->info().StateIndex(name)];
}

void RunBatches(benchmark::State& state, const Case& c) {
  sim::SampledRunResult last;
  for (auto _ : state) {
    sim::SampledRunResult r = RunBatch(c);
    benchmark::DoNotOptimize(r.states.data());
    if (!r.ok) {
      state.SkipWithError(("batch failed: " + r.message).c_str());
      break;
    }
    last = std::move(r);
  }
  if (!last.ok) return;
  state.counters["intervals"] = static_cast<double>(last.intervals);
  state.counters["steps"] = static_cast<double>(last.stats.steps);
  state.counters["rhs_evals"] = static_cast<double>(last.stats.rhs_evals);
  state.counters["jac_evals"] = static_cast<double>(last.stats.jac_evals);
  state.counters["lu_factorisations"] = static_cast<double>(last.stats.lin_setups);
  state.counters["reinits"] = static_cast<double>(last.stats.reinits);
  state.counters["P_end_g_per_L"] = FinalState(c, last, "P");
  state.SetLabel("integrator " + last.stats.method);
}

void BM_IndPenSimBatch(benchmark::State& state) { RunBatches(state, Nominal()); }
BENCHMARK(BM_IndPenSimBatch)->Unit(benchmark::kMillisecond)->MinTime(0.5)->Repetitions(5)->ReportAggregatesOnly(true);

void BM_IndPenSimBatchInterpreted(benchmark::State& state) { RunBatches(state, NominalInterpreted()); }
BENCHMARK(BM_IndPenSimBatchInterpreted)->Unit(benchmark::kMillisecond)->MinTime(0.5)->Repetitions(3)->ReportAggregatesOnly(true);

// Batches per second on all cores: `per_thread` drawn batches per hardware thread through
// sim::RunEnsemble, as `biotwin ensemble --seed 1` runs them (seeds 1, 2, ...; the ensemble's
// allocator settings included); items_per_second is the throughput (wall clock). bench/run takes
// the median of 7 repetitions of ~0.2 s each, so a second of a noisy host does not decide it.
void BM_IndPenSimEnsemble(benchmark::State& state) {
  const Case& c = Nominal();
  const int threads = std::max(1u, std::thread::hardware_concurrency());
  const int per_thread = static_cast<int>(state.range(0));
  long failed = 0;
  for (auto _ : state) {
    sim::EnsembleOptions options;
    options.batches = threads * per_thread;
    options.threads = threads;
    options.seed = 1;
    const sim::EnsembleSummary summary = sim::RunEnsemble(options, [&](int, uint64_t seed) {
      sim::Scenario sc = c.scenario;
      sim::ApplyDraw(sim::DrawBatch(c.variation, c.model->info(), c.scenario, seed), &sc);
      sim::BatchOutcome out;
      out.ok = biotwin::control::RunClosedLoop(c.model, sc, c.setup).ok;
      return out;
    });
    failed += summary.failed;
  }
  if (failed > 0) state.SkipWithError((std::to_string(failed) + " batches failed").c_str());
  state.SetItemsProcessed(state.iterations() * threads * per_thread);
  state.counters["threads"] = threads;
}
BENCHMARK(BM_IndPenSimEnsemble)->Arg(24)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(1)->Repetitions(7);

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  try {
    Nominal();
    NominalInterpreted();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "indpensim_bench: %s\n", e.what());
    return 1;
  }
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
