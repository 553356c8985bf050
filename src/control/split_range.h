// Split-range control: one measurement, two manipulated inputs (acid/base, cooling/heating),
// each with its own PID. The error e = sp − y selects the side: the `above` side when
// e ≥ switch_error, the `below` side otherwise, with an optional dead band (hysteresis: leave
// a side only when the error passes the switching value by half the band). The inactive side's
// output decays geometrically each sample (×inactive_decay; 0 shuts it at once); both outputs
// are floored. Both PIDs see every sample, so the side that takes over starts from the true
// error and measurement history.
#ifndef BIOTWIN_CONTROL_SPLIT_RANGE_H_
#define BIOTWIN_CONTROL_SPLIT_RANGE_H_

#include "control/pid.h"

namespace biotwin::control {

struct SplitSide {
  PidSettings pid;
  double inactive_decay = 0.0;     // output multiplier per sample while inactive, in [0, 1]
  double floor = -model::kInf;     // lower bound applied after the PID and the decay
  // IndPenSim's heating loop quirk: the PID increments from the other side's last output.
  bool previous_from_other = false;
};

struct SplitRangeSettings {
  double switch_error = 0.0;
  double dead_band = 0.0;
  SplitSide above, below;
};

class SplitRange {
 public:
  SplitRange() = default;
  explicit SplitRange(const SplitRangeSettings& settings);
  // Previous outputs (the actuators' positions) before the first sample.
  void Reset(double u_above, double u_below);
  // Outputs for this sample.
  void Step(double sp, double y, double* u_above, double* u_below);
  // Outputs actually applied.
  void Applied(double u_above, double u_below);
  bool above_active() const { return above_active_; }

 private:
  SplitRangeSettings s_;
  Pid above_, below_;
  bool above_active_ = true, started_ = false;
  double applied_above_ = 0.0, applied_below_ = 0.0;
};

}  // namespace biotwin::control

#endif  // BIOTWIN_CONTROL_SPLIT_RANGE_H_
