// A parameter-estimation problem: a model, experiments (each a scenario with its own inputs,
// feeds, events and initial values, plus its measurements), the free parameters with bounds and
// parametrisation, and an error model per signal.
#ifndef BIOTWIN_ESTIMATE_FIT_PROBLEM_H_
#define BIOTWIN_ESTIMATE_FIT_PROBLEM_H_

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "estimate/error_model.h"
#include "estimate/fit_data.h"
#include "model/model.h"
#include "sim/simulator.h"

namespace biotwin::estimate {

struct Experiment {
  std::string name;         // for reports ("batch 1: D1.csv")
  sim::Scenario scenario;   // horizon, inputs, feeds, events, initial values, fixed parameters
  Measurements data;
};

struct FreeParameter {
  int index = -1;           // model parameter index
  std::string name, unit;
  double start = 0.0;       // parameter unit
  double lower = -model::kInf, upper = model::kInf;
  bool log = true;          // optimise log(p) (only for start > 0 and lower >= 0)
};

struct FitProblem {
  std::shared_ptr<const model::Model> model;
  std::vector<Experiment> experiments;
  std::vector<FreeParameter> parameters;
  std::map<std::string, ErrorModel> errors;  // by signal name; absent = undeclared
  double rtol = model::kNaN, atol = model::kNaN;  // override the scenarios' tolerances
  // L2 (ridge) regularisation: per free parameter the weight lambda of the penalty lambda * p^2
  // (p in its unit), added to J as the residual sqrt(lambda) * p. Empty or 0: none.
  std::vector<double> ridge;

  // True when every fitted signal has a declared error model (sigma known: chi-square test, no
  // residual-variance scaling of the covariance).
  bool SigmaKnown() const;
  // Total number of measured points.
  int NumData() const;
};

// Builds the free parameters from names or patterns ("mu_net.*", see ExpandParameterPattern):
// bounds from the model (overridable), start from the model value (overridable), log
// parametrisation for positive parameters whose lower bound is >= 0 unless listed in `linear`. Throws FitInputError for an unknown name, a start outside the
// bounds, empty bounds or a log parameter whose start is not positive.
std::vector<FreeParameter> MakeFreeParameters(
    const model::ModelInfo& info, const std::vector<std::string>& names,
    const std::map<std::string, std::pair<double, double>>& bounds,
    const std::map<std::string, double>& starts, const std::vector<std::string>& linear);

// Parameter names matching `pattern`: the name itself when it has no '*', otherwise every
// parameter whose name matches ('*' stands for any characters, e.g. "mu_net.*"), in model order.
// Throws FitInputError naming `where` when nothing matches.
std::vector<std::string> ExpandParameterPattern(const model::ModelInfo& info, const std::string& pattern,
                                                const std::string& where);

// Sets problem->ridge from weights by parameter name or pattern; every pattern must match an
// estimated parameter and the weights must be >= 0. Throws FitInputError.
void SetRidge(const std::map<std::string, double>& weights, FitProblem* problem);

// Checks that every experiment's data lie within its scenario's horizon (extending an open end
// to the last data time) and that error models name fitted signals. Throws FitInputError.
void CheckProblem(FitProblem* problem);

}  // namespace biotwin::estimate

#endif  // BIOTWIN_ESTIMATE_FIT_PROBLEM_H_
