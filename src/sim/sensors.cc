#include "sim/sensors.h"

#include <cmath>
#include <stdexcept>

#include "model/format.h"

namespace biotwin::sim {
namespace {

// Whole number of samples in `span`, or -1.
long WholeSamples(double span, double h) {
  const double r = span / h;
  const double n = std::round(r);
  return std::fabs(r - n) <= 1e-6 * std::max(1.0, n) ? static_cast<long>(n) : -1;
}

}  // namespace

double Window::Progress(long k_user, double t) const {
  const double pos = by_sample ? static_cast<double>(k_user) : t;
  if (pos <= begin) return 0.0;
  if (pos >= end || !(end > begin)) return 1.0;
  return (pos - begin) / (end - begin);
}

SensorBank::SensorBank(std::vector<SensorSpec> specs, double h, int origin)
    : specs_(std::move(specs)), h_(h), origin_(origin) {
  channels_.resize(specs_.size());
  for (size_t i = 0; i < specs_.size(); ++i) {
    const SensorSpec& s = specs_[i];
    Channel& c = channels_[i];
    const std::string where = "sensor '" + s.name + "': ";
    if (!(s.noise_sd >= 0)) throw std::invalid_argument(where + "noise must be non-negative");
    const long d = WholeSamples(s.delay, h);
    if (s.delay < 0 || d < 0) {
      throw std::invalid_argument(where + "delay " + model::FormatNumber(s.delay) +
                                  " must be a non-negative whole number of control samples (" +
                                  model::FormatNumber(h) + ")");
    }
    const long hold = s.sample_time > 0 ? WholeSamples(s.sample_time, h) : 1;
    if (hold < 1) {
      throw std::invalid_argument(where + "sample time " + model::FormatNumber(s.sample_time) +
                                  " must be a whole number of control samples (" + model::FormatNumber(h) + ")");
    }
    if (s.lab && !(s.lab_spec.delay >= 0)) throw std::invalid_argument(where + "lab delay must be non-negative");
    c.delay_samples = static_cast<int>(d);
    c.hold_samples = static_cast<int>(hold);
    c.history.assign(d + 1, 0.0);
    c.pending.reserve(s.lab_spec.draw_times.size());
    c.rng.seed(s.seed);
    for (const auto& f : s.faults) fault_names_.push_back(f.name);
  }
}

int SensorBank::Find(const std::string& name) const {
  for (size_t i = 0; i < specs_.size(); ++i) {
    if (specs_[i].name == name) return static_cast<int>(i);
  }
  return -1;
}

double SensorBank::Offset(const SensorSpec& s, long k_user, double t) const {
  double off = 0.0;
  for (const auto& f : s.faults) {
    if (f.kind == SensorFault::Kind::kBias) {
      if (f.window.Contains(k_user, t)) off += f.value;
    } else {
      off += f.value * f.window.Progress(k_user, t);
    }
  }
  return off;
}

void SensorBank::Measure(long k, double t, const double* x, const double* y, const double* u,
                         double* held, double* recorded) {
  const long k_user = k + origin_;
  for (size_t i = 0; i < specs_.size(); ++i) {
    const SensorSpec& s = specs_[i];
    Channel& c = channels_[i];
    const double* src = s.kind == SignalKind::kState ? x : s.kind == SignalKind::kOutput ? y : u;
    const double truth = src[s.index];
    auto noise = [&]() {
      if (s.noise_sd == 0.0) return 0.0;
      std::normal_distribution<double> normal(0.0, s.noise_sd);  // stateless for these params
      return normal(c.rng);
    };
    if (s.lab) {
      recorded[i] = model::kNaN;
      const auto& draws = s.lab_spec.draw_times;
      while (c.next_draw < draws.size() && draws[c.next_draw] <= t + 1e-9 * std::max(1.0, std::fabs(t))) {
        c.pending.emplace_back(draws[c.next_draw] + s.lab_spec.delay, truth + Offset(s, k_user, t) + noise());
        ++c.next_draw;
      }
      while (c.pending_head < c.pending.size() &&
             c.pending[c.pending_head].first <= t + 1e-9 * std::max(1.0, std::fabs(t))) {
        c.held = c.pending[c.pending_head].second;
        recorded[i] = c.held;
        ++c.pending_head;
      }
      held[i] = c.held;
      continue;
    }
    // Transport delay: the ring holds the last delay + 1 true values; before enough history
    // exists the first value stands in for the past (the plant was at rest before the start).
    const size_t n = c.history.size();
    if (c.samples_seen == 0) {
      for (double& v : c.history) v = truth;
    } else {
      c.history[c.samples_seen % n] = truth;
    }
    const double delayed = c.history[(c.samples_seen + 1) % n];
    if (c.samples_seen % c.hold_samples == 0) c.held = delayed + Offset(s, k_user, t) + noise();
    ++c.samples_seen;
    held[i] = c.held;
    recorded[i] = c.held;
  }
}

void SensorBank::ActiveFaults(long k, double t, unsigned char* active) const {
  const long k_user = k + origin_;
  size_t j = 0;
  for (const auto& s : specs_) {
    for (const auto& f : s.faults) {
      active[j++] = f.kind == SensorFault::Kind::kBias
                        ? f.window.Contains(k_user, t)
                        : (f.window.by_sample ? k_user >= f.window.begin : t >= f.window.begin - 1e-9);
    }
  }
}

}  // namespace biotwin::sim
