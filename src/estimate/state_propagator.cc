// CVODES driver of the state estimators: integration between measurement times with the
// state-transition matrix from initial-value sensitivities.
#include "estimate/state_propagator.h"

#include <cvodes/cvodes.h>
#include <nvector/nvector_serial.h>
#include <sunlinsol/sunlinsol_dense.h>
#include <sunmatrix/sunmatrix_dense.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <stdexcept>

#include "model/format.h"
#include "sim/fast_nvector.h"

namespace biotwin::estimate {

struct StatePropagator::Cvodes {
  SUNContext ctx = nullptr;
  void* mem = nullptr;
  N_Vector y = nullptr, abstol = nullptr;
  N_Vector* yS = nullptr;
  SUNMatrix J = nullptr;
  SUNLinearSolver LS = nullptr;
  int ns = 0;
  bool sens_on = false;

  ~Cvodes() {
    if (yS != nullptr) N_VDestroyVectorArray(yS, ns);
    if (mem != nullptr) CVodeFree(&mem);
    if (LS != nullptr) SUNLinSolFree(LS);
    if (J != nullptr) SUNMatDestroy(J);
    if (y != nullptr) N_VDestroy(y);
    if (abstol != nullptr) N_VDestroy(abstol);
    if (ctx != nullptr) SUNContext_Free(&ctx);
  }

  static int Rhs(sunrealtype t, N_Vector yv, N_Vector ydot, void* user) {
    auto* self = static_cast<StatePropagator*>(user);
    self->ComputeInputs(t);
    double* out = N_VGetArrayPointer(ydot);
    self->model_->Rhs({t, N_VGetArrayPointer(yv), self->u_.data(), self->p_.data(), self->phase_},
                      out, *self->ws_);
    for (int i = 0; i < self->n_; ++i) {
      if (!std::isfinite(out[i])) return 1;
    }
    return 0;
  }

  static int Jac(sunrealtype t, N_Vector yv, N_Vector, SUNMatrix Jm, void* user, N_Vector,
                 N_Vector, N_Vector) {
    auto* self = static_cast<StatePropagator*>(user);
    self->ComputeInputs(t);
    self->model_->Jacobians({t, N_VGetArrayPointer(yv), self->u_.data(), self->p_.data(), self->phase_},
                            SM_DATA_D(Jm), nullptr, *self->ws_);
    return 0;
  }

