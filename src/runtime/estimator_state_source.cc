#include "runtime/estimator_state_source.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "estimate/state_noise.h"
#include "model/format.h"
#include "model/units.h"

namespace biotwin::runtime {
namespace {

// Factor from unit `from` to unit `to`; NaN when they are not convertible by a factor.
double Factor(const model::Unit& from, const model::Unit& to) {
  if (from.text == to.text) return 1.0;
  if (!model::Compatible(from, to) || from.IsAffine() || to.IsAffine()) return model::kNaN;
  return model::ConversionFactor(from, to);
}

}  // namespace

EstimatorStateSource::EstimatorStateSource(const model::ModelInfo& plant, const control::NmpcLoopSpec& spec,
                                           const sim::Scenario& scenario, const std::vector<sim::SensorSpec>& sensors,
                                           double sample_time)
    : t0_(scenario.t_begin), sample_time_(sample_time) {
  if (!spec.estimator) throw std::invalid_argument("EstimatorStateSource: the mpc block has no estimator");
  const control::EstimatorStateSpec& es = *spec.estimator;
  const auto& model = spec.problem.model;
  const model::ModelInfo& info = model->info();
  const std::string field = "control.mpc.state";
  auto fail = [&](const std::string& sub, const std::string& message) {
    throw model::ModelError(es.file, es.line, field + sub, message);
  };
  const estimate::NoiseSpec noise = estimate::LoadNoiseSpecFile(es.noise_file, info);

  estimate::StateEstimationOptions opt;
  opt.method = estimate::ParseStateMethod(es.method);
  const int n = static_cast<int>(info.states.size());
  // Measured signals: every signal of the noise file, each read by a sensor channel of the loop
  // (a channel named like the signal, else one that reads the plant signal of that name).
  for (const auto& [name, sigma] : noise.measurement_sigma) {
    if (std::find(noise.ignore.begin(), noise.ignore.end(), name) != noise.ignore.end()) continue;
    int c = -1;
    for (size_t j = 0; j < sensors.size() && c < 0; ++j) {
      if (sensors[j].name == name) c = static_cast<int>(j);
    }
    for (size_t j = 0; j < sensors.size() && c < 0; ++j) {
      if (sensors[j].signal == name) c = static_cast<int>(j);
    }
    if (c < 0) {
      fail(".noise", "the noise file " + es.noise_file + " names the measured signal '" + name +
                         "' but control.sensors has no channel for it (add a sensor reading '" + name +
                         "' or list it under 'ignore:' in the noise file)");
    }
    const sim::SensorSpec& s = sensors[c];
    if (s.lab || s.delay > 0) {
      fail(".noise", "sensor '" + s.name + "' for signal '" + name + "' is " + (s.lab ? "a lab channel" : "delayed") +
                         ": the in-loop EKF/UKF assimilates on-line, undelayed channels only");
    }
    const model::Unit& su = estimate::SignalUnit(info, name);
    const double factor = Factor(model::ParseUnit(s.unit), su);
    if (std::isnan(factor)) {
      fail(".noise", "sensor '" + s.name + "' reads '" + name + "' in " + s.unit + ", the NMPC's model has it in " + su.text);
    }
    ChannelMap m;
    m.channel = c;
    m.signal = static_cast<int>(opt.signals.size());
    m.factor = factor;
    m.every = s.sample_time;
    channels_.push_back(m);
    opt.signals.push_back({name, sigma});
  }
  if (opt.signals.empty()) fail(".noise", "the noise file " + es.noise_file + " names no measured signal");

  // Prior: the internal model's initial state, the scenario's `initial:` by name, the noise file's
  // values, then the block's `initial:` (all in the internal model's units).
  std::vector<double> x0 = info.InitialState();
  for (const auto& [j, v] : scenario.initial) {
    const int i = info.StateIndex(plant.states[j].name);
    if (i < 0) continue;
    const double f = Factor(plant.states[j].unit, info.states[i].unit);
    if (!std::isnan(f)) x0[i] = v * f;
  }
  for (const auto& [i, v] : spec.problem.initial_state) x0[i] = v;
  for (int i = 0; i < n; ++i) {
    if (!std::isnan(noise.initial_value[i])) x0[i] = noise.initial_value[i];
  }
  for (const auto& [i, v] : es.initial) x0[i] = v;
  // Missing sigmas as in `biotwin estimate`: 10 % of the prior, 1 % per sqrt(time unit).
  std::vector<double> s0(n);
  opt.process_sigma.assign(n, 0.0);
  for (int i = 0; i < n; ++i) {
    s0[i] = std::isnan(noise.initial_sigma[i]) ? 0.1 * std::max(std::fabs(x0[i]), 1e-2) : noise.initial_sigma[i];
    opt.process_sigma[i] = std::isnan(noise.process_sigma[i]) ? 0.01 * std::max(std::fabs(x0[i]), 1e-3) : noise.process_sigma[i];
  }
  opt.non_negative = noise.non_negative;
  if (!std::isnan(noise.ukf_alpha)) opt.ukf_alpha = noise.ukf_alpha;
  if (!std::isnan(noise.ukf_beta)) opt.ukf_beta = noise.ukf_beta;
  if (!std::isnan(noise.ukf_kappa)) opt.ukf_kappa = noise.ukf_kappa;

  // The estimator's scenario: the NMPC model's parameters; inputs come live from the loop.
  sim::Scenario sc;
  sc.name = scenario.name + " (NMPC state estimator)";
  sc.file = scenario.file;
  sc.t_begin = scenario.t_begin;
  sc.t_end = scenario.t_end;
  sc.parameters = spec.problem.parameters;
  sc.initial.clear();
  for (int i = 0; i < n; ++i) sc.initial[i] = x0[i];
  try {
    estimator_ = estimate::StateEstimator::Create(model, sc, opt);
  } catch (const std::invalid_argument& e) {
    fail("", e.what());
  }
  estimator_->Reset(scenario.t_begin, x0, s0);

  // Internal inputs from plant inputs of the same name (units converted); others keep the
  // internal model's default.
  u_.assign(info.inputs.size(), model::kNaN);
  for (const auto& in : info.inputs) {
    const int j = plant.InputIndex(in.name);
    const double f = j < 0 ? model::kNaN : Factor(plant.inputs[j].unit, in.unit);
    input_map_.emplace_back(std::isnan(f) ? -1 : j, f);
  }
  obs_.reserve(channels_.size());
  for (const auto& st : info.states) state_names_.push_back(st.name);
  if (std::isfinite(scenario.t_end) && sample_time > 0) {
    const size_t samples = static_cast<size_t>((scenario.t_end - scenario.t_begin) / sample_time) + 2;
    hist_t_.reserve(samples);
    hist_x_.reserve(samples * n);
  }
}

void EstimatorStateSource::InputsApplied(const double* u_plant) {
  for (size_t i = 0; i < input_map_.size(); ++i) {
    const auto& [j, f] = input_map_[i];
    u_[i] = j < 0 ? model::kNaN : u_plant[j] * f;
  }
  estimator_->HoldInputs(u_);
}

void EstimatorStateSource::Sample(double t, const double* measurements) {
  if (t <= t_) return;
  t_ = t;
  ok_ = true;
  obs_.clear();
  for (const auto& c : channels_) {
    const double v = measurements[c.channel];
    if (std::isnan(v)) continue;
    if (c.every > 0) {  // a slower channel holds its value between its own samples
      const double r = std::remainder(t - t0_, c.every);
      if (std::fabs(r) > 1e-6 * std::max(sample_time_, c.every)) continue;
    }
    obs_.push_back({c.signal, v * c.factor, t});
  }
  if (!estimator_->Step(t, obs_)) {
    ok_ = false;
    error_ = "the estimator failed at t = " + model::FormatNumber(t) + ": " + estimator_->summary().last_error;
  }
  hist_t_.push_back(t);
  const auto x = estimator_->state();
  hist_x_.insert(hist_x_.end(), x.begin(), x.end());
}

bool EstimatorStateSource::State(double t, const double* measurements, double* x, std::string* why) {
  Sample(t, measurements);
  if (!ok_) {
    *why = error_;
    return false;
  }
  if (!(std::fabs(estimator_->time() - t) <= 1e-9 * std::max(1.0, std::fabs(t)))) {
    *why = "the estimate is at t = " + model::FormatNumber(estimator_->time()) + ", not " + model::FormatNumber(t);
    return false;
  }
  const auto s = estimator_->state();
  for (size_t i = 0; i < s.size(); ++i) {
    if (!std::isfinite(s[i])) {
      *why = "the estimate of state '" + state_names_[i] + "' is not finite";
      return false;
    }
    x[i] = s[i];
  }
  return true;
}

}  // namespace biotwin::runtime
