#include "estimate/ekf.h"

#include <cmath>
#include <stdexcept>

#include "model/format.h"

namespace biotwin::estimate {

void CheckObservation(const Observation& o, int num_signals) {
  if (o.signal < 0 || o.signal >= num_signals) {
    throw std::invalid_argument("observation of unknown signal index " + std::to_string(o.signal));
  }
  if (!std::isfinite(o.value) || !std::isfinite(o.sample_time)) {
    throw std::invalid_argument("observation with a non-finite value or sample time");
  }
}

Ekf::Ekf(std::shared_ptr<const model::Model> model, const sim::Scenario& scenario, StateEstimationOptions options)
    : StateFilterBase(std::move(model), scenario, std::move(options)) {
  phi_ = Eigen::MatrixXd::Identity(n_, n_);
  tmp_ = Eigen::MatrixXd::Zero(n_, n_);
  xw_ = row_ = gain_ = Eigen::VectorXd::Zero(n_);
}

bool Ekf::Predict(double t0, double t1, Eigen::VectorXd& x, Eigen::MatrixXd& P) {
  if (t1 == t0) return true;
  xw_ = x;
  if (!prop_->Propagate(t0, t1, xw_.data(), phi_.data())) {
    ++summary_.failures;
    summary_.last_error = prop_->error();
    return false;
  }
  ++summary_.propagations;
  x = xw_;
  tmp_.noalias() = phi_ * P;
  P.noalias() = tmp_ * phi_.transpose();
  AddProcessNoise(t1 - t0, P);
  Project(x.data());
  return true;
}

void Ekf::Update(double t, int signal, double value, Eigen::VectorXd& x, Eigen::MatrixXd& P) {
  const double h = meas_->ValueAndGradient(*prop_, signal, t, x.data(), row_.data());
  const double r = meas_->sigma(signal) * meas_->sigma(signal);
  gain_.noalias() = P * row_;
  const double s = row_.dot(gain_) + r;
  gain_ /= s;
  x += gain_ * (value - h);
  P.noalias() -= s * gain_ * gain_.transpose();
  Project(x.data());
  KeepSpd(P);
}

bool Ekf::Step(double t, std::span<const Observation> observations) {
  if (t < t_ && !IsCurrent(t)) {
    throw std::invalid_argument("Step: time " + model::FormatNumber(t) + " is before the estimator's time " +
                                model::FormatNumber(t_));
  }
  for (const auto& o : observations) CheckObservation(o, meas_->num_signals());
  ++summary_.steps;
  if (t > t_) {
    if (!Predict(t_, t, x_, P_)) return false;
    t_ = t;
  }
  for (const auto& o : observations) {
    if (IsCurrent(o.sample_time)) {
      SaveForUpdate();
      Update(t_, o.signal, o.value, x_, P_);
      if (!CheckUpdate(o.signal)) return false;
      ++summary_.observations_used;
    } else if (o.sample_time < t_) {
      ++summary_.skipped_delayed;  // an EKF cannot revise the past: the MHE handles these
    } else {
      throw std::invalid_argument("observation sampled at " + model::FormatNumber(o.sample_time) +
                                  " arrives before it was drawn (step time " + model::FormatNumber(t_) + ")");
    }
  }
  return true;
}

}  // namespace biotwin::estimate
