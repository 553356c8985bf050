// Internal to src/sim: the simulator's state and SUNDIALS callbacks (simulator.cc), its main
// loop (simulator_run.cc) and its discrete event handling (simulator_events.cc).
#ifndef BIOTWIN_SIM_SIMULATOR_IMPL_H_
#define BIOTWIN_SIM_SIMULATOR_IMPL_H_

#include <cvodes/cvodes.h>
#include <nvector/nvector_serial.h>
#include <sunlinsol/sunlinsol_dense.h>
#include <sunmatrix/sunmatrix_dense.h>

#include <algorithm>
#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include "sim/rosenbrock.h"
#include "sim/simulator.h"

namespace biotwin::sim {

// Two times are the same instant when they differ by at most 1e-12 of the second (at least 1).
inline bool Near(double a, double b) { return std::fabs(a - b) <= 1e-12 * std::max(1.0, std::fabs(b)); }

struct Simulator::Impl {
  std::shared_ptr<const model::Model> model;
  Scenario sc;
  SimOptions opt;
  const model::ModelInfo& info;
  std::unique_ptr<model::ModelWorkspace> ws;
  int n = 0, m = 0, np = 0, n_model_roots = 0, n_roots = 0, ns = 0;
  std::vector<double> p, u, action_values;
  std::vector<bool> u_override;
  std::vector<double> u_override_value;
  // Per input: its scenario profile (nullptr: default value); the inputs whose profile varies
  // within a piece; whether u holds the values for the piece starting at inputs_piece.
  std::vector<const InputProfile*> profile_of;
  std::vector<size_t> profile_cursor;  // per input: the profile piece found last
  std::vector<int> time_varying_inputs;
  bool inputs_valid = false;
  double inputs_piece = 0.0;
  int phase = 0;
  double piece_time = 0.0;
  std::vector<Event> events;
  std::vector<double> next_time;  // timed events: next occurrence (inf when done)
  std::vector<bool> armed;        // state events
  std::vector<bool> negative_reported;  // per state: warned about a negative value
  // Sensitivities across a state event: the RHS just before it, mapped by the event's jumps.
  std::vector<double> f_minus;
  bool track_f_minus = false;
  std::vector<double> breakpoints;  // sorted, unique

  // The next discontinuity after t, at most `limit`: a timed event or an input breakpoint that is
  // not (numerically) t itself. Breakpoints by binary search: a replayed batch has one per
  // sample in each disturbance profile.
  double NextStop(double t, double limit) const {
    double t_stop = limit;
    for (size_t k = 0; k < events.size(); ++k) {
      if (next_time[k] > t && !Near(next_time[k], t)) t_stop = std::min(t_stop, next_time[k]);
    }
    auto it = std::upper_bound(breakpoints.begin(), breakpoints.end(), t);
    while (it != breakpoints.end() && Near(*it, t)) ++it;
    return it == breakpoints.end() ? t_stop : std::min(t_stop, *it);
  }
  // The breakpoint (numerically) at t, or nullptr.
  const double* BreakpointAt(double t) const {
    const double tol = 1e-12 * std::max(1.0, std::fabs(t));
    auto it = std::lower_bound(breakpoints.begin(), breakpoints.end(), t - 2 * tol);
    for (; it != breakpoints.end() && *it <= t + 2 * tol; ++it) {
      if (Near(*it, t)) return &*it;
    }
    return nullptr;
  }
  int vmax_root = -1, vmin_root = -1;
  // SUNDIALS objects.
  SUNContext ctx = nullptr;
  void* cvode = nullptr;
  N_Vector y = nullptr, abstol = nullptr;
  N_Vector* yS = nullptr;
  SUNMatrix J = nullptr;
  SUNLinearSolver LS = nullptr;
  std::vector<double> jx, jp, ju;
  // The point (t, phase, u_sens_active, x, u, p) at which jx, jp, ju were last evaluated.
  std::vector<double> sens_key;
  std::vector<double> sens_forcing;  // the forcing terms b_k of SensFn at that point (n x ns)
  bool sens_key_valid = false;
  // Forward-sensitivity corrector: staggered (the states converge first, then the linear
  // sensitivity system is solved at the converged state) or simultaneous.
  int sens_method = CV_STAGGERED;
  // Sensitivities of the effective parameters and overridden inputs to the requested
  // parameters (identity / zero until an event overwrites them): peff[q][k], ueff[l][k].
  std::vector<std::vector<double>> peff, ueff;
  bool u_sens_active = false;
  std::string last_error;
  SimResult result;
  long input_clips = 0;
  // Stepping API state (simulator_step.cc).
  double t_now = 0.0;
  bool reinit_needed = false, step_failed = false;
  std::vector<int> roots_found;
  // Jacobian reuse across stepping-API restarts: the last evaluated Jacobian (column major), and
  // whether the next request may be served from it.
  bool cache_jac = false, reuse_jac_next = false;
  std::vector<double> jac_cache;
  long jac_reused = 0, jac_cache_step = 0;  // cumulative step count when the cache was filled
  static constexpr long kJacMaxAgeSteps = 50;  // CVODES' own default Jacobian age limit
  // A Rosenbrock method instead of CVODES (solver.method rodas3/rodas4/ros34pw2, no sensitivities;
  // simulator_integrate.cc): the integrator, the model as it sees it, the root directions, root
  // values at the start and end of a step and in the search, and its counters already added to
  // result.stats.
  struct RosenbrockAdapter;
  std::unique_ptr<Rosenbrock> ros;
  std::unique_ptr<RosenbrockSystem> ros_system;
  bool rhs_uses_time = true;
  std::vector<int> root_dirs;
  std::vector<double> g_start, g_end, g_mid, x_mid;
  RosenbrockStats ros_counted;

