// Sensor models for sampled closed loops: what a controller or an operator sees of the plant.
// Each channel reads one model signal (state, output or input) and adds, in this order, a
// transport delay, sample-and-hold at its own sample time, bias and drift-ramp faults and seeded
// Gaussian noise. Off-line lab channels draw a sample at scheduled times and report it a fixed
// time later. All times are in the model's time unit, values in the signal's unit.
#ifndef BIOTWIN_SIM_SENSORS_H_
#define BIOTWIN_SIM_SENSORS_H_

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "model/model.h"

namespace biotwin::sim {

// A window in sample index (inclusive at both ends, counted from the run's sample-index
// origin) or in time ([begin, end), model time unit).
struct Window {
  bool by_sample = true;
  double begin = 0.0, end = model::kInf;
  bool Contains(long k_user, double t) const {
    return by_sample ? (k_user >= begin && k_user <= end) : (t >= begin - 1e-9 && t < end - 1e-9);
  }
  // Fraction of the way through the window (0 before, 1 after), for ramps.
  double Progress(long k_user, double t) const;
};

enum class SignalKind { kState, kOutput, kInput };

struct SensorFault {
  enum class Kind { kBias, kDrift };
  std::string name;
  Kind kind = Kind::kBias;
  Window window;
  // kBias: offset added inside the window. kDrift: offset ramping linearly from 0 at the
  // window's start to `value` at its end, then held (a drifting calibration).
  double value = 0.0;
};

struct LabSpec {
  std::vector<double> draw_times;  // sorted, model time unit
  double delay = 0.0;              // reported this long after the draw
};

struct SensorSpec {
  std::string name;      // channel name (what controllers refer to)
  std::string signal;    // model signal it reads
  std::string unit;      // the signal's unit text
  SignalKind kind = SignalKind::kOutput;
  int index = -1;        // into the state, output or input vector
  double noise_sd = 0.0;
  uint64_t seed = 1;
  double sample_time = 0.0;  // 0: every control sample
  double delay = 0.0;        // transport delay (on-line channels)
  std::vector<SensorFault> faults;
  bool lab = false;
  LabSpec lab_spec;
};

// The plant's sensors. Construct once per run; Measure is called at every control sample and
// does not allocate.
class SensorBank {
 public:
  SensorBank() = default;
  // h: control sample time; origin: sample-index origin for fault windows. Throws
  // std::invalid_argument when a delay or sample time is not a whole number of samples.
  SensorBank(std::vector<SensorSpec> specs, double h, int origin);

  size_t size() const { return specs_.size(); }
  const std::vector<SensorSpec>& specs() const { return specs_; }
  int Find(const std::string& name) const;

  // At control sample k (time t) with the plant's true values. `held` receives what a
  // controller sees (lab channels: the latest report, NaN before the first); `recorded` what a
  // log row shows (lab channels: the value only at the sample where it is reported, else NaN).
  void Measure(long k, double t, const double* x, const double* y, const double* u, double* held,
               double* recorded);

  // Fault names and whether each is active at (k, t); drifts count as active from their start.
  const std::vector<std::string>& fault_names() const { return fault_names_; }
  void ActiveFaults(long k, double t, unsigned char* active) const;

 private:
  struct Channel {
    std::vector<double> history;  // ring of true values, delay + 1 samples
    long samples_seen = 0;
    int delay_samples = 0, hold_samples = 1;
    double held = model::kNaN;
    size_t next_draw = 0;
    std::vector<std::pair<double, double>> pending;  // (report time, value), preallocated
    size_t pending_head = 0;
    std::mt19937_64 rng;
  };
  double Offset(const SensorSpec& s, long k_user, double t) const;

  std::vector<SensorSpec> specs_;
  std::vector<Channel> channels_;
  std::vector<std::string> fault_names_;
  double h_ = 1.0;
  int origin_ = 0;
};

}  // namespace biotwin::sim

#endif  // BIOTWIN_SIM_SENSORS_H_
