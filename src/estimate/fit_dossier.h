// The fit dossier's analyses beyond the fit itself: validation of the fitted model on held-out
// batches (simulated at the estimates, not refitted), the known failure modes computed from the
// fit's statistics, and the validity domain in the form a model file carries it.
#ifndef BIOTWIN_ESTIMATE_FIT_DOSSIER_H_
#define BIOTWIN_ESTIMATE_FIT_DOSSIER_H_

#include <string>
#include <vector>

#include "estimate/fit.h"
#include "sim/validity.h"

namespace biotwin::estimate {

// Verdict thresholds on the held-out chi-square p-value (docs/fit.md, "Held-out validation").
inline constexpr double kValidationWarnP = 0.01;   // p < 0.01: warn
inline constexpr double kValidationFailP = 0.001;  // p < 0.001: fail

struct SignalValidation {
  std::string name, unit;
  int n = 0;
  double rmse = model::kNaN;    // sqrt(mean (model - measured)^2), signal unit
  double bias = model::kNaN;    // mean (model - measured), signal unit
  double nrmse = model::kNaN;   // sqrt(mean ((model - measured)/sigma)^2), dimensionless
  double chi2 = model::kNaN;    // sum ((model - measured)/sigma)^2
  double p_value = model::kNaN; // P(chi2_n >= chi2)
  std::string sigma;            // where sigma came from: "declared 0.1 g/L + 5 %" or "fit sigma_hat 0.05 g/L"
};

struct BatchValidation {
  std::string name, file, sha256, scenario, scenario_sha256;
  bool simulated = false;
  std::string message;          // why the simulation failed (simulated = false)
  std::vector<SignalValidation> signals;
  int n = 0;
  double chi2 = model::kNaN, p_value = model::kNaN;  // over every point of the batch, n dof
  std::string verdict;          // "pass", "warn", "fail" (simulation failed: "fail")
  std::vector<sim::ValidityExcursion> extrapolation;  // beyond the training domain
  ExperimentFit trajectory;     // dense model trajectory and per-point values, for reports
  Measurements data;            // the held-out measurements (model units)
};

// Simulates every held-out experiment at the fitted parameters of `result` (converged) and
// compares it with its data. sigma per signal: the declared error model, else the fit's
// sigma_hat = sqrt(J/(N - p)) (the unit-weight residual scale). Never throws for a failed
// simulation (that batch fails).
std::vector<BatchValidation> ValidateHeldOut(const FitProblem& problem, const FitResult& result,
                                             const std::vector<Experiment>& held_out);

struct FailureMode {
  std::string kind;         // poorly_identified, at_bound, correlated_parameters, singular_fisher,
                            // residual_trend, lack_of_fit, held_out_failure, extrapolation,
                            // starts_not_converged, local_optima
  std::string subject;      // parameter, pair, signal or batch
  std::string evidence;     // numbers with units
  std::string consequence;  // what it means for whoever uses the model
};

// Failure modes found in the fit's statistics and the held-out validation (empty when none).
std::vector<FailureMode> FindFailureModes(const FitProblem& problem, const FitResult& result,
                                          const std::vector<BatchValidation>& validation);

// The fit's validity domain (result.domain) as a model validity section: ranges of every state
// and input seen along the fitted batches.
model::ValidityDomain DomainAsValidity(const model::ModelInfo& info, const FitResult& result);

// The text of a model file with the fitted values written in (`biotwin fit --write-model`):
// every estimated parameter's value, its uncertainty (the standard error, where finite) and its
// source (`source`, e.g. "fit <FIT.json sha256>, <date>") are replaced in place, and a top-level
// `validity:` section (replacing any earlier one) records `validity`. Everything else, comments
// included, is kept. Throws FitInputError when a parameter is not written in the file's
// `parameters:` section (e.g. a network weight) or its entry cannot be edited.
std::string WriteFittedModelText(const std::string& model_text, const std::string& model_file,
                                 const model::ModelInfo& info, const FitResult& result,
                                 const std::string& source, const model::ValidityDomain& validity);

}  // namespace biotwin::estimate

#endif  // BIOTWIN_ESTIMATE_FIT_DOSSIER_H_
