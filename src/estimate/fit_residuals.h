// The residuals of a fit and their exact Jacobian: every experiment is simulated on its data
// times with CVODES forward sensitivities for the free parameters, and each measured point gives
// r = (model - measured) / sigma. The objective is J = sum r^2 (no factor 1/2).
#ifndef BIOTWIN_ESTIMATE_FIT_RESIDUALS_H_
#define BIOTWIN_ESTIMATE_FIT_RESIDUALS_H_

#include <string>
#include <vector>

#include "estimate/fit_problem.h"
#include "sim/simulator.h"

namespace biotwin::estimate {

class FitResiduals {
 public:
  // One measured point; residuals are laid out experiment by experiment, signal by signal.
  struct Point {
    int experiment = 0, signal = 0;
    double time = 0.0, measured = 0.0, sigma = 1.0;
  };

  // Throws FitInputError if an output is measured but the model cannot differentiate outputs.
  explicit FitResiduals(const FitProblem& problem);

  int num_residuals() const { return static_cast<int>(points_.size()); }
  int num_parameters() const { return static_cast<int>(problem_.parameters.size()); }
  int num_experiments() const { return static_cast<int>(problem_.experiments.size()); }
  int offset(int experiment) const { return offsets_[experiment]; }
  int count(int experiment) const { return offsets_[experiment + 1] - offsets_[experiment]; }
  const std::vector<Point>& points() const { return points_; }
  const FitProblem& problem() const { return problem_; }

  // Residuals of one experiment for natural parameter values p (free parameters, parameter
  // units): r has count(e) entries; jac (row-major count(e) x num_parameters(), d r / d p) is
  // computed from forward sensitivities when not null; predicted (optional) gets the model
  // values. Returns false with a message when the simulation fails.
  bool EvaluateExperiment(int e, const double* p, double* r, double* jac, double* predicted,
                          std::string* error) const;
  // All experiments (same conventions, full-length arrays).
  bool Evaluate(const double* p, double* r, double* jac, double* predicted,
                std::string* error) const;

  // The scenario of experiment e with the free parameters set to p; when `data_grid`, the
  // output times are the data times, otherwise the scenario's own grid merged with them.
  sim::Scenario ScenarioAt(int e, const double* p, bool data_grid) const;

 private:
  const FitProblem& problem_;
  std::vector<Point> points_;
  std::vector<int> offsets_;
  std::vector<std::vector<int>> time_index_;  // per residual: index into the experiment's times
  bool need_output_gradients_ = false;
};

}  // namespace biotwin::estimate

#endif  // BIOTWIN_ESTIMATE_FIT_RESIDUALS_H_
