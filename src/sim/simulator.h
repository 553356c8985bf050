// The simulator: integrates a model (SUNDIALS CVODES, BDF with Newton and the model's exact
// Jacobian) through a scenario of input profiles and events, with root-finding for state events,
// re-initialisation after every discrete change, optional forward parameter sensitivities, and
// output on a requested time grid. Options -> Run -> Result (status, statistics, trajectory).
#ifndef BIOTWIN_SIM_SIMULATOR_H_
#define BIOTWIN_SIM_SIMULATOR_H_

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "model/model.h"
#include "sim/inputs.h"

namespace biotwin::sim {

// A discrete action with resolved numbers (scenario events) or model action expressions.
struct Action {
  model::EventAction::Kind kind = model::EventAction::Kind::kSetInput;
  int target = -1;
  std::string target_name;
  double value = 0.0;      // used when value_expr < 0 (in the target's unit)
  int value_expr = -1;     // model action expression index
  std::vector<std::pair<int, double>> composition;      // bolus (constant values)
  std::vector<std::pair<int, int>> composition_exprs;   // bolus (model action expressions)
  bool withdraw_to_volume = false;
};

struct Event {
  std::string name, origin;  // origin: "model" or "scenario"
  bool timed = true;
  double at = model::kNaN, every = model::kNaN, until = model::kNaN;
  int root = -1, direction = 0;
  bool repeat = false;
  std::vector<Action> actions;
};

// What to run: overrides, input profiles, extra (recipe) events, horizon and output grid.
struct Scenario {
  std::string name, file, content_hash, text;
  double t_begin = 0.0, t_end = model::kNaN;     // model time unit
  double output_interval = model::kNaN;          // default: (t_end - t_begin) / 200
  std::vector<double> output_times;              // explicit grid (overrides the interval)
  std::map<int, double> parameters;              // parameter index -> value (parameter unit)
  std::map<int, double> initial;                 // state index -> initial value (state unit)
  std::map<int, InputProfile> inputs;            // input index -> profile (input unit)
  std::vector<Event> events;                     // recipe events (timed)
  double rtol = 1e-6;
  double atol = 1e-8;  // default absolute tolerance, scaled per state by max(1, |x0|)... see docs
  int max_steps = 100000;
  // Integrator: "bdf" (CVODES, variable order), "rodas3", "rodas4" or "ros34pw2" (Rosenbrock,
  // one step; for sampled loops whose inputs change every interval; runs with sensitivities use
  // CVODES).
  std::string method = "bdf";
  // The file has a `control:` block (closed-loop run; parsed by the control layer from `text`).
  bool has_control = false;
};

struct SimOptions {
  std::vector<int> sensitivity_parameters;  // parameter indices for forward sensitivities
  // Include the sensitivities in the integrator's local error test. True: sensitivities as
  // accurate as the states (more, smaller steps; `simulate --sensitivity`). False: the states
  // alone set the steps, and the sensitivities are computed on them (CVODES' default; about
  // 2.5x cheaper, accurate to a few significant digits: enough for Gauss-Newton directions).
  bool sensitivity_error_control = true;
  // Called after every accepted output time (and event) with the current time; e.g. a progress line.
  std::function<void(double)> on_progress;
  bool record_outputs = true;               // evaluate model outputs at every output time
};

struct EventRecord {
  double time;
  std::string name, description;
};

struct SolverStats {
  long steps = 0, rhs_evals = 0, jac_evals = 0, newton_iters = 0, newton_conv_fails = 0,
       error_test_fails = 0, root_evals = 0, reinits = 0, events = 0, input_clips = 0,
       lin_setups = 0;  // Newton matrix set-ups (one LU factorisation each)
  double last_step = 0.0;
  std::string method = "bdf";  // the integrator that ran (Scenario::method, or bdf with sensitivities)
};

// What `method` means, for run summaries: "CVODES BDF, Newton with exact (AD) Jacobian, dense LU".
std::string IntegratorDescription(const std::string& method);

struct SimResult {
  bool ok = false;
  std::string message;        // failure reason (time, state)
  double t_reached = 0.0;     // last time integrated to
  std::vector<double> time;
  std::vector<std::vector<double>> states, outputs, inputs;  // [time index][variable]
  // Sensitivities d x_i / d p_k at each output time: sens[time][k][i].
  std::vector<std::vector<std::vector<double>>> sensitivities;
  std::vector<EventRecord> events;
  std::vector<std::string> warnings;
  SolverStats stats;
  double wall_seconds = 0.0;
};

// Model events converted to simulator events (action expressions kept symbolic).
std::vector<Event> ModelEvents(const model::ModelInfo& info);

class Simulator {
 public:
  Simulator(std::shared_ptr<const model::Model> model, Scenario scenario, SimOptions options = {});
  ~Simulator();
  // Runs the whole scenario; never throws for numerical failures (ok = false with a message).
  SimResult Run();

  // Stepping API (simulator_step.cc), for sampled closed loops: Begin() sets up CVODES at the
  // scenario's start (timed events due then fire); each Advance(t) integrates from Time() to t,
  // handling model and recipe events and profile breakpoints on the way. Inputs fixed with
  // SetInput are held (zero-order hold) and replace their scenario profile; the others follow
  // their profiles. The CVODES memory is reused throughout: the integrator is re-initialised
  // only when a held input changed value, the state was set, or an event/breakpoint occurred,
  // and no memory is allocated per interval. Do not mix with Run() on the same object.
  // Returns false with a message (time, state) on failure; the object then stays failed.
  bool Begin(std::string* error);
  void SetInput(int input, double value);  // input unit; clipped to the input's limits
  bool Advance(double t_to, std::string* error);
  double Time() const;
  const double* State() const;
  // Replaces the state (e.g. a plant-side clamp after an interval); re-initialises on the next
  // Advance.
  void SetState(const double* x);
  // Effective inputs at Time() (held values and profiles, after limits).
  const double* Inputs();
  // Model outputs at the current state; `y` has num_outputs() entries.
  void Outputs(double* y);
  const std::vector<double>& Parameters() const;
  // Replaces a parameter value (parameter unit) from now on, e.g. a disturbance held over the
  // next interval; re-initialises on the next Advance when the value changed.
  void SetParameter(int parameter, double value);
  // Events fired, warnings and solver statistics accumulated by the stepping API so far.
  SolverStats Stats() const;
  const std::vector<EventRecord>& Events() const;
  const std::vector<std::string>& Warnings() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace biotwin::sim

#endif  // BIOTWIN_SIM_SIMULATOR_H_