  Impl(std::shared_ptr<const model::Model> mdl, Scenario s, SimOptions o)
      : model(std::move(mdl)), sc(std::move(s)), opt(std::move(o)), info(model->info()) {}

  ~Impl() {
    if (yS != nullptr) N_VDestroyVectorArray(yS, ns);
    if (cvode != nullptr) CVodeFree(&cvode);
    if (LS != nullptr) SUNLinSolFree(LS);
    if (J != nullptr) SUNMatDestroy(J);
    if (y != nullptr) N_VDestroy(y);
    if (abstol != nullptr) N_VDestroy(abstol);
    if (ctx != nullptr) SUNContext_Free(&ctx);
  }

  // Input values at t: held values, scenario profiles or defaults, within the inputs' limits.
  // Everything except linear and exponential profiles is constant over a piece (the simulator
  // integrates one piece at a time), so those are evaluated once per piece and only the
  // time-varying ones at every call. A new piece_time is noticed here; InvalidateInputs() after a
  // held value changes.
  void ComputeInputs(double t) {
    const bool whole = !inputs_valid || piece_time != inputs_piece;
    if (whole) {
      for (int i = 0; i < m; ++i) ComputeInput(i, t);
      inputs_valid = true;
      inputs_piece = piece_time;
      return;
    }
    for (int i : time_varying_inputs) {
      if (!u_override[i]) ComputeInput(i, t);
    }
  }

  void ComputeInput(int i, double t) {
    double v;
    if (u_override[i]) {
      v = u_override_value[i];
    } else {
      v = profile_of[i] == nullptr ? info.inputs[i].default_value
                                   : profile_of[i]->Value(t, piece_time, &profile_cursor[i]);
    }
    const auto& in = info.inputs[i];
    if (v < in.lower || v > in.upper) {
      v = std::clamp(v, in.lower, in.upper);
      ++input_clips;
    }
    u[i] = v;
  }

  void InvalidateInputs() { inputs_valid = false; }

  model::EvalPoint At(double t, const double* x) const {
    return model::EvalPoint{t, x, u.data(), p.data(), phase};
  }

