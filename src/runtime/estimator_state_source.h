// Internal to src/runtime (public API: runtime/runtime.h): the NMPC's state from a state
// estimator (EKF or UKF, src/estimate) running on the NMPC's internal model inside the closed
// loop. Every control sample it takes the plant inputs that were applied (mapped onto the
// internal model's inputs by name, units converted), advances the filter to the sample time and
// assimilates the sensor channels that measure the noise file's signals.
#ifndef BIOTWIN_RUNTIME_ESTIMATOR_STATE_SOURCE_H_
#define BIOTWIN_RUNTIME_ESTIMATOR_STATE_SOURCE_H_

#include <memory>
#include <string>
#include <vector>

#include "control/nmpc_loop.h"
#include "estimate/state_estimation.h"
#include "model/model.h"
#include "sim/sensors.h"
#include "sim/simulator.h"

namespace biotwin::runtime {

// How a sensor channel feeds an estimator signal.
struct ChannelMap {
  int channel = 0;          // index into the closed loop's measurements
  int signal = 0;           // index into the estimator's signals
  double factor = 1.0;      // sensor unit -> signal unit
  double every = 0.0;       // the channel's own sample period (0: every control sample)
};

class EstimatorStateSource : public control::NmpcStateSource {
 public:
  // plant: the plant model (input names and units); spec: the `mpc:` block with an estimator;
  // scenario: the closed-loop scenario (start time, the plant's initial state as the default
  // prior); sensors: the closed loop's channels, in measurement order; sample_time: the control
  // sample time. Throws model::ModelError naming the scenario or noise file, line and field
  // for a signal no sensor measures, a delayed or lab channel, a unit mismatch or a missing prior.
  EstimatorStateSource(const model::ModelInfo& plant, const control::NmpcLoopSpec& spec,
                       const sim::Scenario& scenario, const std::vector<sim::SensorSpec>& sensors,
                       double sample_time);

  void InputsApplied(const double* u_plant) override;
  void Sample(double t, const double* measurements) override;
  bool State(double t, const double* measurements, double* x, std::string* why) override;

  const estimate::StateEstimator& estimator() const { return *estimator_; }
  // The estimate after every control sample: times and states (row-major, num_states each).
  const std::vector<double>& history_times() const { return hist_t_; }
  const std::vector<double>& history_states() const { return hist_x_; }
  const std::vector<ChannelMap>& channels() const { return channels_; }

 private:
  std::unique_ptr<estimate::StateEstimator> estimator_;
  std::vector<ChannelMap> channels_;
  std::vector<std::pair<int, double>> input_map_;  // per internal input: (plant index or -1, factor)
  std::vector<double> u_;
  std::vector<std::string> state_names_;
  std::vector<double> hist_t_, hist_x_;  // reserved for the whole run
  std::vector<estimate::Observation> obs_;
  double t0_ = 0.0, sample_time_ = 0.0;
  double t_ = -model::kInf;  // time of the last Sample
  bool ok_ = true;
  std::string error_;
};

}  // namespace biotwin::runtime

#endif  // BIOTWIN_RUNTIME_ESTIMATOR_STATE_SOURCE_H_
