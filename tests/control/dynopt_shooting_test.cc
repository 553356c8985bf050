// Shooting sensitivities (CVODES forward sensitivities w.r.t. initial state, inputs, interval
// length and start) and the multiple-shooting constraint Jacobian, checked against central finite
// differences of the same integrations.
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
using Case = testing::ShootingCase;

void CheckAgainstFiniteDifferences(const Case& c) {
  sim::ShootingSetup setup;
  setup.parameters = c.model->info().ParameterValues();
  setup.input_directions = c.dirs;
  setup.sens_length = true;
  setup.sens_start = true;
  setup.rtol = 1e-11;
  setup.atol.assign(c.model->num_states(), 1e-13);
  sim::ShootingIntegrator integ(c.model, setup);
  ASSERT_EQ(integ.num_sensitivities(), integ.num_states() + static_cast<int>(c.dirs.size()) + 2);
  testing::ExpectSensitivitiesMatchCentralDifferences(integ, c, {0.4, 1.0}, 1e-5, 1e-5);
}

TEST(ShootingSensitivity, ParkRamirezConstantFeedMatchesFiniteDifferences) {
  Case c;
  c.model = ParkRamirez();
  c.dirs = {{0, InputDirection::Kind::kConstant}};
  c.x0 = {0.3, 0.6, 1.4, 3.0, 1.5};
  c.ua = c.ub = {0.4};
  c.t0 = 2.0;
  c.h = 0.75;
  CheckAgainstFiniteDifferences(c);
}

TEST(ShootingSensitivity, TimeDependentModelWithLinearInputsMatchesFiniteDifferences) {
  Case c;
  c.model = testing::TimedModel();
  c.dirs = {{0, InputDirection::Kind::kStart}, {0, InputDirection::Kind::kEnd}, {1, InputDirection::Kind::kConstant}};
  c.x0 = {1.2, 0.4};
  c.ua = {0.5, 0.2};
  c.ub = {1.5, 0.2};
  c.t0 = 1.3;
  c.h = 2.0;
  CheckAgainstFiniteDifferences(c);
}

TEST(ShootingSensitivity, ConstantInputSimulationMatchesReferenceSolution) {
  // Park-Ramirez with u = 0.5 L/h for 15 h: reference x(tf) from Radau/LSODA at rtol 1e-12
  // (../shared/reference/benchmarks/park_ramirez_1988.json, simulation_check_C).
  auto m = ParkRamirez();
  sim::ShootingSetup setup;
  setup.parameters = m->info().ParameterValues();
  setup.rtol = 1e-11;
  setup.atol.assign(5, 1e-13);
  sim::ShootingIntegrator integ(m, setup);
  std::vector<double> x0 = m->info().InitialState(), u{0.5};
  std::vector<sim::ShootingPoint> pts;
  std::string err;
  ASSERT_TRUE(integ.Integrate(0.0, 15.0, x0.data(), u.data(), u.data(), {1.0}, false, &pts, &err)) << err;
  const double ref[5] = {3.308161393, 3.764749808, 2.603820324, 0.08622928429, 8.5};
  for (int i = 0; i < 5; ++i) EXPECT_NEAR(pts[0].x[i], ref[i], 1e-7 * std::max(1.0, ref[i])) << i;
}

// The NLP constraint Jacobian (continuity, path rows at grid and check points, terminal rows,
// free final time) against finite differences of the constraint values.
TEST(ShootingNlp, ConstraintJacobianMatchesFiniteDifferences) {
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
  - "secreted_amount >= 0"
terminal_constraints:
  - "x5 <= 8 [L]"
solver: {rtol: 1e-11, atol: 1e-13, check_points: 2}
)yaml";
  control::OcpProblem p = control::LoadOcpProblemText(text, "jac.yaml", dir);
  control::ShootingNlp nlp(p, 4);
  control::ControlPlan plan;
  plan.tf = 6.0;
  plan.values = {{0.2, 0.5, 0.1, 0.9, 0.4}};
  std::vector<double> w;
  std::string err;
  ASSERT_TRUE(nlp.InitialPoint(plan, &w, &err)) << err;
  // Move the states off the simulated trajectory so continuity rows are non-trivial.
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
  for (int j = nlp.nx(); j < nw; ++j) {  // s_0 is fixed
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
      EXPECT_NEAR(dense[static_cast<size_t>(r) * nw + j], d, 2e-5 * std::max(1.0, std::fabs(d)))
          << "row " << r << " column " << j;
    }
  }
  // Lagrangian Hessian (forward differences of exact gradients) against central differences of
  // the Lagrangian gradient grad f + J^T lambda.
  std::vector<double> lambda(ng);
  for (int r = 0; r < ng; ++r) lambda[r] = std::sin(1.0 + r);
  auto lagrangian_gradient = [&](const std::vector<double>& x) {
    std::vector<double> g(nw), jvals(nnz);
    nlp.ObjectiveGradient(x.data(), g.data());
    for (double& v : g) v *= 0.7;  // obj_factor
    EXPECT_TRUE(nlp.Evaluate(x.data(), true, &err)) << err;
    nlp.JacobianValues(x.data(), jvals.data());
    for (int e = 0; e < nnz; ++e) g[jc[e]] += lambda[ir[e]] * jvals[e];
    return g;
  };
  const int nh = nlp.hessian_nonzeros();
  std::vector<int> hr(nh), hc(nh);
  nlp.HessianStructure(hr.data(), hc.data());
  std::vector<double> hv(nh);
  ASSERT_TRUE(nlp.HessianValues(w.data(), 0.7, lambda.data(), hv.data(), &err)) << err;
  std::vector<double> hdense(static_cast<size_t>(nw) * nw, 0.0);
  for (int e = 0; e < nh; ++e) {
    ASSERT_GE(hr[e], hc[e]);  // lower triangle
    hdense[static_cast<size_t>(hr[e]) * nw + hc[e]] = hv[e];
  }
  for (int j = nlp.nx(); j < nw; ++j) {
    const double eps = 1e-4 * std::max(1.0, std::fabs(w[j]));
    std::vector<double> wp = w, wm = w;
    wp[j] += eps;
    wm[j] -= eps;
    const auto gp2 = lagrangian_gradient(wp), gm2 = lagrangian_gradient(wm);
    for (int i = std::max(j, nlp.nx()); i < nw; ++i) {
      const double d = (gp2[i] - gm2[i]) / (2 * eps);
      EXPECT_NEAR(hdense[static_cast<size_t>(i) * nw + j], d, 2e-3 * std::max(1.0, std::fabs(d))) << "H(" << i << ", " << j << ")";
    }
  }
  // Objective gradient.
  std::vector<double> grad(nw);
  nlp.ObjectiveGradient(w.data(), grad.data());
  for (int j = nlp.nx(); j < nw; ++j) {
    const double eps = 1e-6 * std::max(1.0, std::fabs(w[j]));
    std::vector<double> wp = w, wm = w;
    wp[j] += eps;
    wm[j] -= eps;
    EXPECT_NEAR(grad[j], (nlp.Objective(wp.data()) - nlp.Objective(wm.data())) / (2 * eps), 1e-6) << j;
  }
}

}  // namespace
}  // namespace biotwin
