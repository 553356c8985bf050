// Fit(): multi-start solve, pick the best converged optimum, analyse it, profile poorly
// identified parameters, and simulate every experiment densely at the optimum (report curves
// and the validity domain).
#include "estimate/fit.h"

#include <algorithm>
#include <chrono>
#include <cmath>

namespace biotwin::estimate {
namespace {

// `r`: the residuals at p (the model values are measured + sigma * r).
void SimulateOptimum(const FitResiduals& residuals, const std::vector<double>& p, const std::vector<double>& r,
                     FitResult* result) {
  const auto& problem = residuals.problem();
  const auto& info = problem.model->info();
  const int n = static_cast<int>(info.states.size()), m = static_cast<int>(info.inputs.size());
  result->domain.clear();
  for (const auto& s : info.states) result->domain.push_back({s.name, s.unit.text, "state"});
  for (const auto& u : info.inputs) result->domain.push_back({u.name, u.unit.text, "input"});
  std::vector<double> pred(residuals.num_residuals());
  for (size_t i = 0; i < pred.size(); ++i) {
    const auto& pt = residuals.points()[i];
    pred[i] = pt.measured + pt.sigma * r[i];
  }
  for (int e = 0; e < residuals.num_experiments(); ++e) {
    const auto& exp = problem.experiments[e];
    ExperimentFit ef;
    ef.name = exp.name;
    ef.file = exp.data.file;
    ef.residuals.assign(r.begin() + residuals.offset(e), r.begin() + residuals.offset(e) + residuals.count(e));
    ef.predicted.assign(pred.begin() + residuals.offset(e), pred.begin() + residuals.offset(e) + residuals.count(e));
    sim::Simulator simulator(problem.model, residuals.ScenarioAt(e, p.data(), false));
    sim::SimResult res = simulator.Run();
    ++result->simulations;
    ef.time = res.time;
    ef.states = res.states;
    ef.outputs = res.outputs;
    ef.inputs = res.inputs;
    ef.events = res.events;
    for (size_t t = 0; t < res.time.size(); ++t) {
      for (int i = 0; i < n + m; ++i) {
        const double v = i < n ? res.states[t][i] : res.inputs[t][i - n];
        auto& d = result->domain[i];
        if (!std::isfinite(v)) continue;
        d.min = std::isnan(d.min) ? v : std::min(d.min, v);
        d.max = std::isnan(d.max) ? v : std::max(d.max, v);
      }
    }
    result->experiments.push_back(std::move(ef));
  }
}

}  // namespace

FitResult Fit(const FitProblem& problem, const FitOptions& options) {
  const auto t0 = std::chrono::steady_clock::now();
  FitResiduals residuals(problem);
  const int np = residuals.num_parameters();
  FitResult result;
  result.num_data = residuals.num_residuals();
  result.num_parameters = np;
  result.dof = result.num_data - np;
  result.sigma_known = problem.SigmaKnown();
  if (result.dof < 0) {
    throw FitInputError("more free parameters (" + std::to_string(np) + ") than data points (" +
                        std::to_string(result.num_data) + ")");
  }
  for (const auto& name : options.profile) {
    const bool known = name == "auto" || name == "all" || name == "none" ||
                       std::any_of(problem.parameters.begin(), problem.parameters.end(),
                                   [&](const FreeParameter& f) { return f.name == name; });
    if (!known) throw FitInputError("--profile: '" + name + "' is not an estimated parameter (nor auto, all or none)");
  }
  std::vector<std::vector<double>> starts;
  std::vector<double> first(np);
  for (int k = 0; k < np; ++k) first[k] = problem.parameters[k].start;
  starts.push_back(first);
  for (auto& s : LatinHypercubeStarts(problem.parameters, options.starts - 1, options.seed)) starts.push_back(s);
  for (const auto& s : starts) result.starts.push_back(SolveFrom(residuals, s, {}, options, &result.simulations));
  int best = -1;
  for (size_t i = 0; i < result.starts.size(); ++i) {
    const auto& o = result.starts[i];
    if (o.status != "converged" || !std::isfinite(o.objective)) continue;
    if (best < 0 || o.objective < result.starts[best].objective) best = static_cast<int>(i);
  }
  if (best < 0) {
    // Nothing converged: report the least-bad attempt, clearly marked.
    for (size_t i = 0; i < result.starts.size(); ++i) {
      const auto& o = result.starts[i];
      if (std::isfinite(o.objective) && (best < 0 || o.objective < result.starts[best].objective)) best = static_cast<int>(i);
    }
    result.status = best >= 0 ? "not_converged" : "failed";
    result.message = best >= 0 ? result.starts[best].message : result.starts.front().message;
    if (best >= 0) result.objective = result.starts[best].objective;
    result.best_start = best;
    result.wall_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    return result;
  }
  result.best_start = best;
  result.status = "converged";
  result.message = result.starts[best].message;
  const std::vector<double>& p = result.starts[best].end;
  for (int k = 0; k < np; ++k) {
    const auto& f = problem.parameters[k];
    ParameterEstimate pe;
    pe.name = f.name;
    pe.unit = f.unit;
    pe.value = p[k];
    pe.start = f.start;
    pe.lower = f.lower;
    pe.upper = f.upper;
    pe.log = f.log;
    result.parameters.push_back(pe);
  }
  std::vector<double> r = result.starts[best].end_residuals, jac = result.starts[best].end_jacobian;
  if (r.empty() || jac.empty()) {
    r.assign(result.num_data, 0.0);
    jac.assign(static_cast<size_t>(result.num_data) * np, 0.0);
    std::string error;
    ++result.simulations;
    if (!residuals.Evaluate(p.data(), r.data(), jac.data(), nullptr, &error)) {
      result.status = "failed";
      result.message = "re-evaluating the optimum failed: " + error;
      return result;
    }
  }
  AnalyseOptimum(residuals, r, jac, &result);
  ProfileParameters(residuals, options, &result);
  SimulateOptimum(residuals, p, r, &result);
  result.wall_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return result;
}

}  // namespace biotwin::estimate
