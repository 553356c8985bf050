// Core-engine benchmark (`make bench`, driven by bench/run): the E. coli model
// (models/ecoli_anane2017.yaml) through a 40 h fed-batch (bench/ecoli_fedbatch.yaml).
//
// The model and scenario are loaded once, outside the timed loop; each iteration constructs a
// Simulator and runs the whole scenario, which is what a user pays per run. bench/run asks for
// repetitions and reads the median (and the solver statistics in the counters); the final state
// of one run goes into the JSON context so bench/run can compare it with the SciPy peer.
#include <benchmark/benchmark.h>

#include <cstdio>
#include <exception>
#include <memory>
#include <string>

#include "model/model.h"
#include "sim/scenario.h"
#include "sim/simulator.h"

namespace {

using biotwin::model::LoadModelFile;
using biotwin::model::Model;
using biotwin::sim::LoadScenarioFile;
using biotwin::sim::Scenario;
using biotwin::sim::SimResult;
using biotwin::sim::Simulator;

struct Case {
  std::shared_ptr<const Model> model;
  Scenario scenario;
};

const Case& EcoliFedBatch() {
  static const Case c = [] {
    Case k;
    k.model = LoadModelFile(std::string(BIOTWIN_SOURCE_DIR) + "/models/ecoli_anane2017.yaml");
    k.scenario = LoadScenarioFile(std::string(BIOTWIN_SOURCE_DIR) + "/bench/ecoli_fedbatch.yaml",
                                  k.model->info());
    return k;
  }();
  return c;
}

std::string Num(double v) {
  char buf[40];
  std::snprintf(buf, sizeof(buf), "%.17g", v);
  return buf;
}

void SetStatsCounters(benchmark::State& state, const SimResult& r) {
  state.counters["steps"] = static_cast<double>(r.stats.steps);
  state.counters["rhs_evals"] = static_cast<double>(r.stats.rhs_evals);
  state.counters["jac_evals"] = static_cast<double>(r.stats.jac_evals);
  state.counters["newton_iters"] = static_cast<double>(r.stats.newton_iters);
  state.counters["err_test_fails"] = static_cast<double>(r.stats.error_test_fails);
  state.counters["root_evals"] = static_cast<double>(r.stats.root_evals);
  state.counters["reinits"] = static_cast<double>(r.stats.reinits);
  state.counters["outputs"] = static_cast<double>(r.time.size());
}

// Full run: construct + Run() (outputs recorded at every hour, as `biotwin simulate` does).
void BM_EcoliFedBatch40h(benchmark::State& state) {
  const Case& c = EcoliFedBatch();
  SimResult last;
  for (auto _ : state) {
    Simulator sim(c.model, c.scenario);
    SimResult r = sim.Run();
    benchmark::DoNotOptimize(r.states.data());
    if (!r.ok) {
      state.SkipWithError(("simulation failed: " + r.message).c_str());
      break;
    }
    last = std::move(r);
  }
  if (last.ok) SetStatsCounters(state, last);
}
BENCHMARK(BM_EcoliFedBatch40h)
    ->Unit(benchmark::kMillisecond)
    ->MinTime(0.2)
    ->Repetitions(15)
    ->ReportAggregatesOnly(true);

// Publishes one run's final state, its names and the model/scenario files in the JSON context.
bool AddFinalStateContext() {
  const Case& c = EcoliFedBatch();
  SimResult r = Simulator(c.model, c.scenario).Run();
  if (!r.ok) {
    std::fprintf(stderr, "sim_bench: the E. coli fed-batch run failed: %s\n", r.message.c_str());
    return false;
  }
  std::string names, values;
  const auto& states = c.model->info().states;
  for (size_t i = 0; i < states.size(); ++i) {
    if (i > 0) {
      names += ',';
      values += ',';
    }
    names += states[i].name;
    values += Num(r.states.back()[i]);
  }
  benchmark::AddCustomContext("ecoli_fedbatch.state_names", names);
  benchmark::AddCustomContext("ecoli_fedbatch.final_state", values);
  benchmark::AddCustomContext("ecoli_fedbatch.final_time", Num(r.time.back()));
  benchmark::AddCustomContext("ecoli_fedbatch.model", "models/ecoli_anane2017.yaml");
  benchmark::AddCustomContext("ecoli_fedbatch.scenario", "bench/ecoli_fedbatch.yaml");
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  try {
    if (!AddFinalStateContext()) return 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "sim_bench: %s\n", e.what());
    return 1;
  }
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
