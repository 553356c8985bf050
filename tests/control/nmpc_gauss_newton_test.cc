// Least-squares objectives on the shooting grid and the Gauss-Newton Hessian used by fast NMPC.
#include <gtest/gtest.h>

#include <cmath>

#include "control/ocp_problem.h"
#include "control/shooting_nlp.h"
#include "model/model.h"
#include "test_paths.h"

namespace biotwin {
namespace {

// Residuals linear in the node variables: the Gauss-Newton Hessian is then the exact Hessian of
// the objective, which the finite-difference Hessian (lambda = 0) gives independently.
constexpr const char* kLinearResiduals = R"yaml(
model: park_ramirez.yaml
horizon: {start: 0 h, end: {free: false, guess: 4 h}}
intervals: 5
controls:
  u: {min: 0 L/h, max: 2 L/h, initial: 0.3 L/h}
objective:
  minimize: {least_squares: ["(x4 - 1 [g/L])/(0.5 [g/L])", "(x3 + 2*x4)/(1 [g/L]) - 3", "(u - 0.4 [L/h])/(1 [L/h])"]}
solver: {rtol: 1e-10, atol: 1e-12, hessian: gauss_newton, regularization: 0.25}
)yaml";

control::OcpProblem Load(const std::string& text) {
  return control::LoadOcpProblemText(text, "lsq.yaml", testing::SourcePath("examples/benchmarks/park_ramirez"));
}

TEST(LeastSquares, ObjectiveIsTheTrapezoidalSumOfSquaredResiduals) {
  control::OcpProblem p = Load(kLinearResiduals);
  control::ShootingNlp nlp(p, 5);
  control::ControlPlan plan;
  plan.values = {{0.2, 0.5, 0.1, 0.9, 0.4}};
  std::vector<double> w;
  std::string err;
  ASSERT_TRUE(nlp.InitialPoint(plan, &w, &err)) << err;
  const auto x = nlp.GridStates(w.data());
  double expected = 0.0;
  for (int k = 0; k <= 5; ++k) {
    const double u = plan.values[0][std::min(k, 4)];
    const double r1 = (x[k][3] - 1.0) / 0.5, r2 = x[k][2] + 2 * x[k][3] - 3.0, r3 = u - 0.4;
    expected += (k == 0 || k == 5 ? 0.4 : 0.8) * (r1 * r1 + r2 * r2 + r3 * r3);  // h = 0.8 h
  }
  EXPECT_NEAR(nlp.Objective(w.data()), expected, 1e-12 * expected);
  // Gradient against central differences.
  std::vector<double> grad(nlp.num_variables());
  nlp.ObjectiveGradient(w.data(), grad.data());
  for (int j = nlp.nx(); j < nlp.num_variables(); ++j) {
    const double eps = 1e-6 * std::max(1.0, std::fabs(w[j]));
    std::vector<double> wp = w, wm = w;
    wp[j] += eps;
    wm[j] -= eps;
    EXPECT_NEAR(grad[j], (nlp.Objective(wp.data()) - nlp.Objective(wm.data())) / (2 * eps), 1e-6) << j;
  }
}

TEST(LeastSquares, GaussNewtonEqualsTheExactHessianForLinearResiduals) {
  control::OcpProblem gn = Load(kLinearResiduals);
  control::OcpProblem exact = gn;
  exact.solver.hessian = control::HessianMethod::kExact;
  control::ShootingNlp a(gn, 5), b(exact, 5);
  control::ControlPlan plan;
  plan.values = {{0.2, 0.5, 0.1, 0.9, 0.4}};
  std::vector<double> w;
  std::string err;
  ASSERT_TRUE(a.InitialPoint(plan, &w, &err)) << err;
  const int nh = a.hessian_nonzeros();
  ASSERT_EQ(nh, b.hessian_nonzeros());
  std::vector<double> lambda(a.num_constraints(), 0.0), ha(nh), hb(nh);
  ASSERT_TRUE(a.HessianValues(w.data(), 1.0, lambda.data(), ha.data(), &err)) << err;
  ASSERT_TRUE(b.HessianValues(w.data(), 1.0, lambda.data(), hb.data(), &err)) << err;
  std::vector<int> hr(nh), hc(nh);
  a.HessianStructure(hr.data(), hc.data());
  const int first_control = 6 * a.nx();
  int checked = 0;
  for (int e = 0; e < nh; ++e) {
    // The regularisation (0.25 per control value) is the only difference.
    const double reg = (hr[e] == hc[e] && hr[e] >= first_control) ? 0.25 : 0.0;
    EXPECT_NEAR(ha[e], hb[e] + reg, 1e-4 * std::max(1.0, std::fabs(hb[e]))) << "H(" << hr[e] << ", " << hc[e] << ")";
    if (hb[e] != 0.0) ++checked;
  }
  EXPECT_GE(checked, 20);  // 3 state-state entries at 5 nodes, 1 control entry at 5 nodes
}

TEST(LeastSquares, FileErrorsNameTheField) {
  std::string text = kLinearResiduals;
  text.replace(text.find("(x4 - 1 [g/L])/(0.5 [g/L])"), 26, "x4 - 1 [g/L]");
  try {
    control::OcpProblem p = Load(text);
    control::ShootingNlp nlp(p, 5);
    FAIL() << "a residual with a unit was accepted";
  } catch (const model::ModelError& e) {
    EXPECT_NE(std::string(e.what()).find("least_squares[0]"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("dimensionless"), std::string::npos) << e.what();
  }
  std::string econ = kLinearResiduals;
  econ.replace(econ.find("minimize: {least_squares"), std::string::npos, "maximize: \"x1*x5\"\nsolver: {hessian: gauss_newton}\n");
  EXPECT_THROW(Load(econ), model::ModelError);
}

}  // namespace
}  // namespace biotwin
