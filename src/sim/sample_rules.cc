#include "sim/sample_rules.h"

#include <stdexcept>

namespace biotwin::sim {

using model::SampleRule;

void SampleRuleHistory::Reset() {
  model_ = nullptr;
  fired_.clear();
  last_begin_ = 0;
  samples_ = 0;
  ring_.clear();
  ws_.reset();
}

int SampleRuleHistory::Count(int rule) const {
  int n = 0;
  for (const auto& f : fired_) n += f.rule == rule ? 1 : 0;
  return n;
}

void SampleRuleHistory::Prepare(const model::Model& model) {
  if (model_ == &model) return;
  Reset();
  model_ = &model;
  const auto& rules = model.info().sample_rules;
  ring_.resize(rules.size());
  for (size_t r = 0; r < rules.size(); ++r) {
    if (rules[r].kind == SampleRule::Kind::kWhenFalling ||
        rules[r].kind == SampleRule::Kind::kWhenRising) {
      ring_[r].assign(static_cast<size_t>(rules[r].of_last) + 1, 0.0);
    }
  }
  ws_ = model.NewWorkspace();
  action_values_.assign(model.num_action_values(), 0.0);
  inputs_ = model.info().DefaultInputs();
  fired_.reserve(4096);
}

namespace {

// Number of sample-to-sample changes with the requested sign among the values in the ring
// (oldest first; `newest` is the slot just written).
// Walks the ring once with a wrapping index (no division per element: this runs every sample).
int CountChanges(const std::vector<double>& ring, size_t newest, bool falling) {
  const size_t len = ring.size();
  if (len < 2) return 0;
  int count = 0;
  size_t i = newest + 1 == len ? 0 : newest + 1;  // the oldest value
  double before = ring[i];
  for (size_t j = 1; j < len; ++j) {
    i = i + 1 == len ? 0 : i + 1;
    const double after = ring[i];
    if (falling ? after < before : after > before) ++count;
    before = after;
  }
  return count;
}

}  // namespace

void ApplySampleRules(const model::Model& model, int k, double t, std::span<double> x,
                      std::span<double> p, SampleRuleHistory& history) {
  if (static_cast<int>(x.size()) != model.num_states() ||
      static_cast<int>(p.size()) != model.num_parameters()) {
    throw std::invalid_argument("ApplySampleRules: the model has " +
                                std::to_string(model.num_states()) + " states and " +
                                std::to_string(model.num_parameters()) + " parameters, got " +
                                std::to_string(x.size()) + " and " + std::to_string(p.size()));
  }
  history.Prepare(model);
  history.last_begin_ = history.fired_.size();
  const auto& rules = model.info().sample_rules;
  const int sample = history.samples_;  // 0-based index of this sample in the history
  for (size_t r = 0; r < rules.size(); ++r) {
    const SampleRule& rule = rules[r];
    int count = 0;
    switch (rule.kind) {
      case SampleRule::Kind::kClamp:
        for (size_t i = 0; i < rule.states.size(); ++i) {
          double& v = x[rule.states[i]];
          if (rule.inclusive ? v <= rule.threshold[i] : v < rule.threshold[i]) {
            v = rule.value[i];
            ++count;
          }
        }
        break;
      case SampleRule::Kind::kReset:
        for (size_t i = 0; i < rule.states.size(); ++i) x[rule.states[i]] = rule.value[i];
        count = static_cast<int>(rule.states.size());
        break;
      case SampleRule::Kind::kWhenFalling:
      case SampleRule::Kind::kWhenRising: {
        std::vector<double>& ring = history.ring_[r];
        const size_t slot = static_cast<size_t>(sample) % ring.size();
        ring[slot] = x[rule.signal];
        if (sample + 1 < static_cast<int>(ring.size())) break;  // not enough history yet
        const bool falling = rule.kind == SampleRule::Kind::kWhenFalling;
        if (CountChanges(ring, slot, falling) < rule.at_least) break;
        model::EvalPoint at;
        at.t = t;
        at.x = x.data();
        at.u = history.inputs_.data();
        at.p = p.data();
        model.ActionValues(at, history.action_values_.data(), *history.ws_);
        for (const auto& a : rule.actions) {  // values first, then the assignments
          const double v = history.action_values_[a.value_expr];
          if (a.kind == model::EventAction::Kind::kSetParameter) {
            p[a.target] = v;
          } else {
            x[a.target] = v;
          }
          ++count;
        }
        break;
      }
    }
    if (count > 0) history.fired_.push_back({k, t, static_cast<int>(r), count});
  }
  ++history.samples_;
}

}  // namespace biotwin::sim
