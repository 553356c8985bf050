// The simulator's main loop: set-up of CVODES, integration between discontinuities, output,
// event dispatch and failure diagnosis.
#include <chrono>
#include <cstdio>
#include <iterator>
#include <limits>

#include "sim/fast_nvector.h"
#include "sim/simulator_impl.h"
#include "sim/small_dense_solver.h"
#include "model/format.h"

namespace biotwin::sim {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

}  // namespace

bool Simulator::Impl::Setup(std::string* error) {
  n = model->num_states();
  m = model->num_inputs();
  np = model->num_parameters();
  ws = model->NewWorkspace();
  p = info.ParameterValues();
  for (auto& [k, v] : sc.parameters) p[k] = v;
  u.assign(m, 0.0);
  u_override.assign(m, false);
  negative_reported.assign(n, false);
  u_override_value.assign(m, 0.0);
  profile_of.assign(m, nullptr);
  profile_cursor.assign(m, 0);
  time_varying_inputs.clear();
  for (const auto& [k, prof] : sc.inputs) {
    profile_of[k] = &prof;
    if (prof.kind() == InputProfile::Kind::kPiecewiseLinear || prof.kind() == InputProfile::Kind::kExponential) {
      time_varying_inputs.push_back(k);
    }
  }
  InvalidateInputs();
  action_values.assign(model->num_action_values(), 0.0);
  jx.assign(static_cast<size_t>(n) * n, 0.0);
  jp.assign(static_cast<size_t>(n) * std::max(np, 1), 0.0);
  if (!(sc.t_end > sc.t_begin)) {
    *error = "the end time (" + model::FormatNumber(sc.t_end) + " " + info.time_unit.text +
             ") must be after the start time (" + model::FormatNumber(sc.t_begin) + ")";
    return false;
  }
  // Output grid.
  for (size_t i = 0; i < sc.output_times.size(); ++i) {
    const double to = sc.output_times[i];
    if ((i > 0 && !(to > sc.output_times[i - 1])) || to < sc.t_begin - 1e-12 || to > sc.t_end + 1e-12) {
      *error = "output times must increase strictly and lie within " + model::FormatNumber(sc.t_begin) + " to " +
               model::FormatNumber(sc.t_end) + " " + info.time_unit.text + " (entry " + std::to_string(i + 1) + " is " + model::FormatNumber(to) + ")";
      return false;
    }
  }
  if (sc.output_times.empty()) {
    double dt = std::isnan(sc.output_interval) ? (sc.t_end - sc.t_begin) / 200.0 : sc.output_interval;
    if (!(dt > 0)) {
      *error = "the output interval must be positive";
      return false;
    }
    long count = static_cast<long>(std::floor((sc.t_end - sc.t_begin) / dt + 1e-9));
    for (long i = 0; i <= count; ++i) sc.output_times.push_back(sc.t_begin + i * dt);
    if (!Near(sc.output_times.back(), sc.t_end)) sc.output_times.push_back(sc.t_end);
  }
  // Events: model events first, then the scenario's recipe events.
  events = ModelEvents(info);
  for (const auto& e : sc.events) events.push_back(e);
  for (const auto& e : events) {
    double first = e.timed ? e.at : kInf;
    if (e.timed && first < sc.t_begin && !Near(first, sc.t_begin)) {
      // Occurrences before the start are history: the first one due is the next on the grid.
      first = std::isnan(e.every) ? kInf : e.at + std::ceil((sc.t_begin - e.at) / e.every - 1e-9) * e.every;
    }
    if (e.timed && !std::isnan(e.until) && first > e.until + 1e-12) first = kInf;
    next_time.push_back(first);
    armed.push_back(true);
  }
  // Breakpoints of input profiles: each profile's are sorted, and drawn or replayed batches have
  // several tables on the same sample grid, so merging them costs less than sorting them all.
  std::vector<double> merged;
  for (auto& [k, prof] : sc.inputs) {
    std::vector<double> own = prof.Breakpoints();
    own.erase(std::remove_if(own.begin(), own.end(), [&](double b) { return !(b > sc.t_begin && b < sc.t_end); }),
              own.end());
    if (!std::is_sorted(own.begin(), own.end())) std::sort(own.begin(), own.end());
    merged.clear();
    std::set_union(breakpoints.begin(), breakpoints.end(), own.begin(), own.end(), std::back_inserter(merged));
    breakpoints.swap(merged);
  }
  breakpoints.erase(std::unique(breakpoints.begin(), breakpoints.end()), breakpoints.end());
  n_model_roots = model->num_roots();
  n_roots = n_model_roots;
  if (info.volume_state >= 0) {
    if (std::isfinite(info.volume_max)) vmax_root = n_roots++;
    vmin_root = n_roots++;
  }
  // Initial state.
  if (SUNContext_Create(nullptr, &ctx) != 0) {
    *error = "cannot create the SUNDIALS context";
    return false;
  }
  y = N_VNew_Serial(n, ctx);
  // Fused vector kernels: fewer passes and calls per step, which dominate for small models.
  N_VEnableFusedOps_Serial(y, SUNTRUE);
  UseFastVectorOps(y);  // Debian's SUNDIALS kernels are unoptimised (fast_nvector.h)
  abstol = N_VNew_Serial(n, ctx);
  UseFastVectorOps(abstol);
  double* x = N_VGetArrayPointer(y);
  std::vector<double> x0 = info.InitialState();
  for (auto& [k, v] : sc.initial) x0[k] = v;
  for (int i = 0; i < n; ++i) {
    x[i] = x0[i];
    const auto& st = info.states[i];
    N_VGetArrayPointer(abstol)[i] =
        std::isnan(st.abs_tol) ? sc.atol * std::max(1.0, std::fabs(x0[i])) : st.abs_tol;
  }
  if (info.volume_state >= 0) {
    const auto& vs = info.states[info.volume_state];
    const double v0 = x[info.volume_state];
    if (!(v0 > 0) || v0 < info.volume_min || v0 > info.volume_max) {
      *error = "the initial volume " + vs.name + " = " + model::FormatNumber(v0) + " " + vs.unit.text +
               " must be positive and within the vessel limits [" + model::FormatNumber(info.volume_min) + ", " +
               model::FormatNumber(info.volume_max) + "] " + vs.unit.text;
      return false;
    }
  }
  cvode = CVodeCreate(CV_BDF, ctx);
  CVodeSetErrHandlerFn(cvode, &Impl::ErrFn, this);
  CVodeInit(cvode, &Impl::RhsFn, sc.t_begin, y);
  CVodeSVtolerances(cvode, sc.rtol, abstol);
  CVodeSetUserData(cvode, this);
  J = NewSmallDenseMatrix(n, ctx);
  LS = NewSmallDenseSolver(n, ctx);  // Eigen LU: several times faster than SUNDIALS' dense LU
  CVodeSetLinearSolver(cvode, LS, J);
  CVodeSetJacFn(cvode, &Impl::JacFn);
  CVodeSetMaxNumSteps(cvode, sc.max_steps);
  if (n_roots > 0) {
    CVodeRootInit(cvode, n_roots, &Impl::RootFn);
    std::vector<int> dirs(n_roots, 0);
    for (const auto& e : events) {
      if (!e.timed && e.root >= 0) dirs[e.root] = e.direction;
    }
    if (vmax_root >= 0) dirs[vmax_root] = 1;
    if (vmin_root >= 0) dirs[vmin_root] = -1;
    CVodeSetRootDirection(cvode, dirs.data());
    CVodeSetNoInactiveRootWarn(cvode);
  }
  ns = static_cast<int>(opt.sensitivity_parameters.size());
  if (ns > 0) {
    for (int k : opt.sensitivity_parameters) {
      if (k < 0 || k >= np) {
        *error = "sensitivity requested for an unknown parameter index " + std::to_string(k);
        return false;
      }
    }
    peff.assign(np, std::vector<double>(ns, 0.0));
    for (int k = 0; k < ns; ++k) peff[opt.sensitivity_parameters[k]][k] = 1.0;
    ueff.assign(m, std::vector<double>(ns, 0.0));
    ju.assign(static_cast<size_t>(n) * std::max(m, 1), 0.0);
    sens_key.assign(static_cast<size_t>(n) + m + np + 3, 0.0);
    sens_key_valid = false;
    sens_forcing.assign(static_cast<size_t>(n) * ns, 0.0);
    yS = N_VCloneVectorArray(ns, y);
    for (int k = 0; k < ns; ++k) N_VConst(0.0, yS[k]);
    // Staggered corrector: the sensitivity system is linear, so once the states have converged
    // it is solved at one fixed state, and SensFn evaluates the Jacobians there only once per
    // step (the simultaneous corrector re-evaluates them at every Newton iterate of the states).
    sens_method = CV_STAGGERED;
    CVodeSensInit(cvode, ns, sens_method, &Impl::SensFn, yS);
    CVodeSensEEtolerances(cvode);
    CVodeSetSensErrCon(cvode, opt.sensitivity_error_control ? SUNTRUE : SUNFALSE);
  }
  if (sc.method != "bdf" && ns == 0) SetupRosenbrock();
  piece_time = sc.t_begin;
  return true;
}

