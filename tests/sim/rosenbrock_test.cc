// The Rosenbrock methods (src/sim/rosenbrock.h) on problems with known answers: the very stiff Prothero-Robinson
// equation (exact solution sin t, which only an L-stable method follows with large steps),
// Robertson's chemical kinetics (Hairer and Wanner's reference values at t = 40 and conservation
// of the total), a non-autonomous right-hand side (df/dt term), convergence as the tolerance
// tightens, the dense output, and failures reported instead of results.
#include "sim/rosenbrock.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <utility>
#include <string>
#include <vector>

#include "model/model.h"
#include "sim/scenario.h"
#include "sim/simulator.h"

namespace biotwin::sim {
namespace {

// A system from lambdas; `calls` counts right-hand-side evaluations.
struct LambdaSystem : RosenbrockSystem {
  std::function<bool(double, const double*, double*)> f;
  std::function<void(double, const double*, double*)> jac;
  bool time_dependent = false;
  long calls = 0;
  bool Rhs(double t, const double* x, double* out) override {
    ++calls;
    return f(t, x, out);
  }
  bool RhsAndJacobian(double t, const double* x, double* out, double* j, double*, bool* have_jt) override {
    jac(t, x, j);
    *have_jt = false;
    return Rhs(t, x, out);
  }
  bool TimeDependent() override { return time_dependent; }
};

// y' = -y.
LambdaSystem Decay() {
  LambdaSystem sys;
  sys.f = [](double, const double* y, double* f) {
    f[0] = -y[0];
    return true;
  };
  sys.jac = [](double, const double*, double* j) { j[0] = -1.0; };
  return sys;
}

// Robertson's kinetics; the Jacobian handed to the integrator is `jac_scale` times the true one.
LambdaSystem Robertson(double jac_scale) {
  LambdaSystem sys;
  sys.f = [](double, const double* y, double* f) {
    f[0] = -0.04 * y[0] + 1e4 * y[1] * y[2];
    f[1] = 0.04 * y[0] - 1e4 * y[1] * y[2] - 3e7 * y[1] * y[1];
    f[2] = 3e7 * y[1] * y[1];
    return true;
  };
  sys.jac = [jac_scale](double, const double* y, double* j) {  // column major
    const double full[9] = {-0.04, 0.04, 0.0, 1e4 * y[2], -1e4 * y[2] - 6e7 * y[1], 6e7 * y[1],
                            1e4 * y[1], -1e4 * y[1], 0.0};
    for (int k = 0; k < 9; ++k) j[k] = jac_scale * full[k];
  };
  return sys;
}

// Every integrator test runs with each method.
class Methods : public ::testing::TestWithParam<Rosenbrock::Method> {};

// Integrates to t_end with stops every `stop` (a sampled loop's intervals); false on failure.
bool Integrate(Rosenbrock& r, RosenbrockSystem& sys, double t_end, double stop) {
  for (double target = stop; target <= t_end + 1e-12; target += stop) {
    while (r.t() < target) {
      if (r.Step(sys, target) != Rosenbrock::Status::kOk) return false;
    }
  }
  return true;
}

// y' = lambda (y - sin t) + cos t, y(0) = 0: y = sin t for every lambda. With lambda = -1e6 an
// explicit or merely A-stable method needs h ~ 1/|lambda| or oscillates; an L-stable one takes
// steps set by sin t alone.
TEST_P(Methods, ProtheroRobinsonFollowsTheSmoothSolutionWithLargeSteps) {
  const double lambda = -1e6;
  LambdaSystem sys;
  sys.time_dependent = true;
  sys.f = [&](double t, const double* y, double* f) {
    f[0] = lambda * (y[0] - std::sin(t)) + std::cos(t);
    return true;
  };
  sys.jac = [&](double, const double*, double* j) { j[0] = lambda; };
  double y = 0.0;
  Rosenbrock r(GetParam(), 1, 1e-6, {1e-9});
  r.Restart(0.0, &y);
  ASSERT_TRUE(Integrate(r, sys, 10.0, 10.0));
  EXPECT_DOUBLE_EQ(r.t(), 10.0);
  EXPECT_NEAR(y, std::sin(10.0), 1e-5);
  EXPECT_LT(r.stats().steps, 2000);  // 1e7 steps if the stiffness set the step size
}

// Robertson (Hairer and Wanner, Solving ODEs II, sec. IV.1): reference solution at t = 40
// y1 = 0.7158270687, y2 = 9.185534764e-6, y3 = 0.2841637457; y1 + y2 + y3 = 1 throughout.
TEST_P(Methods, RobertsonKineticsMatchTheReferenceAndConserveMass) {
  LambdaSystem sys = Robertson(1.0);
  std::vector<double> y = {1.0, 0.0, 0.0};
  Rosenbrock r(GetParam(), 3, 1e-7, {1e-10, 1e-14, 1e-10});
  r.Restart(0.0, y.data());
  ASSERT_TRUE(Integrate(r, sys, 40.0, 40.0));
  EXPECT_NEAR(y[0], 0.7158270687, 1e-6);
  EXPECT_NEAR(y[1], 9.185534764e-6, 1e-10);
  EXPECT_NEAR(y[2], 0.2841637457, 1e-6);
  EXPECT_NEAR(y[0] + y[1] + y[2], 1.0, 1e-12);
}

// x' = 3 t^2 (no state dependence): x = t^3, exact for these order-3 and -4 methods with their
// df/dt term (differenced: 1e-6). Without it the RODAS methods are off by far more than the
// tolerance; ROS34PW2's explicit part happens to integrate t^2 exactly on its own.
TEST_P(Methods, NonAutonomousRightHandSideUsesTheTimeDerivative) {
  for (bool with_ft : {true, false}) {
    LambdaSystem sys;
    sys.time_dependent = with_ft;
    sys.f = [](double t, const double*, double* f) {
      f[0] = 3 * t * t;
      return true;
    };
    sys.jac = [](double, const double*, double* j) { j[0] = 0.0; };
    double x = 0.0;
    Rosenbrock r(GetParam(), 1, 1e-3, {1e-3});
    r.Restart(0.0, &x);
    ASSERT_TRUE(Integrate(r, sys, 2.0, 1.0));
    if (with_ft) {
      EXPECT_NEAR(x, 8.0, 1e-6);
    } else if (GetParam() != Rosenbrock::Method::kRos34pw2) {
      EXPECT_GT(std::fabs(x - 8.0), 1e-3);
    }
  }
}

// y' = -y: the global error at t = 5 falls with the tolerance and stays within a few tolerances;
// stops every 0.2 (a sampled loop) land exactly.
TEST_P(Methods, ErrorFollowsTheToleranceAcrossStops) {
  double previous = 1.0;
  for (double rtol : {1e-4, 1e-6, 1e-8}) {
    LambdaSystem sys = Decay();
    double y = 1.0;
    Rosenbrock r(GetParam(), 1, rtol, {rtol * 1e-3});
    r.Restart(0.0, &y);
    ASSERT_TRUE(Integrate(r, sys, 5.0, 0.2));
    EXPECT_NEAR(r.t(), 5.0, 1e-12);
    const double err = std::fabs(y - std::exp(-5.0)) / std::exp(-5.0);
    EXPECT_LT(err, 20 * rtol) << rtol;
    EXPECT_LT(err, previous) << rtol;
    previous = err;
  }
}

// The Hermite interpolant on the last step is third-order accurate: within the step of
// y' = -y it agrees with e^{-t} to about the local error.
TEST_P(Methods, InterpolatesWithinTheLastStep) {
  LambdaSystem sys = Decay();
  double y = 1.0;
  Rosenbrock r(GetParam(), 1, 1e-8, {1e-12});
  r.Restart(0.0, &y);
  ASSERT_EQ(r.Step(sys, 1.0), Rosenbrock::Status::kOk);
  ASSERT_EQ(r.Step(sys, 1.0), Rosenbrock::Status::kOk);
  const double t0 = r.previous_time(), t1 = r.t();
  ASSERT_LT(t0, t1);
  const double h = t1 - t0;
  for (double s : {0.0, 0.25, 0.5, 0.9, 1.0}) {
    double yi = 0.0;
    ASSERT_TRUE(r.Interpolate(sys, t0 + s * h, &yi));
    EXPECT_NEAR(yi, std::exp(-(t0 + s * h)), 1e-3 * h * h * h + 1e-7) << s;
  }
}

// A right-hand side that is never finite is a failure with the state untouched, not a result.
TEST_P(Methods, ReportsFailuresAndLeavesTheStateUnchanged) {
  LambdaSystem sys;
  sys.f = [](double t, const double* y, double* f) {
    f[0] = t > 0.5 ? std::nan("") : -y[0];
    return std::isfinite(f[0]);
  };
  sys.jac = [](double, const double*, double* j) { j[0] = -1.0; };
  double y = 1.0;
  Rosenbrock r(GetParam(), 1, 1e-6, {1e-9});
  r.Restart(0.0, &y);
  Rosenbrock::Status st = Rosenbrock::Status::kOk;
  while (st == Rosenbrock::Status::kOk && r.t() < 1.0) st = r.Step(sys, 1.0);
  EXPECT_NE(st, Rosenbrock::Status::kOk);
  EXPECT_LE(r.t(), 0.5 + 1e-9);
  EXPECT_NEAR(y, std::exp(-r.t()), 1e-6);
  EXPECT_GT(r.stats().rejected, 0);
}

// The semi-discrete heat equation u' = D u_xx on (0, 1), u = 0 at both ends, n = 40 interior
// points: from u = sin(pi x) the exact solution is sin(pi x_i) exp(lambda t) with
// lambda = -(4 D / dx^2) sin^2(pi dx / 2). The tridiagonal Jacobian takes the sparse LU.
TEST_P(Methods, SparseLuSolvesATridiagonalSystemExactlyAsTheDenseOne) {
  const int n = 40;
  const double D = 0.1, dx = 1.0 / (n + 1), pi = std::acos(-1.0);
  LambdaSystem sys;
  sys.f = [&](double, const double* u, double* f) {
    for (int i = 0; i < n; ++i) {
      const double left = i > 0 ? u[i - 1] : 0.0, right = i + 1 < n ? u[i + 1] : 0.0;
      f[i] = D * (left - 2 * u[i] + right) / (dx * dx);
    }
    return true;
  };
  sys.jac = [&](double, const double*, double* j) {
    std::fill(j, j + n * n, 0.0);
    for (int i = 0; i < n; ++i) {
      j[i + i * n] = -2 * D / (dx * dx);
      if (i > 0) j[i + (i - 1) * n] = D / (dx * dx);
      if (i + 1 < n) j[i + (i + 1) * n] = D / (dx * dx);
    }
  };
  std::vector<std::pair<int, int>> pattern;
  for (int i = 0; i < n; ++i) {
    for (int j = std::max(0, i - 1); j <= std::min(n - 1, i + 1); ++j) pattern.emplace_back(i, j);
  }
  const double lambda = -(4 * D / (dx * dx)) * std::pow(std::sin(pi * dx / 2), 2);
  std::vector<double> finals[2];
  for (int sparse = 0; sparse < 2; ++sparse) {
    std::vector<double> u(n);
    for (int i = 0; i < n; ++i) u[i] = std::sin(pi * (i + 1) * dx);
    Rosenbrock r(GetParam(), n, 1e-7, std::vector<double>(n, 1e-10));
    if (sparse) r.UseSparsity(pattern);
    EXPECT_EQ(r.sparse(), sparse == 1);
    r.Restart(0.0, u.data());
    ASSERT_TRUE(Integrate(r, sys, 1.0, 0.25));
    for (int i = 0; i < n; ++i) EXPECT_NEAR(u[i], std::sin(pi * (i + 1) * dx) * std::exp(lambda), 1e-6) << i;
    EXPECT_EQ(r.stats().sparse_refusals, 0);
    finals[sparse] = u;
  }
  for (int i = 0; i < n; ++i) EXPECT_NEAR(finals[1][i], finals[0][i], 1e-12);
}

// A W-method's order holds with any matrix in place of the Jacobian: ROS34PW2 keeps one for many
// steps, and even a deliberately wrong one (half the true Jacobian) gives Robertson's reference
// values, only with more steps.
TEST(RosenbrockW, KeepsItsJacobianAndToleratesAWrongOne) {
  for (double scale : {1.0, 0.5}) {
    LambdaSystem sys = Robertson(scale);
    std::vector<double> y = {1.0, 0.0, 0.0};
    Rosenbrock r(Rosenbrock::Method::kRos34pw2, 3, 1e-7, {1e-10, 1e-14, 1e-10});
    r.Restart(0.0, y.data());
    ASSERT_TRUE(Integrate(r, sys, 40.0, 40.0)) << scale;
    EXPECT_NEAR(y[0], 0.7158270687, 1e-6) << scale;
    EXPECT_NEAR(y[1], 9.185534764e-6, 1e-10) << scale;
    EXPECT_NEAR(y[2], 0.2841637457, 1e-6) << scale;
    EXPECT_LT(r.stats().jac_evals, r.stats().steps) << scale;
    EXPECT_LT(r.stats().factorizations, r.stats().steps + r.stats().rejected + 1) << scale;
  }
}

INSTANTIATE_TEST_SUITE_P(Rosenbrock, Methods,
                         ::testing::Values(Rosenbrock::Method::kRodas3, Rosenbrock::Method::kRodas4,
                                           Rosenbrock::Method::kRos34pw2),
                         [](const auto& info) {
                           switch (info.param) {
                             case Rosenbrock::Method::kRodas3: return std::string("Rodas3");
                             case Rosenbrock::Method::kRodas4: return std::string("Rodas4");
                             default: return std::string("Ros34pw2");
                           }
                         });

// Through the simulator: `solver: {method: rodas3 | rodas4 | ros34pw2}` runs Monod batch growth to the same answer as
// BDF, with the model's Jacobian and the statistics of the Rosenbrock steps, and a wrong method
// names the file, line and field.
TEST(RosenbrockSimulator, RunsTheMethodTheScenarioNames) {
  auto m = model::LoadModelText(R"yaml(biotwin: 1
model: {name: monod}
states:
  X: {unit: g/L, initial: 0.1}
  S: {unit: g/L, initial: 20}
parameters:
  mu_max: {value: 0.5, unit: 1/h}
  Ks: {value: 0.05, unit: g/L}
  Y: {value: 0.5, unit: g/g}
balances:
  X: "mu_max*S/(Ks + S)*X"
  S: "-mu_max*S/(Ks + S)*X/Y"
)yaml", "monod.yaml");
  auto run = [&](const std::string& method) {
    Scenario sc = LoadScenarioText("until: 20 h\noutput_interval: 1 h\nsolver: {rtol: 1e-8, atol: 1e-10, method: " +
                                       method + "}\n", "scenario.yaml", m->info());
    EXPECT_EQ(sc.method, method);
    return Simulator(m, sc).Run();
  };
  SimResult bdf = run("bdf");
  ASSERT_TRUE(bdf.ok) << bdf.message;
  for (const char* method : {"rodas3", "rodas4", "ros34pw2"}) {
  SimResult ros = run(method);
  ASSERT_TRUE(ros.ok) << ros.message;
  ASSERT_EQ(bdf.time.size(), ros.time.size());
  for (size_t k = 0; k < bdf.time.size(); ++k) {
    // Yield invariant X + Y S = X0 + Y S0 holds for both.
    EXPECT_NEAR(ros.states[k][0] + 0.5 * ros.states[k][1], 10.1, 1e-7);
    for (int i = 0; i < 2; ++i) EXPECT_NEAR(ros.states[k][i], bdf.states[k][i], 1e-5) << k;
  }
  EXPECT_EQ(ros.stats.newton_iters, 0);  // no Newton iteration: linearly implicit
  if (std::string(method) != "ros34pw2") {
    EXPECT_EQ(ros.stats.jac_evals, ros.stats.steps);
  }
  EXPECT_GT(ros.stats.steps, 0);
  EXPECT_EQ(ros.stats.method, method);
  EXPECT_NE(IntegratorDescription(method).find("Rosenbrock"), std::string::npos);
  }
  // Forward sensitivities need CVODES: the run says which integrator it used.
  Scenario sc = LoadScenarioText("until: 2 h\nsolver: {method: rodas3}\n", "scenario.yaml", m->info());
  SimOptions opt;
  opt.sensitivity_parameters = {0};
  SimResult sens = Simulator(m, sc, opt).Run();
  ASSERT_TRUE(sens.ok) << sens.message;
  EXPECT_EQ(sens.stats.method, "bdf");
  EXPECT_EQ(sens.sensitivities.size(), sens.time.size());
  try {
    LoadScenarioText("until: 1 h\nsolver: {method: euler}\n", "scenario.yaml", m->info());
    ADD_FAILURE() << "no error";
  } catch (const model::ModelError& e) {
    EXPECT_NE(std::string(e.what()).find("scenario.yaml:2"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("solver.method"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("bdf, rodas3, rodas4 or ros34pw2"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace biotwin::sim
