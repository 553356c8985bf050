// Known failure modes of a fitted model, computed from the fit's statistics and the held-out
// validation: what the data do not determine, where the model misfits, and where it was
// asked to extrapolate. Each entry names its evidence (numbers with units) and its consequence.
#include <cmath>
#include <cstdio>
#include <string>

#include "estimate/fit_dossier.h"
#include "model/format.h"

namespace biotwin::estimate {
namespace {

std::string Num(double v) { return model::FormatNumber(v); }

std::string Pct(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3g %%", 100.0 * v);
  return buf;
}

// Thresholds (docs/fit.md, "Failure modes").
constexpr double kWideRelativeSe = 0.5;     // relative SE above which a parameter is poorly identified
constexpr double kHighCorrelation = 0.95;   // |r| above which a pair is flagged
constexpr double kTrendP = 0.01;            // runs-test p-value below which residuals trend
constexpr double kTrendLag1 = 0.5;          // lag-1 autocorrelation above which residuals trend
constexpr double kLackOfFitP = 0.001;       // chi-square p-value (sigma known) below which the fit misfits
constexpr double kLocalOptimumGap = 1e-3;   // relative J gap between converged starts

}  // namespace

std::vector<FailureMode> FindFailureModes(const FitProblem& problem, const FitResult& r,
                                          const std::vector<BatchValidation>& validation) {
  std::vector<FailureMode> out;
  const std::string tu = problem.model->info().time_unit.text;
  // Starts: not converged, or converged to different optima.
  int failed = 0;
  double best = model::kNaN;
  for (const auto& s : r.starts) {
    if (s.status != "converged") ++failed;
    else if (std::isnan(best) || s.objective < best) best = s.objective;
  }
  if (failed > 0) {
    out.push_back({"starts_not_converged", std::to_string(failed) + " of " + std::to_string(r.starts.size()) + " starts",
                   std::to_string(failed) + " of " + std::to_string(r.starts.size()) +
                       " multistart solves did not converge (see 'starts' for each one's message)",
                   "parts of the parameter space make the model fail or the optimiser stall; the reported optimum is "
                   "the best of the converged starts, not a guaranteed global optimum"});
  }
  int local = 0;
  for (const auto& s : r.starts) {
    if (s.status == "converged" && s.objective > best * (1 + kLocalOptimumGap) + 1e-12) ++local;
  }
  if (local > 0) {
    out.push_back({"local_optima", std::to_string(local) + " starts",
                   std::to_string(local) + " converged starts ended at a worse local optimum than the best (J = " + Num(best) + ")",
                   "the objective has several minima; a fit from one start may land in the wrong one"});
  }
  if (r.status != "converged") return out;
  for (size_t k = 0; k < r.parameters.size(); ++k) {
    const auto& p = r.parameters[k];
    const double rel = p.se / std::fabs(p.value);
    if (!std::isfinite(p.se)) {
      out.push_back({"poorly_identified", p.name, "no standard error: the Fisher information is singular in " + p.name,
                     "the data do not determine " + p.name + "; its value is arbitrary within its bounds and predictions "
                     "that depend on it are not supported by the data"});
    } else if (rel > kWideRelativeSe) {
      out.push_back({"poorly_identified", p.name,
                     "relative standard error " + Pct(rel) + " (" + Num(p.value) + " ± " + Num(p.se) + " " + p.unit +
                         ", 95 %: " + Num(p.ci_low) + " to " + Num(p.ci_high) + " " + p.unit + ")",
                     "the data determine " + p.name + " only loosely; predictions sensitive to it are uncertain"});
    }
    if (p.at_bound) {
      out.push_back({"at_bound", p.name,
                     "estimate " + Num(p.value) + " " + p.unit + " at its bound [" + Num(p.lower) + ", " + Num(p.upper) + "] " + p.unit,
                     "the optimum lies on a bound: the true value may be beyond it, and the standard error and interval "
                     "(which assume an interior optimum) are not reliable"});
    }
  }
  for (const auto& pr : r.profiles) {
    if (pr.identifiable) continue;
    std::string ends = std::string(std::isnan(pr.ci_low) ? "no lower end" : "lower end " + Num(pr.ci_low) + " " + pr.unit) + ", " +
                       (std::isnan(pr.ci_high) ? "no upper end" : "upper end " + Num(pr.ci_high) + " " + pr.unit);
    out.push_back({"flat_profile", pr.name,
                   "the profile likelihood does not cross the 95 % threshold (J = " + Num(pr.threshold) + ") on both sides: " + ends,
                   "the data cannot bound " + pr.name + " on at least one side (practically non-identifiable)"});
  }
  if (r.fisher_condition != "ok") {
    // The parameters that move along the undetermined direction (relative changes).
    std::string subject, direction;
    for (size_t k = 0; k < r.fisher_weakest_direction.size() && k < r.parameters.size(); ++k) {
      const double c = r.fisher_weakest_direction[k];
      if (!(std::fabs(c) > 0.1)) continue;
      subject += (subject.empty() ? "" : ", ") + r.parameters[k].name;
      char buf[64];
      std::snprintf(buf, sizeof buf, "%+.3f", c);
      direction += (direction.empty() ? "" : ", ") + r.parameters[k].name + " " + buf;
    }
    out.push_back({"singular_fisher", subject.empty() ? "Fisher information" : subject,
                   "Fisher information singular (condition number " + Num(r.fisher_condition_number) +
                       "); changing the parameters together in relative steps (" + direction +
                       ") leaves the fitted signals unchanged",
                   "only a combination of " + subject + " is determined by these data; fix all but one of them or "
                   "add data that separate them"});
  }
  for (size_t a = 0; a < r.correlation.size(); ++a) {
    for (size_t b = a + 1; b < r.correlation.size(); ++b) {
      const double c = r.correlation[a][b];
      if (!(std::fabs(c) > kHighCorrelation)) continue;
      out.push_back({"correlated_parameters", r.parameters[a].name + ", " + r.parameters[b].name,
                     "correlation " + Num(c) + " (|r| > " + Num(kHighCorrelation) + ")",
                     "the data determine a combination of " + r.parameters[a].name + " and " + r.parameters[b].name +
                         " but not each one; do not interpret them separately or use them outside the fitted conditions"});
    }
  }
  for (const auto& d : r.diagnostics) {
    const bool runs = std::isfinite(d.runs_p) && d.runs_p < kTrendP;
    const bool lag = std::isfinite(d.lag1_autocorrelation) && d.lag1_autocorrelation > kTrendLag1;
    if (!runs && !lag) continue;
    out.push_back({"residual_trend", d.name,
                   std::to_string(d.runs) + " sign runs in " + std::to_string(d.n) + " residuals (expected " +
                       Num(d.runs_expected) + ", runs-test p = " + Num(d.runs_p) + "), lag-1 autocorrelation " +
                       Num(d.lag1_autocorrelation) + ", RMS " + Num(d.rms) + " " + d.unit,
                   "the model misses a systematic part of " + d.name + " (structure, not noise); its predictions of " +
                       d.name + " are biased over stretches of the batch"});
  }
  if (r.sigma_known && std::isfinite(r.chi2_p_value) && r.chi2_p_value < kLackOfFitP) {
    out.push_back({"lack_of_fit", "all fitted batches",
                   "chi-square J = " + Num(r.objective) + " with " + std::to_string(r.dof) + " degrees of freedom, p = " + Num(r.chi2_p_value),
                   "the residuals are larger than the declared measurement errors allow: the model structure or the "
                   "error models are wrong, and the intervals are too narrow"});
  }
  for (const auto& v : validation) {
    if (!v.simulated) {
      out.push_back({"held_out_failure", v.name, "the simulation at the estimates failed: " + v.message,
                     "the fitted model cannot run this batch's conditions"});
      continue;
    }
    if (v.verdict == "fail" || v.verdict == "warn") {
      std::string worst;
      double worst_n = -1;
      for (const auto& s : v.signals) {
        if (s.nrmse > worst_n) {
          worst_n = s.nrmse;
          worst = s.name + ": RMSE " + Num(s.rmse) + " " + s.unit + ", bias " + Num(s.bias) + " " + s.unit +
                  ", normalised RMSE " + Num(s.nrmse);
        }
      }
      out.push_back({"held_out_failure", v.name,
                     "chi-square " + Num(v.chi2) + " on " + std::to_string(v.n) + " points, p = " + Num(v.p_value) +
                         " (" + v.verdict + "); worst signal " + worst,
                     v.verdict == "fail" ? "the model does not predict this held-out batch within its error model; "
                                           "do not rely on it for conditions like this batch's"
                                         : "the model predicts this held-out batch only marginally within its error model"});
    }
    for (const auto& x : v.extrapolation) {
      out.push_back({"extrapolation", v.name + ": " + x.name,
                     std::string(x.is_input ? "input " : "state ") + x.name + " reached " + Num(x.value) + " " + x.unit +
                         " at t = " + Num(x.time) + " " + tu + ", outside the training range [" + Num(x.lower) + ", " +
                         Num(x.upper) + "] " + x.unit,
                     "this held-out batch tests the model beyond the fitted conditions; its verdict says how well the "
                     "model extrapolates there, not how well it interpolates"});
    }
  }
  return out;
}

}  // namespace biotwin::estimate
