// Newton-matrix LU for the IndPenSim balances (33 states): SparseLu (static minimum-degree
// ordering, precomputed fill, diagonal pivots) against the dense partial-pivoting LU
// (sim/dense_lu.h) on M = c I - J with J the exact Jacobian at the model's initial state, for
// c = 20 and 200 1/h (1/(h gamma) of a Rosenbrock step). Both factorisations include forming M
// from J, as an integrator must. After the runs the dense/sparse time ratios are printed to stderr.
#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstring>
#include <exception>
#include <map>
#include <stdexcept>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "model/compiled_tapes.h"
#include "model/file_model.h"
#include "model/model.h"
#include "sim/dense_lu.h"
#include "sim/sparse_lu.h"

namespace {

using biotwin::sim::SparseLu;

struct Case {
  int n = 0;
  std::vector<std::pair<int, int>> pattern;
  std::vector<double> jac, b;
};

const Case& IndPenSim() {
  static const Case c = [] {
    Case k;
    auto model = biotwin::model::LoadModelFile(std::string(BIOTWIN_SOURCE_DIR) + "/models/indpensim.yaml");
    const auto* fm = dynamic_cast<const biotwin::model::FileModel*>(model.get());
    if (fm == nullptr) throw std::runtime_error("indpensim.yaml did not load as a file model");
    k.n = model->num_states();
    k.pattern = model->JacobianPattern();  // what the simulator hands the integrator
    const auto x = model->info().InitialState(), u = model->info().DefaultInputs(),
               p = model->info().ParameterValues();
    auto ws = model->NewWorkspace();
    k.jac.resize(static_cast<size_t>(k.n) * k.n);
    model->Jacobians({0.0, x.data(), u.data(), p.data(), 0}, k.jac.data(), nullptr, *ws);
    for (int i = 0; i < k.n; ++i) k.b.push_back(1.0 + 0.01 * i);
    return k;
  }();
  return c;
}

void FormDense(int n, double c, const double* jac, double* m) {
  const size_t nn = static_cast<size_t>(n) * n;
  for (size_t q = 0; q < nn; ++q) m[q] = -jac[q];
  for (int k = 0; k < n; ++k) m[k + static_cast<size_t>(k) * n] += c;
}

void BM_DenseFactor(benchmark::State& state) {
  const Case& k = IndPenSim();
  const double c = static_cast<double>(state.range(0));
  std::vector<double> m(k.jac.size());
  std::vector<int> perm(k.n);
  for (auto _ : state) {
    FormDense(k.n, c, k.jac.data(), m.data());
    benchmark::DoNotOptimize(biotwin::sim::DenseLuFactor(m.data(), perm.data(), k.n));
    benchmark::ClobberMemory();
  }
}

void BM_SparseFactor(benchmark::State& state) {
  const Case& k = IndPenSim();
  const double c = static_cast<double>(state.range(0));
  SparseLu lu(k.n, k.pattern);
  bool ok = true;
  for (auto _ : state) {
    ok &= lu.Factor(c, k.jac.data());
    benchmark::ClobberMemory();
  }
  if (!ok) state.SkipWithError("SparseLu refused the matrix");
  state.counters["nnz_factors"] = lu.nnz_factors();
  state.counters["flops_factor"] = static_cast<double>(lu.flops_factor());
  state.counters["nnz_J"] = static_cast<double>(k.pattern.size());
}

void BM_DenseSolve(benchmark::State& state) {
  const Case& k = IndPenSim();
  const double c = static_cast<double>(state.range(0));
  std::vector<double> m(k.jac.size()), x(k.n);
  std::vector<int> perm(k.n);
  FormDense(k.n, c, k.jac.data(), m.data());
  if (biotwin::sim::DenseLuFactor(m.data(), perm.data(), k.n) != 0) state.SkipWithError("singular");
  for (auto _ : state) {
    biotwin::sim::DenseLuSolve(m.data(), perm.data(), k.n, k.b.data(), x.data());
    benchmark::DoNotOptimize(x.data());
    benchmark::ClobberMemory();
  }
}

// With the straight-line kernel biotwin_codegen compiled for the pattern (range(1) = 1) or the
// loops (0).
void BM_SparseSolve(benchmark::State& state) {
  const Case& k = IndPenSim();
  const double c = static_cast<double>(state.range(0));
  biotwin::model::SetCompiledTapesEnabled(state.range(1) != 0);
  SparseLu lu(k.n, k.pattern);
  biotwin::model::SetCompiledTapesEnabled(true);
  if (lu.compiled() != (state.range(1) != 0)) state.SkipWithError("no compiled kernel for the IndPenSim pattern");
  std::vector<double> x(k.n);
  if (!lu.Factor(c, k.jac.data())) state.SkipWithError("SparseLu refused the matrix");
  for (auto _ : state) {
    lu.Solve(k.b.data(), x.data());
    benchmark::DoNotOptimize(x.data());
    benchmark::ClobberMemory();
  }
  state.counters["flops_solve"] = static_cast<double>(lu.flops_solve());
}

BENCHMARK(BM_DenseFactor)->Arg(20)->Arg(200);
BENCHMARK(BM_SparseFactor)->Arg(20)->Arg(200);
BENCHMARK(BM_DenseSolve)->Arg(20)->Arg(200);
BENCHMARK(BM_SparseSolve)->ArgNames({"c", "compiled"})->Args({20, 1})->Args({200, 1})->Args({20, 0})->Args({200, 0});

// Passes every run to the reporter the command line asked for and keeps the mean ns per
// iteration by benchmark name (the median over repetitions if any), for the ratios.
template <typename Base>
class Capture : public Base {
 public:
  void ReportRuns(const std::vector<benchmark::BenchmarkReporter::Run>& runs) override {
    // One run per benchmark, or with --benchmark_repetitions its median.
    for (const auto& r : runs) {
      if (r.error_occurred) continue;
      if (r.run_type == benchmark::BenchmarkReporter::Run::RT_Iteration) {
        ns_.emplace(r.run_name.str(), r.GetAdjustedRealTime());  // ns, the default unit
      } else if (r.aggregate_name == "median") {
        ns_[r.run_name.str()] = r.GetAdjustedRealTime();
      }
    }
    Base::ReportRuns(runs);
  }
  void PrintRatios() const {
    for (const char* what : {"Factor", "Solve"}) {
      for (const char* c : {"20", "200"}) {
        const auto d = ns_.find(std::string("BM_Dense") + what + "/" + c);
        const std::string sparse = std::string("BM_Sparse") + what + "/" + (what[0] == 'S' ? "c:" : "") + c;
        const auto s = ns_.find(what[0] == 'S' ? sparse + "/compiled:1" : sparse);
        if (d == ns_.end() || s == ns_.end()) continue;
        std::fprintf(stderr, "IndPenSim %-6s c = %3s 1/h: dense %7.1f ns, sparse %7.1f ns, dense/sparse %.2f\n",
                     what, c, d->second, s->second, d->second / s->second);
      }
    }
  }

 private:
  std::map<std::string, double> ns_;
};

template <typename Base>
int Run() {
  Capture<Base> reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  reporter.PrintRatios();
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  bool json = false;
  for (int i = 1; i < argc; ++i) json |= std::strcmp(argv[i], "--benchmark_format=json") == 0;
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  try {
    IndPenSim();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "sparse_lu_bench: %s\n", e.what());
    return 1;
  }
  const int rc = json ? Run<benchmark::JSONReporter>() : Run<benchmark::ConsoleReporter>();
  benchmark::Shutdown();
  return rc;
}
