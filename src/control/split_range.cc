#include "control/split_range.h"

#include <algorithm>

namespace biotwin::control {

SplitRange::SplitRange(const SplitRangeSettings& settings)
    : s_(settings), above_(settings.above.pid), below_(settings.below.pid) {}

void SplitRange::Reset(double u_above, double u_below) {
  above_.Reset(u_above);
  below_.Reset(u_below);
  applied_above_ = u_above;
  applied_below_ = u_below;
  started_ = false;
}

void SplitRange::Step(double sp, double y, double* u_above, double* u_below) {
  const double e = sp - y;
  const double half = 0.5 * s_.dead_band;
  if (!started_ || half == 0.0) {
    above_active_ = e >= s_.switch_error;
  } else if (above_active_) {
    above_active_ = e >= s_.switch_error - half;
  } else {
    above_active_ = e >= s_.switch_error + half;
  }
  started_ = true;
  if (above_active_) {
    below_.Observe(sp, y);
    if (s_.above.previous_from_other) above_.SetPreviousOutput(applied_below_);
    *u_above = above_.Step(sp, y);
    *u_below = applied_below_ * s_.below.inactive_decay;
  } else {
    above_.Observe(sp, y);
    if (s_.below.previous_from_other) below_.SetPreviousOutput(applied_above_);
    *u_below = below_.Step(sp, y);
    *u_above = applied_above_ * s_.above.inactive_decay;
  }
  *u_above = std::max(*u_above, s_.above.floor);
  *u_below = std::max(*u_below, s_.below.floor);
}

void SplitRange::Applied(double u_above, double u_below) {
  above_.Applied(u_above);
  below_.Applied(u_below);
  applied_above_ = u_above;
  applied_below_ = u_below;
}

}  // namespace biotwin::control
