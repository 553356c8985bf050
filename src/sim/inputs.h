// Input profiles: how a manipulated input (feed rate, temperature set-point, ...) varies in time.
#ifndef BIOTWIN_SIM_INPUTS_H_
#define BIOTWIN_SIM_INPUTS_H_

#include <string>
#include <vector>

namespace biotwin::sim {

// Values and times are in the input's unit and the model's time unit.
class InputProfile {
 public:
  enum class Kind { kConstant, kPiecewiseConstant, kPiecewiseLinear, kExponential };

  static InputProfile Constant(double value);
  // Holds values[i] on [times[i], times[i+1]); values[0] before times[0].
  static InputProfile PiecewiseConstant(std::vector<double> times, std::vector<double> values);
  // Linear between points, constant outside.
  static InputProfile PiecewiseLinear(std::vector<double> times, std::vector<double> values);
  // 0 before `start`, then initial * exp(rate * (t - start)), capped at `max`.
  static InputProfile Exponential(double start, double initial, double rate, double max);

  Kind kind() const { return kind_; }
  // Value at t for the piece that contains `piece_time` (the simulator integrates one piece at a
  // time, so evaluations at a piece's right end stay on that piece).
  double Value(double t, double piece_time) const { return Value(t, piece_time, nullptr); }
  double Value(double t) const { return Value(t, t, nullptr); }
  // The same, starting the table search at *cursor (the caller's, one per profile; 0 at first)
  // and leaving the piece's index there: a simulation moving forward finds it in one or two
  // comparisons instead of a binary search over a 1 000-point disturbance table.
  double Value(double t, double piece_time, size_t* cursor) const;
  // Times where the profile or its slope jumps (integration restarts there).
  std::vector<double> Breakpoints() const;

 private:
  Kind kind_ = Kind::kConstant;
  std::vector<double> times_, values_;
  double start_ = 0, initial_ = 0, rate_ = 0, max_ = 0;
  double cap_time_ = 0;  // exponential: time at which the cap is reached
};

}  // namespace biotwin::sim

#endif  // BIOTWIN_SIM_INPUTS_H_
