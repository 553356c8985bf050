#include "estimate/state_measurement.h"

#include <cmath>
#include <stdexcept>

namespace biotwin::estimate {

MeasurementModel::MeasurementModel(const model::ModelInfo& info, const std::vector<SignalSpec>& signals) {
  n_ = static_cast<int>(info.states.size());
  for (const auto& s : signals) {
    const int i = info.StateIndex(s.name), k = info.OutputIndex(s.name);
    if (i < 0 && k < 0) {
      throw std::invalid_argument("signal '" + s.name + "' is neither a state nor an output of model " +
                                  info.provenance.name);
    }
    if (!(s.sigma > 0) || !std::isfinite(s.sigma)) {
      throw std::invalid_argument("signal '" + s.name + "': the noise sigma must be positive and finite");
    }
    state_.push_back(i);
    output_.push_back(i >= 0 ? -1 : k);
    sigma_.push_back(s.sigma);
  }
  y_.assign(info.outputs.size(), 0.0);
  xp_.assign(n_, 0.0);
}

double MeasurementModel::Value(StatePropagator& prop, int s, double t, const double* x) {
  if (state_[s] >= 0) return x[state_[s]];
  prop.Outputs(t, x, y_.data());
  return y_[output_[s]];
}

double MeasurementModel::ValueAndGradient(StatePropagator& prop, int s, double t, const double* x,
                                          double* row) {
  for (int j = 0; j < n_; ++j) row[j] = 0.0;
  if (state_[s] >= 0) {
    row[state_[s]] = 1.0;
    return x[state_[s]];
  }
  const int k = output_[s];
  prop.Outputs(t, x, y_.data());
  const double value = y_[k];
  for (int j = 0; j < n_; ++j) xp_[j] = x[j];
  for (int j = 0; j < n_; ++j) {
    const double h = 1e-6 * std::max(std::fabs(x[j]), 1e-3);
    xp_[j] = x[j] + h;
    prop.Outputs(t, xp_.data(), y_.data());
    const double up = y_[k];
    xp_[j] = x[j] - h;
    prop.Outputs(t, xp_.data(), y_.data());
    row[j] = (up - y_[k]) / (2 * h);
    xp_[j] = x[j];
  }
  return value;
}

}  // namespace biotwin::estimate
