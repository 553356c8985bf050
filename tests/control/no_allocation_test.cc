// The per-sample hot path allocates nothing: the Simulator's stepping API (SetInput + Advance
// with changing held inputs), the sensor bank, the control system and the actuator bank; and the
// NMPC's own share of a step (the multiple-shooting NLP's evaluations and the receding-horizon
// shifts; IPOPT itself allocates). Counted by replacing the global operator new in this test
// binary.
#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
#include <cstdlib>
#include <new>
#include <string>
#include <vector>

#include "control/control.h"
#include "control/ocp_problem.h"
#include "control/shooting_nlp.h"
#include "model/model.h"
#include "sim/scenario.h"
#include "test_paths.h"

namespace {
std::atomic<long> g_allocations{0};
}  // namespace

void* operator new(std::size_t n) {
  ++g_allocations;
  if (void* p = std::malloc(n == 0 ? 1 : n)) return p;
  throw std::bad_alloc();
}
void* operator new[](std::size_t n) { return operator new(n); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }

namespace biotwin {
namespace {

TEST(NoAllocation, SteppingSensorsControllerAndActuators) {
  auto m = model::LoadModelFile(testing::SourcePath("models/ecoli_anane2017.yaml"));
  const char* text = R"(until: 40 h
control:
  sample_time: 0.05 h
  sensors:
    DO: {signal: DOTm, noise: 0.5, delay: 0.1 h, faults: [{drift: -2, time: [1 h, 3 h]}]}
    X_lab: {signal: X, lab: {every: {start: 0.5 h, every: 0.5 h, until: 40 h}, delay: 0.2 h}}
  actuators:
    F: {limits: [0, 0.05], rate_limit: 0.1, faults: [{stuck: true, time: [2 h, 2.5 h]}]}
  loops:
    - name: DO
      measurement: DO
      setpoint: {ramp: {times: [0 h, 4 h], values: [90, 60]}}
      output: F
      pid: {kp: 0.0005, ti: 1 h, td: 0.01 h, filter_n: 10, action: direct, limits: [0, 0.05], anti_windup: back_calculation}
)";
  sim::Scenario sc = sim::LoadScenarioText(text, "na.yaml", m->info());
  control::ControlSetup setup = control::LoadScenarioControl(sc, m->info());
  sim::SensorBank sensors = setup.MakeSensors();
  sim::ActuatorBank actuators = setup.MakeActuators();
  auto controller = setup.MakeController();
  sim::Simulator s(m, sc);
  std::string error;
  error.reserve(256);
  ASSERT_TRUE(s.Begin(&error)) << error;
  std::vector<double> u(s.Inputs(), s.Inputs() + m->num_inputs()), y(m->num_outputs());
  std::vector<double> held(sensors.size()), rec(sensors.size());
  actuators.Begin(u.data());
  controller->Begin(0.0, u.data());
  const int f = m->info().InputIndex("F");
  long before = 0;
  for (long k = 0; k < 100; ++k) {
    if (k == 5) before = g_allocations.load();  // after the first steps (lazy set-up)
    const double t = 0.05 * k;
    s.Outputs(y.data());
    sensors.Measure(k, t, s.State(), y.data(), s.Inputs(), held.data(), rec.data());
    controller->Step(k, t, held.data(), u.data());
    actuators.Apply(k, t, u.data());
    controller->Applied(u.data());
    s.SetInput(f, u[f]);
    ASSERT_TRUE(s.Advance(0.05 * (k + 1), &error)) << error;
  }
  ASSERT_GT(before, 0);  // the counter sees allocations (model loading made plenty)
  EXPECT_EQ(g_allocations.load() - before, 0);
  EXPECT_GT(s.Stats().reinits, 50);  // the held feed really changed along the way
}

// Everything an IPOPT iteration asks of the NLP (Gauss-Newton), and the warm-start shifts, with
// both integrators.
TEST(NoAllocation, NmpcShootingNlpEvaluationsAndShifts) {
  for (const char* integrator : {"rk4", "bdf"}) {
    const std::string text = std::string(R"yaml(
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
solver: {hessian: gauss_newton, regularization: 1e-4, integrator: )yaml") + integrator + "}\n";
    const auto p = control::LoadOcpProblemText(text, "na.yaml", testing::SourcePath("examples/benchmarks/park_ramirez"));
    control::ShootingNlp nlp(p, p.intervals);
    nlp.set_always_sensitivities(true);
    control::ControlPlan plan{5.0, {std::vector<double>(20, 0.3)}};
    std::vector<double> w, x = p.model->info().InitialState();
    std::string error;
    error.reserve(256);
    ASSERT_TRUE(nlp.InitialPoint(plan, &w, &error)) << error;
    const int nw = nlp.num_variables(), ng = nlp.num_constraints();
    std::vector<double> g(ng), jac(nlp.jacobian_nonzeros()), grad(nw), hess(nlp.hessian_nonzeros());
    std::vector<double> zl(nw, 0.1), zu(nw, 0.2), lambda(ng, 0.3);
    control::ControlPlan out;
    long before = 0;
    for (int k = 0; k < 4; ++k) {
      if (k == 2) before = g_allocations.load();  // after the first steps (scratch sized)
      nlp.MoveHorizon(0.25 * k, x.data());
      nlp.ShiftSolution(&w, x.data());
      ASSERT_TRUE(nlp.SimulateLastInterval(&w, &error)) << error;
      nlp.ShiftMultipliers(zl.data(), zu.data(), lambda.data());
      for (int it = 0; it < 2; ++it) {
        w[nw - 1] = 0.3 + 0.01 * it;  // a new point: integrate again
        ASSERT_TRUE(nlp.Evaluate(w.data(), true, &error)) << error;
        nlp.Constraints(w.data(), g.data());
        nlp.JacobianValues(w.data(), jac.data());
        const double f = nlp.Objective(w.data());
        ASSERT_TRUE(std::isfinite(f));
        nlp.ObjectiveGradient(w.data(), grad.data());
        ASSERT_TRUE(nlp.HessianValues(w.data(), 1.0, lambda.data(), hess.data(), &error)) << error;
      }
      nlp.PlanInto(w.data(), &out);
      x[3] *= 0.95;
    }
    EXPECT_EQ(g_allocations.load() - before, 0) << integrator;
  }
}

}  // namespace
}  // namespace biotwin
