#include "estimate/state_filter.h"

#include <cmath>
#include <stdexcept>

namespace biotwin::estimate {

StateFilterBase::StateFilterBase(std::shared_ptr<const model::Model> model, const sim::Scenario& scenario,
                                 StateEstimationOptions options)
    : options_(std::move(options)) {
  const auto& info = model->info();
  n_ = model->num_states();
  prop_ = std::make_unique<StatePropagator>(model, scenario, options_.rtol);
  meas_ = std::make_unique<MeasurementModel>(info, options_.signals);
  if (!options_.process_sigma.empty() && static_cast<int>(options_.process_sigma.size()) != n_) {
    throw std::invalid_argument("process noise: " + std::to_string(options_.process_sigma.size()) +
                                " sigmas given for " + std::to_string(n_) + " states");
  }
  q2_ = Eigen::VectorXd::Zero(n_);
  for (int i = 0; i < static_cast<int>(options_.process_sigma.size()); ++i) {
    const double q = options_.process_sigma[i];
    if (!(q >= 0) || !std::isfinite(q)) {
      throw std::invalid_argument("process noise of state '" + info.states[i].name + "' must be >= 0 and finite");
    }
    q2_[i] = q * q;
  }
  non_negative_.assign(n_, 0);
  for (int i = 0; i < n_; ++i) non_negative_[i] = info.states[i].non_negative || i == info.volume_state;
  for (const auto& name : options_.non_negative) {
    const int i = info.StateIndex(name);
    if (i < 0) throw std::invalid_argument("non_negative: '" + name + "' is not a state");
    non_negative_[i] = 1;
  }
  x_ = x_saved_ = Eigen::VectorXd::Zero(n_);
  P_ = P_saved_ = Eigen::MatrixXd::Identity(n_, n_);
  llt_ = Eigen::LLT<Eigen::MatrixXd>(n_);
}

void StateFilterBase::Reset(double t0, std::span<const double> x0, std::span<const double> sigma0) {
  if (static_cast<int>(x0.size()) != n_ || static_cast<int>(sigma0.size()) != n_) {
    throw std::invalid_argument("Reset: expected " + std::to_string(n_) + " initial values and sigmas");
  }
  t_ = t0;
  P_.setZero();
  for (int i = 0; i < n_; ++i) {
    x_[i] = x0[i];
    // A zero prior sigma would make the covariance singular; keep a tiny floor.
    P_(i, i) = std::max(sigma0[i] * sigma0[i], 1e-20);
  }
  summary_ = StateEstimationSummary();
}

void StateFilterBase::HoldInputs(std::span<const double> u) {
  if (static_cast<int>(u.size()) != prop_->model().num_inputs()) {
    throw std::invalid_argument("HoldInputs: expected " + std::to_string(prop_->model().num_inputs()) + " inputs");
  }
  prop_->SetLiveInputs(u.data());
}

void StateFilterBase::Outputs(std::span<double> y) {
  if (static_cast<int>(y.size()) != prop_->model().num_outputs()) {
    throw std::invalid_argument("Outputs: expected room for " + std::to_string(prop_->model().num_outputs()) + " outputs");
  }
  prop_->Outputs(t_, x_.data(), y.data());
}

void StateFilterBase::AddProcessNoise(double dt, Eigen::MatrixXd& P) const {
  for (int i = 0; i < n_; ++i) P(i, i) += q2_[i] * dt;
}

int StateFilterBase::Project(double* x) {
  int count = 0;
  for (int i = 0; i < n_; ++i) {
    if (non_negative_[i] && x[i] < 0) {
      x[i] = 0.0;
      ++count;
    }
  }
  summary_.clipped += count;
  return count;
}

void StateFilterBase::KeepSpd(Eigen::MatrixXd& P) {
  for (int j = 0; j < n_; ++j) {
    for (int i = j + 1; i < n_; ++i) P(i, j) = P(j, i) = 0.5 * (P(i, j) + P(j, i));
  }
  llt_.compute(P);
  if (llt_.info() == Eigen::Success) return;
  // Rare (round-off after strong updates): rebuild from the eigen-decomposition with a floor. The
  // repair works on the correlation matrix D^-1 P D^-1 (D = the sigmas): states of an industrial
  // model span many decades (IndPenSim: [H+] ~1e-7 mol/L next to vacuole densities ~1e12
  // 1/(cm*L)), and a floor relative to the largest eigenvalue of P itself would lift every small
  // state's variance to a meaningless absolute level.
  Eigen::VectorXd d = P.diagonal().cwiseMax(1e-300).cwiseSqrt();
  Eigen::MatrixXd c = d.cwiseInverse().asDiagonal() * P * d.cwiseInverse().asDiagonal();
  Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> eig(c);
  Eigen::VectorXd e = eig.eigenvalues();
  const double floor = 1e-12 * std::max(e.maxCoeff(), 1e-300);
  for (int i = 0; i < n_; ++i) e[i] = std::max(e[i], floor);
  c = eig.eigenvectors() * e.asDiagonal() * eig.eigenvectors().transpose();
  P = d.asDiagonal() * c * d.asDiagonal();
  for (int j = 0; j < n_; ++j) {
    for (int i = j + 1; i < n_; ++i) P(i, j) = P(j, i) = 0.5 * (P(i, j) + P(j, i));
  }
  llt_.compute(P);  // the UKF takes its sigma points from this factor
}

void StateFilterBase::SaveForUpdate() {
  x_saved_ = x_;
  P_saved_ = P_;
}

bool StateFilterBase::CheckUpdate(int signal) {
  if (x_.allFinite() && P_.allFinite()) return true;
  x_ = x_saved_;
  P_ = P_saved_;
  ++summary_.failures;
  summary_.last_error = "the update with signal '" + options_.signals[signal].name + "' at t = " +
                        std::to_string(t_) + " gave a non-finite estimate (the estimate before it is kept)";
  return false;
}

bool StateFilterBase::IsCurrent(double sample_time) const {
  return std::fabs(sample_time - t_) <= options_.time_tolerance * std::max(1.0, std::fabs(t_));
}

}  // namespace biotwin::estimate