void Simulator::Impl::Record(double t) {
  const double* x = N_VGetArrayPointer(y);
  ComputeInputs(t);
  result.time.push_back(t);
  result.states.emplace_back(x, x + n);
  // A physically non-negative state that goes clearly negative means the model or the
  // tolerances are wrong for this run: say so once per state.
  for (int i = 0; i < n; ++i) {
    const auto& st = info.states[i];
    if (st.non_negative && !negative_reported[i] && x[i] < -10 * N_VGetArrayPointer(abstol)[i]) {
      negative_reported[i] = true;
      result.warnings.push_back("state '" + st.name + "' is non-negative but reached " + model::FormatNumber(x[i]) +
                                " " + st.unit.text + " at t = " + model::FormatNumber(t) + " " + info.time_unit.text);
    }
  }
  result.inputs.push_back(u);
  std::vector<double> yv(model->num_outputs(), 0.0);
  if (opt.record_outputs && !yv.empty()) model->Outputs(At(t, x), yv.data(), *ws);
  result.outputs.push_back(std::move(yv));
  if (ns > 0) {
    std::vector<std::vector<double>> s(ns);
    for (int k = 0; k < ns; ++k) {
      const double* sk = N_VGetArrayPointer(yS[k]);
      s[k].assign(sk, sk + n);
    }
    result.sensitivities.push_back(std::move(s));
  }
}

