// The UKF on a linear model is the Kalman filter: it must reproduce the EKF (itself checked
// against the written-out Kalman filter in ekf_test.cc) step for step, for a state signal and
// for a model output that mixes both states.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "estimate/state_estimation.h"
#include "model/model.h"
#include "sim/scenario.h"
#include "state_test_models.h"

namespace biotwin::estimate {
namespace {

TEST(Ukf, EqualsTheEkfOnALinearModel) {
  auto m = model::LoadModelText(testing::kTwoState, "two_state.yaml");
  sim::Scenario sc = sim::DefaultScenario(m->info(), 20.0);
  sc.atol = 1e-12;
  StateEstimationOptions opt;
  opt.signals = {{"A", 0.05}, {"total", 0.2}};
  opt.process_sigma = {0.02, 0.05};
  opt.rtol = 1e-10;
  auto ekf = StateEstimator::Create(m, sc, opt);
  opt.method = StateMethod::kUkf;
  auto ukf = StateEstimator::Create(m, sc, opt);
  const std::vector<double> x0 = {1.5, 1.0}, s0 = {0.5, 1.0};  // truth: A = 1, B = 2
  ekf->Reset(0.0, x0, s0);
  ukf->Reset(0.0, x0, s0);
  std::mt19937 rng(11);
  std::normal_distribution<double> noise(0.0, 1.0);
  for (int k = 1; k <= 30; ++k) {
    const double t = 0.4 * k;
    const Eigen::Vector2d truth = testing::TwoStatePhi(t) * Eigen::Vector2d(1.0, 2.0);
    std::vector<Observation> obs = {{0, truth[0] + 0.05 * noise(rng), t}};
    if (k % 3 == 0) obs.push_back({1, truth[0] + 2 * truth[1] + 0.2 * noise(rng), t});
    ASSERT_TRUE(ekf->Step(t, obs));
    ASSERT_TRUE(ukf->Step(t, obs));
    for (int i = 0; i < 2; ++i) {
      ASSERT_NEAR(ukf->state()[i], ekf->state()[i], 1e-6) << "t = " << t << " state " << i;
      for (int j = 0; j < 2; ++j) {
        const double want = ekf->covariance()[i + 2 * j];
        const double scale = std::sqrt(ekf->covariance()[i + 2 * i] * ekf->covariance()[j + 2 * j]);
        ASSERT_NEAR(ukf->covariance()[i + 2 * j], want, 1e-6 * scale)
            << "t = " << t;
      }
    }
  }
  // The filter has learnt B although only A and the total were measured.
  const Eigen::Vector2d truth = testing::TwoStatePhi(12.0) * Eigen::Vector2d(1.0, 2.0);
  EXPECT_NEAR(ukf->state()[1], truth[1], 4 * ukf->sigma(1));
  EXPECT_LT(ukf->sigma(1), 0.5 * 1.0);
  EXPECT_EQ(ukf->summary().propagations, 30 * 5);  // 2n + 1 sigma points per step
}

TEST(Ukf, RejectsInvalidSigmaPointParameters) {
  auto m = model::LoadModelText(testing::kTwoState, "two_state.yaml");
  StateEstimationOptions opt;
  opt.method = StateMethod::kUkf;
  opt.signals = {{"A", 0.1}};
  opt.ukf_alpha = 0.0;
  EXPECT_THROW(StateEstimator::Create(m, sim::DefaultScenario(m->info(), 1.0), opt), std::invalid_argument);
}

}  // namespace
}  // namespace biotwin::estimate
