#include "control/nmpc_loop.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "model/format.h"
#include "model/units.h"

namespace biotwin::control {

PlantStateSource::PlantStateSource(std::shared_ptr<const model::Model> plant_model, const model::ModelInfo& internal)
    : plant_(std::move(plant_model)) {
  const model::ModelInfo& plant = plant_->info();
  for (const auto& s : internal.states) {
    const int j = plant.StateIndex(s.name);
    const int o = j < 0 ? plant.OutputIndex(s.name) : -1;
    if (j < 0 && o < 0) {
      throw model::ModelError(internal.file, s.line, "states." + s.name,
                              "the NMPC's model has a state '" + s.name + "' that the plant model (" + plant.file +
                                  ") has neither as a state nor as an output: the plant cannot be mapped onto it");
    }
    const auto& pu = j >= 0 ? plant.states[j].unit : plant.outputs[o].unit;
    if (!model::Compatible(pu, s.unit) || pu.IsAffine() || s.unit.IsAffine()) {
      if (pu.text != s.unit.text) {
        throw model::ModelError(internal.file, s.line, "states." + s.name,
                                "unit " + s.unit.text + " does not match the plant's " + pu.text +
                                    (j >= 0 ? "" : " (plant output '" + s.name + "')"));
      }
      factor_.push_back(1.0);
    } else {
      factor_.push_back(model::ConversionFactor(pu, s.unit));
    }
    plant_index_.push_back(j >= 0 ? j : -1 - o);
    uses_outputs_ = uses_outputs_ || j < 0;
  }
  plant_x_.assign(plant.states.size(), model::kNaN);
  plant_u_ = plant.DefaultInputs();
  plant_y_.assign(plant.outputs.size(), model::kNaN);
  if (uses_outputs_) ws_ = plant_->NewWorkspace();
}

void PlantStateSource::SetPlantState(double t, const double* x_plant, const double* p_plant) {
  std::copy(x_plant, x_plant + plant_x_.size(), plant_x_.begin());
  t_ = t;
  if (!uses_outputs_) return;
  if (!p_plant) throw std::invalid_argument("PlantStateSource: plant outputs need the plant parameters");
  model::EvalPoint at;
  at.t = t;
  at.x = plant_x_.data();
  at.u = plant_u_.data();
  at.p = p_plant;
  plant_->Outputs(at, plant_y_.data(), *ws_);
}

void PlantStateSource::InputsApplied(const double* u_plant) {
  std::copy(u_plant, u_plant + plant_u_.size(), plant_u_.begin());
}

bool PlantStateSource::State(double t, const double*, double* x, std::string* why) {
  if (!(std::fabs(t - t_) <= 1e-9 * std::max(1.0, std::fabs(t)))) {
    *why = "no plant state for t = " + model::FormatNumber(t) + " (last at " + model::FormatNumber(t_) + ")";
    return false;
  }
  for (size_t i = 0; i < plant_index_.size(); ++i) {
    const int j = plant_index_[i];
    x[i] = (j >= 0 ? plant_x_[j] : plant_y_[-1 - j]) * factor_[i];
  }
  return true;
}

NmpcLoop::NmpcLoop(std::shared_ptr<const NmpcLoopSpec> spec, std::unique_ptr<ControlSystem> others,
                   std::shared_ptr<NmpcStateSource> source, double sample_time, int sample_index_origin)
    : spec_(std::move(spec)), others_(std::move(others)), source_(std::move(source)),
      fallback_(spec_->fallback), sample_time_(sample_time), origin_(sample_index_origin) {
  manipulated_ = others_->ManipulatedInputs();
  for (int i : spec_->plant_inputs) {
    if (std::find(manipulated_.begin(), manipulated_.end(), i) != manipulated_.end()) {
      throw std::invalid_argument("input index " + std::to_string(i) + " is driven by the NMPC and by a schedule or loop");
    }
    manipulated_.push_back(i);
  }
  auto recipe = [this](double t) {
    std::vector<double> v;
    const long k = std::lround((t - t0_) / sample_time_) + origin_;
    for (const auto& s : fallback_) v.push_back(s.TableValue(k, t));
    return v;
  };
  mpc_ = std::make_unique<NmpcController>(spec_->problem, spec_->options, recipe);
  current_.assign(spec_->plant_inputs.size(), 0.0);
  x_.assign(spec_->problem.model->num_states(), 0.0);
}

void NmpcLoop::Begin(double t0, const double* u0) {
  others_->Begin(t0, u0);
  t0_ = t0;
  for (auto& s : fallback_) s.Reset();
  for (size_t c = 0; c < current_.size(); ++c) current_[c] = u0[spec_->plant_inputs[c]];
  log_.clear();
}

void NmpcLoop::Step(long k, double t, const double* measurements, double* u) {
  source_->Sample(t, measurements);
  others_->Step(k, t, measurements, u);
  if (t < spec_->start - 1e-9 * std::max(1.0, std::fabs(spec_->start))) {
    const long ku = k + origin_;
    for (size_t c = 0; c < current_.size(); ++c) current_[c] = fallback_[c].TableValue(ku, t);
  } else if (k % spec_->every == 0) {
    NmpcLogRow row;
    row.k = k;
    row.time = t;
    std::string why;
    // Inputs other loops or schedules drive (or profiles set) keep their current value.
    for (const auto& [internal, plant] : spec_->held_inputs) mpc_->SetHeldInput(internal, u[plant]);
    if (source_->State(t, measurements, x_.data(), &why)) {
      row.step = mpc_->Step(t, x_);
    } else {
      // No state: the recipe, and say why.
      row.step.time = t;
      row.step.source = NmpcSource::kRecipe;
      row.step.status = NlpStatus::kFailed;
      const long ku = k + origin_;
      for (auto& s : fallback_) row.step.controls.push_back(s.TableValue(ku, t));
      row.step.reason = "state source '" + spec_->state_source + "': " + why + "; applied the recipe";
    }
    current_ = row.step.controls;
    log_.push_back(std::move(row));
  }
  for (size_t c = 0; c < current_.size(); ++c) u[spec_->plant_inputs[c]] = current_[c];
}

}  // namespace biotwin::control
