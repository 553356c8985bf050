// Validity-domain checks: a model fitted by `biotwin fit` carries the range of states and inputs
// its fitted batches covered (ModelInfo::validity). Every command that runs such a model checks
// its trajectories here and warns once per variable that leaves the range.
#ifndef BIOTWIN_SIM_VALIDITY_H_
#define BIOTWIN_SIM_VALIDITY_H_

#include <string>
#include <vector>

#include "model/model.h"
#include "sim/simulator.h"

namespace biotwin::sim {

// Values within lower - tol*w and upper + tol*w, w = max(upper - lower, |lower|, |upper|), count
// as inside (integration error, rounding of the written ranges).
inline constexpr double kValidityTolerance = 0.01;

struct ValidityExcursion {
  std::string name, unit;
  bool is_input = false;
  double lower = 0.0, upper = 0.0;   // the domain (variable unit)
  double value = 0.0, time = 0.0;    // the farthest excursion and when (model time unit)
  std::string message;               // "models/x.yaml: state X left the validity domain ..."
};

// Accumulates the farthest excursion per variable over any number of trajectory points (one
// simulation, an ensemble, a closed loop stepped interval by interval). Does nothing for a model
// without a validity domain.
class ValidityMonitor {
 public:
  explicit ValidityMonitor(const model::ModelInfo& info, double tolerance = kValidityTolerance);
  bool active() const { return !info_->validity.empty(); }
  // One point: x has num_states entries, u num_inputs (either may be null to skip it).
  void Observe(double t, const double* x, const double* u);
  // One value of one state (is_input false) or input at time t.
  void ObserveVariable(bool is_input, int index, double t, double value);
  // Every point of a simulation's recorded trajectory.
  void Observe(const SimResult& result);
  // Folds in another monitor's excursions (e.g. one batch of an ensemble, called `label` in
  // messages: "... at t = 8.2 h in batch 3 (12 runs left it)"). Not thread-safe.
  void Merge(const ValidityMonitor& other, const std::string& label);
  // One excursion per variable that left its range, in the order of the validity section.
  std::vector<ValidityExcursion> Excursions() const;
  // Excursions()' messages.
  std::vector<std::string> Warnings() const;

 private:
  void Note(size_t bound, double t, double value);

  const model::ModelInfo* info_;
  double tolerance_;
  std::vector<double> worst_, value_, time_;  // per bound: distance outside (NaN: none), value, t
  std::vector<std::string> label_;            // per bound: the merged run with the worst excursion
  std::vector<int> runs_;                     // per bound: merged runs that left the range
};

// Checks one trajectory: ValidityMonitor + Observe(result) + Warnings().
std::vector<std::string> CheckValidity(const model::ModelInfo& info, const SimResult& result);

// Appends the validity warnings of `result` to result->warnings and prints each on stderr as
// "warning: <message>". Returns how many were added.
int ReportValidity(const model::ModelInfo& info, SimResult* result);

}  // namespace biotwin::sim

#endif  // BIOTWIN_SIM_VALIDITY_H_
