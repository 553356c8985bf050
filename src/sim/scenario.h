// Scenario files (docs/scenario-format.md): what to run a model through — horizon, output grid,
// solver tolerances, parameter and initial-value overrides, input profiles and recipe events.
#ifndef BIOTWIN_SIM_SCENARIO_H_
#define BIOTWIN_SIM_SCENARIO_H_

#include <string>

#include "model/model.h"
#include "sim/simulator.h"

namespace biotwin::sim {

// Reads and checks a scenario against the model's names and units. Throws model::ModelError
// naming the file, line and field.
Scenario LoadScenarioFile(const std::string& path, const model::ModelInfo& info);
Scenario LoadScenarioText(const std::string& text, const std::string& file_name,
                          const model::ModelInfo& info);

// A scenario with the model's defaults and the given horizon.
Scenario DefaultScenario(const model::ModelInfo& info, double t_end);

// Applies "NAME=VALUE[ UNIT]" (parameter value, input constant or state initial value).
// Throws std::invalid_argument with a clear message.
void ApplySetting(const std::string& assignment, const model::ModelInfo& info, Scenario* scenario);

}  // namespace biotwin::sim

#endif  // BIOTWIN_SIM_SCENARIO_H_