  // d/dt S = Jx S for S = dx/dx0 (no parameter terms).
  static int Sens(int ns, sunrealtype t, N_Vector yv, N_Vector, N_Vector* ySv, N_Vector* ySdot,
                  void* user, N_Vector, N_Vector) {
    auto* self = static_cast<StatePropagator*>(user);
    const int n = self->n_;
    self->ComputeInputs(t);
    self->model_->Jacobians({t, N_VGetArrayPointer(yv), self->u_.data(), self->p_.data(), self->phase_},
                            self->jx_.data(), nullptr, *self->ws_);
    for (int k = 0; k < ns; ++k) {
      const double* s = N_VGetArrayPointer(ySv[k]);
      double* ds = N_VGetArrayPointer(ySdot[k]);
      for (int i = 0; i < n; ++i) ds[i] = 0.0;
      for (int j = 0; j < n; ++j) {
        if (s[j] == 0.0) continue;
        const double* col = &self->jx_[static_cast<size_t>(j) * n];
        for (int i = 0; i < n; ++i) ds[i] += col[i] * s[j];
      }
    }
    return 0;
  }
};

StatePropagator::StatePropagator(std::shared_ptr<const model::Model> model,
                                 const sim::Scenario& scenario, double rtol)
    : model_(std::move(model)), scenario_(scenario), info_(model_->info()) {
  n_ = model_->num_states();
  m_ = model_->num_inputs();
  ws_ = model_->NewWorkspace();
  p_base_ = info_.ParameterValues();
  for (const auto& [k, v] : scenario_.parameters) p_base_[k] = v;
  p_ = p_base_;
  u_.assign(m_, 0.0);
  u_override_.assign(m_, 0);
  u_override_value_.assign(m_, 0.0);
  live_.assign(m_, model::kNaN);
  jx_.assign(static_cast<size_t>(n_) * n_, 0.0);
  for (const auto& ev : info_.events) {
    throw std::invalid_argument("state estimation does not support model events yet (event '" + ev.name +
                                "' at line " + std::to_string(ev.line) + " of " + info_.file + ")");
  }
  const double horizon = std::isnan(scenario_.t_end) ? model::kInf : scenario_.t_end;
  for (const auto& ev : scenario_.events) {
    if (!ev.timed) throw std::invalid_argument("state estimation supports timed scenario events only (event '" + ev.name + "')");
    for (const auto& a : ev.actions) {
      using Kind = model::EventAction::Kind;
      if (a.kind == Kind::kBolus || a.kind == Kind::kSetState || a.value_expr >= 0) {
        throw std::invalid_argument("state estimation cannot propagate event '" + ev.name +
                                    "' (boluses, state resets and model-expression values are not supported yet)");
      }
    }
    const double until = std::isnan(ev.until) ? horizon : ev.until;
    if (!std::isnan(ev.every) && !std::isfinite(until)) {
      throw std::invalid_argument("event '" + ev.name + "' repeats without an end: give the scenario an end time");
    }
    for (int k = 0;; ++k) {
      const double t = std::isnan(ev.every) ? ev.at : ev.at + k * ev.every;
      if (k > 0 && (std::isnan(ev.every) || t > until + 1e-12)) break;
      if (!std::isfinite(t)) break;
      for (const auto& a : ev.actions) occurrences_.push_back({t, &a});
      if (std::isnan(ev.every)) break;
    }
  }
  std::stable_sort(occurrences_.begin(), occurrences_.end(),
                   [](const Occurrence& a, const Occurrence& b) { return a.t < b.t; });
  for (const auto& [k, prof] : scenario_.inputs) {
    for (double b : prof.Breakpoints()) breakpoints_.push_back(b);
  }
  std::sort(breakpoints_.begin(), breakpoints_.end());
  breakpoints_.erase(std::unique(breakpoints_.begin(), breakpoints_.end()), breakpoints_.end());

  cv_ = std::make_unique<Cvodes>();
  auto& c = *cv_;
  auto check = [](bool ok, const char* what) {
    if (!ok) throw std::runtime_error(std::string("CVODES set-up failed: ") + what);
  };
  check(SUNContext_Create(nullptr, &c.ctx) == 0, "context");
  c.y = N_VNew_Serial(n_, c.ctx);
  c.abstol = N_VNew_Serial(n_, c.ctx);
  sim::UseFastVectorOps(c.y);
  sim::UseFastVectorOps(c.abstol);
  const std::vector<double> x0 = info_.InitialState();
  double* at = N_VGetArrayPointer(c.abstol);
  for (int i = 0; i < n_; ++i) {
    at[i] = std::isnan(info_.states[i].abs_tol) ? scenario_.atol * std::max(1.0, std::fabs(x0[i]))
                                                : info_.states[i].abs_tol;
    N_VGetArrayPointer(c.y)[i] = x0[i];
  }
  c.mem = CVodeCreate(CV_BDF, c.ctx);
  check(c.mem != nullptr, "create");
  check(CVodeInit(c.mem, &Cvodes::Rhs, 0.0, c.y) == CV_SUCCESS, "init");
  check(CVodeSVtolerances(c.mem, rtol, c.abstol) == CV_SUCCESS, "tolerances");
  check(CVodeSetUserData(c.mem, this) == CV_SUCCESS, "user data");
  c.J = SUNDenseMatrix(n_, n_, c.ctx);
  c.LS = SUNLinSol_Dense(c.y, c.J, c.ctx);
  check(CVodeSetLinearSolver(c.mem, c.LS, c.J) == CV_SUCCESS, "linear solver");
  check(CVodeSetJacFn(c.mem, &Cvodes::Jac) == CV_SUCCESS, "Jacobian");
  CVodeSetMaxNumSteps(c.mem, scenario_.max_steps);
  CVodeSetErrHandlerFn(c.mem, [](int, const char*, const char*, char*, void*) {}, nullptr);
  c.ns = n_;
  c.yS = N_VCloneVectorArray(n_, c.y);
  for (int k = 0; k < n_; ++k) {
    N_VConst(0.0, c.yS[k]);
    N_VGetArrayPointer(c.yS[k])[k] = 1.0;
  }
  check(CVodeSensInit(c.mem, n_, CV_STAGGERED, &Cvodes::Sens, c.yS) == CV_SUCCESS, "sensitivities");
  check(CVodeSensEEtolerances(c.mem) == CV_SUCCESS, "sensitivity tolerances");
  // Sensitivities ride on the state's steps: with error control on them the unit-scale entries of
  // Phi under the states' absolute tolerances force ten times more steps for no gain in the filter.
  CVodeSetSensErrCon(c.mem, SUNFALSE);
  CVodeSensToggleOff(c.mem);
}

StatePropagator::~StatePropagator() = default;

void StatePropagator::SetTime(double t) {
  p_ = p_base_;
  std::fill(u_override_.begin(), u_override_.end(), 0);
  phase_ = 0;
  for (const auto& occ : occurrences_) {
    if (occ.t > t) break;
    const auto& a = *occ.action;
    using Kind = model::EventAction::Kind;
    if (a.kind == Kind::kSetInput) {
      u_override_[a.target] = 1;
      u_override_value_[a.target] = a.value;
    } else if (a.kind == Kind::kSetParameter) {
      p_[a.target] = a.value;
    } else if (a.kind == Kind::kPhase) {
      phase_ = a.target;
    }
  }
}

void StatePropagator::ComputeInputs(double t) {
  for (int i = 0; i < m_; ++i) {
    double v;
    if (!std::isnan(live_[i])) {
      v = live_[i];
    } else if (u_override_[i]) {
      v = u_override_value_[i];
    } else {
      auto it = scenario_.inputs.find(i);
      v = it == scenario_.inputs.end() ? info_.inputs[i].default_value : it->second.Value(t, piece_time_);
    }
    u_[i] = std::clamp(v, info_.inputs[i].lower, info_.inputs[i].upper);
  }
}

void StatePropagator::Outputs(double t, const double* x, double* y) {
  SetTime(t);
  piece_time_ = t;
  ComputeInputs(t);
  model_->Outputs({t, x, u_.data(), p_.data(), phase_}, y, *ws_);
}

bool StatePropagator::ApplyEvent(const sim::Action& a, double* x, double* phi) {
  using Kind = model::EventAction::Kind;
  if (a.kind != Kind::kWithdraw) return true;  // set-points, parameters, phases: SetTime
  const int vi = info_.volume_state;
  const double v = x[vi];
  const double amount = a.withdraw_to_volume ? v - a.value : a.value;
  if (!(amount >= 0) || amount >= v) {
    error_ = "withdrawal '" + a.target_name + "' of " + model::FormatNumber(amount) + " " +
             info_.states[vi].unit.text + " from " + model::FormatNumber(v) + " empties the vessel";
    return false;
  }
  x[vi] = v - amount;
  if (phi != nullptr && a.withdraw_to_volume) {
    for (int j = 0; j < n_; ++j) phi[vi + j * n_] = 0.0;
  }
  return true;
}

bool StatePropagator::Propagate(double t0, double t1, double* x, double* phi) {
  ++count_;
  auto& c = *cv_;
  if (phi != nullptr) {
    for (int j = 0; j < n_; ++j) {
      for (int i = 0; i < n_; ++i) phi[i + j * n_] = i == j ? 1.0 : 0.0;
    }
  }
  if (!(t1 >= t0)) {
    error_ = "cannot propagate backwards from " + model::FormatNumber(t0) + " to " + model::FormatNumber(t1);
    return false;
  }
  SetTime(t0);
  auto occ = std::upper_bound(occurrences_.begin(), occurrences_.end(), t0,
                              [](double t, const Occurrence& o) { return t < o.t; });
  double t = t0;
  while (true) {
    // Next stop: an input breakpoint, an event time or t1.
    double stop = t1;
    auto bp = std::upper_bound(breakpoints_.begin(), breakpoints_.end(), t);
    if (bp != breakpoints_.end() && *bp < stop) stop = *bp;
    if (occ != occurrences_.end() && occ->t < stop) stop = occ->t;
    if (stop > t) {
      piece_time_ = t;
      double* y = N_VGetArrayPointer(c.y);
      for (int i = 0; i < n_; ++i) y[i] = x[i];
      if (CVodeReInit(c.mem, t, c.y) != CV_SUCCESS) {
        error_ = "CVODES re-initialisation failed at t = " + model::FormatNumber(t);
        return false;
      }
      if (phi != nullptr) {
        for (int k = 0; k < n_; ++k) {
          double* s = N_VGetArrayPointer(c.yS[k]);
          for (int i = 0; i < n_; ++i) s[i] = phi[i + k * n_];
        }
        CVodeSensReInit(c.mem, CV_STAGGERED, c.yS);
      } else {
        CVodeSensToggleOff(c.mem);
      }
      CVodeSetStopTime(c.mem, stop);
      double tret = t;
      while (tret < stop) {
        const int flag = CVode(c.mem, stop, c.y, &tret, CV_NORMAL);
        if (flag < 0) {
          char* name = CVodeGetReturnFlagName(flag);  // malloc'ed by SUNDIALS
          error_ = "integration failed at t = " + model::FormatNumber(tret) + " " + info_.time_unit.text +
                   " (" + name + ")";
          std::free(name);
          return false;
        }
      }
      long nst = 0;
      CVodeGetNumSteps(c.mem, &nst);
      steps_ += nst;
      for (int i = 0; i < n_; ++i) x[i] = y[i];
      if (phi != nullptr) {
        CVodeGetSens(c.mem, &tret, c.yS);
        for (int k = 0; k < n_; ++k) {
          const double* s = N_VGetArrayPointer(c.yS[k]);
          for (int i = 0; i < n_; ++i) phi[i + k * n_] = s[i];
        }
      }
      t = stop;
    }
    while (occ != occurrences_.end() && occ->t <= t) {
      if (!ApplyEvent(*occ->action, x, phi)) return false;
      ++occ;
    }
    SetTime(t);
    if (t >= t1) break;
  }
  return true;
}

}  // namespace biotwin::estimate
