// NMPC step time (driven by bench/run): the Park-Ramirez fed-batch (5 states,
// examples/benchmarks/park_ramirez/park_ramirez.yaml) under tracking NMPC. The controller holds
// glucose at 1 g/L (least squares on the 20-interval grid of a 5 h horizon, Gauss-Newton Hessian,
// move blocking to 9 control moves), u in [0, 2] L/h, volume at most 12 L, and runs in closed loop
// for 40 steps of 0.25 h against the same model as the plant (CVODES, rtol 1e-9).
//
// Two configurations run on the same closed loop:
//   fast       the internal model integrated by RK4 (5 fixed steps per 0.25 h interval, exact
//              derivatives of the discrete map), at most kFastIterations IPOPT iterations per step
//              (a stopped but feasible iterate is applied: real-time iteration);
//   reference  CVODES BDF (rtol 1e-5) and up to 100 iterations per step: the converged NMPC.
// Both prepare their first plan before the run (NmpcController::Prepare: a cold solve from the
// recipe, reported separately as the cold-start cost); every one of the 40 closed-loop steps is then
// a warm-started solve from the measured state, and the median and 99th percentile are over them.
// Closed-loop quality: the tracking cost of the plant trajectory, integral of (glucose - 1 g/L)^2
// over the 10 h (g^2 h / L^2), for both, and the largest difference between the feeds they applied.
// NMPC_ITERS=n overrides kFastIterations. The peer (bench/peers/scipy_nmpc_step.py) solves the
// receding-horizon problem with the integral of the squared deviation with SciPy (SLSQP, single
// shooting, solve_ivp BDF, warm started).
#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <string>
#include <vector>

#include "control/nmpc_controller.h"
#include "control/ocp_problem.h"
#include "model/model.h"
#include "sim/shooting_sensitivity.h"

namespace {

using biotwin::control::NmpcController;
using biotwin::control::NmpcOptions;
using biotwin::control::NmpcSource;
using biotwin::control::OcpProblem;

constexpr int kFastIterations = 10;
constexpr int kSteps = 40;

constexpr const char* kProblem = R"yaml(
biotwin_problem: 1
name: park_ramirez_nmpc
model: park_ramirez.yaml
horizon: {start: 0 h, end: 5 h}
intervals: 20
move_blocking: [1, 1, 1, 1, 2, 2, 4, 4, 4]
controls:
  u: {min: 0 L/h, max: 2 L/h, initial: 0.5 L/h}
objective:
  minimize: {least_squares: ["(x4 - 1 [g/L])/(1 [g/L])"]}
path_constraints:
  - "x5 <= 12 [L]"
solver: {rtol: 1e-5, atol: 1e-7, hessian: gauss_newton, regularization: 1e-4, sensitivity_error_control: false}
)yaml";

struct LoopResult {
  std::vector<double> wall, cpu, u;  // per step: s, s, L/h
  double iterations = 0.0;           // total over the steps
  int fallbacks = 0;
  double tracking = 0.0;             // g^2 h / L^2
  double final_glucose = 0.0;        // g/L
  biotwin::control::NmpcStep cold;   // the preparation solve
  std::string error;
};

double Quantile(std::vector<double> v, double q) {
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<size_t>(q * (v.size() - 1) + 0.5))];
}

