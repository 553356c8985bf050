#include "sim/sample_rule_hooks.h"

#include <exception>
#include <string>
#include <utility>
#include <vector>

namespace biotwin::sim {

void InstallSampleRules(std::shared_ptr<const model::Model> model, SampleRuleHistory* history,
                        SampledRunOptions* options) {
  if (model->info().sample_rules.empty()) return;
  history->Reset();
  // Parameters as the rules last left them; pushed into the simulator before each interval.
  struct State {
    std::vector<double> p;
    bool changed = false;
  };
  auto state = std::make_shared<State>();
  const size_t np = model->info().parameters.size(), nx = model->info().states.size();
  auto after = std::move(options->after_interval);
  options->after_interval = [model, history, state, after, np, nx](
                                long k, double t, double* x, const double* p, std::string* error) {
    if (after && !after(k, t, x, p, error)) return false;
    if (state->p.size() != np) state->p.assign(p, p + np);
    try {
      ApplySampleRules(*model, static_cast<int>(k), t, std::span<double>(x, nx),
                       std::span<double>(state->p), *history);
    } catch (const std::exception& e) {
      *error = std::string("sample rules: ") + e.what();
      return false;
    }
    for (size_t i = 0; i < np; ++i) state->changed |= state->p[i] != p[i];
    return true;
  };
  auto before = std::move(options->before_interval);
  options->before_interval = [state, before, np](long k, double t, double* p, std::string* error) {
    if (state->changed) {
      for (size_t i = 0; i < np; ++i) p[i] = state->p[i];
      state->changed = false;
    }
    if (before && !before(k, t, p, error)) return false;
    if (!state->p.empty()) state->p.assign(p, p + np);  // the rules see other hooks' changes too
    return true;
  };
}

}  // namespace biotwin::sim
