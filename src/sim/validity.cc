#include "sim/validity.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "model/format.h"

namespace biotwin::sim {

ValidityMonitor::ValidityMonitor(const model::ModelInfo& info, double tolerance)
    : info_(&info), tolerance_(tolerance) {
  const size_t n = info.validity.bounds.size();
  worst_.assign(n, model::kNaN);
  value_.assign(n, model::kNaN);
  time_.assign(n, model::kNaN);
  label_.assign(n, "");
  runs_.assign(n, 0);
}

void ValidityMonitor::Merge(const ValidityMonitor& other, const std::string& label) {
  for (size_t k = 0; k < worst_.size() && k < other.worst_.size(); ++k) {
    if (std::isnan(other.worst_[k])) continue;
    ++runs_[k];
    if (std::isnan(worst_[k]) || other.worst_[k] > worst_[k]) {
      worst_[k] = other.worst_[k];
      value_[k] = other.value_[k];
      time_[k] = other.time_[k];
      label_[k] = label;
    }
  }
}

void ValidityMonitor::Observe(double t, const double* x, const double* u) {
  const auto& bounds = info_->validity.bounds;
  for (size_t k = 0; k < bounds.size(); ++k) {
    const double* src = bounds[k].is_input ? u : x;
    if (src != nullptr) Note(k, t, src[bounds[k].index]);
  }
}

void ValidityMonitor::ObserveVariable(bool is_input, int index, double t, double value) {
  const auto& bounds = info_->validity.bounds;
  for (size_t k = 0; k < bounds.size(); ++k) {
    if (bounds[k].is_input == is_input && bounds[k].index == index) Note(k, t, value);
  }
}

void ValidityMonitor::Note(size_t k, double t, double v) {
  if (!std::isfinite(v)) return;
  const auto& b = info_->validity.bounds[k];
  const double w = std::max({b.upper - b.lower, std::fabs(b.lower), std::fabs(b.upper)});
  const double margin = tolerance_ * w;
  const double outside = v < b.lower - margin ? b.lower - v : (v > b.upper + margin ? v - b.upper : 0.0);
  if (!(outside > 0)) return;
  if (std::isnan(worst_[k]) || outside > worst_[k]) {
    worst_[k] = outside;
    value_[k] = v;
    time_[k] = t;
  }
}

void ValidityMonitor::Observe(const SimResult& result) {
  if (!active()) return;
  for (size_t i = 0; i < result.time.size(); ++i) {
    const double* x = i < result.states.size() && !result.states[i].empty() ? result.states[i].data() : nullptr;
    const double* u = i < result.inputs.size() && !result.inputs[i].empty() ? result.inputs[i].data() : nullptr;
    Observe(result.time[i], x, u);
  }
}

std::vector<ValidityExcursion> ValidityMonitor::Excursions() const {
  std::vector<ValidityExcursion> out;
  const auto& d = info_->validity;
  for (size_t k = 0; k < d.bounds.size(); ++k) {
    if (std::isnan(worst_[k])) continue;
    const auto& b = d.bounds[k];
    ValidityExcursion e;
    e.name = b.name;
    e.is_input = b.is_input;
    e.unit = b.is_input ? info_->inputs[b.index].unit.text : info_->states[b.index].unit.text;
    e.lower = b.lower;
    e.upper = b.upper;
    e.value = value_[k];
    e.time = time_[k];
    const std::string file = info_->file.empty() ? info_->provenance.name : info_->file;
    e.message = file + ": " + (b.is_input ? "input " : "state ") + b.name + " left the validity domain [" +
                model::FormatNumber(b.lower) + ", " + model::FormatNumber(b.upper) + "] " + e.unit + " of " +
                (d.fit.empty() ? std::string("its fit") : d.fit) + ": reached " + model::FormatNumber(e.value) +
                " " + e.unit + " at t = " + model::FormatNumber(e.time) + " " + info_->time_unit.text;
    if (!label_[k].empty()) {
      e.message += " in " + label_[k] + " (" + std::to_string(runs_[k]) + (runs_[k] == 1 ? " run" : " runs") + " left it)";
    }
    out.push_back(std::move(e));
  }
  return out;
}

std::vector<std::string> ValidityMonitor::Warnings() const {
  std::vector<std::string> out;
  for (auto& e : Excursions()) out.push_back(std::move(e.message));
  return out;
}

std::vector<std::string> CheckValidity(const model::ModelInfo& info, const SimResult& result) {
  if (info.validity.empty()) return {};
  ValidityMonitor monitor(info);
  monitor.Observe(result);
  return monitor.Warnings();
}

int ReportValidity(const model::ModelInfo& info, SimResult* result) {
  const auto warnings = CheckValidity(info, *result);
  for (const auto& w : warnings) {
    std::fprintf(stderr, "warning: %s\n", w.c_str());
    result->warnings.push_back(w);
  }
  return static_cast<int>(warnings.size());
}

}  // namespace biotwin::sim
