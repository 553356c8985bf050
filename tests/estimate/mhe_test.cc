// The moving-horizon estimator on a linear model against the batch least-squares solution (the
// full-information estimate, solved here by the normal equations): a lab sample drawn at 2 h and
// reported at 5 h must revise the past estimates to exactly the batch solution that includes it,
// both with a window covering the whole run and with a short window whose arrival cost (carried by
// the Kalman filter, exact for a linear-Gaussian system) summarises the older data.
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

constexpr double kSigmaA = 0.05, kSigmaB = 0.1, kQa = 0.02, kQb = 0.05;
const Eigen::Vector2d kPrior(1.5, 1.0), kPriorSigma(0.5, 1.0);

struct Data {
  std::vector<double> a;  // A measured at t = 1..6 h (index t - 1)
  double b2 = 0.0;        // B drawn at 2 h
};

Data MakeData() {
  std::mt19937 rng(3);
  std::normal_distribution<double> noise(0.0, 1.0);
  Data d;
  for (int k = 1; k <= 6; ++k) {
    const Eigen::Vector2d x = testing::TwoStatePhi(k) * Eigen::Vector2d(1.0, 2.0);
    d.a.push_back(x[0] + kSigmaA * noise(rng));
  }
  d.b2 = (testing::TwoStatePhi(2) * Eigen::Vector2d(1.0, 2.0))[1] + kSigmaB * noise(rng);
  return d;
}

// Batch weighted least squares over the nodes t = 0..last (1 h apart) with the measurements of A
// at 1..last and, if with_lab, B at 2 h. Returns the states stacked by node.
Eigen::VectorXd BatchLeastSquares(const Data& d, int last, bool with_lab) {
  const int nv = 2 * (last + 1);
  Eigen::MatrixXd H = Eigen::MatrixXd::Zero(nv, nv);
  Eigen::VectorXd g = Eigen::VectorXd::Zero(nv);
  auto add_row = [&](const Eigen::VectorXd& row, double target, double sigma) {
    H += row * row.transpose() / (sigma * sigma);
    g += row * target / (sigma * sigma);
  };
  for (int i = 0; i < 2; ++i) {
    Eigen::VectorXd row = Eigen::VectorXd::Zero(nv);
    row[i] = 1.0;
    add_row(row, kPrior[i], kPriorSigma[i]);
  }
  const Eigen::Matrix2d phi = testing::TwoStatePhi(1.0);
  const double q[2] = {kQa, kQb};
  for (int k = 0; k < last; ++k) {
    for (int i = 0; i < 2; ++i) {  // x_{k+1,i} - (phi x_k)_i = w, w ~ N(0, q_i^2 * 1 h)
      Eigen::VectorXd row = Eigen::VectorXd::Zero(nv);
      row[2 * (k + 1) + i] = 1.0;
      row[2 * k] -= phi(i, 0);
      row[2 * k + 1] -= phi(i, 1);
      add_row(row, 0.0, q[i]);
    }
  }
  for (int k = 1; k <= last; ++k) {
    Eigen::VectorXd row = Eigen::VectorXd::Zero(nv);
    row[2 * k] = 1.0;
    add_row(row, d.a[k - 1], kSigmaA);
  }
  if (with_lab) {
    Eigen::VectorXd row = Eigen::VectorXd::Zero(nv);
    row[2 * 2 + 1] = 1.0;
    add_row(row, d.b2, kSigmaB);
  }
  return H.ldlt().solve(g);
}

std::unique_ptr<StateEstimator> MakeMhe(int window) {
  auto m = model::LoadModelText(testing::kTwoState, "two_state.yaml");
  sim::Scenario sc = sim::DefaultScenario(m->info(), 20.0);
  sc.atol = 1e-12;
  StateEstimationOptions opt;
  opt.method = StateMethod::kMhe;
  opt.signals = {{"A", kSigmaA}, {"B", kSigmaB}};
  opt.process_sigma = {kQa, kQb};
  opt.rtol = 1e-10;
  opt.mhe_window = window;
  opt.mhe_tolerance = 1e-12;
  auto mhe = StateEstimator::Create(m, sc, opt);
  mhe->Reset(0.0, std::vector<double>{kPrior[0], kPrior[1]}, std::vector<double>{kPriorSigma[0], kPriorSigma[1]});
  return mhe;
}

