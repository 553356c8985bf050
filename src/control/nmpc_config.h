// The `mpc:` part of a scenario's `control:` block (docs/control.md, "Model predictive control").
// Internal to the control layer: control_config.cc calls it with its schedule reader.
#ifndef BIOTWIN_CONTROL_NMPC_CONFIG_H_
#define BIOTWIN_CONTROL_NMPC_CONFIG_H_

#include <functional>
#include <memory>
#include <string>

#include "control/nmpc_loop.h"
#include "model/model.h"
#include "model/yaml_util.h"

namespace biotwin::control {

using ScheduleReader = std::function<Schedule(const YAML::Node&, const std::string&, const model::Unit&)>;
using InputClaim = std::function<void(int input, const YAML::Node&, const std::string& field)>;

// Reads `control.mpc` for the plant model `plant` with control sample time `sample_time` (plant
// time unit). The internal model is `model:` (relative to the scenario file) or the plant model.
// Throws model::ModelError naming file, line and field.
std::shared_ptr<const NmpcLoopSpec> ParseNmpcBlock(const model::YamlReader& r, const YAML::Node& node,
                                                   const model::ModelInfo& plant, double sample_time,
                                                   const ScheduleReader& read_schedule, const InputClaim& claim);

}  // namespace biotwin::control

#endif  // BIOTWIN_CONTROL_NMPC_CONFIG_H_
