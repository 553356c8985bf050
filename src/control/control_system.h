// The sampled control system of a scenario: recipe schedules for open-loop manipulated inputs,
// PID loops (with manual periods and cascades) and split-range loops, evaluated once per
// control sample. Built from a scenario's `control:` block by control_config.h; implements
// sim::SampledController for sim::RunSampled.
#ifndef BIOTWIN_CONTROL_CONTROL_SYSTEM_H_
#define BIOTWIN_CONTROL_CONTROL_SYSTEM_H_

#include <string>
#include <vector>

#include "control/pid.h"
#include "control/schedule.h"
#include "control/split_range.h"
#include "sim/sampled_run.h"

namespace biotwin::control {

struct MvSchedule {
  int input = -1;  // model input index
  std::string name;
  Schedule schedule;
};

struct LoopSpec {
  enum class Type { kPid, kSplitRange };
  std::string name;
  Type type = Type::kPid;
  int measurement = -1;   // sensor channel
  Schedule setpoint;      // used when setpoint_loop < 0
  int setpoint_loop = -1; // cascade: index (in ControlSpec::loops) of the outer loop
  // kPid: the model input it drives, or -1 when it drives another loop's set-point.
  int output = -1;
  PidSettings pid;
  double manual_output = model::kNaN;   // NaN: hold the position in manual
  double manual_until = -model::kInf;   // manual before this time
  // kSplitRange.
  int output_above = -1, output_below = -1;
  SplitRangeSettings split;
};

struct ControlSpec {
  double sample_time = model::kNaN;
  int sample_index_origin = 0;
  std::vector<MvSchedule> schedules;
  std::vector<LoopSpec> loops;  // outer loops before the loops they feed
};

class ControlSystem : public sim::SampledController {
 public:
  explicit ControlSystem(ControlSpec spec);

  const ControlSpec& spec() const { return spec_; }
  const std::vector<int>& ManipulatedInputs() const override { return manipulated_; }
  void Begin(double t0, const double* u0) override;
  void Step(long k, double t, const double* measurements, double* u) override;
  void Applied(const double* u) override;

  // Operator actions: a loop to manual at a fixed output (NaN: hold), or back to automatic.
  void SetManual(int loop, double output);
  void SetAuto(int loop);
  int FindLoop(const std::string& name) const;
  // Set-point each loop used at the last sample.
  const std::vector<double>& setpoints() const { return setpoint_; }

 private:
  struct LoopState {
    Pid pid;
    SplitRange split;
    bool manual = false, forced_manual = false, forced_auto = false;
    double forced_value = model::kNaN;
    double out = 0.0;       // output at this sample (input value or inner set-point)
    bool held = false;      // measurement missing: output held, PID untouched
    bool observed = false;  // PID observed (manual) rather than stepped
  };

  ControlSpec spec_;
  std::vector<int> manipulated_;
  std::vector<LoopState> state_;
  std::vector<double> setpoint_, last_measurement_;
  std::vector<int> inner_of_;  // loop index -> index of the loop whose set-point it drives
  bool first_ = true;
};

}  // namespace biotwin::control

#endif  // BIOTWIN_CONTROL_CONTROL_SYSTEM_H_