void Simulator::Impl::AddCounters(SolverStats* s) const {
  s->method = ros != nullptr ? sc.method : "bdf";
  if (ros != nullptr) {
    const RosenbrockStats& r = ros->stats();
    s->steps += r.steps - ros_counted.steps;
    s->rhs_evals += r.rhs_evals - ros_counted.rhs_evals;
    s->jac_evals += r.jac_evals - ros_counted.jac_evals;
    s->error_test_fails += r.rejected - ros_counted.rejected;
    s->lin_setups += r.factorizations - ros_counted.factorizations;
    if (ros->last_step() != 0) s->last_step = ros->last_step();
    return;
  }
  long v = 0;
  CVodeGetNumSteps(cvode, &v); s->steps += v;
  CVodeGetNumRhsEvals(cvode, &v); s->rhs_evals += v;
  CVodeGetNumJacEvals(cvode, &v); s->jac_evals += v;
  CVodeGetNumNonlinSolvIters(cvode, &v); s->newton_iters += v;
  CVodeGetNumNonlinSolvConvFails(cvode, &v); s->newton_conv_fails += v;
  CVodeGetNumErrTestFails(cvode, &v); s->error_test_fails += v;
  CVodeGetNumLinSolvSetups(cvode, &v); s->lin_setups += v;
  if (n_roots > 0) { CVodeGetNumGEvals(cvode, &v); s->root_evals += v; }
  double h = 0;
  CVodeGetLastStep(cvode, &h);
  if (h != 0) s->last_step = h;
}

void Simulator::Impl::AccumulateStats() {
  AddCounters(&result.stats);
  if (ros != nullptr) ros_counted = ros->stats();
}

bool Simulator::Impl::FireTimed(double now, bool* changed, std::string* error) {
  double* x = N_VGetArrayPointer(y);
  for (size_t k = 0; k < events.size(); ++k) {
    while (events[k].timed && Near(next_time[k], now)) {
      if (!ApplyEvent(events[k], now, x, error)) return false;
      *changed = true;
      const Event& e = events[k];
      double nt = std::isnan(e.every) ? kInf : next_time[k] + e.every;
      if (nt <= next_time[k]) {  // the period vanishes against the time: it would never advance
        *error = "event '" + e.name + "': period " + model::FormatNumber(e.every) + " " + info.time_unit.text +
                 " is too small to advance from t = " + model::FormatNumber(now) + " " + info.time_unit.text;
        return false;
      }
      if (!std::isnan(e.until) && nt > e.until + 1e-12) nt = kInf;
      next_time[k] = nt;
    }
  }
  return true;
}

