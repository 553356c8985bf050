// The fixed-step RK4 shooting integrator (solver.integrator: rk4): its sensitivities are the exact
// derivatives of the RK4 map (checked against central differences of the same map, far tighter
// than any error-controlled integrator allows), its error falls with the fourth power of the step
// towards the published reference solution, the multiple-shooting Jacobian built on it (running
// cost, check points, free final time, linear controls) matches finite differences, and bad
// settings or a step too long for the model are reported as such.
#include <gtest/gtest.h>

#include <cmath>

#include "control/ocp_problem.h"
#include "control/shooting_nlp.h"
#include "model/model.h"
#include "sim/shooting_sensitivity.h"
#include "shooting_cases.h"
#include "test_paths.h"

namespace biotwin {
namespace {

using sim::InputDirection;
using testing::ParkRamirez;
using testing::TimedModel;
using Case = testing::ShootingCase;

sim::ShootingSetup Rk4Setup(const Case& c) {
  sim::ShootingSetup setup;
  setup.parameters = c.model->info().ParameterValues();
  setup.input_directions = c.dirs;
  setup.sens_length = true;
  setup.sens_start = true;
  setup.atol.assign(c.model->num_states(), 1e-10);
  setup.method = sim::ShootingMethod::kRk4;
  setup.rk4_steps = c.steps;
  return setup;
}

void CheckExactDerivatives(const Case& c) {
  sim::ShootingIntegrator integ(c.model, Rk4Setup(c));
  // 0.3: the steps split 3 + 7 (of 10).
  testing::ExpectSensitivitiesMatchCentralDifferences(integ, c, {0.3, 1.0}, 1e-6, 1e-7);
}

TEST(ShootingRk4, ParkRamirezSensitivitiesAreExactDerivativesOfTheMap) {
  Case c{ParkRamirez(), {{0, InputDirection::Kind::kConstant}}, {0.3, 0.6, 1.4, 3.0, 1.5}, {0.4}, {0.4}, 2.0, 0.75, 10};
  CheckExactDerivatives(c);
}

TEST(ShootingRk4, TimeDependentModelWithLinearInputsHasExactDerivatives) {
  Case c{TimedModel(),
         {{0, InputDirection::Kind::kStart}, {0, InputDirection::Kind::kEnd}, {1, InputDirection::Kind::kConstant}},
         {1.2, 0.4},
         {0.5, 0.2},
         {1.5, 0.2},
         1.3,
         2.0,
         10};
  CheckExactDerivatives(c);
}

TEST(ShootingRk4, ConvergesToTheReferenceSolution) {
  // Park-Ramirez with u = 0.5 L/h for 15 h: reference x(tf) from Radau/LSODA at rtol 1e-12
  // (../shared/reference/benchmarks/park_ramirez_1988.json, simulation_check_C).
  auto m = ParkRamirez();
  const double ref[5] = {3.308161393, 3.764749808, 2.603820324, 0.08622928429, 8.5};
  std::vector<double> x0 = m->info().InitialState(), u{0.5};
  auto error_with = [&](int steps) {
    Case c{m, {}, x0, u, u, 0.0, 15.0, steps};
    sim::ShootingIntegrator integ(m, Rk4Setup(c));
    std::vector<sim::ShootingPoint> pts;
    std::string err;
    EXPECT_TRUE(integ.Integrate(0.0, 15.0, x0.data(), u.data(), u.data(), {1.0}, false, &pts, &err)) << err;
    double worst = 0.0;
    for (int i = 0; i < 5; ++i) worst = std::max(worst, std::fabs(pts[0].x[i] - ref[i]) / std::max(1.0, ref[i]));
    return worst;
  };
  EXPECT_LT(error_with(600), 1e-8);   // steps of 0.025 h
  EXPECT_LT(error_with(1200), 1e-9);
  EXPECT_GT(error_with(75), 1e-5);    // 0.2 h steps are too long near glucose depletion: no error control
}

TEST(ShootingRk4, ErrorFallsWithTheFourthPowerOfTheStep) {
  // Self-convergence on a smooth, time-dependent model: the difference between n and 2n steps
  // shrinks 2^4 = 16-fold per halving.
  auto m = TimedModel();
  const std::vector<double> x0{1.2, 0.4}, ua{0.5, 0.2}, ub{1.5, 0.2};
  auto end_state = [&](int steps) {
    Case c{m, {}, x0, ua, ub, 1.3, 4.0, steps};
    sim::ShootingIntegrator integ(m, Rk4Setup(c));
    std::vector<sim::ShootingPoint> pts;
    std::string err;
    EXPECT_TRUE(integ.Integrate(1.3, 4.0, x0.data(), ua.data(), ub.data(), {1.0}, false, &pts, &err)) << err;
    return pts[0].x;
  };
  const auto a = end_state(8), b = end_state(16), c = end_state(32);
  const double d1 = std::hypot(a[0] - b[0], a[1] - b[1]), d2 = std::hypot(b[0] - c[0], b[1] - c[1]);
  EXPECT_GT(d1 / d2, 14.0) << d1 << " " << d2;
  EXPECT_LT(d1 / d2, 18.0) << d1 << " " << d2;
}

TEST(ShootingRk4, NlpJacobianWithRunningCostAndCheckPointsMatchesFiniteDifferences) {
  const std::string dir = testing::SourcePath("examples/benchmarks/park_ramirez");
  const std::string text = R"yaml(
model: park_ramirez.yaml
horizon: {start: 0 h, end: {free: true, guess: 6 h, min: 1 h, max: 20 h}}
intervals: 4
controls:
  u: {min: 0 L/h, max: 2 L/h, initial: 0.3 L/h, shape: piecewise_linear}
objective:
  maximize: {final: "x1*x5", running: "u*x4"}
path_constraints:
  - "x4 + 0.1*t*1 [g/(L*h)] <= 6 [g/L]"
terminal_constraints:
  - "x5 <= 8 [L]"
solver: {integrator: rk4, steps_per_interval: 6, check_points: 2}
)yaml";
  control::OcpProblem p = control::LoadOcpProblemText(text, "jac.yaml", dir);
  ASSERT_EQ(p.solver.integrator, sim::ShootingMethod::kRk4);
  ASSERT_EQ(p.solver.steps_per_interval, 6);
  control::ShootingNlp nlp(p, 4);
  control::ControlPlan plan;
  plan.tf = 6.0;
  plan.values = {{0.2, 0.5, 0.1, 0.9, 0.4}};
  std::vector<double> w;
  std::string err;
  ASSERT_TRUE(nlp.InitialPoint(plan, &w, &err)) << err;
  for (size_t i = nlp.nx(); i < static_cast<size_t>(5 * nlp.nx()); ++i) w[i] *= 1.03;
  const int nw = nlp.num_variables(), ng = nlp.num_constraints(), nnz = nlp.jacobian_nonzeros();
  std::vector<int> ir(nnz), jc(nnz);
  nlp.JacobianStructure(ir.data(), jc.data());
  ASSERT_TRUE(nlp.Evaluate(w.data(), true, &err)) << err;
  std::vector<double> jv(nnz);
  nlp.JacobianValues(w.data(), jv.data());
  std::vector<double> dense(static_cast<size_t>(ng) * nw, 0.0);
  for (int e = 0; e < nnz; ++e) dense[static_cast<size_t>(ir[e]) * nw + jc[e]] += jv[e];
  std::vector<double> gp(ng), gm(ng);
  for (int j = nlp.nx(); j < nw; ++j) {
    const double eps = 1e-6 * std::max(1.0, std::fabs(w[j]));
    std::vector<double> wp = w, wm = w;
    wp[j] += eps;
    wm[j] -= eps;
    ASSERT_TRUE(nlp.Evaluate(wp.data(), false, &err)) << err;
    nlp.Constraints(wp.data(), gp.data());
    ASSERT_TRUE(nlp.Evaluate(wm.data(), false, &err)) << err;
    nlp.Constraints(wm.data(), gm.data());
    for (int r = 0; r < ng; ++r) {
      const double d = (gp[r] - gm[r]) / (2 * eps);
      EXPECT_NEAR(dense[static_cast<size_t>(r) * nw + j], d, 1e-6 * std::max(1.0, std::fabs(d)))
          << "row " << r << " column " << j;
    }
  }
}

TEST(ShootingRk4, AStepTooLongForTheModelFailsAndSaysSo) {
  const char* text = R"yaml(
biotwin: 1
model: {name: blowup}
time_unit: h
states:
  a: {unit: g/L, initial: 1}
parameters:
  k: {value: 1, unit: 1/h, source: test}
  c: {value: 1, unit: g/L, source: test}
balances:
  a: "k*c*exp(a/c)"
)yaml";
  auto m = model::LoadModelText(text, "blowup.yaml");
  Case c{m, {}, {1.0}, {}, {}, 0.0, 100.0, 1};
  sim::ShootingIntegrator integ(m, Rk4Setup(c));
  std::vector<sim::ShootingPoint> pts;
  std::string err;
  const double x0 = 1.0;
  EXPECT_FALSE(integ.Integrate(0.0, 100.0, &x0, nullptr, nullptr, {1.0}, true, &pts, &err));
  EXPECT_NE(err.find("rk4"), std::string::npos) << err;
  EXPECT_NE(err.find("not finite"), std::string::npos) << err;
}

