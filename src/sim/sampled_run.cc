#include "sim/sampled_run.h"

#include <chrono>
#include <cmath>

#include "model/format.h"
#include "sim/allocator.h"

namespace biotwin::sim {

SimResult SampledRunResult::ToSimResult() const {
  SimResult r;
  r.ok = ok;
  r.message = message;
  r.t_reached = t_reached;
  r.time = time;
  for (size_t i = 0; i < rows(); ++i) {
    r.states.emplace_back(states.begin() + i * n_states, states.begin() + (i + 1) * n_states);
    r.outputs.emplace_back(outputs.begin() + i * n_outputs, outputs.begin() + (i + 1) * n_outputs);
    r.inputs.emplace_back(inputs.begin() + i * n_inputs, inputs.begin() + (i + 1) * n_inputs);
  }
  r.events = events;
  r.warnings = warnings;
  r.stats = stats;
  r.wall_seconds = wall_seconds;
  return r;
}

SampledRunResult RunSampled(std::shared_ptr<const model::Model> model, const Scenario& scenario,
                            SensorBank& sensors, SampledController& controller,
                            ActuatorBank& actuators, const SampledRunOptions& options) {
  using Clock = std::chrono::steady_clock;
  const auto wall_start = Clock::now();
  KeepFreedMemoryForReuse();  // the next batch in this process reuses this one's result arrays
  const model::ModelInfo& info = model->info();
  SampledRunResult res;
  res.n_states = model->num_states();
  res.n_outputs = model->num_outputs();
  res.n_inputs = model->num_inputs();
  res.n_measurements = static_cast<int>(sensors.size());
  for (const auto& s : sensors.specs()) {
    res.measurement_names.push_back(s.name);
    res.measurement_units.push_back(s.unit);
  }
  res.fault_names = sensors.fault_names();
  for (const auto& f : actuators.fault_names()) res.fault_names.push_back(f);
  res.n_faults = static_cast<int>(res.fault_names.size());
  const size_t n_sensor_faults = sensors.fault_names().size();

  Simulator sim(model, scenario);
  auto finish = [&](bool ok, std::string message) {
    res.ok = ok;
    res.message = std::move(message);
    res.events = sim.Events();
    res.warnings = sim.Warnings();
    res.stats = sim.Stats();
    if (res.stats.input_clips > 0) {
      res.warnings.push_back("input values outside their limits were clipped " + std::to_string(res.stats.input_clips) + " times");
    }
    res.wall_seconds = std::chrono::duration<double>(Clock::now() - wall_start).count();
    return std::move(res);
  };
  const double h = options.sample_time;
  const double t0 = scenario.t_begin, t_end = scenario.t_end;
  if (!(h > 0)) return finish(false, "the control sample time must be positive");
  if (!(t_end > t0)) return finish(false, "the scenario needs an end time after its start");
  const long n_intervals = static_cast<long>(std::ceil((t_end - t0) / h - 1e-9));
  std::string error;
  if (!sim.Begin(&error)) return finish(false, error);

  const int m = res.n_inputs;
  // Held inputs: the controller's (it writes them) and those behind an actuator model; an
  // actuator on an input the controller does not drive acts on the input's profile, sampled.
  for (int i : controller.ManipulatedInputs()) {
    if (i < 0 || i >= m) {
      return finish(false, "the controller drives input index " + std::to_string(i) + " but the model has " +
                               std::to_string(m) + " inputs");
    }
  }
  for (const auto& a : actuators.specs()) {
    if (a.index < 0 || a.index >= m) return finish(false, "actuator '" + a.input + "' is not an input of the model");
  }
  std::vector<char> held(m, 0), from_profile(m, 0);
  for (const auto& a : actuators.specs()) held[a.index] = from_profile[a.index] = 1;
  for (int i : controller.ManipulatedInputs()) {
    held[i] = 1;
    from_profile[i] = 0;
  }
  std::vector<double> u(sim.Inputs(), sim.Inputs() + m), y(res.n_outputs), x_hook(res.n_states);
  std::vector<double> meas_held(res.n_measurements), meas_rec(res.n_measurements);
  std::vector<double> p_hook(sim.Parameters().size());
  actuators.Begin(u.data());
  controller.Begin(t0, u.data());
  const size_t rows = n_intervals + 1;
  res.time.reserve(rows);
  res.states.reserve(rows * res.n_states);
  res.outputs.reserve(rows * res.n_outputs);
  res.inputs.reserve(rows * m);
  res.measurements.reserve(rows * res.n_measurements);
  res.faults.resize(rows * res.n_faults);
  double controller_s = 0.0;
  for (long k = 0; k <= n_intervals; ++k) {
    const double t = k == n_intervals ? t_end : t0 + k * h;
    const double* x = sim.State();
    sim.Outputs(y.data());
    const double* u_now = sim.Inputs();
    sensors.Measure(k, t, x, y.data(), u_now, meas_held.data(), meas_rec.data());
    if (k < n_intervals) {
      for (int i = 0; i < m; ++i) {
        if (from_profile[i]) {
          auto it = scenario.inputs.find(i);
          u[i] = it == scenario.inputs.end() ? info.inputs[i].default_value : it->second.Value(t);
        } else if (!held[i]) {
          u[i] = u_now[i];
        }
      }
      const auto c0 = Clock::now();
      controller.Step(k, t, meas_held.data(), u.data());
      actuators.Apply(k, t, u.data());
      controller.Applied(u.data());
      controller_s += std::chrono::duration<double>(Clock::now() - c0).count();
      for (int i = 0; i < m; ++i) {
        if (held[i]) sim.SetInput(i, u[i]);
      }
    }
    res.time.push_back(t);
    res.states.insert(res.states.end(), x, x + res.n_states);
    res.outputs.insert(res.outputs.end(), y.begin(), y.end());
    const double* u_row = sim.Inputs();  // applied (held) values, after the input limits
    res.inputs.insert(res.inputs.end(), u_row, u_row + m);
    res.measurements.insert(res.measurements.end(), meas_rec.begin(), meas_rec.end());
    unsigned char* active = res.faults.data() + k * res.n_faults;
    sensors.ActiveFaults(k, t, active);
    actuators.ActiveFaults(k, t, active + n_sensor_faults);
    if (k == n_intervals) break;
    const double t_next = k + 1 == n_intervals ? t_end : t0 + (k + 1) * h;
    if (options.before_interval) {
      std::copy(sim.Parameters().begin(), sim.Parameters().end(), p_hook.begin());
      if (!options.before_interval(k, t, p_hook.data(), &error)) {
        res.controller_seconds = controller_s;
        return finish(false, "before interval " + std::to_string(k) + " (t = " + model::FormatNumber(t) + " " +
                                 info.time_unit.text + "): " + error);
      }
      for (size_t i = 0; i < p_hook.size(); ++i) sim.SetParameter(static_cast<int>(i), p_hook[i]);
    }
    if (!sim.Advance(t_next, &error)) {
      res.t_reached = sim.Time();
      res.controller_seconds = controller_s;
      return finish(false, error);
    }
    ++res.intervals;
    res.t_reached = t_next;
    if (options.after_interval) {
      std::copy(sim.State(), sim.State() + res.n_states, x_hook.begin());
      if (!options.after_interval(k, t_next, x_hook.data(), sim.Parameters().data(), &error)) {
        res.controller_seconds = controller_s;
        return finish(false, "after interval " + std::to_string(k) + " (t = " + model::FormatNumber(t_next) + " " +
                                 info.time_unit.text + "): " + error);
      }
      sim.SetState(x_hook.data());
    }
    if (options.on_progress) options.on_progress(t_next);
  }
  res.controller_seconds = controller_s;
  return finish(true, "");
}

}  // namespace biotwin::sim
