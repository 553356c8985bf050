// The propagator's state-transition matrix against the closed form, and the EKF on linear models
// against the Kalman filter: the same recursion written out with the exact discrete dynamics, and
// the analytic steady-state covariance and gain of a scalar system.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "estimate/state_estimation.h"
#include "estimate/state_propagator.h"
#include "model/model.h"
#include "sim/scenario.h"
#include "state_test_models.h"

namespace biotwin::estimate {
namespace {

using testing::kDecay;
using testing::kTwoState;

StateEstimationOptions Signals(std::vector<SignalSpec> signals, std::vector<double> process = {}) {
  StateEstimationOptions opt;
  opt.signals = std::move(signals);
  opt.process_sigma = std::move(process);
  return opt;
}

TEST(StatePropagator, TransitionMatrixMatchesClosedForm) {
  auto m = model::LoadModelText(kTwoState, "two_state.yaml");
  sim::Scenario sc = sim::DefaultScenario(m->info(), 10.0);
  sc.atol = 1e-12;
  StatePropagator prop(m, sc, 1e-10);
  double x[2] = {1.0, 2.0}, phi[4];
  ASSERT_TRUE(prop.Propagate(1.0, 3.5, x, phi)) << prop.error();
  const Eigen::Matrix2d want = testing::TwoStatePhi(2.5);
  const Eigen::Vector2d xw = want * Eigen::Vector2d(1.0, 2.0);
  EXPECT_NEAR(x[0], xw[0], 1e-8);
  EXPECT_NEAR(x[1], xw[1], 1e-8);
  for (int i = 0; i < 2; ++i) {
    for (int j = 0; j < 2; ++j) EXPECT_NEAR(phi[i + 2 * j], want(i, j), 1e-7) << i << "," << j;
  }
  // A zero-length interval is the identity.
  ASSERT_TRUE(prop.Propagate(3.5, 3.5, x, phi));
  EXPECT_EQ(phi[0], 1.0);
  EXPECT_EQ(phi[1], 0.0);
}

TEST(Ekf, ScalarLinearSystemReachesTheAnalyticSteadyStateGain) {
  auto m = model::LoadModelText(kDecay, "decay.yaml");
  sim::Scenario sc = sim::DefaultScenario(m->info(), 100.0);
  sc.atol = 1e-12;  // X decays to 0.01: keep the absolute tolerance out of Phi's accuracy
  StateEstimationOptions opt;
  opt.signals = {{"X", 0.1}};
  opt.process_sigma = {0.05};
  opt.rtol = 1e-10;
  auto ekf = StateEstimator::Create(m, sc, opt);
  const double x0 = 2.0, p0 = 1.0;
  ekf->Reset(0.0, std::vector<double>{x0}, std::vector<double>{p0});
  // The Kalman filter written out with the exact discrete dynamics a = exp(-0.3 dt).
  const double dt = 0.5, a = std::exp(-0.3 * dt), q = 0.05 * 0.05 * dt, r = 0.01;
  double xk = x0, pk = p0 * p0, gain = 0.0;
  std::mt19937 rng(7);
  std::normal_distribution<double> noise(0.0, 0.1);
  for (int k = 1; k <= 60; ++k) {
    const double t = k * dt;
    const double y = 2.0 * std::exp(-0.3 * t) + noise(rng);
    ASSERT_TRUE(ekf->Step(t, std::vector<Observation>{{0, y, t}}));
    xk *= a;
    pk = a * a * pk + q;
    gain = pk / (pk + r);
    xk += gain * (y - xk);
    pk *= 1 - gain;
    ASSERT_NEAR(ekf->state()[0], xk, 1e-7) << "t = " << t;
    // Phi comes from CVODES sensitivities (rtol 1e-10, no error control on them): ~1e-6 relative.
    ASSERT_NEAR(ekf->covariance()[0], pk, 1e-6 * pk) << "t = " << t;
  }
  // Steady state: the prior variance M solves M^2 + M (r - a^2 r - q) - q r = 0.
  const double b = r - a * a * r - q;
  const double m_ss = 0.5 * (-b + std::sqrt(b * b + 4 * q * r));
  const double k_ss = m_ss / (m_ss + r);
  EXPECT_NEAR(gain, k_ss, 1e-9);  // the written-out filter converged to the analytic gain
  EXPECT_NEAR(ekf->covariance()[0], m_ss * (1 - k_ss), 1e-6 * m_ss);
  EXPECT_EQ(ekf->summary().observations_used, 60);
}

TEST(Ekf, DelayedSamplesAreCountedAsSkippedNotUsed) {
  auto m = model::LoadModelText(kDecay, "decay.yaml");
  auto ekf = StateEstimator::Create(m, sim::DefaultScenario(m->info(), 10.0), Signals({{"X", 0.1}}));
  ekf->Reset(0.0, std::vector<double>{2.0}, std::vector<double>{0.5});
  ASSERT_TRUE(ekf->Step(1.0, std::vector<Observation>{{0, 1.5, 0.5}}));
  EXPECT_EQ(ekf->summary().skipped_delayed, 1);
  EXPECT_EQ(ekf->summary().observations_used, 0);
  EXPECT_THROW(ekf->Step(2.0, std::vector<Observation>{{0, 1.5, 3.0}}), std::invalid_argument);
  EXPECT_THROW(ekf->Step(0.5, {}), std::invalid_argument);
}

TEST(Ekf, RejectsUnknownSignalsAndBadNoise) {
  auto m = model::LoadModelText(kTwoState, "two_state.yaml");
  auto sc = sim::DefaultScenario(m->info(), 10.0);
  EXPECT_THROW(StateEstimator::Create(m, sc, Signals({{"C", 0.1}})), std::invalid_argument);
  EXPECT_THROW(StateEstimator::Create(m, sc, Signals({{"A", 0.0}})), std::invalid_argument);
  EXPECT_THROW(StateEstimator::Create(m, sc, Signals({{"A", 0.1}}, {0.1})),
               std::invalid_argument);
  EXPECT_NO_THROW(StateEstimator::Create(m, sc, Signals({{"total", 0.1}})));
}

TEST(Ekf, NonNegativeStatesAreProjected) {
  auto m = model::LoadModelText(kTwoState, "two_state.yaml");
  StateEstimationOptions opt = Signals({{"A", 0.01}});
  opt.non_negative = {"A"};
  auto ekf = StateEstimator::Create(m, sim::DefaultScenario(m->info(), 10.0), opt);
  ekf->Reset(0.0, std::vector<double>{1.0, 2.0}, std::vector<double>{1.0, 1.0});
  ASSERT_TRUE(ekf->Step(0.1, std::vector<Observation>{{0, -0.5, 0.1}}));  // a wild negative reading
  EXPECT_EQ(ekf->state()[0], 0.0);
  EXPECT_GE(ekf->summary().clipped, 1);
}

TEST(Ekf, NonFiniteUpdateFailsAndKeepsTheEstimate) {
  auto m = model::LoadModelText(R"yaml(biotwin: 1
model: {name: inverse}
states:
  A: {unit: g/L, initial: 0}
parameters:
  k: {value: 0, unit: 1/h}
balances:
  A: "k*A"
outputs:
  inv: {expr: "1/A", unit: L/g}
)yaml",
                                "inverse.yaml");
  for (StateMethod method : {StateMethod::kEkf, StateMethod::kUkf}) {
    StateEstimationOptions opt = Signals({{"inv", 0.1}}, {0.01});
    opt.method = method;
    auto est = StateEstimator::Create(m, sim::DefaultScenario(m->info(), 10.0), opt);
    est->Reset(0.0, std::vector<double>{0.0}, std::vector<double>{0.0});
    EXPECT_FALSE(est->Step(1.0, std::vector<Observation>{{0, 2.0, 1.0}})) << StateMethodName(method);
    EXPECT_EQ(est->state()[0], 0.0);
    EXPECT_TRUE(std::isfinite(est->covariance()[0]));
    EXPECT_NE(est->summary().last_error.find("non-finite"), std::string::npos) << est->summary().last_error;
  }
}

}  // namespace
}  // namespace biotwin::estimate