TEST(ShootingRk4, SolverSettingsAreChecked) {
  const std::string dir = testing::SourcePath("examples/benchmarks/park_ramirez");
  auto load = [&](const std::string& solver) {
    return control::LoadOcpProblemText(R"yaml(
model: park_ramirez.yaml
horizon: {start: 0 h, end: 5 h}
intervals: 5
controls:
  u: {min: 0 L/h, max: 2 L/h, initial: 0.3 L/h}
objective:
  maximize: {final: "x1*x5"}
solver: )yaml" + solver + "\n",
                                       "s.yaml", dir);
  };
  EXPECT_EQ(load("{integrator: bdf}").solver.integrator, sim::ShootingMethod::kBdf);
  EXPECT_EQ(load("{}").solver.integrator, sim::ShootingMethod::kBdf);  // the default
  auto error_of = [&](const std::string& solver) {
    try {
      load(solver);
    } catch (const model::ModelError& e) {
      return std::string(e.what());
    }
    return std::string();
  };
  const std::string bad = error_of("{integrator: euler}");
  EXPECT_NE(bad.find("solver.integrator"), std::string::npos) << bad;
  EXPECT_NE(bad.find("'euler'"), std::string::npos) << bad;
  for (const char* s : {"{integrator: rk4, steps_per_interval: 0}", "{integrator: rk4, steps_per_interval: 2.5}"}) {
    const std::string e = error_of(s);
    EXPECT_NE(e.find("solver.steps_per_interval"), std::string::npos) << s << ": " << e;
  }
}

}  // namespace
}  // namespace biotwin
