#include "sim/actuators.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace biotwin::sim {

ActuatorBank::ActuatorBank(std::vector<ActuatorSpec> specs, double h, int origin)
    : specs_(std::move(specs)), h_(h), origin_(origin) {
  position_.assign(specs_.size(), 0.0);
  for (const auto& s : specs_) {
    if (!(s.max >= s.min)) throw std::invalid_argument("actuator '" + s.input + "': max is below min");
    if (!(s.rate_limit > 0)) throw std::invalid_argument("actuator '" + s.input + "': rate limit must be positive");
    stuck_at_.emplace_back(s.faults.size(), 0.0);
    was_active_.emplace_back(s.faults.size(), false);
    for (const auto& f : s.faults) fault_names_.push_back(f.name);
  }
}

void ActuatorBank::Begin(const double* u0) {
  for (size_t i = 0; i < specs_.size(); ++i) position_[i] = u0[specs_[i].index];
}

void ActuatorBank::Apply(long k, double t, double* u) {
  const long k_user = k + origin_;
  for (size_t i = 0; i < specs_.size(); ++i) {
    const ActuatorSpec& s = specs_[i];
    double v = std::clamp(u[s.index], s.min, s.max);
    if (std::isfinite(s.rate_limit)) {
      const double step = s.rate_limit * h_;
      v = std::clamp(v, position_[i] - step, position_[i] + step);
    }
    for (size_t j = 0; j < s.faults.size(); ++j) {
      const ActuatorFault& f = s.faults[j];
      const bool active = f.window.Contains(k_user, t);
      if (active && !was_active_[i][j]) stuck_at_[i][j] = position_[i];
      was_active_[i][j] = active;
      if (active) v = f.kind == ActuatorFault::Kind::kOverride ? f.value : stuck_at_[i][j];
    }
    position_[i] = v;
    u[s.index] = v;
  }
}

void ActuatorBank::ActiveFaults(long k, double t, unsigned char* active) const {
  const long k_user = k + origin_;
  size_t j = 0;
  for (const auto& s : specs_) {
    for (const auto& f : s.faults) active[j++] = f.window.Contains(k_user, t);
  }
}

}  // namespace biotwin::sim
