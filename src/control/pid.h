// Discrete PID controller for sampled loops (sample time h), in positional or velocity
// (incremental) form, with the derivative on the measurement (optionally filtered, Td/N),
// direct or reverse action, output and rate limits, anti-windup (clamping or back-calculation)
// and bumpless manual-to-auto transfer through output tracking.
//
// Reverse action (default): e = sp − y, a positive gain raises the output when the measurement
// falls below the set-point. Direct action: e = y − sp.
// Positional: u = bias + Kp·e + I + D, I_k = I_{k−1} + Kp·h/Ti·e_k,
// D_k = Tf/(Tf+h)·D_{k−1} − s·Kp·Td/(Tf+h)·(y_k − y_{k−1}), Tf = Td/N, s = ±1 for the action.
// Velocity: u_k = u_{k−1} + Kp·(e_k − e_{k−1}) + Kp·h/Ti·e_k + (D_k − D_{k−1}); with N = ∞ this
// is u_{k−1} + Kp·[(e_k − e_{k−1}) + e_k·h/Ti − (Td/h)(y_k − 2y_{k−1} + y_{k−2})] (IndPenSim).
// Both are then clipped to [min, max] and to ±rate_limit·h around the previous output.
#ifndef BIOTWIN_CONTROL_PID_H_
#define BIOTWIN_CONTROL_PID_H_

#include "model/model.h"

namespace biotwin::control {

enum class PidForm { kPositional, kVelocity };
enum class AntiWindup { kNone, kClamp, kBackCalculation };

struct PidSettings {
  double kp = 1.0;
  double ti = model::kInf;  // integral time; <= 0 or infinite: no integral action
  double td = 0.0;          // derivative time; <= 0: no derivative action
  double filter_n = model::kInf;  // derivative filter: Tf = Td / N (infinite: unfiltered)
  double h = 1.0;           // sample time (same unit as ti, td)
  bool direct_action = false;
  PidForm form = PidForm::kPositional;
  AntiWindup anti_windup = AntiWindup::kClamp;  // positional form (velocity form cannot wind up)
  double tracking_time = model::kNaN;           // back-calculation Tt (default: Ti, or √(Ti·Td))
  double out_min = -model::kInf, out_max = model::kInf;
  double rate_limit = model::kInf;  // largest output change per time unit
  double bias = 0.0;                // positional: output at zero error with no integral
  // IndPenSim's pH loop quirk: from the third sample on, the previous error omits the
  // set-point (e_{k−1} = −y_{k−1} for reverse action).
  bool previous_error_without_setpoint = false;
};

class Pid {
 public:
  Pid() = default;
  explicit Pid(const PidSettings& settings);
  const PidSettings& settings() const { return s_; }

  // Starts from output u0 (the actuator's position) with no history.
  void Reset(double u0);
  // Automatic mode: the new output for set-point sp and measurement y.
  double Step(double sp, double y);
  // Manual mode or an inactive split-range side: updates the error and measurement history
  // without computing an output; follow with Applied() (bumpless return to automatic).
  void Observe(double sp, double y);
  // The output actually applied this sample (after actuators, faults, overrides): becomes
  // the previous output of the velocity form; the positional form re-aligns its integral
  // (fully after Observe, by back-calculation after Step).
  void Applied(double u);
  // Overrides the previous output used by the next Step (velocity form), e.g. IndPenSim's
  // heating loop which starts from the cooling valve's last value.
  void SetPreviousOutput(double u) { u_prev_ = u; }
  // Makes the next Step continue from output u without a jump (positional: the integral is
  // chosen so the output equals u at that sample's error), e.g. a cascade's outer loop
  // starting from the inner loop's measurement.
  void Align(double u) {
    u_prev_ = u;
    align_pending_ = true;
  }

  double output() const { return u_prev_; }
  double integral() const { return i_; }

 private:
  // Error and derivative for this sample; updates the history.
  void Update(double sp, double y);

  PidSettings s_;
  double sign_ = 1.0;
  bool has_i_ = false, has_d_ = false;
  double a_ = 0.0, b_ = 0.0, tt_ = 1.0;  // derivative filter coefficients, tracking time
  // History.
  long n_ = 0;                  // samples seen
  double e_ = 0.0, e_prev_ = 0.0, y_prev_ = 0.0;
  double e_before_ = 0.0;       // previous error as the increment uses it
  double d_ = 0.0, d_prev_ = 0.0;
  double i_ = 0.0;              // positional integral
  double v_ = 0.0;              // last unlimited output
  double u_prev_ = 0.0;
  bool last_auto_ = false, align_pending_ = false;
};

}  // namespace biotwin::control

#endif  // BIOTWIN_CONTROL_PID_H_
