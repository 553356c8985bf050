// Parameter-estimation benchmark (`make bench`, driven by bench/run): fit 6 parameters of the
// E. coli model (models/ecoli_anane2017.yaml) to 10 simulated fed-batches of the scenario
// examples/ecoli_fedbatch/scenario.yaml (exponential feed, 10 mL samples every 4 h), each with
// its own initial biomass and glucose and its own feed concentration Si, with measurement noise
// from a fixed seed. Measured: X, S, A every 2 h and the probe DOT every hour.
//
// The data (CSV, units in headers) and a description of every batch (batches.json) are written
// to $FIT_BENCH_DATA_DIR (default: ./fit_bench_data) before timing, so that the SciPy peer
// (bench/peers/scipy_fit.py) fits exactly the same problem from the same start. Each timed
// iteration is one full estimate::Fit (one start, no profiles): Ceres with CVODES sensitivities.
#include <benchmark/benchmark.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <stdexcept>
#include <random>
#include <string>
#include <vector>

#include "estimate/estimate.h"
#include "model/model.h"
#include "sim/scenario.h"
#include "sim/simulator.h"

namespace {

namespace est = biotwin::estimate;
using biotwin::model::kNaN;

constexpr int kBatches = 10;
const std::vector<std::string> kFree = {"qSmax", "Ks", "pAmax", "Yem", "qAmax", "Yos"};
// Start = true value times these factors (the same start for the peer).
const std::vector<double> kStartFactor = {1.3, 0.6, 1.25, 0.85, 1.3, 1.15};
struct Noise {
  std::string name;
  double abs, rel, every;  // sigma = sqrt(abs^2 + (rel*y)^2); sampling interval in h
};
const std::vector<Noise> kNoise = {{"X", 0.02, 0.03, 2}, {"S", 0.02, 0.03, 2}, {"A", 0.02, 0.03, 2},
                                   {"DOTm", 1.0, 0.0, 1}};

std::string Num(double v) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

std::string DataDir() {
  const char* d = std::getenv("FIT_BENCH_DATA_DIR");
  return d != nullptr && *d != '\0' ? d : "fit_bench_data";
}

struct Case {
  est::FitProblem problem;
  est::FitOptions options;
};

// Simulates the 10 batches at the model's (true) parameters, adds noise, writes the files and
// builds the fit problem from them.
Case MakeCase() {
  Case c;
  const std::string src = BIOTWIN_SOURCE_DIR;
  auto model = biotwin::model::LoadModelFile(src + "/models/ecoli_anane2017.yaml");
  const auto& info = model->info();
  const std::string scenario_path = src + "/examples/ecoli_fedbatch/scenario.yaml";
  const std::string dir = DataDir();
  std::filesystem::create_directories(dir);
  std::mt19937_64 rng(20240501);
  std::normal_distribution<double> normal(0.0, 1.0);
  c.problem.model = model;
  std::string batches = "{\n \"model\": \"models/ecoli_anane2017.yaml\",\n \"scenario\": \"examples/ecoli_fedbatch/scenario.yaml\",\n";
  batches += " \"estimate\": [";
  for (size_t k = 0; k < kFree.size(); ++k) batches += std::string(k ? ", " : "") + "\"" + kFree[k] + "\"";
  batches += "],\n \"true\": {";
  for (size_t k = 0; k < kFree.size(); ++k) {
    batches += std::string(k ? ", " : "") + "\"" + kFree[k] + "\": " + Num(info.parameters[info.ParameterIndex(kFree[k])].value);
  }
  batches += "},\n \"start\": {";
  std::map<std::string, double> starts;
  for (size_t k = 0; k < kFree.size(); ++k) {
    const double s = info.parameters[info.ParameterIndex(kFree[k])].value * kStartFactor[k];
    starts[kFree[k]] = s;
    batches += std::string(k ? ", " : "") + "\"" + kFree[k] + "\": " + Num(s);
  }
  batches += "},\n \"noise\": {";
  for (size_t s = 0; s < kNoise.size(); ++s) {
    batches += std::string(s ? ", " : "") + "\"" + kNoise[s].name + "\": [" + Num(kNoise[s].abs) + ", " + Num(kNoise[s].rel) + "]";
  }
  batches += "},\n \"batches\": [\n";
  for (int b = 0; b < kBatches; ++b) {
    const double x0 = 0.12 + 0.015 * b, s0 = 3.5 + 0.35 * b, si = 220 + 20 * b;
    biotwin::sim::Scenario sc = biotwin::sim::LoadScenarioFile(scenario_path, info);
    biotwin::sim::ApplySetting("X=" + Num(x0), info, &sc);
    biotwin::sim::ApplySetting("S=" + Num(s0), info, &sc);
    biotwin::sim::ApplySetting("Si=" + Num(si), info, &sc);
    sc.name = "batch" + std::to_string(b + 1);
    biotwin::sim::Scenario truth = sc;
    truth.output_times.clear();
    for (double t = 1; t <= 40 + 1e-9; t += 1) truth.output_times.push_back(t);
    auto res = biotwin::sim::Simulator(model, truth).Run();
    if (!res.ok) throw std::runtime_error("data generation failed: " + res.message);
    const std::string file = dir + "/batch" + std::to_string(b + 1) + ".csv";
    std::ofstream out(file);
    out << "t [h]";
    for (const auto& n : kNoise) out << "," << n.name << " [" << info.states[info.StateIndex(n.name)].unit.text << "]";
    out << "\n";
    for (size_t i = 0; i < res.time.size(); ++i) {
      out << Num(res.time[i]);
      for (const auto& n : kNoise) {
        const double y = res.states[i][info.StateIndex(n.name)];
        const bool sampled = std::fmod(res.time[i] + 1e-9, n.every) < 1e-6;
        const double sigma = std::sqrt(n.abs * n.abs + n.rel * y * n.rel * y);
        const double e = normal(rng);  // drawn for every cell so the sequence is independent of the grid
        out << "," << (sampled ? Num(std::max(0.0, y + sigma * e)) : "");
      }
      out << "\n";
    }
    out.close();
    batches += std::string("  {\"data\": \"batch") + std::to_string(b + 1) + ".csv\", \"X0\": " + Num(x0) + ", \"S0\": " + Num(s0) +
               ", \"Si\": " + Num(si) + "}" + (b + 1 < kBatches ? ",\n" : "\n");
    est::DataTable table;
    table.file = file;
    table.time = res.time;
    // Read back what was written (the noisy, rounded-to-17-digits values) through the same path as the CLI.
    std::ifstream in(file);
    std::string line;
    std::getline(in, line);
    for (const auto& n : kNoise) table.columns.push_back({n.name, info.states[info.StateIndex(n.name)].unit.text, {}});
    table.time.clear();
    while (std::getline(in, line)) {
      std::vector<std::string> cells;
      size_t start = 0;
      while (true) {
        size_t comma = line.find(',', start);
        cells.push_back(line.substr(start, comma == std::string::npos ? std::string::npos : comma - start));
        if (comma == std::string::npos) break;
        start = comma + 1;
      }
      table.time.push_back(std::stod(cells[0]));
      for (size_t s = 0; s < kNoise.size(); ++s) table.columns[s].values.push_back(cells[s + 1].empty() ? kNaN : std::stod(cells[s + 1]));
    }
    est::Experiment ex;
    ex.name = sc.name;
    ex.scenario = sc;
    ex.data = est::MatchData(table, info);
    c.problem.experiments.push_back(ex);
  }
  batches += " ]\n}\n";
  std::ofstream(dir + "/batches.json") << batches;
  for (const auto& n : kNoise) {
    est::ErrorModel em;
    em.absolute = n.abs;
    em.relative = n.rel;
    em.declared = true;
    c.problem.errors[n.name] = em;
  }
  c.problem.parameters = est::MakeFreeParameters(info, kFree, {}, starts, {});
  est::CheckProblem(&c.problem);
  c.options.profile = {"none"};
  c.options.starts = 1;
  c.options.trace = std::getenv("FIT_BENCH_TRACE") != nullptr;
  return c;
}

Case& TheCase() {
  static Case c = MakeCase();
  return c;
}

void BM_FitEcoli10Batches6Parameters(benchmark::State& state) {
  Case& c = TheCase();
  est::FitResult last;
  for (auto _ : state) {
    est::FitResult r = est::Fit(c.problem, c.options);
    if (r.status != "converged") {
      state.SkipWithError(("fit did not converge: " + r.message).c_str());
      break;
    }
    last = std::move(r);
  }
  if (last.status == "converged") {
    state.counters["objective"] = last.objective;
    state.counters["simulations"] = static_cast<double>(last.simulations);
    state.counters["iterations"] = last.starts[0].iterations;
    state.counters["data_points"] = last.num_data;
  }
}
BENCHMARK(BM_FitEcoli10Batches6Parameters)->Unit(benchmark::kMillisecond)->Iterations(1)->Repetitions(3);

}  // namespace

// One untimed fit whose optimum goes into the JSON context (written before the timed runs), so
// bench/run can compare it with the SciPy peer's.
bool AddOptimumContext() {
  Case& c = TheCase();
  est::FitResult r = est::Fit(c.problem, c.options);
  if (r.status != "converged") {
    std::fprintf(stderr, "fit_bench: the fit did not converge: %s\n", r.message.c_str());
    return false;
  }
  std::string names, values, ses;
  for (size_t k = 0; k < r.parameters.size(); ++k) {
    names += (k ? "," : "") + r.parameters[k].name;
    values += (k ? "," : "") + Num(r.parameters[k].value);
    ses += (k ? "," : "") + Num(r.parameters[k].se);
  }
  benchmark::AddCustomContext("fit.parameter_names", names);
  benchmark::AddCustomContext("fit.optimum", values);
  benchmark::AddCustomContext("fit.standard_errors", ses);
  benchmark::AddCustomContext("fit.objective", Num(r.objective));
  benchmark::AddCustomContext("fit.data_dir", DataDir());
  return true;
}

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  try {
    TheCase();  // writes the data before anything is timed
    if (!AddOptimumContext()) return 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "fit_bench: %s\n", e.what());
    return 1;
  }
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
