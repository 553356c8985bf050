// NMPC in a sampled closed loop: the `mpc:` part of a scenario's `control:` block (docs/control.md).
// NmpcLoop is a sim::SampledController that runs the schedules and PID loops of the block (a
// ControlSystem) and, every `every` control samples, one receding-horizon NMPC step on its own
// manipulated inputs, from the state an NmpcStateSource provides: the true plant state
// (PlantStateSource, fed after every interval by RunClosedLoop) or, through the same interface,
// an estimator's. Every sample is logged (source, solve time, iterations, reason).
#ifndef BIOTWIN_CONTROL_NMPC_LOOP_H_
#define BIOTWIN_CONTROL_NMPC_LOOP_H_

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "control/control_system.h"
#include "control/nmpc_controller.h"
#include "control/schedule.h"
#include "sim/sampled_run.h"

namespace biotwin::control {

// Where the NMPC gets the state of its internal model at each step.
class NmpcStateSource {
 public:
  virtual ~NmpcStateSource() = default;
  // Fills x (internal-model states, their units) for sample time t; `measurements` are the
  // sensor channels (NaN when missing). Returns false with *why when no state is available (the
  // step then applies the fallback recipe and records why).
  virtual bool State(double t, const double* measurements, double* x, std::string* why) = 0;
  // The plant inputs applied over the coming interval (after the actuators), every sample.
  virtual void InputsApplied(const double* u_plant) {}
  // Every control sample (also between NMPC steps and before `start`), before State: the
  // sensor channels at time t, e.g. for an estimator to assimilate.
  virtual void Sample(double t, const double* measurements) {}
};

// `mpc: state: {estimator: ..., noise: ..., initial: {...}}`: the NMPC's state comes from a state
// estimator on its internal model, fed by the closed loop's sensors (built by src/runtime).
struct EstimatorStateSpec {
  std::string method;                  // "ekf" or "ukf"
  std::string noise_file;              // absolute or relative to the working directory
  std::map<int, double> initial;       // internal-model state -> prior value (state unit)
  std::string file;                    // scenario file and line of the `state:` block (errors)
  int line = 0;
};

// The true plant state, mapped onto the internal model's states by name (units converted). An
// internal state the plant has no state for may come from a plant output of the same name (e.g.
// a reduced model's biomass X = the plant's output A0 + A1 + A3 + A4), evaluated at the plant
// state with the inputs applied over the interval that just ended (what the run table shows).
class PlantStateSource : public NmpcStateSource {
 public:
  // Throws model::ModelError (file of the internal model) when a state of `internal` is neither
  // a state nor an output of the plant, or has an incompatible unit.
  PlantStateSource(std::shared_ptr<const model::Model> plant, const model::ModelInfo& internal);
  // The plant state at time t (plant states, parameters and units); `p_plant` may be null when
  // no internal state comes from a plant output.
  void SetPlantState(double t, const double* x_plant, const double* p_plant);
  void InputsApplied(const double* u_plant) override;
  bool State(double t, const double* measurements, double* x, std::string* why) override;

 private:
  std::shared_ptr<const model::Model> plant_;
  std::unique_ptr<model::ModelWorkspace> ws_;
  std::vector<int> plant_index_;  // >= 0: plant state; < 0: plant output -1 - index
  std::vector<double> factor_;
  std::vector<double> plant_x_, plant_u_, plant_y_;
  bool uses_outputs_ = false;
  double t_ = model::kNaN;
};

struct NmpcLoopSpec {
  OcpProblem problem;                // internal model, controls, objective, constraints, horizon
  NmpcOptions options;
  int every = 1;                     // control samples per NMPC step
  std::vector<int> plant_inputs;     // per problem control: the plant model's input index
  // Inputs of the internal model held at the plant's current value over the horizon:
  // (internal input index, plant input index) for every input with the same name and unit that
  // is neither a control nor fixed in the block's `inputs:`.
  std::vector<std::pair<int, int>> held_inputs;
  std::vector<Schedule> fallback;    // per problem control: the recipe (plant input units)
  std::string state_source = "plant";  // "plant" or "estimator"
  std::optional<EstimatorStateSpec> estimator;  // set when state_source == "estimator"
  // The NMPC takes over at this time (model time unit); before it the fallback recipe drives
  // its controls and no NMPC step is made or logged.
  double start = -model::kInf;
};

// Per-sample record: source code 0 optimal, 1 previous plan, 2 recipe; NaN between NMPC steps.
struct NmpcLogRow {
  long k = 0;
  double time = 0.0;
  NmpcStep step;
};

class NmpcLoop : public sim::SampledController {
 public:
  NmpcLoop(std::shared_ptr<const NmpcLoopSpec> spec, std::unique_ptr<ControlSystem> others,
           std::shared_ptr<NmpcStateSource> source, double sample_time, int sample_index_origin);

  const std::vector<int>& ManipulatedInputs() const override { return manipulated_; }
  void Begin(double t0, const double* u0) override;
  // Allocates on NMPC steps (the NLP solver does); schedules and PID loops do not.
  void Step(long k, double t, const double* measurements, double* u) override;
  void Applied(const double* u) override {
    others_->Applied(u);
    source_->InputsApplied(u);
  }

  const std::vector<NmpcLogRow>& log() const { return log_; }
  NmpcController& controller() { return *mpc_; }

 private:
  std::shared_ptr<const NmpcLoopSpec> spec_;
  std::unique_ptr<ControlSystem> others_;
  std::shared_ptr<NmpcStateSource> source_;
  std::unique_ptr<NmpcController> mpc_;
  std::vector<Schedule> fallback_;
  double sample_time_ = 0.0, t0_ = 0.0;
  int origin_ = 0;
  std::vector<int> manipulated_;
  std::vector<double> current_, x_;
  std::vector<NmpcLogRow> log_;
};

}  // namespace biotwin::control

#endif  // BIOTWIN_CONTROL_NMPC_LOOP_H_
