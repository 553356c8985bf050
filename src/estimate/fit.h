// Parameter estimation: weighted least squares / maximum likelihood with Ceres (trust region,
// bounds, log parametrisation), exact gradients from CVODES forward sensitivities, seeded
// Latin-hypercube multi-start, and the uncertainty and identifiability analysis of the optimum
// (Fisher information, correlations, profile likelihood, residual diagnostics, chi-square test).
#ifndef BIOTWIN_ESTIMATE_FIT_H_
#define BIOTWIN_ESTIMATE_FIT_H_

#include <cstdint>
#include <string>
#include <vector>

#include "estimate/fit_problem.h"
#include "estimate/fit_residuals.h"

namespace biotwin::estimate {

struct FitOptions {
  int starts = 1;            // 1: the given start only; N: plus N-1 Latin-hypercube points
  uint64_t seed = 1;         // seed of the Latin hypercube
  int max_iterations = 200;  // per start (Ceres trust-region iterations)
  double function_tolerance = 1e-10, gradient_tolerance = 1e-10, parameter_tolerance = 1e-10;
  // Profile likelihood: "auto" profiles poorly identified parameters (relative SE > 0.5, a
  // singular Fisher information, or |correlation| > 0.95); "all", "none" or a list of names.
  std::vector<std::string> profile = {"auto"};
  int profile_max_steps = 12;  // grid points per side
  bool trace = false;          // print Ceres' per-iteration progress on stdout
  int threads = 1;             // batches simulated in parallel (Ceres evaluates residual blocks concurrently)
};

struct StartOutcome {
  std::vector<double> start, end;  // parameter units
  double objective = model::kNaN;
  std::string status;              // "converged", "not_converged", "failed"
  std::string message;
  int iterations = 0;
  // Residuals and their Jacobian (d r / d p in parameter units, row-major, num_residuals x
  // num_parameters) at `end` when the solver's last Jacobian evaluation was there; empty
  // otherwise. Fit() analyses the optimum with them instead of simulating it again.
  std::vector<double> end_residuals, end_jacobian;
};

struct ParameterEstimate {
  std::string name, unit;
  double value = model::kNaN, start = model::kNaN, lower = 0, upper = 0;
  bool log = false;
  bool at_bound = false;
  double se = model::kNaN;                       // standard error (parameter unit)
  double ci_low = model::kNaN, ci_high = model::kNaN;  // 95 % Fisher interval
};

struct ProfilePoint {
  double value = model::kNaN, objective = model::kNaN;
  bool ok = false;
};

struct ProfileResult {
  std::string name, unit;
  std::vector<ProfilePoint> points;          // sorted by value
  double ci_low = model::kNaN, ci_high = model::kNaN;  // NaN: the profile never crosses the threshold
  double threshold = model::kNaN;            // objective at which the 95 % interval ends
  bool identifiable = false;                 // both ends found
  std::string reason;                        // why it was profiled
};

struct SignalDiagnostics {
  std::string name, unit;
  int n = 0;
  double rms = model::kNaN;            // of model - measured (signal unit)
  double weighted_rms = model::kNaN;   // of the weighted residuals
  double lag1_autocorrelation = model::kNaN;
  int runs = 0, positive = 0, negative = 0;
  double runs_expected = model::kNaN, runs_z = model::kNaN, runs_p = model::kNaN;
};

struct DomainEntry {
  std::string name, unit, kind;  // kind: "state" or "input"
  double min = model::kNaN, max = model::kNaN;
};

// Model and data at the optimum, for reports: per experiment a dense trajectory and the data.
struct ExperimentFit {
  std::string name, file;
  std::vector<double> time;                  // dense grid
  std::vector<std::vector<double>> states, outputs, inputs;  // [time][variable]
  std::vector<double> residuals, predicted;  // per data point (weighted residual, model value)
  std::vector<sim::EventRecord> events;      // events of the simulation at the optimum
};

struct FitResult {
  std::string status = "failed";  // "converged", "not_converged", "failed"
  std::string message;
  double objective = model::kNaN;  // J = sum of squared weighted residuals
  int num_data = 0, num_parameters = 0, dof = 0;
  bool sigma_known = false;
  double residual_variance = model::kNaN;  // J / dof (the scale of the covariance when sigma is unknown)
  double chi2_p_value = model::kNaN;       // P(chi2_dof >= J), meaningful when sigma is known
  std::string fisher_condition;            // "ok" or why the covariance is unreliable
  double fisher_condition_number = model::kNaN;
  // The least determined direction: unit eigenvector of the smallest eigenvalue of the Fisher
  // information in relative parameter changes (dp_k / |p_k|), one entry per free parameter.
  std::vector<double> fisher_weakest_direction;
  std::vector<ParameterEstimate> parameters;
  std::vector<std::vector<double>> covariance, correlation;
  std::vector<ProfileResult> profiles;
  std::vector<SignalDiagnostics> diagnostics;
  std::vector<DomainEntry> domain;
  std::vector<StartOutcome> starts;
  std::vector<ExperimentFit> experiments;
  int best_start = -1;
  long simulations = 0;
  double wall_seconds = 0.0;
};

// Runs the fit and, when it converged, the analysis. Never throws for numerical failures (status
// says what happened); throws FitInputError for an ill-posed problem.
FitResult Fit(const FitProblem& problem, const FitOptions& options);

// Lower-level pieces (used by Fit and by tests).
// One Ceres solve from `start` (parameter units); `fixed` (may be empty) lists free-parameter
// positions held at their start value. Returns the outcome with the end point.
StartOutcome SolveFrom(const FitResiduals& residuals, const std::vector<double>& start,
                       const std::vector<int>& fixed, const FitOptions& options, long* simulations);
// Seeded Latin-hypercube starts in the (transformed) bounds; infinite bounds are replaced by a
// decade either side of the start (log) or +-max(|start|, 1) (linear).
std::vector<std::vector<double>> LatinHypercubeStarts(const std::vector<FreeParameter>& params,
                                                      int count, uint64_t seed);
// Fills parameters' SE/intervals, covariance, correlation, chi-square and diagnostics from the
// residuals and Jacobian at the optimum (row-major num_residuals x num_parameters).
void AnalyseOptimum(const FitResiduals& residuals, const std::vector<double>& r,
                    const std::vector<double>& jac, FitResult* result);
// Profiles of the requested parameters (re-optimising the others along a grid).
void ProfileParameters(const FitResiduals& residuals, const FitOptions& options, FitResult* result);

}  // namespace biotwin::estimate

#endif  // BIOTWIN_ESTIMATE_FIT_H_