bool Simulator::Impl::HandleRoots(double t, bool* changed, std::string* error) {
  if (ros == nullptr) {  // the Rosenbrock path sets roots_found itself
    roots_found.assign(n_roots, 0);
    CVodeGetRootInfo(cvode, roots_found.data());
  }
  const auto& vol = info.states[std::max(info.volume_state, 0)];
  if (vmax_root >= 0 && roots_found[vmax_root] != 0) {
    *error = "vessel overflow at t = " + model::FormatNumber(t) + " " + info.time_unit.text + ": " + vol.name + " reached its maximum " + model::FormatNumber(info.volume_max) + " " + vol.unit.text;
    return false;
  }
  if (vmin_root >= 0 && roots_found[vmin_root] != 0) {
    *error = "vessel emptied at t = " + model::FormatNumber(t) + " " + info.time_unit.text + ": " + vol.name + " fell to " + model::FormatNumber(info.volume_min) + " " + vol.unit.text;
    return false;
  }
  double* x = N_VGetArrayPointer(y);
  for (size_t k = 0; k < events.size(); ++k) {
    const Event& e = events[k];
    if (e.timed || e.root < 0 || !armed[k] || roots_found[e.root] == 0) continue;
    std::vector<double> dtau;
    if (ns > 0) BeginStateEvent(e.root, t, &dtau);
    if (!ApplyEvent(e, t, x, error)) return false;
    if (ns > 0) FinishStateEvent(t, dtau);
    *changed = true;
    if (!e.repeat) armed[k] = false;
  }
  return true;
}

bool Simulator::Impl::Reinit(double t, std::string* error) {
  AccumulateStats();
  ++result.stats.reinits;
  sens_key_valid = false;
  piece_time = t;  // a new piece: ComputeInputs re-evaluates every input
  if (ros != nullptr) {
    ros->Restart(t, N_VGetArrayPointer(y));
    return true;
  }
  if (CVodeReInit(cvode, t, y) != CV_SUCCESS) {
    *error = "re-initialisation failed at t = " + model::FormatNumber(t) + " " + info.time_unit.text + ": " + last_error;
    return false;
  }
  if (ns > 0) CVodeSensReInit(cvode, sens_method, yS);
  return true;
}

std::string Simulator::Impl::DescribeFailure(int flag, double t) {
  std::string msg = "solver failure at t = " + model::FormatNumber(t) + " " + info.time_unit.text + ": " +
                    CVodeGetReturnFlagName(flag);
  switch (flag) {
    case CV_TOO_MUCH_WORK: msg += " (more than " + std::to_string(sc.max_steps) + " steps; raise solver.max_steps or check the model)"; break;
    case CV_ERR_FAILURE: msg += " (error test failed repeatedly: step size collapsed)"; break;
    case CV_CONV_FAILURE: msg += " (Newton iteration failed to converge repeatedly)"; break;
    case CV_RHSFUNC_FAIL: case CV_REPTD_RHSFUNC_ERR: case CV_UNREC_RHSFUNC_ERR:
      msg += " (the balances returned NaN or Inf)"; break;
    default: break;
  }
  // Name the state: a non-finite one, or the one with the largest weighted local error.
  const double* x = N_VGetArrayPointer(y);
  int worst = -1;
  for (int i = 0; i < n; ++i) {
    if (!std::isfinite(x[i])) { worst = i; break; }
  }
  if (worst < 0 && ros != nullptr) worst = ros->WorstState();
  if (worst < 0) {
    N_Vector ele = N_VClone(y), ewt = N_VClone(y);
    if (CVodeGetEstLocalErrors(cvode, ele) == CV_SUCCESS && CVodeGetErrWeights(cvode, ewt) == CV_SUCCESS) {
      double best = -1;
      for (int i = 0; i < n; ++i) {
        double e = std::fabs(N_VGetArrayPointer(ele)[i] * N_VGetArrayPointer(ewt)[i]);
        if (e > best) { best = e; worst = i; }
      }
    }
    N_VDestroy(ele);
    N_VDestroy(ewt);
  }
  if (worst >= 0) {
    msg += "; state '" + info.states[worst].name + "' = " + model::FormatNumber(x[worst]) + " " + info.states[worst].unit.text;
  }
  if (!last_error.empty()) msg += " [" + last_error + "]";
  return msg;
}

