// Internal to src/estimate: the extended Kalman filter (discrete-time propagation with the CVODES
// state-transition matrix, sequential scalar updates, non-negative states projected).
#ifndef BIOTWIN_ESTIMATE_EKF_H_
#define BIOTWIN_ESTIMATE_EKF_H_

#include "estimate/state_filter.h"

namespace biotwin::estimate {

class Ekf : public StateFilterBase {
 public:
  Ekf(std::shared_ptr<const model::Model> model, const sim::Scenario& scenario, StateEstimationOptions options);
  bool Step(double t, std::span<const Observation> observations) override;

  // The two halves of a step on an arbitrary (x, P), used by the MHE for its arrival cost.
  bool Predict(double t0, double t1, Eigen::VectorXd& x, Eigen::MatrixXd& P);
  void Update(double t, int signal, double value, Eigen::VectorXd& x, Eigen::MatrixXd& P);

 private:
  Eigen::MatrixXd phi_, tmp_;
  Eigen::VectorXd xw_, row_, gain_;
};

// Checks an observation's signal index and value; throws std::invalid_argument.
void CheckObservation(const Observation& o, int num_signals);

}  // namespace biotwin::estimate

#endif  // BIOTWIN_ESTIMATE_EKF_H_