  static int RhsFn(sunrealtype t, N_Vector yv, N_Vector ydot, void* user) {
    auto* self = static_cast<Impl*>(user);
    self->ComputeInputs(t);
    double* out = N_VGetArrayPointer(ydot);
    self->model->Rhs(self->At(t, N_VGetArrayPointer(yv)), out, *self->ws);
    for (int i = 0; i < self->n; ++i) {
      if (!std::isfinite(out[i])) return 1;  // recoverable: CVODES retries with a smaller step
    }
    return 0;
  }

  static int JacFn(sunrealtype t, N_Vector yv, N_Vector, SUNMatrix Jm, void* user, N_Vector,
                   N_Vector, N_Vector) {
    auto* self = static_cast<Impl*>(user);
    double* jm = SM_DATA_D(Jm);
    const size_t nn = static_cast<size_t>(self->n) * self->n;
    long nst = 0;
    CVodeGetNumSteps(self->cvode, &nst);
    const long steps_now = self->result.stats.steps + nst;
    if (self->reuse_jac_next && self->jac_cache.size() == nn && steps_now - self->jac_cache_step < kJacMaxAgeSteps) {
      // First Newton matrix after a restart at a continuous state (stepping API): the last
      // Jacobian is still a good one if it is as recent as CVODES itself would keep one. CVODES
      // asks again if Newton then fails to converge.
      self->reuse_jac_next = false;
      std::copy(self->jac_cache.begin(), self->jac_cache.end(), jm);
      ++self->jac_reused;
      return 0;
    }
    self->reuse_jac_next = false;
    self->ComputeInputs(t);
    // SUNDenseMatrix storage is column-major with leading dimension n, as Model::Jacobians.
    self->model->Jacobians(self->At(t, N_VGetArrayPointer(yv)), jm, nullptr, *self->ws);
    if (self->cache_jac) {
      self->jac_cache.assign(jm, jm + nn);
      self->jac_cache_step = steps_now;
    }
    return 0;
  }

  // Whether jx, jp (and ju when inputs carry sensitivities) already hold the Jacobians at
  // (t, x) with the current inputs, parameters and phase; records the point when they do not.
  // The staggered corrector calls SensFn about twice per step at the same converged state, and
  // each Jacobian costs a forward and n reverse tape sweeps. Call after ComputeInputs(t).
  bool SensJacobiansCurrent(double t, const double* x) {
    const size_t len = static_cast<size_t>(n) + m + np + 3;
    if (sens_key.size() != len) {
      sens_key.assign(len, 0.0);
      sens_key_valid = false;
    }
    double* key = sens_key.data();
    bool same = sens_key_valid && key[0] == t && key[1] == phase && key[2] == (u_sens_active ? 1.0 : 0.0);
    key[0] = t;
    key[1] = phase;
    key[2] = u_sens_active ? 1.0 : 0.0;
    double* rest = key + 3;
    for (int i = 0; i < n; ++i, ++rest) { same = same && *rest == x[i]; *rest = x[i]; }
    for (int i = 0; i < m; ++i, ++rest) { same = same && *rest == u[i]; *rest = u[i]; }
    for (int i = 0; i < np; ++i, ++rest) { same = same && *rest == p[i]; *rest = p[i]; }
    sens_key_valid = true;
    return same;
  }

