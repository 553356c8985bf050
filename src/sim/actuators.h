// Actuator models for sampled closed loops: between what a controller commands and what the
// plant receives. Per manipulated input: position limits, a rate limit and faults in windows
// (override to a value, or stuck at the position held when the fault began).
#ifndef BIOTWIN_SIM_ACTUATORS_H_
#define BIOTWIN_SIM_ACTUATORS_H_

#include <string>
#include <vector>

#include "sim/sensors.h"

namespace biotwin::sim {

struct ActuatorFault {
  enum class Kind { kOverride, kStuck };
  std::string name;
  Kind kind = Kind::kOverride;
  Window window;
  double value = 0.0;  // kOverride: the value the plant receives inside the window
};

struct ActuatorSpec {
  std::string input;   // model input name
  int index = -1;      // model input index
  double min = -model::kInf, max = model::kInf;
  double rate_limit = model::kInf;  // largest change per model time unit
  std::vector<ActuatorFault> faults;
};

class ActuatorBank {
 public:
  ActuatorBank() = default;
  // h: control sample time; origin: sample-index origin for fault windows.
  ActuatorBank(std::vector<ActuatorSpec> specs, double h, int origin);

  const std::vector<ActuatorSpec>& specs() const { return specs_; }
  // Positions before the first sample (the inputs at the start).
  void Begin(const double* u0);
  // Turns commanded inputs into applied ones, in place, for the inputs with an actuator:
  // limits, then the rate limit, then faults (a fault overrides the limits: a stuck valve).
  void Apply(long k, double t, double* u);

  const std::vector<std::string>& fault_names() const { return fault_names_; }
  void ActiveFaults(long k, double t, unsigned char* active) const;

 private:
  std::vector<ActuatorSpec> specs_;
  std::vector<double> position_;                 // last applied value per actuator
  std::vector<std::vector<double>> stuck_at_;    // per actuator, per fault
  std::vector<std::vector<bool>> was_active_;
  std::vector<std::string> fault_names_;
  double h_ = 1.0;
  int origin_ = 0;
};

}  // namespace biotwin::sim

#endif  // BIOTWIN_SIM_ACTUATORS_H_
