#include "sim/simulator.h"

#include "sim/simulator_impl.h"

namespace biotwin::sim {
std::vector<Event> ModelEvents(const model::ModelInfo& info) {
  std::vector<Event> out;
  for (const auto& e : info.events) {
    Event ev;
    ev.name = e.name;
    ev.origin = "model";
    ev.timed = e.timed;
    ev.at = e.at;
    ev.every = e.every;
    ev.until = e.until;
    ev.root = e.root;
    ev.direction = e.direction;
    ev.repeat = e.repeat;
    for (const auto& a : e.actions) {
      Action act;
      act.kind = a.kind;
      act.target = a.target;
      act.target_name = a.target_name;
      act.value_expr = a.value_expr;
      act.composition_exprs = a.composition;
      act.withdraw_to_volume = a.withdraw_to_volume;
      ev.actions.push_back(act);
    }
    out.push_back(ev);
  }
  return out;
}

Simulator::Simulator(std::shared_ptr<const model::Model> model, Scenario scenario, SimOptions options)
    : impl_(std::make_unique<Impl>(std::move(model), std::move(scenario), std::move(options))) {}
Simulator::~Simulator() = default;
SimResult Simulator::Run() { return impl_->Run(); }

}  // namespace biotwin::sim
