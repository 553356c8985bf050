#include "runtime/runtime.h"

#include <utility>

namespace biotwin::runtime {

std::shared_ptr<control::NmpcStateSource> MakeStateSource(const model::ModelInfo& plant, const sim::Scenario& scenario,
                                                          const control::ControlSetup& setup) {
  if (!setup.mpc || !setup.mpc->estimator) return nullptr;
  return std::make_shared<EstimatorStateSource>(plant, *setup.mpc, scenario, setup.sensors, setup.spec.sample_time);
}

sim::SampledRunResult RunClosedLoop(std::shared_ptr<const model::Model> model, const sim::Scenario& scenario,
                                    const control::ControlSetup& setup, sim::SampledRunOptions options,
                                    std::vector<control::ControlColumn>* columns,
                                    std::shared_ptr<EstimatorStateSource>* estimator) {
  auto source = MakeStateSource(model->info(), scenario, setup);
  if (estimator) *estimator = std::dynamic_pointer_cast<EstimatorStateSource>(source);
  return control::RunClosedLoop(std::move(model), scenario, setup, std::move(options), columns, std::move(source));
}

}  // namespace biotwin::runtime
