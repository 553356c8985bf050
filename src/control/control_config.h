// The `control:` block of a scenario file (docs/control.md): control sample time, sensors,
// actuators, recipe schedules for open-loop inputs, PID, cascade and split-range loops. The
// parser checks every name against the model and reports errors as model::ModelError naming
// file, line and field (e.g. "control.loops[1].pid.ti").
#ifndef BIOTWIN_CONTROL_CONTROL_CONFIG_H_
#define BIOTWIN_CONTROL_CONTROL_CONFIG_H_

#include <memory>
#include <string>
#include <vector>

#include "control/control_system.h"
#include "control/nmpc_loop.h"
#include "model/model.h"
#include "model/yaml_util.h"
#include "sim/actuators.h"
#include "sim/sampled_run.h"
#include "sim/sensors.h"

namespace biotwin::control {

// Everything a closed-loop run needs; Make* build fresh run objects (one run each).
struct ControlSetup {
  ControlSpec spec;
  std::vector<sim::SensorSpec> sensors;
  std::vector<sim::ActuatorSpec> actuators;
  // Faults tagged with `sets: [N, ...]` are fault cases: active only when case N is selected
  // (biotwin simulate --fault N). 0 = no case selected; untagged faults are always active.
  int fault_set = 0;

  // Every fault case number the block defines, sorted.
  std::vector<int> FaultSets() const;
  // Selects case n (0 = none). Throws std::invalid_argument naming the defined cases when the
  // block has no fault tagged n.
  void SelectFaultSet(int n);
  std::shared_ptr<const NmpcLoopSpec> mpc;  // the `mpc:` part (null: none)

  sim::SensorBank MakeSensors() const;
  sim::ActuatorBank MakeActuators() const;
  std::unique_ptr<ControlSystem> MakeController() const;
};

// Parses the value of a `control:` key read by `reader` (for file names and lines).
ControlSetup ParseControlBlock(const model::YamlReader& reader, const YAML::Node& node,
                               const model::ModelInfo& info);
// The control block of a loaded scenario (re-read from its text, keeping file lines). Throws
// model::ModelError when the scenario has none or it is invalid.
ControlSetup LoadScenarioControl(const sim::Scenario& scenario, const model::ModelInfo& info);

// Per-sample columns a controller adds to the run table (one value per result row; NaN where
// it has none), e.g. the NMPC's status, solve time and iterations.
struct ControlColumn {
  std::string name, unit, description;
  std::vector<double> values;
};

// Runs the scenario closed-loop with fresh sensors, controller and actuators. With an `mpc:`
// part, the NMPC gets the true plant state after every interval (chained after
// options.after_interval), each fallback adds a warning with its reason to the result, and
// `columns` (when non-null) receives mpc:source (0 optimal, 1 previous plan, 2 recipe),
// mpc:solve_time, mpc:cpu_time, mpc:iterations and mpc:objective. `state_source` (when not
// null) replaces the plant state, e.g. an estimator (src/runtime builds it for `mpc: state:
// {estimator: ...}`; without one such a block throws std::invalid_argument); it receives the
// initial plant inputs before the run.
sim::SampledRunResult RunClosedLoop(std::shared_ptr<const model::Model> model,
                                    const sim::Scenario& scenario, const ControlSetup& setup,
                                    sim::SampledRunOptions options = {},
                                    std::vector<ControlColumn>* columns = nullptr,
                                    std::shared_ptr<NmpcStateSource> state_source = nullptr);

}  // namespace biotwin::control

#endif  // BIOTWIN_CONTROL_CONTROL_CONFIG_H_
