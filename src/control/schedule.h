// Schedules for set-points and open-loop manipulated inputs (recipes, feed tables), evaluated at
// control samples (so they are held over each interval: zero-order hold).
//   constant      one value
//   until         value_i while the key (sample index or time) ≤ breakpoint_i — "use the first
//                 entry whose breakpoint is ≥ k" (IndPenSim's recipe rule); `beyond` after the last
//   steps         value_i from key_i on (values[0] before the first key)
//   ramp          linear between (time_i, value_i) points, constant outside (set-point ramps)
// plus event-triggered steps: when a measurement crosses a threshold (checked at each sample,
// optionally only after a given time), the schedule switches to a fixed value from then on.
#ifndef BIOTWIN_CONTROL_SCHEDULE_H_
#define BIOTWIN_CONTROL_SCHEDULE_H_

#include <string>
#include <vector>

#include "model/model.h"

namespace biotwin::control {

struct ScheduleEvent {
  int measurement = -1;  // sensor channel index
  bool above = true;     // trigger when the measurement is ≥ threshold (false: ≤)
  double threshold = 0.0;
  double not_before = -model::kInf;  // time
  double value = 0.0;
  std::string description;
};

class Schedule {
 public:
  enum class Kind { kConstant, kUntil, kSteps, kRamp };

  static Schedule Constant(double value);
  // by_sample: keys are sample indices (counted from the run's origin), else times.
  static Schedule Until(bool by_sample, std::vector<double> breakpoints, std::vector<double> values,
                        double beyond);
  static Schedule Steps(bool by_sample, std::vector<double> keys, std::vector<double> values);
  static Schedule Ramp(std::vector<double> times, std::vector<double> values);
  void AddEvent(const ScheduleEvent& e) { events_.push_back(e); }

  // Forgets triggered events (a new run).
  void Reset();
  // Value at sample k_user (time t) given the current measurements; latches events.
  double Value(long k_user, double t, const double* measurements);
  // Table value ignoring events (no side effects).
  double TableValue(long k_user, double t) const;

  Kind kind() const { return kind_; }
  const std::vector<ScheduleEvent>& events() const { return events_; }

 private:
  Kind kind_ = Kind::kConstant;
  bool by_sample_ = false;
  std::vector<double> keys_, values_;
  double beyond_ = 0.0;
  std::vector<ScheduleEvent> events_;
  int triggered_ = -1;  // last event fired
};

}  // namespace biotwin::control

#endif  // BIOTWIN_CONTROL_SCHEDULE_H_
