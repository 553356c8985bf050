// NMPC step time (driven by bench/run): the Park-Ramirez fed-batch (5 states,
// examples/benchmarks/park_ramirez/park_ramirez.yaml) under tracking NMPC. The controller holds
// glucose at 1 g/L (least squares on the 20-interval grid of a 5 h horizon, Gauss-Newton Hessian,
// move blocking to 9 control moves), u in [0, 2] L/h, volume at most 12 L, and runs in closed loop
// for 40 steps of 0.25 h against the same model as the plant.
//
// The counters give the median and 99th percentile of the step wall and CPU time (the first,
// cold step included), the mean IPOPT iterations per step, and the number of steps that fell back
// to a previous plan or the recipe. NMPC_ITERS=n limits the IPOPT iterations per step
// (real-time iteration experiments). The peer (bench/peers/scipy_nmpc_step.py) solves the
// receding-horizon problem with the integral of the squared deviation with SciPy (SLSQP, single
// shooting, solve_ivp BDF, warm started).
#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "control/nmpc_controller.h"
#include "control/ocp_problem.h"
#include "model/model.h"
#include "sim/shooting_sensitivity.h"

namespace {

using biotwin::control::NmpcController;
using biotwin::control::NmpcSource;

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

void BM_NmpcParkRamirez(benchmark::State& state) {
  const std::string dir = std::string(BIOTWIN_SOURCE_DIR) + "/examples/benchmarks/park_ramirez";
  const auto problem = biotwin::control::LoadOcpProblemText(kProblem, "park_ramirez_nmpc.yaml", dir);
  const int steps = 40;
  std::vector<double> times, cpu;
  double iterations = 0;
  int fallbacks = 0;
  for (auto _ : state) {
    biotwin::control::NmpcOptions opt;
    opt.max_solve_seconds = 5.0;
    if (const char* it = std::getenv("NMPC_ITERS")) opt.max_iterations = std::atoi(it);
    NmpcController mpc(problem, opt, [](double) { return std::vector<double>{0.5}; });
    biotwin::sim::ShootingSetup plant_setup;
    plant_setup.parameters = problem.model->info().ParameterValues();
    plant_setup.rtol = 1e-9;
    plant_setup.atol.assign(problem.model->num_states(), 1e-11);
    biotwin::sim::ShootingIntegrator plant(problem.model, plant_setup);
    std::vector<double> x = problem.model->info().InitialState();
    std::vector<biotwin::sim::ShootingPoint> pts;
    std::string err;
    double t = 0.0;
    const double dt = mpc.sampling_period();
    for (int k = 0; k < steps; ++k) {
      const auto start = std::chrono::steady_clock::now();
      const auto s = mpc.Step(t, x);
      times.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
      cpu.push_back(s.cpu_seconds);
      iterations += s.iterations;
      if (s.source != NmpcSource::kOptimal) ++fallbacks;
      if (!plant.Integrate(t, dt, x.data(), s.controls.data(), s.controls.data(), {1.0}, false, &pts, &err)) {
        state.SkipWithError(("plant simulation failed: " + err).c_str());
        return;
      }
      x = pts[0].x;
      t += dt;
    }
    state.counters["final_glucose_g_per_L"] = x[3];
  }
  std::sort(times.begin(), times.end());
  std::sort(cpu.begin(), cpu.end());
  const auto at = [](const std::vector<double>& v, double q) {
    return v[std::min(v.size() - 1, static_cast<size_t>(q * (v.size() - 1) + 0.5))];
  };
  state.counters["step_median_ms"] = at(times, 0.5) * 1e3;
  state.counters["step_p99_ms"] = at(times, 0.99) * 1e3;
  state.counters["step_cpu_median_ms"] = at(cpu, 0.5) * 1e3;
  state.counters["step_cpu_p99_ms"] = at(cpu, 0.99) * 1e3;
  state.counters["step_max_ms"] = times.back() * 1e3;
  state.counters["iterations_per_step"] = iterations / times.size();
  state.counters["fallback_steps"] = fallbacks;
  state.counters["steps"] = static_cast<double>(times.size());
}
BENCHMARK(BM_NmpcParkRamirez)->Iterations(1)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
