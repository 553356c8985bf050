// State estimation (docs/estimate.md): extended and unscented Kalman filters and a moving-horizon
// estimator that reconstructs a model's states from noisy, multi-rate and delayed measurements.
//
// Options -> StateEstimator::Create -> Reset(x0, sigma0) -> Step(t, observations)... -> Summary.
// Every estimator needs only a model, a scenario (the inputs that were applied) and the names of
// the measured signals; it runs inside a control loop without allocating per step (EKF, UKF; the
// MHE re-solves a Ceres problem per step).
#ifndef BIOTWIN_ESTIMATE_STATE_ESTIMATION_H_
#define BIOTWIN_ESTIMATE_STATE_ESTIMATION_H_

#include <memory>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "model/model.h"
#include "sim/simulator.h"

namespace biotwin::estimate {

enum class StateMethod { kEkf, kUkf, kMhe };

// A measured signal: a model state or a model output, identified by name, with its noise.
struct SignalSpec {
  std::string name;     // state or output name ("DOTm", "OUR", "X")
  double sigma = 0.0;   // one standard deviation of the measurement noise, in the signal's unit
};

struct StateEstimationOptions {
  StateMethod method = StateMethod::kEkf;
  std::vector<SignalSpec> signals;
  // Process noise: additive white noise on each state, sigma in the state's unit per sqrt(model
  // time unit); the covariance added over an interval dt is diag(q_i^2 * dt). Empty: 0 for all.
  std::vector<double> process_sigma;
  // UKF: Merwe's scaled sigma points.
  double ukf_alpha = 0.5, ukf_beta = 2.0, ukf_kappa = 0.0;
  // MHE: number of measurement times in the window; Ceres iteration limit and relative cost
  // tolerance per solve.
  int mhe_window = 8;
  int mhe_max_iterations = 30;
  double mhe_tolerance = 1e-6;
  // Two measurement times closer than this (model time unit) are the same time.
  double time_tolerance = 1e-9;
  // Integration tolerances for the propagation between measurement times.
  double rtol = 1e-7;
  // States kept >= 0 (projected after every update) besides those the model marks non_negative
  // and the liquid volume.
  std::vector<std::string> non_negative;
};

// One measured value. sample_time is when the sample was drawn; it is assimilated when passed to
// Step(t) (its arrival time t >= sample_time). A sample older than the current time is "delayed":
// the MHE re-solves its window including it; the EKF and UKF cannot go back and count it as
// skipped (see docs/estimate.md).
struct Observation {
  int signal = 0;          // index into StateEstimationOptions::signals
  double value = 0.0;      // in the signal's unit
  double sample_time = 0.0;
};

struct StateEstimationSummary {
  long steps = 0, observations_used = 0, delayed_used = 0, skipped_delayed = 0;
  long propagations = 0, clipped = 0, failures = 0;  // clipped: state components projected to 0
  long mhe_solves = 0, mhe_iterations = 0;
  long mhe_unconverged = 0;  // solves stopped by the iteration limit (their result is used)
  std::string last_error;
};

class StateEstimator {
 public:
  virtual ~StateEstimator() = default;

  // Builds the estimator. Throws std::invalid_argument naming the offending signal or option.
  static std::unique_ptr<StateEstimator> Create(std::shared_ptr<const model::Model> model,
                                                const sim::Scenario& scenario,
                                                StateEstimationOptions options);

  // Starts at time t0 with the prior x0 (state units) and independent prior sigmas.
  virtual void Reset(double t0, std::span<const double> x0, std::span<const double> sigma0) = 0;
  // Advances to time t (>= time()) and assimilates the observations that arrive at t. Returns
  // false when the propagation failed (the estimate is then held; see summary().last_error).
  virtual bool Step(double t, std::span<const Observation> observations) = 0;

  // Live inputs for an estimator running inside a closed loop: from time() on, input i takes
  // u[i] (model input unit; num_inputs entries) instead of the scenario's profile until the next
  // call; NaN leaves input i to the scenario. Call it before each Step with the inputs applied
  // over the coming interval. EKF and UKF only (they propagate forward once); the MHE re-solves
  // its window and would need the whole input history: it throws std::logic_error. Does not
  // allocate.
  virtual void HoldInputs(std::span<const double> u) = 0;

  virtual double time() const = 0;
  // Current estimate (state units) and covariance (n x n, column-major).
  virtual std::span<const double> state() const = 0;
  virtual std::span<const double> covariance() const = 0;
  double sigma(int i) const;
  // Model outputs (their declared units) of the current estimate, with the scenario's inputs at
  // time(); y has num_outputs entries.
  virtual void Outputs(std::span<double> y) = 0;
  virtual const StateEstimationSummary& summary() const = 0;
  // MHE only: the smoothed estimates at the times in the window (empty for EKF/UKF).
  virtual std::vector<std::pair<double, std::vector<double>>> Window() const { return {}; }
};

// Parses "ekf", "ukf", "mhe". Throws std::invalid_argument.
StateMethod ParseStateMethod(const std::string& text);
const char* StateMethodName(StateMethod method);

}  // namespace biotwin::estimate

#endif  // BIOTWIN_ESTIMATE_STATE_ESTIMATION_H_
