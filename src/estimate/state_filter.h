// Internal to src/estimate: what the EKF, UKF and MHE share — the propagator, the measurement
// model, the estimate and covariance, the discrete process noise and the projection of states
// that cannot be negative.
#ifndef BIOTWIN_ESTIMATE_STATE_FILTER_H_
#define BIOTWIN_ESTIMATE_STATE_FILTER_H_

#include <Eigen/Dense>

#include <memory>
#include <span>
#include <string>
#include <vector>

#include "estimate/state_estimation.h"
#include "estimate/state_measurement.h"
#include "estimate/state_propagator.h"

namespace biotwin::estimate {

class StateFilterBase : public StateEstimator {
 public:
  StateFilterBase(std::shared_ptr<const model::Model> model, const sim::Scenario& scenario,
                  StateEstimationOptions options);

  void Reset(double t0, std::span<const double> x0, std::span<const double> sigma0) override;
  void HoldInputs(std::span<const double> u) override;
  double time() const override { return t_; }
  std::span<const double> state() const override { return {x_.data(), static_cast<size_t>(n_)}; }
  std::span<const double> covariance() const override {
    return {P_.data(), static_cast<size_t>(n_) * n_};
  }
  const StateEstimationSummary& summary() const override { return summary_; }
  void Outputs(std::span<double> y) override;

 protected:
  // Adds the process noise of an interval dt: P += diag(q_i^2 dt).
  void AddProcessNoise(double dt, Eigen::MatrixXd& P) const;
  // Projects states that cannot be negative onto 0; returns how many were changed.
  int Project(double* x);
  // Symmetrises P and, if it is not positive definite, lifts its eigenvalues to a floor.
  void KeepSpd(Eigen::MatrixXd& P);
  bool IsCurrent(double sample_time) const;
  // Keeps (x, P) before the updates of a step and restores them if an update made them
  // non-finite (a measurement model that evaluates to NaN or inf); false with last_error then.
  void SaveForUpdate();
  bool CheckUpdate(int signal);

  StateEstimationOptions options_;
  std::unique_ptr<StatePropagator> prop_;
  std::unique_ptr<MeasurementModel> meas_;
  int n_ = 0;
  double t_ = 0.0;
  Eigen::VectorXd x_, q2_, x_saved_;
  Eigen::MatrixXd P_, P_saved_;
  std::vector<char> non_negative_;
  StateEstimationSummary summary_;
  Eigen::LLT<Eigen::MatrixXd> llt_;
};

}  // namespace biotwin::estimate

#endif  // BIOTWIN_ESTIMATE_STATE_FILTER_H_
