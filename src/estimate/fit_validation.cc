// Held-out validation: every held-out batch is simulated at the estimates (no refit) and its
// residuals are compared with the error model (chi-square per batch) and with the training
// domain (extrapolation).
#include <cmath>
#include <map>

#include <boost/math/special_functions/gamma.hpp>

#include "estimate/fit_dossier.h"
#include "model/format.h"

namespace biotwin::estimate {

model::ValidityDomain DomainAsValidity(const model::ModelInfo& info, const FitResult& result) {
  model::ValidityDomain d;
  d.fit = "the fit";
  for (const auto& e : result.domain) {
    if (!std::isfinite(e.min) || !std::isfinite(e.max)) continue;
    model::ValidityBound b;
    b.name = e.name;
    b.is_input = e.kind == "input";
    b.index = b.is_input ? info.InputIndex(e.name) : info.StateIndex(e.name);
    if (b.index < 0) continue;
    b.lower = e.min;
    b.upper = e.max;
    d.bounds.push_back(b);
  }
  return d;
}

namespace {

double ChiSquareP(double chi2, int dof) {
  return dof > 0 && std::isfinite(chi2) ? boost::math::gamma_q(0.5 * dof, 0.5 * chi2) : model::kNaN;
}

std::string Verdict(double p) {
  if (!std::isfinite(p)) return "not_assessed";  // no sigma (a fit with no degrees of freedom)
  return p < kValidationFailP ? "fail" : (p < kValidationWarnP ? "warn" : "pass");
}

}  // namespace

std::vector<BatchValidation> ValidateHeldOut(const FitProblem& problem, const FitResult& result,
                                             const std::vector<Experiment>& held_out) {
  std::vector<BatchValidation> out;
  if (held_out.empty() || result.status != "converged") return out;
  FitProblem vp;
  vp.model = problem.model;
  vp.experiments = held_out;
  vp.parameters = problem.parameters;
  vp.errors = problem.errors;
  vp.rtol = problem.rtol;
  vp.atol = problem.atol;
  const FitResiduals residuals(vp);
  std::vector<double> p;
  for (const auto& pe : result.parameters) p.push_back(pe.value);
  // The training domain, checked along each held-out batch's dense trajectory.
  model::ModelInfo training = problem.model->info();
  training.validity = DomainAsValidity(training, result);
  training.validity.fit = "the fit (training batches)";
  const double sigma_hat = std::sqrt(result.residual_variance);
  for (int e = 0; e < residuals.num_experiments(); ++e) {
    const auto& exp = held_out[e];
    BatchValidation bv;
    bv.name = exp.name;
    bv.file = exp.data.file;
    bv.sha256 = exp.data.sha256;
    bv.scenario = exp.scenario.file;
    bv.scenario_sha256 = exp.scenario.content_hash;
    bv.n = residuals.count(e);
    bv.data = exp.data;
    std::vector<double> r(bv.n), pred(bv.n);
    std::string error;
    if (!residuals.EvaluateExperiment(e, p.data(), r.data(), nullptr, pred.data(), &error)) {
      bv.message = error;
      bv.verdict = "fail";
      out.push_back(std::move(bv));
      continue;
    }
    bv.simulated = true;
    // Per signal: raw and normalised residuals.
    const auto& pts = residuals.points();
    const int off = residuals.offset(e);
    std::map<int, std::vector<int>> by_signal;
    for (int i = 0; i < bv.n; ++i) by_signal[pts[off + i].signal].push_back(i);
    bv.chi2 = 0;
    for (const auto& [s, idx] : by_signal) {
      const Signal& sig = exp.data.signals[s];
      auto it = problem.errors.find(sig.name);
      const bool declared = it != problem.errors.end() && it->second.declared;
      SignalValidation sv;
      sv.name = sig.name;
      sv.unit = sig.unit;
      sv.n = static_cast<int>(idx.size());
      sv.sigma = declared ? "declared " + it->second.ToString(sig.unit)
                          : "sigma_hat of the fit, " + model::FormatNumber(sigma_hat) + " " + sig.unit;
      double sum = 0, sum2 = 0, w2 = 0;
      for (int i : idx) {
        const double raw = r[i] * pts[off + i].sigma;  // model - measured
        const double w = declared ? r[i] : raw / sigma_hat;
        sum += raw;
        sum2 += raw * raw;
        w2 += w * w;
      }
      sv.rmse = std::sqrt(sum2 / sv.n);
      sv.bias = sum / sv.n;
      sv.nrmse = std::sqrt(w2 / sv.n);
      sv.chi2 = w2;
      sv.p_value = ChiSquareP(w2, sv.n);
      bv.chi2 += w2;
      bv.signals.push_back(sv);
    }
    bv.p_value = ChiSquareP(bv.chi2, bv.n);
    bv.verdict = Verdict(bv.p_value);
    // Dense trajectory at the estimates: report curves and the extrapolation check.
    ExperimentFit& ef = bv.trajectory;
    ef.name = exp.name;
    ef.file = exp.data.file;
    ef.residuals = r;
    ef.predicted = pred;
    sim::Simulator simulator(problem.model, residuals.ScenarioAt(e, p.data(), false));
    const sim::SimResult res = simulator.Run();
    if (res.ok) {
      ef.time = res.time;
      ef.states = res.states;
      ef.outputs = res.outputs;
      ef.inputs = res.inputs;
      ef.events = res.events;
      sim::ValidityMonitor monitor(training);
      monitor.Observe(res);
      bv.extrapolation = monitor.Excursions();
    }
    out.push_back(std::move(bv));
  }
  return out;
}

}  // namespace biotwin::estimate
