// Fit-spec files (docs/fit.md): which parameters to estimate (start, bounds, scale), the error
// model of every measured signal, the experiments (data file + scenario) and solver options.
// Everything in a spec can also be given on the command line, which takes precedence.
#ifndef BIOTWIN_ESTIMATE_FIT_SPEC_H_
#define BIOTWIN_ESTIMATE_FIT_SPEC_H_

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "estimate/error_model.h"
#include "estimate/fit.h"
#include "model/model.h"

namespace biotwin::estimate {

struct FitSpec {
  std::vector<std::string> estimate;                          // parameter names, in order
  std::map<std::string, std::pair<double, double>> bounds;    // parameter unit
  std::map<std::string, double> starts;                       // parameter unit
  std::vector<std::string> linear;                            // parameters optimised linearly
  std::map<std::string, double> ridge;                        // L2 weight by name or pattern
  std::map<std::string, ErrorModel> errors;                   // by signal name
  struct ExperimentFiles {
    std::string data, scenario;  // paths (made relative to the spec file's folder)
  };
  std::vector<ExperimentFiles> experiments;
  FitOptions options;
  double rtol = model::kNaN, atol = model::kNaN;
};

// Reads a spec against the model (names and units are checked). Throws model::ModelError
// naming the file, line and field.
FitSpec LoadFitSpecFile(const std::string& path, const model::ModelInfo& info);
FitSpec LoadFitSpecText(const std::string& text, const std::string& file_name,
                        const model::ModelInfo& info);

// The unit of a state or output by name; throws FitInputError naming `where` if there is none.
model::Unit SignalUnit(const model::ModelInfo& info, const std::string& name, const std::string& where);

}  // namespace biotwin::estimate

#endif  // BIOTWIN_ESTIMATE_FIT_SPEC_H_