// The window's estimate at time t (fails the test if t is not in the window).
Eigen::Vector2d At(const StateEstimator& e, double t) {
  for (const auto& [time, x] : e.Window()) {
    if (std::fabs(time - t) < 1e-9) return {x[0], x[1]};
  }
  ADD_FAILURE() << "no node at t = " << t;
  return {NAN, NAN};
}

void RunTo5(StateEstimator& mhe, const Data& d, Eigen::Vector2d* before_at_2) {
  for (int k = 1; k <= 4; ++k) {
    ASSERT_TRUE(mhe.Step(k, std::vector<Observation>{{0, d.a[k - 1], double(k)}})) << mhe.summary().last_error;
  }
  *before_at_2 = At(mhe, 2.0);
  // At 5 h the online value of A arrives together with the lab value of B drawn at 2 h.
  ASSERT_TRUE(mhe.Step(5.0, std::vector<Observation>{{0, d.a[4], 5.0}, {1, d.b2, 2.0}}));
}

TEST(Mhe, DelayedLabSampleRevisesThePastToTheBatchSolution) {
  const Data d = MakeData();
  auto mhe = MakeMhe(10);
  Eigen::Vector2d before;
  RunTo5(*mhe, d, &before);
  const Eigen::VectorXd without = BatchLeastSquares(d, 4, false);
  const Eigen::VectorXd with = BatchLeastSquares(d, 5, true);
  // Before the lab value arrived, the MHE matched the batch solution without it.
  EXPECT_NEAR(before[0], without[4], 1e-5);
  EXPECT_NEAR(before[1], without[5], 1e-5);
  for (int k = 0; k <= 5; ++k) {
    const Eigen::Vector2d x = At(*mhe, k);
    EXPECT_NEAR(x[0], with[2 * k], 1e-5) << "t = " << k;
    EXPECT_NEAR(x[1], with[2 * k + 1], 1e-5) << "t = " << k;
  }
  // The past estimate of B at 2 h moved (by far more than the tolerance) and the current one too.
  EXPECT_GT(std::fabs(At(*mhe, 2.0)[1] - before[1]), 0.02);
  EXPECT_NEAR(mhe->state()[1], with[11], 1e-5);
  EXPECT_EQ(mhe->summary().delayed_used, 1);
}

TEST(Mhe, ShortWindowWithKalmanArrivalCostStillMatchesTheBatchSolution) {
  const Data d = MakeData();
  auto mhe = MakeMhe(4);
  Eigen::Vector2d before;
  RunTo5(*mhe, d, &before);
  const auto window = mhe->Window();
  ASSERT_EQ(window.size(), 4u);
  EXPECT_DOUBLE_EQ(window.front().first, 2.0);
  const Eigen::VectorXd with = BatchLeastSquares(d, 5, true);
  for (int k = 2; k <= 5; ++k) {
    const Eigen::Vector2d x = At(*mhe, k);
    EXPECT_NEAR(x[0], with[2 * k], 1e-5) << "t = " << k;
    EXPECT_NEAR(x[1], with[2 * k + 1], 1e-5) << "t = " << k;
  }
  // A sample drawn before the window can no longer be used: counted, not silently dropped.
  ASSERT_TRUE(mhe->Step(6.0, std::vector<Observation>{{0, d.a[5], 6.0}, {1, 1.0, 0.5}}));
  EXPECT_EQ(mhe->summary().skipped_delayed, 1);
  // The covariance of the current state is the inverse Hessian block: positive, below the prior.
  EXPECT_GT(mhe->sigma(1), 0.0);
  EXPECT_LT(mhe->sigma(1), kPriorSigma[1]);
}

}  // namespace
}  // namespace biotwin::estimate
