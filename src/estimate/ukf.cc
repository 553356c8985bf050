#include "estimate/ukf.h"

#include <cmath>
#include <stdexcept>

#include "estimate/ekf.h"
#include "model/format.h"

namespace biotwin::estimate {

Ukf::Ukf(std::shared_ptr<const model::Model> model, const sim::Scenario& scenario, StateEstimationOptions options)
    : StateFilterBase(std::move(model), scenario, std::move(options)) {
  const double a = options_.ukf_alpha, b = options_.ukf_beta, k = options_.ukf_kappa;
  if (!(a > 0) || !(a <= 1) || !(b >= 0) || !(n_ + k > 0)) {
    throw std::invalid_argument("UKF: need 0 < alpha <= 1, beta >= 0 and n + kappa > 0");
  }
  lambda_ = a * a * (n_ + k) - n_;
  const int np = 2 * n_ + 1;
  wm_ = wc_ = Eigen::VectorXd::Constant(np, 0.5 / (n_ + lambda_));
  wm_[0] = lambda_ / (n_ + lambda_);
  wc_[0] = wm_[0] + 1 - a * a + b;
  sigma_ = Eigen::MatrixXd::Zero(n_, np);
  P_new_ = Eigen::MatrixXd::Zero(n_, n_);
  xw_ = pxy_ = Eigen::VectorXd::Zero(n_);
  hy_ = Eigen::VectorXd::Zero(np);
}

void Ukf::SigmaPoints() {
  KeepSpd(P_);  // leaves the Cholesky factor of P in llt_
  const double c = std::sqrt(n_ + lambda_);
  sigma_.col(0) = x_;
  for (int j = 0; j < n_; ++j) {
    // Column j of L, where P = L L^T.
    for (int i = 0; i < n_; ++i) xw_[i] = i >= j ? c * llt_.matrixLLT()(i, j) : 0.0;
    sigma_.col(1 + j) = x_ + xw_;
    sigma_.col(1 + n_ + j) = x_ - xw_;
  }
}

void Ukf::Update(int signal, double value) {
  SigmaPoints();
  const int np = 2 * n_ + 1;
  double yhat = 0.0;
  for (int k = 0; k < np; ++k) {
    hy_[k] = meas_->Value(*prop_, signal, t_, sigma_.col(k).data());
    yhat += wm_[k] * hy_[k];
  }
  double pyy = meas_->sigma(signal) * meas_->sigma(signal);
  pxy_.setZero();
  for (int k = 0; k < np; ++k) {
    const double dy = hy_[k] - yhat;
    pyy += wc_[k] * dy * dy;
    pxy_ += wc_[k] * dy * (sigma_.col(k) - x_);
  }
  pxy_ /= pyy;  // the gain
  x_ += pxy_ * (value - yhat);
  P_.noalias() -= pyy * pxy_ * pxy_.transpose();
  Project(x_.data());
  KeepSpd(P_);
}

bool Ukf::Step(double t, std::span<const Observation> observations) {
  if (t < t_ && !IsCurrent(t)) {
    throw std::invalid_argument("Step: time " + model::FormatNumber(t) + " is before the estimator's time " +
                                model::FormatNumber(t_));
  }
  for (const auto& o : observations) CheckObservation(o, meas_->num_signals());
  ++summary_.steps;
  if (t > t_) {
    SigmaPoints();
    const int np = 2 * n_ + 1;
    for (int k = 0; k < np; ++k) {
      // Sigma points of non-negative states are projected before the model sees them.
      Project(sigma_.col(k).data());
      if (!prop_->Propagate(t_, t, sigma_.col(k).data(), nullptr)) {
        ++summary_.failures;
        summary_.last_error = prop_->error();
        return false;
      }
      ++summary_.propagations;
    }
    x_.noalias() = sigma_ * wm_;
    P_new_.setZero();
    for (int k = 0; k < np; ++k) {
      xw_ = sigma_.col(k) - x_;
      P_new_.noalias() += wc_[k] * xw_ * xw_.transpose();
    }
    P_ = P_new_;
    AddProcessNoise(t - t_, P_);
    Project(x_.data());
    KeepSpd(P_);
    t_ = t;
  }
  for (const auto& o : observations) {
    if (IsCurrent(o.sample_time)) {
      SaveForUpdate();
      Update(o.signal, o.value);
      if (!CheckUpdate(o.signal)) return false;
      ++summary_.observations_used;
    } else if (o.sample_time < t_) {
      ++summary_.skipped_delayed;
    } else {
      throw std::invalid_argument("observation sampled at " + model::FormatNumber(o.sample_time) +
                                  " arrives before it was drawn (step time " + model::FormatNumber(t_) + ")");
    }
  }
  return true;
}

}  // namespace biotwin::estimate