SimResult Simulator::Impl::Run() {
  auto wall_start = std::chrono::steady_clock::now();
  auto finish = [&](bool ok, std::string message) {
    result.ok = ok;
    result.message = std::move(message);
    if (cvode != nullptr) AccumulateStats();
    result.stats.input_clips = input_clips;
    result.wall_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count();
    if (input_clips > 0) {
      result.warnings.push_back("input values outside their limits were clipped " + std::to_string(input_clips) + " times");
    }
    return std::move(result);
  };
  std::string error;
  if (!Setup(&error)) return finish(false, error);
  double t = sc.t_begin;
  result.t_reached = t;
  double* x = N_VGetArrayPointer(y);
  size_t next_out = 0;
  // Timed events due at the start fire before the first output.
  auto fire_timed = [&](double now, bool* changed) { return FireTimed(now, changed, &error); };
  bool changed = false;
  if (!fire_timed(t, &changed)) return finish(false, error);
  if (changed && !Reinit(t, &error)) return finish(false, error);
  while (next_out < sc.output_times.size() && sc.output_times[next_out] <= t + 1e-12) {
    Record(sc.output_times[next_out]);
    ++next_out;
  }
  while (t < sc.t_end && !Near(t, sc.t_end)) {
    // Next discontinuity: timed event, input breakpoint or the end.
    const double t_stop = NextStop(t, sc.t_end);
    double tout = next_out < sc.output_times.size() ? std::min(sc.output_times[next_out], t_stop) : t_stop;
    double tret = t;
    int flag = Integrate(tout, t_stop, &tret);
    if (flag < 0) {
      result.t_reached = tret;
      return finish(false, DescribeFailure(flag, tret));
    }
    if (ns > 0) CVodeGetSens(cvode, &tret, yS);
    t = tret;
    result.t_reached = t;
    if (flag == CV_ROOT_RETURN) {
      bool fired = false;
      if (!HandleRoots(t, &fired, &error)) return finish(false, error);
      if (fired && !Reinit(t, &error)) return finish(false, error);
    }
    while (next_out < sc.output_times.size() && sc.output_times[next_out] <= t + 1e-12 * std::max(1.0, std::fabs(t))) {
      Record(t);
      result.time.back() = sc.output_times[next_out];
      ++next_out;
    }
    // Timed events and breakpoints due now are handled even when a state event was found at
    // (almost) the same instant; otherwise they would be skipped for the rest of the run.
    if (Near(t, t_stop)) {
      changed = false;
      if (!fire_timed(t, &changed)) return finish(false, error);
      // Re-initialise after discrete changes and at input breakpoints.
      const double* brk = BreakpointAt(t);
      const bool at_break = brk != nullptr;
      if ((changed || at_break) && !Near(t, sc.t_end) && !Reinit(t, &error)) return finish(false, error);
      // The new piece starts at the breakpoint itself, even when t stopped a hair before it.
      if (at_break) piece_time = std::max(piece_time, *brk);
      if ((changed || at_break) && next_out > 0 && Near(result.time.back(), t)) {
        // The output at an event time or breakpoint shows the state and inputs after it.
        double keep = result.time.back();
        result.time.pop_back(); result.states.pop_back(); result.inputs.pop_back(); result.outputs.pop_back();
        if (ns > 0) result.sensitivities.pop_back();
        Record(t);
        result.time.back() = keep;
      }
    }
    if (info.volume_state >= 0) {  // backstop for the limit roots
      const double v = x[info.volume_state];
      const auto& vs = info.states[info.volume_state];
      if (v > info.volume_max * (1 + 1e-9)) {
        return finish(false, "vessel overflow at t = " + model::FormatNumber(t) + " " + info.time_unit.text + ": " + vs.name + " = " + model::FormatNumber(v) + " " + vs.unit.text + " exceeds its maximum " + model::FormatNumber(info.volume_max));
      }
    }
    for (int i = 0; i < n; ++i) {
      if (!std::isfinite(x[i])) {
        return finish(false, "state '" + info.states[i].name + "' became " + model::FormatNumber(x[i]) + " at t = " + model::FormatNumber(t) + " " + info.time_unit.text);
      }
    }
    if (opt.on_progress) opt.on_progress(t);
  }
  return finish(true, "");
}

}  // namespace biotwin::sim
