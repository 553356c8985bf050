// Noise specification files for state estimation (docs/estimate.md, "Noise file"): measurement
// sigmas per signal, process-noise sigmas per state, the prior (initial value and sigma),
// non-negative states, data columns to ignore and method settings. Quantities carry units and are
// converted to the model's units.
#ifndef BIOTWIN_ESTIMATE_STATE_NOISE_H_
#define BIOTWIN_ESTIMATE_STATE_NOISE_H_

#include <map>
#include <string>
#include <vector>

#include "estimate/state_estimation.h"
#include "model/model.h"

namespace biotwin::estimate {

struct NoiseSpec {
  std::map<std::string, double> measurement_sigma;  // signal -> sigma (signal's model unit)
  std::vector<double> process_sigma;                // per state; NaN: not given
  std::vector<double> initial_value, initial_sigma; // per state; NaN: not given
  std::vector<std::string> non_negative, ignore;
  int mhe_window = 0;  // 0: default
  double ukf_alpha = model::kNaN, ukf_beta = model::kNaN, ukf_kappa = model::kNaN;
};

// Throws model::ModelError naming the file, line and field.
NoiseSpec LoadNoiseSpecFile(const std::string& path, const model::ModelInfo& info);
NoiseSpec LoadNoiseSpecText(const std::string& text, const std::string& file_name, const model::ModelInfo& info);

// The unit of a signal (a state or an output); throws std::invalid_argument when unknown.
const model::Unit& SignalUnit(const model::ModelInfo& info, const std::string& name);

}  // namespace biotwin::estimate

#endif  // BIOTWIN_ESTIMATE_STATE_NOISE_H_
