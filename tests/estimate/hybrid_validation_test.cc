// Hybrid (physics-constrained) learning against a purely data-driven model of the same data
// (examples/hybrid/README.md). Five fed-batches are simulated with the mechanistic E. coli model
// (models/ecoli_anane2017.yaml, the "truth") and measured with seeded noise; both models are
// fitted to them through the ODE with exact sensitivities (estimate::Fit, as `biotwin fit`):
//   (a) the hybrid model: qS(S) is a 1-4-1 network, the mass balances, feed, yield and
//       maintenance stay mechanistic;
//   (b) a neural ODE: dX/dt and dS/dt are 3-5-1 networks of (X, S, F/V), no balance structure.
// Both are then run on a new feed profile and compared with the truth. The hybrid must
// extrapolate clearly better; the numbers are printed with their units.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include "estimate/estimate.h"
#include "model/model.h"
#include "sim/scenario.h"
#include "sim/simulator.h"
#include "test_paths.h"

namespace biotwin {
namespace {

using estimate::FitProblem;

constexpr double kSeedNoise = 20261122;

std::string Example(const std::string& file) { return testing::SourcePath("examples/hybrid/" + file); }

sim::SimResult Simulate(const std::shared_ptr<const model::Model>& m, sim::Scenario sc,
                        const std::vector<double>& times) {
  sc.output_times = times;
  sim::Simulator simulator(m, sc);
  return simulator.Run();
}

// Standard normal deviates from the 64-bit Mersenne twister by Box-Muller (the same numbers on
// every platform, unlike std::normal_distribution).
class Noise {
 public:
  explicit Noise(uint64_t seed) : rng_(seed) {}
  double Normal() {
    const double u1 = (static_cast<double>(rng_() >> 11) + 0.5) * 0x1.0p-53;
    const double u2 = static_cast<double>(rng_() >> 11) * 0x1.0p-53;
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * M_PI * u2);
  }

