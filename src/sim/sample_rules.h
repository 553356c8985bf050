// Discrete rules of a sampled plant (the model file's `sample_rules:` section): clamps, resets of
// per-interval integrals and trend rules that change a parameter. A sampled runner calls
// ApplySampleRules once after every control interval, with the state reached at the end of it;
// the rules act in file order on the state and the parameter vector (docs/model-format.md).
#ifndef BIOTWIN_SIM_SAMPLE_RULES_H_
#define BIOTWIN_SIM_SAMPLE_RULES_H_

#include <memory>
#include <span>
#include <string>
#include <vector>

#include "model/model.h"

namespace biotwin::sim {

// One firing of a rule: at sample k (time t), rule `rule` (index into ModelInfo::sample_rules)
// changed `count` values (clamped or reset states, or set targets).
struct SampleRuleFiring {
  int k = 0;
  double t = 0.0;
  int rule = -1;
  int count = 0;
};

// What the rules remember between samples (the tracked signals of trend rules), the log of
// firings and evaluation memory. One per run; Reset() before reusing it for another batch.
class SampleRuleHistory {
 public:
  void Reset();

  // Every firing so far, in order.
  const std::vector<SampleRuleFiring>& fired() const { return fired_; }
  // Firings of the last ApplySampleRules call (a view into fired()).
  std::span<const SampleRuleFiring> last() const {
    return std::span<const SampleRuleFiring>(fired_).subspan(last_begin_);
  }
  // Number of firings of rule `rule` so far.
  int Count(int rule) const;
  // Samples recorded so far.
  int samples() const { return samples_; }

 private:
  friend void ApplySampleRules(const model::Model&, int, double, std::span<double>,
                               std::span<double>, SampleRuleHistory&);
  void Prepare(const model::Model& model);

  const model::Model* model_ = nullptr;
  std::vector<SampleRuleFiring> fired_;
  size_t last_begin_ = 0;
  int samples_ = 0;
  // Per rule: ring buffer of the last of_last + 1 signal values (empty for other rules).
  std::vector<std::vector<double>> ring_;
  std::unique_ptr<model::ModelWorkspace> ws_;
  std::vector<double> action_values_, inputs_;
};

// Applies the model's sample rules after control interval k, at time t: x holds the state
// reached (state units), p the current parameters (changed in place by trend rules). Call it once
// per interval, in order, with one history per run: trend rules count the calls (the samples
// recorded), k and t are only logged. Set values are evaluated with the inputs at their defaults
// (the loader rejects rule expressions that use inputs). Throws std::invalid_argument when the
// spans do not match the model.
void ApplySampleRules(const model::Model& model, int k, double t, std::span<double> x,
                      std::span<double> p, SampleRuleHistory& history);

}  // namespace biotwin::sim

#endif  // BIOTWIN_SIM_SAMPLE_RULES_H_
