// Public header of the runtime layer (src/runtime, DESIGN.md layer 5): wires the plant, the
// estimator and the controller of one vessel. RunClosedLoop runs a scenario's `control:` block
// like control::RunClosedLoop and, when the `mpc:` block asks for `state: {estimator: ...}`,
// feeds the NMPC from a state estimator on its internal model (EstimatorStateSource).
#ifndef BIOTWIN_RUNTIME_RUNTIME_H_
#define BIOTWIN_RUNTIME_RUNTIME_H_

#include <memory>
#include <vector>

#include "control/control_config.h"
#include "model/model.h"
#include "runtime/estimator_state_source.h"
#include "sim/sampled_run.h"
#include "sim/simulator.h"

namespace biotwin::runtime {

// The NMPC's state source the block asks for: null for the plant state (control builds it),
// an EstimatorStateSource otherwise. Throws model::ModelError (see EstimatorStateSource).
std::shared_ptr<control::NmpcStateSource> MakeStateSource(const model::ModelInfo& plant,
                                                          const sim::Scenario& scenario,
                                                          const control::ControlSetup& setup);

// control::RunClosedLoop with the state source of the block. `estimator` (when not null)
// receives the estimator source (null with the plant state), e.g. to read its summary after.
sim::SampledRunResult RunClosedLoop(std::shared_ptr<const model::Model> model, const sim::Scenario& scenario,
                                    const control::ControlSetup& setup, sim::SampledRunOptions options = {},
                                    std::vector<control::ControlColumn>* columns = nullptr,
                                    std::shared_ptr<EstimatorStateSource>* estimator = nullptr);

}  // namespace biotwin::runtime

#endif  // BIOTWIN_RUNTIME_RUNTIME_H_
