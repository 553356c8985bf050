// Internal to src/estimate: the measurement model h(t, x) of the state estimators. A signal is a
// model state (h = x_i, exact unit row) or a model output (h = output_k; its row of the Jacobian
// by central differences, as models give output values but no output derivatives).
#ifndef BIOTWIN_ESTIMATE_STATE_MEASUREMENT_H_
#define BIOTWIN_ESTIMATE_STATE_MEASUREMENT_H_

#include <string>
#include <vector>

#include "estimate/state_estimation.h"
#include "estimate/state_propagator.h"

namespace biotwin::estimate {

class MeasurementModel {
 public:
  // Resolves the signal names; throws std::invalid_argument naming an unknown signal or a
  // non-positive sigma.
  MeasurementModel(const model::ModelInfo& info, const std::vector<SignalSpec>& signals);

  int num_signals() const { return static_cast<int>(state_.size()); }
  double sigma(int s) const { return sigma_[s]; }
  // Predicted value of signal s at (t, x).
  double Value(StatePropagator& prop, int s, double t, const double* x);
  // Predicted value and its gradient row dh/dx (length n).
  double ValueAndGradient(StatePropagator& prop, int s, double t, const double* x, double* row);

 private:
  std::vector<int> state_, output_;  // one of the two is >= 0 for each signal
  std::vector<double> sigma_;
  std::vector<double> y_, xp_;
  int n_ = 0;
};

}  // namespace biotwin::estimate

#endif  // BIOTWIN_ESTIMATE_STATE_MEASUREMENT_H_
