#include "estimate/fit_residuals.h"

#include <algorithm>
#include <cmath>
#include <set>

#include "model/file_model.h"
#include "model/format.h"
#include "model/tape.h"

namespace biotwin::estimate {

FitResiduals::FitResiduals(const FitProblem& problem) : problem_(problem) {
  offsets_.push_back(0);
  time_index_.resize(problem.experiments.size());
  for (size_t e = 0; e < problem.experiments.size(); ++e) {
    const auto& data = problem.experiments[e].data;
    for (size_t s = 0; s < data.signals.size(); ++s) {
      const Signal& sig = data.signals[s];
      if (sig.kind == Signal::Kind::kOutput) need_output_gradients_ = true;
      auto it = problem.errors.find(sig.name);
      const ErrorModel em = it == problem.errors.end() ? ErrorModel{} : it->second;
      for (size_t i = 0; i < sig.value.size(); ++i) {
        Point pt;
        pt.experiment = static_cast<int>(e);
        pt.signal = static_cast<int>(s);
        pt.time = sig.time[i];
        pt.measured = sig.value[i];
        pt.sigma = em.Sigma(sig.value[i]);
        if (!(pt.sigma > 0)) {
          throw FitInputError(data.file + ": column '" + sig.name + "': the error model gives sigma = 0 at t = " +
                              model::FormatNumber(pt.time) + " (a purely relative error on a zero value); add an absolute part");
        }
        points_.push_back(pt);
        auto pos = std::lower_bound(data.times.begin(), data.times.end(), sig.time[i]);
        time_index_[e].push_back(static_cast<int>(pos - data.times.begin()));
      }
    }
    offsets_.push_back(static_cast<int>(points_.size()));
  }
  if (need_output_gradients_ && dynamic_cast<const model::FileModel*>(problem.model.get()) == nullptr) {
    throw FitInputError("the data measure a model output, but this model cannot differentiate its outputs; fit states only");
  }
}

sim::Scenario FitResiduals::ScenarioAt(int e, const double* p, bool data_grid) const {
  sim::Scenario sc = problem_.experiments[e].scenario;
  for (size_t k = 0; k < problem_.parameters.size(); ++k) sc.parameters[problem_.parameters[k].index] = p[k];
  if (!std::isnan(problem_.rtol)) sc.rtol = problem_.rtol;
  if (!std::isnan(problem_.atol)) sc.atol = problem_.atol;
  const auto& times = problem_.experiments[e].data.times;
  if (data_grid) {
    sc.output_times = times;
  } else {
    std::vector<double> grid = sc.output_times;
    if (grid.empty()) {
      const double dt = std::isnan(sc.output_interval) ? (sc.t_end - sc.t_begin) / 200.0 : sc.output_interval;
      const long count = static_cast<long>(std::floor((sc.t_end - sc.t_begin) / dt + 1e-9));
      for (long i = 0; i <= count; ++i) grid.push_back(sc.t_begin + i * dt);
      grid.push_back(sc.t_end);
    }
    grid.insert(grid.end(), times.begin(), times.end());
    std::sort(grid.begin(), grid.end());
    std::vector<double> unique;
    for (double t : grid) {
      if (t < sc.t_begin || t > sc.t_end) continue;
      if (unique.empty() || t - unique.back() > 1e-9 * std::max(1.0, std::fabs(t))) unique.push_back(t);
    }
    sc.output_times = unique;
  }
  return sc;
}

bool FitResiduals::EvaluateExperiment(int e, const double* p, double* r, double* jac,
                                      double* predicted, std::string* error) const {
  const auto& exp = problem_.experiments[e];
  const int np = num_parameters();
  sim::SimOptions opt;
  if (jac != nullptr) {
    for (const auto& f : problem_.parameters) opt.sensitivity_parameters.push_back(f.index);
    // The states alone set the steps: the residuals are as accurate as without sensitivities,
    // and the Jacobian only steers Gauss-Newton and scales the standard errors, for which a
    // few significant digits suffice; error control on the sensitivities would double the steps.
    opt.sensitivity_error_control = false;
  }
  const bool any_output = std::any_of(exp.data.signals.begin(), exp.data.signals.end(),
                                      [](const Signal& s) { return s.kind == Signal::Kind::kOutput; });
  opt.record_outputs = any_output;
  sim::Simulator simulator(problem_.model, ScenarioAt(e, p, true), opt);
  sim::SimResult res = simulator.Run();
  if (!res.ok) {
    if (error != nullptr) *error = exp.name + ": simulation failed: " + res.message;
    return false;
  }
  if (res.time.size() != exp.data.times.size()) {
    if (error != nullptr) *error = exp.name + ": the simulation returned " + std::to_string(res.time.size()) +
                                   " of " + std::to_string(exp.data.times.size()) + " data times";
    return false;
  }
  // Output gradients: d y / d p = dy/dx * dx/dp + dy/dp (partials from the model's output tape).
  const model::FileModel* fm = any_output && jac != nullptr
                                   ? dynamic_cast<const model::FileModel*>(problem_.model.get())
                                   : nullptr;
  std::vector<double> vars, grad, pfull;
  model::TapeWorkspace tws;
  if (fm != nullptr) {
    vars.assign(fm->num_vars(), 0.0);
    grad.assign(fm->num_vars(), 0.0);
    tws.Resize(fm->tapes().outputs);
    const sim::Scenario sc = ScenarioAt(e, p, true);
    pfull = problem_.model->info().ParameterValues();
    for (const auto& [k, v] : sc.parameters) pfull[k] = v;
  }
  int last_output_time = -1;
  const int n = problem_.model->num_states();
  const int off = offsets_[e];
  for (int i = 0; i < count(e); ++i) {
    const Point& pt = points_[off + i];
    const Signal& sig = exp.data.signals[pt.signal];
    const int ti = time_index_[e][i];
    double y;
    if (sig.kind == Signal::Kind::kState) {
      y = res.states[ti][sig.index];
      if (jac != nullptr) {
        for (int k = 0; k < np; ++k) jac[i * np + k] = res.sensitivities[ti][k][sig.index] / pt.sigma;
      }
    } else {
      y = res.outputs[ti][sig.index];
      if (jac != nullptr) {
        if (ti != last_output_time) {
          std::copy(res.states[ti].begin(), res.states[ti].end(), vars.begin());
          std::copy(res.inputs[ti].begin(), res.inputs[ti].end(), vars.begin() + fm->input_offset());
          std::copy(pfull.begin(), pfull.end(), vars.begin() + fm->parameter_offset());
          vars[fm->time_index()] = res.time[ti];
          vars[fm->phase_index()] = 0.0;
          model::TapeForward(fm->tapes().outputs, vars.data(), tws);
          last_output_time = ti;
        }
        model::TapeGradient(fm->tapes().outputs, tws, sig.index, grad.data());
        for (int k = 0; k < np; ++k) {
          double d = grad[fm->parameter_offset() + problem_.parameters[k].index];
          for (int j = 0; j < n; ++j) d += grad[j] * res.sensitivities[ti][k][j];
          jac[i * np + k] = d / pt.sigma;
        }
      }
    }
    if (!std::isfinite(y)) {
      if (error != nullptr) *error = exp.name + ": the model gives a non-finite " + sig.name + " at t = " + model::FormatNumber(pt.time);
      return false;
    }
    r[i] = (y - pt.measured) / pt.sigma;
    if (predicted != nullptr) predicted[i] = y;
  }
  return true;
}

bool FitResiduals::Evaluate(const double* p, double* r, double* jac, double* predicted,
                            std::string* error) const {
  const int np = num_parameters();
  for (int e = 0; e < num_experiments(); ++e) {
    const int off = offsets_[e];
    if (!EvaluateExperiment(e, p, r + off, jac == nullptr ? nullptr : jac + static_cast<size_t>(off) * np,
                            predicted == nullptr ? nullptr : predicted + off, error)) {
      return false;
    }
  }
  return true;
}

}  // namespace biotwin::estimate
