// Internal to src/estimate: discrete-time propagation of a model between measurement times with
// CVODES (BDF, exact Jacobian), optionally with the state-transition matrix
// Phi = d x(t1) / d x(t0) from forward sensitivities with respect to the initial state
// (yS(t0) = unit vectors). Inputs follow the scenario's profiles; the scenario's timed events
// (withdrawals, set-points, parameter changes, phases) are applied at their times. Everything
// is allocated once at construction: Propagate does not allocate.
#ifndef BIOTWIN_ESTIMATE_STATE_PROPAGATOR_H_
#define BIOTWIN_ESTIMATE_STATE_PROPAGATOR_H_

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "model/model.h"
#include "sim/simulator.h"

namespace biotwin::estimate {

class StatePropagator {
 public:
  // Throws std::invalid_argument for events it cannot propagate (model events, boluses).
  StatePropagator(std::shared_ptr<const model::Model> model, const sim::Scenario& scenario,
                  double rtol);
  ~StatePropagator();
  StatePropagator(const StatePropagator&) = delete;
  StatePropagator& operator=(const StatePropagator&) = delete;

  int num_states() const { return n_; }
  const model::Model& model() const { return *model_; }
  // Integrates x (in/out, state units) from t0 to t1 >= t0, applying events in (t0, t1]. When
  // phi is not null it receives the n x n state-transition matrix (column-major). Returns false
  // with error() set when the integration fails.
  bool Propagate(double t0, double t1, double* x, double* phi);
  // Model outputs at (t, x) with the inputs and parameters in force at t.
  void Outputs(double t, const double* x, double* y);
  // Live inputs (e.g. what a closed loop applied): input i is u[i] (model input unit) from now on
  // instead of the scenario's profile; NaN leaves input i to the scenario. Does not allocate.
  void SetLiveInputs(const double* u) { std::copy(u, u + m_, live_.begin()); }
  const std::string& error() const { return error_; }
  long count() const { return count_; }
  long steps() const { return steps_; }  // CVODES steps over all propagations

 private:
  struct Occurrence {
    double t;
    const sim::Action* action;
  };
  void SetTime(double t);  // parameters, input overrides and phase in force at t
  void ComputeInputs(double t);
  bool Integrate(double t_stop, bool sens);
  bool ApplyEvent(const sim::Action& a, double* x, double* phi);

  struct Cvodes;
  std::shared_ptr<const model::Model> model_;
  sim::Scenario scenario_;
  const model::ModelInfo& info_;
  std::unique_ptr<model::ModelWorkspace> ws_;
  int n_ = 0, m_ = 0;
  std::vector<double> p_base_, p_, u_, jx_;
  std::vector<char> u_override_;
  std::vector<double> u_override_value_;
  std::vector<double> live_;  // live input values (NaN: none)
  int phase_ = 0;
  double piece_time_ = 0.0;
  std::vector<double> breakpoints_;     // input profile breakpoints, sorted
  std::vector<Occurrence> occurrences_; // timed scenario events, sorted by time
  std::unique_ptr<Cvodes> cv_;
  std::string error_;
  long count_ = 0, steps_ = 0;
};

}  // namespace biotwin::estimate

#endif  // BIOTWIN_ESTIMATE_STATE_PROPAGATOR_H_
