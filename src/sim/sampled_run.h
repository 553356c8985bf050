// Sampled closed-loop simulation (zero-order hold). At each control sample t_k = t0 + k·h:
// the plant's true values go through the sensors, the controller computes the manipulated
// inputs from the measurements, the actuators turn commands into applied values, the model is
// integrated over [t_k, t_k + h] with those inputs frozen (Simulator stepping API; optional hooks
// may set parameters before and adjust the state after each interval), and one row is recorded
// per sample.
#ifndef BIOTWIN_SIM_SAMPLED_RUN_H_
#define BIOTWIN_SIM_SAMPLED_RUN_H_

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "sim/actuators.h"
#include "sim/sensors.h"
#include "sim/simulator.h"

namespace biotwin::sim {

// What a sampled controller must provide (control::ControlSystem implements it).
class SampledController {
 public:
  virtual ~SampledController() = default;
  // Model inputs the controller writes; they are held over each interval.
  virtual const std::vector<int>& ManipulatedInputs() const = 0;
  // Before the first sample, with the inputs in force at the start (model input vector).
  virtual void Begin(double t0, const double* u0) = 0;
  // At sample k (time t): `measurements` in sensor order (NaN when unavailable); `u` holds the
  // model input vector (last applied values and the profiles' values at t) and receives the
  // commands for the manipulated inputs. Must not allocate.
  virtual void Step(long k, double t, const double* measurements, double* u) = 0;
  // The inputs actually applied after the actuators (limits, faults), for integrator tracking.
  virtual void Applied(const double* u) = 0;
};

struct SampledRunOptions {
  double sample_time = model::kNaN;  // h, model time unit
  // Called after each interval with the state at its end (t = t_{k+1}); may change x (e.g.
  // plant-side clamps); returning false stops the run with *error as the failure.
  std::function<bool(long k, double t, double* x, const double* p, std::string* error)> after_interval;
  // Called before each interval [t_k, t_k+1] (after the controller and actuators) with the
  // model's parameter vector, which it may change for that interval (e.g. disturbances held
  // constant over it, as IndPenSim does); returning false stops the run with *error.
  std::function<bool(long k, double t, double* p, std::string* error)> before_interval;
  std::function<void(double)> on_progress;
};

struct SampledRunResult {
  bool ok = false;
  std::string message;
  double t_reached = 0.0;
  int n_states = 0, n_outputs = 0, n_inputs = 0, n_measurements = 0, n_faults = 0;
  // One row per sample (k = 0..N; the last row is the end of the run), row-major.
  std::vector<double> time, states, outputs, inputs, measurements;
  std::vector<unsigned char> faults;  // 1 when the fault is active at that sample
  std::vector<std::string> measurement_names, measurement_units, fault_names;
  std::vector<EventRecord> events;
  std::vector<std::string> warnings;
  SolverStats stats;
  long intervals = 0;
  double wall_seconds = 0.0, controller_seconds = 0.0;

  size_t rows() const { return time.size(); }
  // The trajectory as a SimResult (states, outputs, inputs per row) for the run-output writers.
  SimResult ToSimResult() const;
};

// Runs the scenario (horizon, parameters, initial values, profiles of inputs the controller does
// not manipulate, recipe events) in closed loop. Never throws for numerical failures.
SampledRunResult RunSampled(std::shared_ptr<const model::Model> model, const Scenario& scenario,
                            SensorBank& sensors, SampledController& controller,
                            ActuatorBank& actuators, const SampledRunOptions& options);

}  // namespace biotwin::sim

#endif  // BIOTWIN_SIM_SAMPLED_RUN_H_
