#include "control/schedule.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace biotwin::control {
namespace {

void CheckTable(const std::vector<double>& keys, const std::vector<double>& values, bool strictly) {
  if (keys.empty()) throw std::invalid_argument("a schedule table needs at least one entry");
  if (keys.size() != values.size()) {
    throw std::invalid_argument("a schedule table has " + std::to_string(keys.size()) + " keys but " +
                                std::to_string(values.size()) + " values");
  }
  for (size_t i = 1; i < keys.size(); ++i) {
    if (strictly ? !(keys[i] > keys[i - 1]) : !(keys[i] >= keys[i - 1])) {
      throw std::invalid_argument("schedule keys must increase (entry " + std::to_string(i + 1) + ")");
    }
  }
}

}  // namespace

Schedule Schedule::Constant(double value) {
  Schedule s;
  s.kind_ = Kind::kConstant;
  s.beyond_ = value;
  return s;
}

Schedule Schedule::Until(bool by_sample, std::vector<double> breakpoints, std::vector<double> values,
                         double beyond) {
  CheckTable(breakpoints, values, true);
  Schedule s;
  s.kind_ = Kind::kUntil;
  s.by_sample_ = by_sample;
  s.keys_ = std::move(breakpoints);
  s.values_ = std::move(values);
  s.beyond_ = beyond;
  return s;
}

Schedule Schedule::Steps(bool by_sample, std::vector<double> keys, std::vector<double> values) {
  CheckTable(keys, values, true);
  Schedule s;
  s.kind_ = Kind::kSteps;
  s.by_sample_ = by_sample;
  s.keys_ = std::move(keys);
  s.values_ = std::move(values);
  return s;
}

Schedule Schedule::Ramp(std::vector<double> times, std::vector<double> values) {
  CheckTable(times, values, true);
  Schedule s;
  s.kind_ = Kind::kRamp;
  s.keys_ = std::move(times);
  s.values_ = std::move(values);
  return s;
}

void Schedule::Reset() { triggered_ = -1; }

double Schedule::TableValue(long k_user, double t) const {
  const double key = by_sample_ ? static_cast<double>(k_user) : t;
  const double eps = by_sample_ ? 0.0 : 1e-9 * std::max(1.0, std::fabs(t));
  switch (kind_) {
    case Kind::kConstant:
      return beyond_;
    case Kind::kUntil: {
      // First breakpoint ≥ key.
      auto it = std::lower_bound(keys_.begin(), keys_.end(), key - eps);
      return it == keys_.end() ? beyond_ : values_[it - keys_.begin()];
    }
    case Kind::kSteps: {
      // Last key ≤ key (values[0] before the first).
      auto it = std::upper_bound(keys_.begin(), keys_.end(), key + eps);
      return it == keys_.begin() ? values_[0] : values_[it - keys_.begin() - 1];
    }
    case Kind::kRamp: {
      if (t <= keys_.front()) return values_.front();
      if (t >= keys_.back()) return values_.back();
      auto it = std::upper_bound(keys_.begin(), keys_.end(), t);
      const size_t j = it - keys_.begin();
      const double w = (t - keys_[j - 1]) / (keys_[j] - keys_[j - 1]);
      return values_[j - 1] + w * (values_[j] - values_[j - 1]);
    }
  }
  return beyond_;
}

double Schedule::Value(long k_user, double t, const double* measurements) {
  for (size_t i = triggered_ + 1; i < events_.size(); ++i) {
    const ScheduleEvent& e = events_[i];
    if (t < e.not_before - 1e-9) continue;
    const double y = measurements[e.measurement];
    if (std::isnan(y)) continue;
    if (e.above ? y >= e.threshold : y <= e.threshold) triggered_ = static_cast<int>(i);
  }
  return triggered_ >= 0 ? events_[triggered_].value : TableValue(k_user, t);
}

}  // namespace biotwin::control
