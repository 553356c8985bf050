#include "runtime/runtime.h"

#include <algorithm>
#include <cmath>
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
  auto est = std::dynamic_pointer_cast<EstimatorStateSource>(source);
  if (estimator) *estimator = est;
  sim::SampledRunResult result = control::RunClosedLoop(model, scenario, setup, std::move(options), columns, source);
  if (!est || !columns) return result;
  // The estimate at every control sample, one column per state of the NMPC's model.
  const model::ModelInfo& info = setup.mpc->problem.model->info();
  const size_t n = info.states.size();
  const auto& ht = est->history_times();
  const auto& hx = est->history_states();
  for (size_t i = 0; i < n; ++i) {
    control::ControlColumn c{"est:" + info.states[i].name, info.states[i].unit.text,
                             "NMPC's state estimate (" + setup.mpc->estimator->method + ") of " + info.states[i].name, {}};
    c.values.assign(result.rows(), model::kNaN);
    size_t h = 0;
    for (size_t k = 0; k < result.rows() && h < ht.size(); ++k) {
      if (std::fabs(result.time[k] - ht[h]) > 1e-9 * std::max(1.0, std::fabs(ht[h]))) continue;
      c.values[k] = hx[h * n + i];
      ++h;
    }
    columns->push_back(std::move(c));
  }
  return result;
}

}  // namespace biotwin::runtime
