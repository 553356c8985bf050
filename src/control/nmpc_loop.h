// NMPC in a sampled closed loop: the `mpc:` part of a scenario's `control:` block (docs/control.md).
// NmpcLoop is a sim::SampledController that runs the schedules and PID loops of the block (a
// ControlSystem) and, every `every` control samples, one receding-horizon NMPC step on its own
// manipulated inputs, from the state an NmpcStateSource provides: the true plant state
// (PlantStateSource, fed after every interval by RunClosedLoop) or, through the same interface,
// an estimator's. Every sample is logged (source, solve time, iterations, reason).
#ifndef BIOTWIN_CONTROL_NMPC_LOOP_H_
#define BIOTWIN_CONTROL_NMPC_LOOP_H_

#include <memory>
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
};

// The true plant state, mapped onto the internal model's states by name (units converted).
class PlantStateSource : public NmpcStateSource {
 public:
  // Throws model::ModelError (file of the internal model) when a state of `internal` is missing
  // from `plant` or has an incompatible unit.
  PlantStateSource(const model::ModelInfo& plant, const model::ModelInfo& internal);
  // The plant state at time t (plant states, plant units).
  void SetPlantState(double t, const double* x_plant);
  bool State(double t, const double* measurements, double* x, std::string* why) override;

 private:
  std::vector<int> plant_index_;
  std::vector<double> factor_;
  std::vector<double> plant_x_;
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
  std::string state_source = "plant";
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
  void Applied(const double* u) override { others_->Applied(u); }

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
