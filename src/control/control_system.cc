#include "control/control_system.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace biotwin::control {

ControlSystem::ControlSystem(ControlSpec spec) : spec_(std::move(spec)) {
  const int n = static_cast<int>(spec_.loops.size());
  inner_of_.assign(n, -1);
  auto add_mv = [&](int input) {
    if (input < 0) return;
    if (std::find(manipulated_.begin(), manipulated_.end(), input) != manipulated_.end()) {
      throw std::invalid_argument("input index " + std::to_string(input) + " is driven twice");
    }
    manipulated_.push_back(input);
  };
  for (const auto& s : spec_.schedules) add_mv(s.input);
  for (int i = 0; i < n; ++i) {
    const LoopSpec& l = spec_.loops[i];
    if (l.type == LoopSpec::Type::kPid) {
      add_mv(l.output);
    } else {
      add_mv(l.output_above);
      add_mv(l.output_below);
    }
    if (l.setpoint_loop >= 0) {
      if (l.setpoint_loop >= i) throw std::invalid_argument("loop '" + l.name + "': its outer loop must come first");
      if (inner_of_[l.setpoint_loop] >= 0) {
        throw std::invalid_argument("loop '" + spec_.loops[l.setpoint_loop].name + "' drives two set-points");
      }
      inner_of_[l.setpoint_loop] = i;
    }
  }
  for (int i = 0; i < n; ++i) {
    const LoopSpec& l = spec_.loops[i];
    if (l.type == LoopSpec::Type::kPid && l.output < 0 && inner_of_[i] < 0) {
      throw std::invalid_argument("loop '" + l.name + "' drives neither an input nor another loop's set-point");
    }
  }
  state_.resize(n);
  setpoint_.assign(n, model::kNaN);
}

int ControlSystem::FindLoop(const std::string& name) const {
  for (size_t i = 0; i < spec_.loops.size(); ++i) {
    if (spec_.loops[i].name == name) return static_cast<int>(i);
  }
  return -1;
}

void ControlSystem::SetManual(int loop, double output) {
  state_[loop].forced_manual = true;
  state_[loop].forced_auto = false;
  state_[loop].forced_value = output;
}

void ControlSystem::SetAuto(int loop) {
  state_[loop].forced_manual = false;
  state_[loop].forced_auto = true;
}

void ControlSystem::Begin(double t0, const double* u0) {
  for (auto& s : spec_.schedules) s.schedule.Reset();
  for (size_t i = 0; i < spec_.loops.size(); ++i) {
    LoopSpec& l = spec_.loops[i];
    LoopState& st = state_[i];
    l.setpoint.Reset();
    if (l.type == LoopSpec::Type::kPid) {
      st.pid = Pid(l.pid);
      st.out = l.output >= 0 ? u0[l.output] : 0.0;
      st.pid.Reset(st.out);
    } else {
      st.split = SplitRange(l.split);
      st.split.Reset(u0[l.output_above], u0[l.output_below]);
    }
  }
  first_ = true;
}

void ControlSystem::Step(long k, double t, const double* meas, double* u) {
  const long k_user = k + spec_.sample_index_origin;
  for (auto& s : spec_.schedules) u[s.input] = s.schedule.Value(k_user, t, meas);
  const size_t n = spec_.loops.size();
  for (size_t i = 0; i < n; ++i) {
    const LoopSpec& l = spec_.loops[i];
    LoopState& st = state_[i];
    st.manual = st.forced_manual || (!st.forced_auto && t < l.manual_until - 1e-9);
  }
  for (size_t i = 0; i < n; ++i) {
    LoopSpec& l = spec_.loops[i];
    LoopState& st = state_[i];
    const double sp = l.setpoint_loop >= 0 ? state_[l.setpoint_loop].out : l.setpoint.Value(k_user, t, meas);
    setpoint_[i] = sp;
    const double y = meas[l.measurement];
    st.held = std::isnan(y) || std::isnan(sp);
    st.observed = false;
    if (l.type == LoopSpec::Type::kSplitRange) {
      if (st.held) continue;  // the valves keep their positions
      double a = 0, b = 0;
      st.split.Step(sp, y, &a, &b);
      u[l.output_above] = a;
      u[l.output_below] = b;
      continue;
    }
    const double prev = l.output >= 0 ? u[l.output] : st.out;
    const int inner = inner_of_[i];
    const bool inner_manual = inner >= 0 && (state_[inner].manual || std::isnan(meas[spec_.loops[inner].measurement]));
    double out = prev;
    if (st.held) {
      // Measurement missing: hold.
    } else if (inner_manual) {
      // The inner loop is not following: track its measurement for a bumpless return.
      st.pid.Observe(sp, y);
      st.observed = true;
      const double inner_y = meas[spec_.loops[inner].measurement];
      out = std::isnan(inner_y) ? prev : inner_y;
    } else if (st.manual) {
      st.pid.Observe(sp, y);
      st.observed = true;
      const double mv = st.forced_manual ? st.forced_value : l.manual_output;
      out = std::isnan(mv) ? prev : mv;
    } else {
      if (first_ && inner >= 0) {
        const double inner_y = meas[spec_.loops[inner].measurement];
        st.pid.Align(std::isnan(inner_y) ? prev : inner_y);
      }
      out = st.pid.Step(sp, y);
    }
    st.out = out;
    if (l.output >= 0) u[l.output] = out;
  }
  first_ = false;
}

void ControlSystem::Applied(const double* u) {
  for (size_t i = 0; i < spec_.loops.size(); ++i) {
    const LoopSpec& l = spec_.loops[i];
    LoopState& st = state_[i];
    if (st.held) continue;
    if (l.type == LoopSpec::Type::kSplitRange) {
      st.split.Applied(u[l.output_above], u[l.output_below]);
    } else {
      st.pid.Applied(l.output >= 0 ? u[l.output] : st.out);
    }
  }
}

}  // namespace biotwin::control
