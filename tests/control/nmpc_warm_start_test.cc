// What makes the NMPC step fast, and that it stays correct: one IPOPT application re-solving the
// moving problem (the same answers as fresh solves), multipliers shifted with the solution, the
// prepared first plan, and iteration-limited (real-time iteration) steps that only ever apply
// plans whose simulation meets the constraints, with a closed-loop result close to the converged
// controller's.
#include <gtest/gtest.h>

#include <cmath>

#include "control/ipopt_adapter.h"
#include "control/nmpc_controller.h"
#include "control/ocp_problem.h"
#include "control/shooting_nlp.h"
#include "sim/shooting_sensitivity.h"
#include "test_paths.h"

namespace biotwin {
namespace {

// Park-Ramirez glucose tracking with a volume limit that becomes active within a few hours.
constexpr const char* kProblem = R"yaml(
model: park_ramirez.yaml
horizon: {start: 0 h, end: 2.5 h}
intervals: 10
controls:
  u: {min: 0 L/h, max: 2 L/h, initial: 0.5 L/h}
objective:
  minimize: {least_squares: ["(x4 - 1 [g/L])/(1 [g/L])"]}
path_constraints:
  - "x5 <= 1.3 [L]"
solver: {integrator: rk4, steps_per_interval: 10, hessian: gauss_newton, regularization: 1e-4}
)yaml";

control::OcpProblem Problem() {
  return control::LoadOcpProblemText(kProblem, "pr.yaml", testing::SourcePath("examples/benchmarks/park_ramirez"));
}

std::vector<double> Solve(control::ShootingNlp& nlp, control::IpoptSession* session, double t, const std::vector<double>& x) {
  nlp.MoveHorizon(t, x.data());
  control::ControlPlan plan;
  plan.values = {std::vector<double>(nlp.intervals(), 0.2)};
  std::vector<double> w;
  std::string err;
  EXPECT_TRUE(nlp.InitialPoint(plan, &w, &err)) << err;
  control::IpoptSettings s;
  s.tolerance = 1e-9;
  s.hessian = control::HessianMethod::kGaussNewton;
  const control::IpoptOutcome out = session ? session->Solve(w, nullptr, s) : control::SolveWithIpopt(nlp, w, s);
  EXPECT_TRUE(control::StatusIsSuccess(out.status)) << control::StatusName(out.status);
  return out.w;
}

TEST(NmpcWarmStart, ASessionReSolvingTheMovedProblemMatchesFreshSolves) {
  const auto p = Problem();
  control::ShootingNlp nlp(p, p.intervals), fresh(p, p.intervals);
  control::IpoptSession session(nlp);
  std::vector<double> x = p.model->info().InitialState();
  for (int k = 0; k < 3; ++k) {
    const double t = 0.25 * k;
    const auto ws = Solve(nlp, &session, t, x);
    const auto wf = Solve(fresh, nullptr, t, x);
    ASSERT_EQ(ws.size(), wf.size());
    for (int i = 0; i < 5; ++i) EXPECT_EQ(ws[i], x[i]) << "s_0 must be the new state (fixed variable) at step " << k;
    for (size_t i = 0; i < ws.size(); ++i) EXPECT_NEAR(ws[i], wf[i], 1e-5 * std::max(1.0, std::fabs(wf[i]))) << k << ": " << i;
    x = {0.1 * k, 0.2 * k, 1.0 + 0.3 * k, 5.0 - 1.5 * k, 1.0 + 0.1 * k};  // a different state each time
  }
}

TEST(NmpcWarmStart, MultipliersShiftOneIntervalLikeTheSolution) {
  const auto p = Problem();
  control::ShootingNlp nlp(p, p.intervals);
  const int N = nlp.intervals(), nx = nlp.nx(), nw = nlp.num_variables(), ng = nlp.num_constraints();
  ASSERT_EQ(nx, 5);
  // Rows: N*nx continuity, then the volume limit at grid points 1..N (it uses no input, so not at 0).
  ASSERT_EQ(ng, N * nx + N);
  std::vector<double> zl(nw), zu(nw), lambda(ng);
  for (int j = 0; j < nw; ++j) zl[j] = j, zu[j] = -j;
  for (int r = 0; r < ng; ++r) lambda[r] = 1000 + r;
  std::vector<double> w(zl);
  nlp.ShiftSolution(&w, std::vector<double>(5, 0.0).data());
  nlp.ShiftMultipliers(zl.data(), zu.data(), lambda.data());
  for (int j = nx; j < nw; ++j) {
    EXPECT_EQ(zl[j], w[j]) << "bound multiplier " << j << " moves with its variable";
    EXPECT_EQ(zu[j], -w[j]) << j;
  }
  for (int i = 0; i < nx; ++i) EXPECT_EQ(zl[i], 0.0);  // s_0 is fixed
  for (int k = 0; k < N; ++k) {
    for (int i = 0; i < nx; ++i) {
      const int from = (k + 1 < N ? k + 1 : k) * nx + i;
      EXPECT_EQ(lambda[k * nx + i], 1000 + from) << "continuity row of interval " << k;
    }
    const int node = k + 1, from = node < N ? node + 1 : node;  // path row of grid point node
    EXPECT_EQ(lambda[N * nx + node - 1], 1000 + N * nx + from - 1) << "path row at grid point " << node;
  }
}

class NmpcClosedLoop : public ::testing::Test {
 protected:
  struct Run {
    int fallbacks = 0, max_iterations = 0;
    double tracking = 0.0, max_volume = 0.0;
  };
  // 16 steps of 0.25 h against the same model (BDF, tight) as the plant.
  static Run RunLoop(int max_iterations, bool prepare) {
    const auto p = Problem();
    control::NmpcOptions opt;
    opt.max_iterations = max_iterations;
    opt.max_solve_seconds = 60.0;  // never binding: the test must not depend on the machine's speed
    control::NmpcController mpc(p, opt, [](double) { return std::vector<double>{0.0}; });
    sim::ShootingSetup ps;
    ps.parameters = p.model->info().ParameterValues();
    ps.rtol = 1e-10;
    ps.atol.assign(5, 1e-12);
    sim::ShootingIntegrator plant(p.model, ps);
    std::vector<double> x = p.model->info().InitialState(), taus;
    for (int q = 1; q <= 10; ++q) taus.push_back(0.1 * q);
    if (prepare) {
      EXPECT_TRUE(mpc.Prepare(0.0, x).converged);
    }
    Run r;
    std::vector<sim::ShootingPoint> pts;
    std::string err;
    for (int k = 0; k < 16; ++k) {
      const double t = 0.25 * k;
      const auto s = mpc.Step(t, x);
      if (s.source != control::NmpcSource::kOptimal) ++r.fallbacks;
      r.max_iterations = std::max(r.max_iterations, s.iterations);
      EXPECT_TRUE(plant.Integrate(t, 0.25, x.data(), s.controls.data(), s.controls.data(), taus, false, &pts, &err)) << err;
      for (const auto& pt : pts) {
        r.tracking += 0.025 * (pt.x[3] - 1.0) * (pt.x[3] - 1.0);
        r.max_volume = std::max(r.max_volume, pt.x[4]);
      }
      x = pts.back().x;
    }
    return r;
  }
};

TEST_F(NmpcClosedLoop, PreparedFirstStepIsWarm) {
  const auto p = Problem();
  control::NmpcController mpc(p, {}, [](double) { return std::vector<double>{0.0}; });
  const std::vector<double> x = p.model->info().InitialState();
  const auto cold = mpc.Prepare(0.0, x);
  ASSERT_TRUE(cold.converged) << cold.reason;
  ASSERT_EQ(cold.source, control::NmpcSource::kOptimal);
  const auto first = mpc.Step(0.0, x);
  ASSERT_EQ(first.source, control::NmpcSource::kOptimal) << first.reason;
  EXPECT_LT(first.iterations, cold.iterations);
  EXPECT_NEAR(first.controls[0], cold.controls[0], 1e-4);
}

TEST_F(NmpcClosedLoop, IterationLimitedStepsApplyFeasiblePlansCloseToTheConvergedOnes) {
  const Run converged = RunLoop(100, true);
  ASSERT_EQ(converged.fallbacks, 0);
  EXPECT_LE(converged.max_volume, 1.3 + 1e-6);
  for (int iterations : {1, 2, 3, 5}) {
    const Run rti = RunLoop(iterations, true);
    EXPECT_LE(rti.max_iterations, iterations);
    // One iteration is sometimes not enough for a plan whose simulation keeps the predicted
    // volume within the limit: that step falls back to the previous (checked) plan.
    if (iterations >= 2) {
      EXPECT_EQ(rti.fallbacks, 0) << iterations << " iterations per step";
    }
    EXPECT_LE(rti.max_volume, 1.3 + 1e-6) << iterations;  // the volume limit holds in the plant
    EXPECT_NEAR(rti.tracking, converged.tracking, 0.05 * converged.tracking) << iterations;
  }
}

}  // namespace
}  // namespace biotwin
