// Discrete changes: bolus additions (mixing), withdrawals (sampling, harvest), set-point and
// parameter changes, state resets and phase changes, with the matching jumps of the forward
// sensitivities for the mixing map.
#include <cstdio>
#include <map>

#include "sim/simulator_impl.h"
#include "model/format.h"

namespace biotwin::sim {
namespace {

}  // namespace

std::vector<double> Simulator::Impl::ActionSensitivity(int value_expr, double t, const double* x) {
  std::vector<double> dv(ns, 0.0);
  if (ns == 0 || value_expr < 0) return dv;
  std::vector<double> dx(n, 0.0), dp(std::max(np, 1), 0.0);
  ComputeInputs(t);
  if (!model->ActionGradient(At(t, x), value_expr, dx.data(), dp.data(), *ws)) return dv;
  for (int k = 0; k < ns; ++k) {
    const double* sk = N_VGetArrayPointer(yS[k]);
    double acc = 0.0;
    for (int j = 0; j < n; ++j) acc += dx[j] * sk[j];
    for (int q = 0; q < np; ++q) acc += dp[q] * peff[q][k];
    dv[k] = acc;
  }
  return dv;
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
    double num = 0.0;
    for (int q = 0; q < np; ++q) num += gp[root + q * nr] * peff[q][k];
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
  sens_key_valid = false;  // the event may change Peff/Ueff, which SensFn's forcing depends on
  ComputeInputs(t);
  if (model->num_action_values() > 0) model->ActionValues(At(t, x), action_values.data(), *ws);
  auto value_of = [&](int expr, double constant) { return expr >= 0 ? action_values[expr] : constant; };
  // Action values and their sensitivities are both taken at the state before the event.
  std::map<int, std::vector<double>> pre_sens;
  if (ns > 0) {
    for (const Action& a : ev.actions) {
      if (a.value_expr >= 0) pre_sens[a.value_expr] = ActionSensitivity(a.value_expr, t, x);
      for (auto& [i, e] : a.composition_exprs) pre_sens[e] = ActionSensitivity(e, t, x);
    }
  }
  auto action_sens = [&](int expr) {
    auto it = pre_sens.find(expr);
    return it == pre_sens.end() ? std::vector<double>(ns, 0.0) : it->second;
  };
  const std::string when = " at t = " + model::FormatNumber(t) + " " + info.time_unit.text;
  std::string description;
  for (const Action& a : ev.actions) {
    using Kind = model::EventAction::Kind;
    std::string d;
    switch (a.kind) {
      case Kind::kBolus: {
        const int vi = info.volume_state;
        const double dv = value_of(a.value_expr, a.value);
        if (!(dv >= 0)) {
          *error = "event '" + ev.name + "': bolus volume " + model::FormatNumber(dv) + " is negative" + when;
          return false;
        }
        const double v = x[vi], vp = v + dv;
        std::vector<double> c_in(n, 0.0);
        std::vector<int> c_in_expr(n, -1);
        for (auto& [i, e] : a.composition_exprs) { c_in[i] = action_values[e]; c_in_expr[i] = e; }
        for (auto& [i, c] : a.composition) c_in[i] = c;
        // Sensitivities of the mixing map C+ = (C V + dV Cin)/(V + dV), V+ = V + dV:
        // dC+ = V/(V+dV) dC + dV (C - Cin)/(V+dV)^2 dV_state + V (Cin - C)/(V+dV)^2 d(dV)
        //       + dV/(V+dV) dCin. The RHS before a state event maps by the state part only.
        if (ns > 0) {
          std::vector<double> ddv = action_sens(a.value_expr);
          std::vector<std::vector<double>> dcin(n);
          for (int i = 0; i < n; ++i) {
            if (c_in_expr[i] >= 0) dcin[i] = action_sens(c_in_expr[i]);
          }
          for (int k = 0; k < ns; ++k) {
            double* sk = N_VGetArrayPointer(yS[k]);
            const double s_v = sk[vi];
            for (int i = 0; i < n; ++i) {
              if (i == vi || !info.states[i].diluted) continue;
              double d = v / vp * sk[i] + dv * (x[i] - c_in[i]) / (vp * vp) * s_v +
                         v * (c_in[i] - x[i]) / (vp * vp) * ddv[k];
              if (!dcin[i].empty()) d += dv / vp * dcin[i][k];
              sk[i] = d;
            }
            sk[vi] = s_v + ddv[k];
          }
          if (track_f_minus) {
            const double f_v = f_minus[vi];
            for (int i = 0; i < n; ++i) {
              if (i == vi || !info.states[i].diluted) continue;
              f_minus[i] = v / vp * f_minus[i] + dv * (x[i] - c_in[i]) / (vp * vp) * f_v;
            }
          }
        }
        for (int i = 0; i < n; ++i) {
          if (i == vi || !info.states[i].diluted) continue;
          x[i] = (x[i] * v + dv * c_in[i]) / vp;
        }
        x[vi] = vp;
        d = "bolus " + model::FormatNumber(dv) + " " + info.states[vi].unit.text;
        if (x[vi] > info.volume_max) {
          *error = "vessel overflow" + when + ": event '" + ev.name + "' added " + model::FormatNumber(dv) + " " +
                   info.states[vi].unit.text + " to " + model::FormatNumber(v) + " (maximum " + model::FormatNumber(info.volume_max) + ")";
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
          *error = "event '" + ev.name + "': cannot withdraw " + model::FormatNumber(amount) + " " + info.states[vi].unit.text +
                   " from " + model::FormatNumber(v) + " " + info.states[vi].unit.text + when + " (vessel would be emptied)";
          return false;
        }
        if (ns > 0) {
          std::vector<double> dval = action_sens(a.value_expr);
          for (int k = 0; k < ns; ++k) {
            double* sk = N_VGetArrayPointer(yS[k]);
            sk[vi] = a.withdraw_to_volume ? dval[k] : sk[vi] - dval[k];
          }
          if (track_f_minus && a.withdraw_to_volume) f_minus[vi] = 0.0;
        }
        x[vi] = v - amount;  // at broth composition: concentrations are unchanged
        d = "withdraw " + model::FormatNumber(amount) + " " + info.states[vi].unit.text;
        break;
      }
      case Kind::kSetInput: {
        u_override[a.target] = true;
        u_override_value[a.target] = value_of(a.value_expr, a.value);
        InvalidateInputs();
        std::vector<double> dval = action_sens(a.value_expr);
        for (int k = 0; k < ns; ++k) {
          ueff[a.target][k] = dval[k];
          if (dval[k] != 0.0) u_sens_active = true;
        }
        d = a.target_name + " = " + model::FormatNumber(u_override_value[a.target]) + " " + info.inputs[a.target].unit.text;
        break;
      }
      case Kind::kSetParameter: {
        std::vector<double> dval = action_sens(a.value_expr);
        for (int k = 0; k < ns; ++k) peff[a.target][k] = dval[k];
        p[a.target] = value_of(a.value_expr, a.value);
        d = a.target_name + " = " + model::FormatNumber(p[a.target]) + " " + info.parameters[a.target].unit.text;
        break;
      }
      case Kind::kSetState: {
        std::vector<double> dval = action_sens(a.value_expr);
        x[a.target] = value_of(a.value_expr, a.value);
        for (int k = 0; k < ns; ++k) N_VGetArrayPointer(yS[k])[a.target] = dval[k];
        if (track_f_minus) f_minus[a.target] = 0.0;
        d = a.target_name + " = " + model::FormatNumber(x[a.target]) + " " + info.states[a.target].unit.text;
        break;
      }
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