LoopResult RunLoop(const OcpProblem& problem, const NmpcOptions& options) {
  LoopResult r;
  NmpcController mpc(problem, options, [](double) { return std::vector<double>{0.5}; });
  biotwin::sim::ShootingSetup plant_setup;
  plant_setup.parameters = problem.model->info().ParameterValues();
  plant_setup.rtol = 1e-9;
  plant_setup.atol.assign(problem.model->num_states(), 1e-11);
  biotwin::sim::ShootingIntegrator plant(problem.model, plant_setup);
  std::vector<double> x = problem.model->info().InitialState();
  std::vector<biotwin::sim::ShootingPoint> pts;
  std::vector<double> sub;
  for (int q = 1; q <= 10; ++q) sub.push_back(q / 10.0);
  std::string err;
  const double dt = mpc.sampling_period();
  r.cold = mpc.Prepare(0.0, x);
  double t = 0.0;
  for (int k = 0; k < kSteps; ++k) {
    const auto start = std::chrono::steady_clock::now();
    const auto s = mpc.Step(t, x);
    r.wall.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    r.cpu.push_back(s.cpu_seconds);
    r.u.push_back(s.controls[0]);
    r.iterations += s.iterations;
    if (s.source != NmpcSource::kOptimal) ++r.fallbacks;
    if (!plant.Integrate(t, dt, x.data(), s.controls.data(), s.controls.data(), sub, false, &pts, &err)) {
      r.error = "plant simulation failed: " + err;
      return r;
    }
    double prev = (x[3] - 1.0) * (x[3] - 1.0);
    for (const auto& p : pts) {  // trapezoid on 10 points per step
      const double e = (p.x[3] - 1.0) * (p.x[3] - 1.0);
      r.tracking += 0.5 * (prev + e) * dt / 10.0;
      prev = e;
    }
    x = pts.back().x;
    t += dt;
  }
  r.final_glucose = x[3];
  return r;
}

void BM_NmpcParkRamirez(benchmark::State& state) {
  const std::string dir = std::string(BIOTWIN_SOURCE_DIR) + "/examples/benchmarks/park_ramirez";
  const OcpProblem reference = biotwin::control::LoadOcpProblemText(kProblem, "park_ramirez_nmpc.yaml", dir);
  OcpProblem fast = reference;
  fast.solver.integrator = biotwin::sim::ShootingMethod::kRk4;
  fast.solver.steps_per_interval = 5;
  NmpcOptions fast_options, reference_options;
  fast_options.max_solve_seconds = reference_options.max_solve_seconds = 5.0;  // never binding here
  fast_options.max_iterations = kFastIterations;
  if (const char* it = std::getenv("NMPC_ITERS")) fast_options.max_iterations = std::atoi(it);
  reference_options.max_iterations = 100;
  LoopResult f, ref;
  for (auto _ : state) {
    f = RunLoop(fast, fast_options);
    ref = RunLoop(reference, reference_options);
  }
  if (!f.error.empty() || !ref.error.empty()) {
    state.SkipWithError((f.error + ref.error).c_str());
    return;
  }
  auto& c = state.counters;
  c["step_median_ms"] = Quantile(f.wall, 0.5) * 1e3;
  c["step_p99_ms"] = Quantile(f.wall, 0.99) * 1e3;
  c["step_max_ms"] = Quantile(f.wall, 1.0) * 1e3;
  c["step_cpu_median_ms"] = Quantile(f.cpu, 0.5) * 1e3;
  c["step_cpu_p99_ms"] = Quantile(f.cpu, 0.99) * 1e3;
  c["iterations_per_step"] = f.iterations / f.wall.size();
  c["max_iterations"] = fast_options.max_iterations;
  c["fallback_steps"] = f.fallbacks;
  c["steps"] = static_cast<double>(f.wall.size());
  c["cold_ms"] = f.cold.solve_seconds * 1e3;
  c["cold_cpu_ms"] = f.cold.cpu_seconds * 1e3;
  c["cold_iterations"] = f.cold.iterations;
  c["tracking_cost"] = f.tracking;
  c["final_glucose_g_per_L"] = f.final_glucose;
  c["ref_step_median_ms"] = Quantile(ref.wall, 0.5) * 1e3;
  c["ref_step_p99_ms"] = Quantile(ref.wall, 0.99) * 1e3;
  c["ref_step_cpu_median_ms"] = Quantile(ref.cpu, 0.5) * 1e3;
  c["ref_step_cpu_p99_ms"] = Quantile(ref.cpu, 0.99) * 1e3;
  c["ref_iterations_per_step"] = ref.iterations / ref.wall.size();
  c["ref_fallback_steps"] = ref.fallbacks;
  c["ref_cold_ms"] = ref.cold.solve_seconds * 1e3;
  c["ref_tracking_cost"] = ref.tracking;
  double du = 0.0;
  for (size_t k = 0; k < f.u.size(); ++k) du = std::max(du, std::fabs(f.u[k] - ref.u[k]));
  c["max_feed_difference_L_per_h"] = du;
}
BENCHMARK(BM_NmpcParkRamirez)->Iterations(1)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
