// Connects a model's sample rules (the `sample_rules:` section) to a sampled closed-loop run:
// after every interval the rules act on the state reached, and the parameters they change
// (e.g. a permanently lowered maximum growth rate) reach the simulator before the next interval.
#ifndef BIOTWIN_SIM_SAMPLE_RULE_HOOKS_H_
#define BIOTWIN_SIM_SAMPLE_RULE_HOOKS_H_

#include <memory>

#include "model/model.h"
#include "sim/sample_rules.h"
#include "sim/sampled_run.h"

namespace biotwin::sim {

// Installs the hooks on `options` (chained after any hooks already there). Does nothing when the
// model has no sample rules. `history` must outlive the run; it is Reset() here.
void InstallSampleRules(std::shared_ptr<const model::Model> model, SampleRuleHistory* history,
                        SampledRunOptions* options);

}  // namespace biotwin::sim

#endif  // BIOTWIN_SIM_SAMPLE_RULE_HOOKS_H_
