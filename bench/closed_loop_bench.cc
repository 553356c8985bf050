// Closed-loop benchmark (`make bench`, driven by bench/run): the E. coli model under a DO-stat
// (bench/ecoli_do_stat.yaml): 800 control intervals of 0.05 h, each one controller step and one
// CVODES interval through the Simulator's stepping API. Reported per interval (the unit the
// closed-loop target is stated in); the final state goes into the JSON context so bench/run can
// compare it with the SciPy peer running the same sampled loop.
#include <benchmark/benchmark.h>

#include <cstdio>
#include <exception>
#include <memory>
#include <string>

#include "control/control.h"
#include "model/model.h"
#include "sim/scenario.h"

namespace {

using biotwin::control::ControlSetup;

struct Case {
  std::shared_ptr<const biotwin::model::Model> model;
  biotwin::sim::Scenario scenario;
  ControlSetup setup;
};

const Case& DoStat() {
  static const Case c = [] {
    Case k;
    k.model = biotwin::model::LoadModelFile(std::string(BIOTWIN_SOURCE_DIR) + "/models/ecoli_anane2017.yaml");
    k.scenario = biotwin::sim::LoadScenarioFile(std::string(BIOTWIN_SOURCE_DIR) + "/bench/ecoli_do_stat.yaml",
                                                k.model->info());
    k.setup = biotwin::control::LoadScenarioControl(k.scenario, k.model->info());
    return k;
  }();
  return c;
}

void BM_EcoliDoStat40h(benchmark::State& state) {
  const Case& c = DoStat();
  biotwin::sim::SampledRunResult last;
  for (auto _ : state) {
    biotwin::sim::SampledRunResult r = biotwin::control::RunClosedLoop(c.model, c.scenario, c.setup);
    benchmark::DoNotOptimize(r.states.data());
    if (!r.ok) {
      state.SkipWithError(("closed loop failed: " + r.message).c_str());
      break;
    }
    last = std::move(r);
  }
  if (!last.ok) return;
  state.counters["intervals"] = static_cast<double>(last.intervals);
  state.counters["steps"] = static_cast<double>(last.stats.steps);
  state.counters["rhs_evals"] = static_cast<double>(last.stats.rhs_evals);
  state.counters["jac_evals"] = static_cast<double>(last.stats.jac_evals);
  state.counters["reinits"] = static_cast<double>(last.stats.reinits);
}
BENCHMARK(BM_EcoliDoStat40h)->Unit(benchmark::kMillisecond)->MinTime(0.5)->Repetitions(9)->ReportAggregatesOnly(true);

// One run outside the timing: its final state goes into the JSON context (before the benchmarks
// run, as the context is written first).
bool AddFinalStateContext() {
  const Case& c = DoStat();
  biotwin::sim::SampledRunResult r = biotwin::control::RunClosedLoop(c.model, c.scenario, c.setup);
  if (!r.ok) {
    std::fprintf(stderr, "closed_loop_bench: the DO-stat run failed: %s\n", r.message.c_str());
    return false;
  }
  std::string names, values;
  const size_t row = r.rows() - 1;
  for (int i = 0; i < r.n_states; ++i) {
    char buf[40];
    std::snprintf(buf, sizeof(buf), "%.17g", r.states[row * r.n_states + i]);
    names += (i ? "," : "") + c.model->info().states[i].name;
    values += std::string(i ? "," : "") + buf;
  }
  benchmark::AddCustomContext("do_stat.state_names", names);
  benchmark::AddCustomContext("do_stat.final_state", values);
  benchmark::AddCustomContext("do_stat.intervals", std::to_string(r.intervals));
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  try {
    if (!AddFinalStateContext()) return 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "closed_loop_bench: %s\n", e.what());
    return 1;
  }
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
