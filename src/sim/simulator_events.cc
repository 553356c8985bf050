// Discrete changes: bolus additions (mixing), withdrawals (sampling, harvest), set-point and
// parameter changes, state resets and phase changes, with the matching jumps of the forward
// sensitivities for the mixing map.
#include <cstdio>

#include "sim/simulator_impl.h"

namespace biotwin::sim {
namespace {

std::string Num(double v) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.6g", v);
  return buf;
}

}  // namespace

void Simulator::Impl::ApplySensitivityJump(const Action& a, double v_before, double dv,
                                           const double* x_before) {
  // Bolus mixing map: V+ = V + dV, C+ = (C V + dV Cin) / (V + dV) for diluted states, so
  // dC+/dC = V / (V + dV) and dC+/dV = dV (C - Cin) / (V + dV)^2 (dV, Cin independent of x).
  if (ns == 0 || a.kind != model::EventAction::Kind::kBolus) return;
  const int vi = info.volume_state;
  const double v_after = v_before + dv;
  const double* x_after = N_VGetArrayPointer(y);
  auto map = [&](double* s) {
    const double s_v = s[vi];
    for (int i = 0; i < n; ++i) {
      if (i == vi || !info.states[i].diluted) continue;
      const double c_in = dv != 0 ? (x_after[i] * v_after - x_before[i] * v_before) / dv : 0.0;
      s[i] = v_before / v_after * s[i] + dv * (x_before[i] - c_in) / (v_after * v_after) * s_v;
    }
  };
  for (int k = 0; k < ns; ++k) map(N_VGetArrayPointer(yS[k]));
  if (track_f_minus) map(f_minus.data());
}

void Simulator::Impl::BeginStateEvent(int root, double t, std::vector<double>* dtau) {
  // tau(p) is defined by g(x(tau), p, tau) = 0, so
  //   dtau/dp_k = -(g_x . s_k + g_p_k) / (g_x . f(tau-) + g_t).
  dtau->assign(ns, 0.0);
  const int nr = n_model_roots;
  const double* x = N_VGetArrayPointer(y);
  std::vector<double> gx(static_cast<size_t>(nr) * n), gp(static_cast<size_t>(nr) * std::max(np, 1)), gt(nr);
  ComputeInputs(t);
  if (!model->RootGradients(At(t, x), gx.data(), gp.data(), gt.data(), *ws)) {
    result.warnings.push_back("sensitivities across state events omit the event-time correction (the model gives no root gradients)");
    return;
  }
  f_minus.assign(n, 0.0);
  model->Rhs(At(t, x), f_minus.data(), *ws);
  double denom = gt[root];
  for (int j = 0; j < n; ++j) denom += gx[root + j * nr] * f_minus[j];
  if (denom == 0.0) return;  // grazing crossing: the event time is not differentiable
  for (int k = 0; k < ns; ++k) {
    const double* s = N_VGetArrayPointer(yS[k]);
    double num = gp[root + opt.sensitivity_parameters[k] * nr];
    for (int j = 0; j < n; ++j) num += gx[root + j * nr] * s[j];
    (*dtau)[k] = -num / denom;
  }
  track_f_minus = true;
}

void Simulator::Impl::FinishStateEvent(double t, const std::vector<double>& dtau) {
  if (!track_f_minus) return;
  track_f_minus = false;
  // s+ = R_x s- + (R_x f- - f+) dtau/dp  (R_x already applied to s- and f- by the actions).
  std::vector<double> f_plus(n, 0.0);
  ComputeInputs(t);
  model->Rhs(At(t, N_VGetArrayPointer(y)), f_plus.data(), *ws);
  for (int k = 0; k < ns; ++k) {
    double* s = N_VGetArrayPointer(yS[k]);
    for (int i = 0; i < n; ++i) s[i] += (f_minus[i] - f_plus[i]) * dtau[k];
  }
}

bool Simulator::Impl::ApplyEvent(const Event& ev, double t, double* x, std::string* error) {
  ComputeInputs(t);
  if (model->num_action_values() > 0) model->ActionValues(At(t, x), action_values.data(), *ws);
  auto value_of = [&](int expr, double constant) { return expr >= 0 ? action_values[expr] : constant; };
  const std::string when = " at t = " + Num(t) + " " + info.time_unit.text;
  std::string description;
  for (const Action& a : ev.actions) {
    using Kind = model::EventAction::Kind;
    std::string d;
    switch (a.kind) {
      case Kind::kBolus: {
        const int vi = info.volume_state;
        const double dv = value_of(a.value_expr, a.value);
        if (!(dv >= 0)) {
          *error = "event '" + ev.name + "': bolus volume " + Num(dv) + " is negative" + when;
          return false;
        }
        const double v = x[vi];
        std::vector<double> before(x, x + n);
        std::vector<double> c_in(n, 0.0);
        for (auto& [i, e] : a.composition_exprs) c_in[i] = action_values[e];
        for (auto& [i, c] : a.composition) c_in[i] = c;
        for (int i = 0; i < n; ++i) {
          if (i == vi || !info.states[i].diluted) continue;
          x[i] = (x[i] * v + dv * c_in[i]) / (v + dv);
        }
        x[vi] = v + dv;
        ApplySensitivityJump(a, v, dv, before.data());
        d = "bolus " + Num(dv) + " " + info.states[vi].unit.text;
        if (x[vi] > info.volume_max) {
          *error = "vessel overflow" + when + ": event '" + ev.name + "' added " + Num(dv) + " " +
                   info.states[vi].unit.text + " to " + Num(v) + " (maximum " + Num(info.volume_max) + ")";
          return false;
        }
        break;
      }
      case Kind::kWithdraw: {
        const int vi = info.volume_state;
        const double v = x[vi];
        double amount = value_of(a.value_expr, a.value);
        if (a.withdraw_to_volume) amount = v - amount;
        if (!(amount >= 0) || amount >= v - info.volume_min || amount >= v) {
          *error = "event '" + ev.name + "': cannot withdraw " + Num(amount) + " " + info.states[vi].unit.text +
                   " from " + Num(v) + " " + info.states[vi].unit.text + when + " (vessel would be emptied)";
          return false;
        }
        x[vi] = v - amount;  // at broth composition: concentrations are unchanged
        d = "withdraw " + Num(amount) + " " + info.states[vi].unit.text;
        break;
      }
      case Kind::kSetInput:
        u_override[a.target] = true;
        u_override_value[a.target] = value_of(a.value_expr, a.value);
        d = a.target_name + " = " + Num(u_override_value[a.target]) + " " + info.inputs[a.target].unit.text;
        break;
      case Kind::kSetParameter:
        p[a.target] = value_of(a.value_expr, a.value);
        d = a.target_name + " = " + Num(p[a.target]) + " " + info.parameters[a.target].unit.text;
        break;
      case Kind::kSetState:
        x[a.target] = value_of(a.value_expr, a.value);
        for (int k = 0; k < ns; ++k) N_VGetArrayPointer(yS[k])[a.target] = 0.0;
        if (track_f_minus) f_minus[a.target] = 0.0;
        d = a.target_name + " = " + Num(x[a.target]) + " " + info.states[a.target].unit.text;
        break;
      case Kind::kPhase:
        phase = a.target;
        d = "phase " + a.target_name;
        break;
    }
    description += (description.empty() ? "" : "; ") + d;
  }
  result.events.push_back({t, ev.name, description});
  ++result.stats.events;
  return true;
}

}  // namespace biotwin::sim
