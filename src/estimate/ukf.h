// Internal to src/estimate: the unscented Kalman filter with Merwe's scaled sigma points
// (alpha, beta, kappa), each sigma point propagated through the model with CVODES.
#ifndef BIOTWIN_ESTIMATE_UKF_H_
#define BIOTWIN_ESTIMATE_UKF_H_

#include "estimate/state_filter.h"

namespace biotwin::estimate {

class Ukf : public StateFilterBase {
 public:
  Ukf(std::shared_ptr<const model::Model> model, const sim::Scenario& scenario, StateEstimationOptions options);
  bool Step(double t, std::span<const Observation> observations) override;

 private:
  void SigmaPoints();  // columns of sigma_ from x_, P_
  void Update(int signal, double value);

  double lambda_ = 0.0;
  Eigen::VectorXd wm_, wc_, xw_, pxy_, hy_;
  Eigen::MatrixXd sigma_, P_new_;
};

}  // namespace biotwin::estimate

#endif  // BIOTWIN_ESTIMATE_UKF_H_
