// Internal to src/estimate: the moving-horizon estimator. The window holds the last N
// measurement times (nodes); the unknowns are the states at every node (multiple shooting), the
// cost is the arrival cost at the first node (prior mean and covariance carried forward by an
// EKF over the nodes that leave the window) + process noise between nodes + measurement
// residuals, solved by Ceres (Levenberg-Marquardt with bounds for non-negative states). A
// delayed sample drawn inside the window adds (or joins) a node at its sample time and the whole
// window is re-solved, so the past is revised; one drawn before the window is counted as skipped.
#ifndef BIOTWIN_ESTIMATE_MHE_H_
#define BIOTWIN_ESTIMATE_MHE_H_

#include <vector>

#include "estimate/ekf.h"
#include "estimate/state_filter.h"

namespace biotwin::estimate {

class Mhe : public StateFilterBase {
 public:
  Mhe(std::shared_ptr<const model::Model> model, const sim::Scenario& scenario, StateEstimationOptions options);
  void Reset(double t0, std::span<const double> x0, std::span<const double> sigma0) override;
  bool Step(double t, std::span<const Observation> observations) override;
  std::vector<std::pair<double, std::vector<double>>> Window() const override;
  // Throws std::logic_error: the window would need the input history, not the latest inputs.
  void HoldInputs(std::span<const double> u) override;

 private:
  struct Node {
    double t = 0.0;
    std::vector<Observation> obs;
    Eigen::VectorXd x;
  };
  friend class MheDynamicsCost;
  friend class MheMeasurementCost;
  // Index of the node at time t (adding one, initialised by propagation, if needed); -1 when t
  // is before the window; -2 when the propagation for the initial guess failed.
  int NodeAt(double t);
  bool Slide();
  bool Solve();

  Ekf arrival_;
  std::vector<Node> nodes_;
  Eigen::VectorXd prior_x_;
  Eigen::MatrixXd prior_P_;
};

}  // namespace biotwin::estimate

#endif  // BIOTWIN_ESTIMATE_MHE_H_