 private:
  std::mt19937_64 rng_;
};

struct Rmse {
  double x = 0, s = 0;  // g/L
};

Rmse Compare(const sim::SimResult& a, const sim::SimResult& truth, int ix_a, int is_a, int ix_t, int is_t) {
  Rmse r;
  const size_t n = truth.time.size();
  for (size_t i = 0; i < n; ++i) {
    r.x += std::pow(a.states[i][ix_a] - truth.states[i][ix_t], 2);
    r.s += std::pow(a.states[i][is_a] - truth.states[i][is_t], 2);
  }
  r.x = std::sqrt(r.x / n);
  r.s = std::sqrt(r.s / n);
  return r;
}

struct Fitted {
  estimate::FitResult result;
  std::vector<double> estimates;
  Rmse extrapolation, training;
};

TEST(HybridValidation, HybridExtrapolatesToANewFeedBetterThanANeuralOde) {
  auto truth = model::LoadModelFile(testing::SourcePath("models/ecoli_anane2017.yaml"));
  const auto& ti = truth->info();
  const int tx = ti.StateIndex("X"), ts = ti.StateIndex("S");

  // Training data: X and S every hour from 1 h to 30 h, sigma = 0.05 g/L + 4 % (X) and
  // 0.02 g/L + 4 % (S), normal noise from a fixed seed.
  std::vector<double> data_times;
  for (int h = 1; h <= 30; ++h) data_times.push_back(h);
  Noise noise(static_cast<uint64_t>(kSeedNoise));
  std::vector<estimate::DataTable> tables;
  for (int b = 1; b <= 5; ++b) {
    const std::string file = Example("train_" + std::to_string(b) + ".yaml");
    sim::SimResult res = Simulate(truth, sim::LoadScenarioFile(file, ti), data_times);
    ASSERT_TRUE(res.ok) << file << ": " << res.message;
    estimate::DataTable t;
    t.file = "train_" + std::to_string(b) + ".csv";
    t.time = data_times;
    t.columns = {{"X", "g/L", {}}, {"S", "g/L", {}}};
    for (size_t i = 0; i < data_times.size(); ++i) {
      const double x = res.states[i][tx], s = res.states[i][ts];
      t.columns[0].values.push_back(x + std::hypot(0.05, 0.04 * x) * noise.Normal());
      t.columns[1].values.push_back(std::max(0.0, s + std::hypot(0.02, 0.04 * s) * noise.Normal()));
    }
    tables.push_back(t);
  }

  std::vector<double> test_times;
  for (int i = 0; i <= 48; ++i) test_times.push_back(0.5 * i);
  const sim::SimResult truth_new = Simulate(truth, sim::LoadScenarioFile(Example("extrapolate.yaml"), ti), test_times);
  ASSERT_TRUE(truth_new.ok) << truth_new.message;

  auto fit = [&](const std::string& model_file, const std::vector<std::string>& estimate) {
    auto m = model::LoadModelFile(Example(model_file));
    const auto& info = m->info();
    FitProblem problem;
    problem.model = m;
    for (int b = 1; b <= 5; ++b) {
      estimate::Experiment ex;
      ex.name = "batch " + std::to_string(b);
      ex.data = estimate::MatchData(tables[b - 1], info);
      ex.scenario = sim::LoadScenarioFile(Example("train_" + std::to_string(b) + ".yaml"), info);
      problem.experiments.push_back(std::move(ex));
    }
    problem.parameters = estimate::MakeFreeParameters(info, estimate, {}, {}, {});
    estimate::SetRidge({{"*.*", 1e-2}}, &problem);
    problem.errors["X"] = estimate::ParseErrorModel("0.05 g/L + 4 %", info.states[info.StateIndex("X")].unit, "X");
    problem.errors["S"] = estimate::ParseErrorModel("0.02 g/L + 4 %", info.states[info.StateIndex("S")].unit, "S");
    estimate::CheckProblem(&problem);
    estimate::FitOptions options;
    options.profile = {"none"};
    options.max_iterations = 400;
    Fitted f;
    f.result = estimate::Fit(problem, options);
    // A network may still creep downhill after hundreds of steps; its last iterate is then used
    // (and its training error is checked below, so a poorly fitted model cannot pass as one).
    const auto& best = f.result.starts.at(std::max(f.result.best_start, 0));
    f.estimates = best.end;
    auto with_estimates = [&](sim::Scenario sc) {
      for (size_t k = 0; k < problem.parameters.size(); ++k) {
        sc.parameters[problem.parameters[k].index] = f.estimates[k];
      }
      return sc;
    };
    const int mx = info.StateIndex("X"), ms = info.StateIndex("S");
    sim::SimResult pred = Simulate(m, with_estimates(sim::LoadScenarioFile(Example("extrapolate.yaml"), info)), test_times);
    EXPECT_TRUE(pred.ok) << model_file << " on the new feed: " << pred.message;
    f.extrapolation = pred.ok && pred.time.size() == test_times.size() ? Compare(pred, truth_new, mx, ms, tx, ts)
                                                                        : Rmse{INFINITY, INFINITY};
    // Training error against the noise-free truth (how well each model learned what it saw).
    for (int b = 1; b <= 5; ++b) {
      const std::string sf = Example("train_" + std::to_string(b) + ".yaml");
      sim::SimResult tr = Simulate(truth, sim::LoadScenarioFile(sf, ti), test_times);
      sim::SimResult pr = Simulate(m, with_estimates(sim::LoadScenarioFile(sf, info)), test_times);
      Rmse r = pr.ok ? Compare(pr, tr, mx, ms, tx, ts) : Rmse{INFINITY, INFINITY};
      f.training.x += r.x * r.x / 5;
      f.training.s += r.s * r.s / 5;
    }
    f.training.x = std::sqrt(f.training.x);
    f.training.s = std::sqrt(f.training.s);
    std::printf("%s: %d parameters, %s after %d iterations, J = %.1f for %d points, %ld simulations, %.1f s\n",
                model_file.c_str(), f.result.num_parameters, best.status.c_str(), best.iterations, best.objective,
                f.result.num_data, f.result.simulations, f.result.wall_seconds);
    std::printf("  training batches (0-24 h, vs truth): RMSE X %.3f g/L, S %.3f g/L\n", f.training.x, f.training.s);
    std::printf("  new feed profile (0-24 h, vs truth): RMSE X %.3f g/L, S %.3f g/L\n", f.extrapolation.x,
                f.extrapolation.s);
    return f;
  };

  Fitted hybrid = fit("ecoli_hybrid.yaml", {"qS_net.*", "Yxs", "qm"});
  Fitted black = fit("ecoli_blackbox.yaml", {"fX.*", "fS.*"});
  EXPECT_EQ(hybrid.result.status, "converged") << hybrid.result.message;
  std::printf("extrapolation RMSE ratio (neural ODE / hybrid): X %.1f, S %.1f\n",
              black.extrapolation.x / hybrid.extrapolation.x, black.extrapolation.s / hybrid.extrapolation.s);
  // Both models learned their training data (otherwise the comparison says nothing) ...
  EXPECT_LT(hybrid.training.x, 0.5);
  EXPECT_LT(black.training.x, 1.0);
  // ... but only the hybrid carries the mass balances to the new feed profile: its biomass
  // prediction is far better. The neural ODE stops at its iteration limit, so where it ends (and
  // its glucose prediction on the new feed, between 0.06 and 2.4 g/L RMSE in runs whose
  // integrator settings differed slightly) is not reproducible enough to assert; glucose is
  // reported, not compared.
  EXPECT_LT(3.0 * hybrid.extrapolation.x, black.extrapolation.x);
  EXPECT_LT(hybrid.extrapolation.s, 1.0);
}

}  // namespace
}  // namespace biotwin