  // ds_k/dt = Jx s_k + b_k with the forcing b_k = sum_q Jp[:, q] Peff[q][k] + sum_l Ju[:, l]
  // Ueff[l][k]: parameters and inputs that events overwrote carry their own sensitivities (Peff,
  // Ueff). One Jacobian evaluation (and one forcing matrix) serves all ns directions, and repeated
  // calls at the same point reuse both.
  static int SensFn(int ns, sunrealtype t, N_Vector yv, N_Vector, N_Vector* ySv, N_Vector* ySdot,
                    void* user, N_Vector, N_Vector) {
    auto* self = static_cast<Impl*>(user);
    const int n = self->n;
    self->ComputeInputs(t);
    const double* x = N_VGetArrayPointer(yv);
    double* forcing = self->sens_forcing.data();  // n x ns, column major
    if (!self->SensJacobiansCurrent(t, x)) {
      const model::EvalPoint at = self->At(t, x);
      self->model->Jacobians(at, self->jx.data(), self->jp.data(), *self->ws);
      if (self->u_sens_active) self->model->InputJacobian(at, self->ju.data(), *self->ws);
      std::fill_n(forcing, static_cast<size_t>(n) * ns, 0.0);
      for (int q = 0; q < self->np; ++q) {
        const double* col = &self->jp[static_cast<size_t>(q) * n];
        for (int k = 0; k < ns; ++k) {
          const double w = self->peff[q][k];
          if (w == 0.0) continue;
          double* b = forcing + static_cast<size_t>(k) * n;
          for (int i = 0; i < n; ++i) b[i] += col[i] * w;
        }
      }
      if (self->u_sens_active) {
        for (int l = 0; l < self->m; ++l) {
          const double* col = &self->ju[static_cast<size_t>(l) * n];
          for (int k = 0; k < ns; ++k) {
            const double w = self->ueff[l][k];
            if (w == 0.0) continue;
            double* b = forcing + static_cast<size_t>(k) * n;
            for (int i = 0; i < n; ++i) b[i] += col[i] * w;
          }
        }
      }
    }
    const double* jx = self->jx.data();
    for (int k = 0; k < ns; ++k) {
      const double* s = N_VGetArrayPointer(ySv[k]);
      double* ds = N_VGetArrayPointer(ySdot[k]);
      std::copy_n(forcing + static_cast<size_t>(k) * n, n, ds);
      for (int j = 0; j < n; ++j) {
        const double sj = s[j];
        if (sj == 0.0) continue;
        const double* col = jx + static_cast<size_t>(j) * n;
        for (int i = 0; i < n; ++i) ds[i] += col[i] * sj;
      }
    }
    return 0;
  }

  static int RootFn(sunrealtype t, N_Vector yv, sunrealtype* g, void* user) {
    static_cast<Impl*>(user)->EvalRoots(t, N_VGetArrayPointer(yv), g);
    return 0;
  }

  static void ErrFn(int code, const char* module, const char* function, char* msg, void* user) {
    auto* self = static_cast<Impl*>(user);
    self->last_error = std::string(function) + ": " + msg;
  }

  SimResult Run();
  bool Setup(std::string* error);
  void SetupRosenbrock();
  // Integrates towards t_target, never past t_stop (a discontinuity): CV_SUCCESS or
  // CV_TSTOP_RETURN at the target, CV_ROOT_RETURN at a root (roots_found set by HandleRoots),
  // or a negative CVODES flag; *tret is the time reached.
  int Integrate(double t_target, double t_stop, double* tret);
  int IntegrateRosenbrock(double t_target, double* tret);
  // Root functions at (t, x): the model's, then the vessel limits.
  void EvalRoots(double t, const double* x, double* g);
  // Whether root r changed sign between values g0 and g1 in its direction.
  bool RootCrossed(int r, double g0, double g1) const;
  // Applies the actions of `ev` at time t to the state vector; false with a message on failure.
  bool ApplyEvent(const Event& ev, double t, double* x, std::string* error);
  // d(action value)/d(requested parameters), through the states and effective parameters.
  std::vector<double> ActionSensitivity(int value_expr, double t, const double* x);
  // Event-time correction of the sensitivities for a state event on root `root` at time t:
  // BeginStateEvent before the actions, FinishStateEvent after them.
  void BeginStateEvent(int root, double t, std::vector<double>* dtau);
  void FinishStateEvent(double t, const std::vector<double>& dtau);
  void Record(double t);
  void AccumulateStats();
  // Adds the integrator's counters since the last (re-)initialisation to `s`.
  void AddCounters(SolverStats* s) const;
  // Fires the timed events due at `now`; *changed is set when one fired.
  bool FireTimed(double now, bool* changed, std::string* error);
  // Handles a root return at t (vessel limits, state events); *changed when an event fired.
  bool HandleRoots(double t, bool* changed, std::string* error);
  bool Reinit(double t, std::string* error);
  std::string DescribeFailure(int flag, double t);
};


}  // namespace biotwin::sim

#endif  // BIOTWIN_SIM_SIMULATOR_IMPL_H_
