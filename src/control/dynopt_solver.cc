#include "control/dynopt_solver.h"

#include <algorithm>
#include <chrono>
#include <cmath>

#include "model/format.h"

namespace biotwin::control {
namespace {

// The plan on an N-interval grid from a profile (any grid): interval midpoints for
// piecewise-constant controls, grid points for piecewise-linear ones. Times are mapped by the
// fraction of the horizon so that a profile for another final time stretches to the new one.
ControlPlan Resample(const OcpProblem& p, const ControlProfile* from, int N, double tf) {
  ControlPlan plan;
  plan.tf = tf;
  for (size_t c = 0; c < p.controls.size(); ++c) {
    const auto& ctl = p.controls[c];
    const bool linear = ctl.shape == ControlShape::kPiecewiseLinear;
    std::vector<double> v(linear ? N + 1 : N, ctl.initial);
    if (from) {
      const double a = from->grid.front(), b = from->grid.back();
      for (size_t k = 0; k < v.size(); ++k) {
        const double frac = (static_cast<double>(k) + (linear ? 0.0 : 0.5)) / N;
        v[k] = from->Evaluate(static_cast<int>(c), a + (b - a) * frac);
      }
    }
    plan.values.push_back(std::move(v));
  }
  return plan;
}

ControlProfile ProfileOf(const ShootingNlp& nlp, const std::vector<double>& w) {
  ControlProfile prof;
  const ControlPlan plan = nlp.Plan(w.data());
  prof.grid = nlp.GridTimes(plan.tf);
  for (const auto& c : nlp.problem().controls) {
    prof.names.push_back(c.name);
    prof.shapes.push_back(c.shape);
  }
  prof.values = plan.values;
  return prof;
}

std::string Seconds(double s) { return model::FormatNumber(s) + " s"; }

}  // namespace

double ControlProfile::Evaluate(int c, double t) const {
  const int N = static_cast<int>(grid.size()) - 1;
  const auto& v = values[c];
  if (N < 1 || v.empty()) return v.empty() ? 0.0 : v[0];
  const double a = grid.front(), b = grid.back();
  const double s = std::clamp((t - a) / (b - a), 0.0, 1.0) * N;
  int k = std::min(static_cast<int>(std::floor(s)), N - 1);
  // Non-uniform grids: search the interval.
  while (k > 0 && grid[k] > t) --k;
  while (k < N - 1 && grid[k + 1] <= t) ++k;
  if (shapes[c] == ControlShape::kPiecewiseConstant) return v[std::min<size_t>(k, v.size() - 1)];
  const double frac = std::clamp((t - grid[k]) / (grid[k + 1] - grid[k]), 0.0, 1.0);
  return v[k] + (v[k + 1] - v[k]) * frac;
}

void PrecheckProblem(const OcpProblem& problem) {
  ShootingNlp nlp(problem, 1);
  OcpFunctions& f = nlp.functions();
  const auto& rows = f.rows(OcpFunctions::kPath);
  if (rows.empty()) return;
  std::vector<double> u = problem.model->info().DefaultInputs();
  for (const auto& [k, v] : problem.fixed_inputs) u[k] = v;
  for (const auto& c : problem.controls) u[c.input] = c.initial;
  std::vector<double> vals(rows.size());
  f.Eval(OcpFunctions::kPath, problem.t0, nlp.x0().data(), u.data(), vals.data(), nullptr, nullptr, nullptr);
  for (size_t r = 0; r < rows.size(); ++r) {
    const auto& row = rows[r];
    if (row.uses_inputs || (row.uses_time && problem.tf_free)) continue;
    const double scale = std::max(1.0, std::max(std::isfinite(row.lower) ? std::fabs(row.lower) : 0.0,
                                                std::isfinite(row.upper) ? std::fabs(row.upper) : 0.0));
    const double tol = 1e-9 * scale;
    if (vals[r] < row.lower - tol || vals[r] > row.upper + tol) {
      const bool low = vals[r] < row.lower;
      throw model::ModelError(problem.file, row.line, row.field,
                              "'" + row.text + "' is violated at the start (t = " + model::FormatNumber(problem.t0) + " " +
                                  problem.model->info().time_unit.text + "): the value is " + model::FormatNumber(vals[r]) + " " +
                                  row.unit + ", " + (low ? "below " : "above ") + model::FormatNumber(low ? row.lower : row.upper) +
                                  " " + row.unit + "; no control can change the initial state, so the problem is infeasible");
    }
  }
}

DynoptSolution SolveOcp(const OcpProblem& problem, const DynoptOptions& options) {
  const auto start = std::chrono::steady_clock::now();
  auto log = [&](const std::string& s) {
    if (options.log) options.log(s);
  };
  DynoptSolution sol;
  sol.tf_free = problem.tf_free;
  const int N0 = options.intervals > 0 ? options.intervals : problem.intervals;
  const int refinements = options.mesh_refinements >= 0 ? options.mesh_refinements : problem.solver.mesh_refinements;
  const std::string warm = !options.warm_start.empty() ? options.warm_start : problem.warm_start;
  const auto& tu = problem.model->info().time_unit.text;

  ControlProfile previous;
  bool have_previous = false;
  double tf_guess = problem.tf;
  if (!warm.empty()) {
    double tf_w = problem.tf;
    previous = ReadWarmStart(warm, problem, &tf_w);
    have_previous = true;
    if (problem.tf_free) tf_guess = std::clamp(tf_w, problem.tf_min, problem.tf_max);
    sol.warm_start_from = warm;
    log("warm start from " + warm);
  }
  std::vector<double> w;
  for (int stage = 0; stage <= refinements; ++stage) {
    const int N = N0 << stage;
    ShootingNlp nlp(problem, N);
    const ControlPlan plan = Resample(problem, have_previous ? &previous : nullptr, N, tf_guess);
    std::string err;
    if (!nlp.InitialPoint(plan, &w, &err)) log("note: " + err + " (continuing from a partial initial guess)");
    IpoptSettings settings;
    settings.tolerance = problem.solver.tolerance;
    settings.max_iterations = problem.solver.max_iterations;
    settings.max_seconds = problem.solver.max_seconds;
    settings.print_level = options.print_level >= 0 ? options.print_level : problem.solver.print_level;
    settings.warm_start = have_previous;
    settings.hessian = problem.solver.hessian;
    log("stage " + std::to_string(stage + 1) + ": " + std::to_string(N) + " intervals, " +
        std::to_string(nlp.num_variables()) + " variables, " + std::to_string(nlp.num_constraints()) + " constraints");
    IpoptOutcome out = SolveWithIpopt(nlp, w, settings);
    w = out.w;
    DynoptStage st;
    st.intervals = N;
    st.status = out.status;
    st.ipopt_status = out.ipopt_status;
    st.iterations = out.iterations;
    st.tf = nlp.FinalTime(w.data());
    st.seconds = out.wall_seconds;
    std::string eval_error;
    const bool evaluated = nlp.Evaluate(w.data(), false, &eval_error);
    st.objective = nlp.ObjectiveValue(w.data());
    sol.stages.push_back(st);
    sol.iterations += out.iterations;
    sol.status = out.status;
    sol.ipopt_status = out.ipopt_status;
    sol.objective = st.objective;
    sol.objective_unit = nlp.functions().objective_unit();
    sol.constraint_violation = out.primal_infeasibility;
    sol.intervals = N;
    sol.tf = st.tf;
    sol.grid = nlp.GridTimes(st.tf);
    sol.controls = ProfileOf(nlp, w);
    sol.states = nlp.GridStates(w.data());
    sol.integrator_steps += nlp.integrator_steps();
    sol.continuity_defect = evaluated ? nlp.MaxContinuityDefect(w.data()) : model::kInf;
    sol.violations.clear();
    if (evaluated && !StatusIsSuccess(out.status)) {
      // Report what the controls found actually do: simulate them from x0 (the intervals then
      // join exactly) and list the constraints the simulated trajectory violates.
      std::vector<double> ws;
      std::string sim_error;
      if (nlp.InitialPoint(nlp.Plan(w.data()), &ws, &sim_error) && nlp.Evaluate(ws.data(), false, &sim_error)) {
        sol.violations = nlp.Violations(ws.data(), 1e-6);
        sol.states = nlp.GridStates(ws.data());
        sol.objective = nlp.ObjectiveValue(ws.data());
        sol.continuity_defect = 0.0;
      } else {
        sol.violations = nlp.Violations(w.data(), 1e-6);
      }
    }
    if (!evaluated) {
      sol.status = NlpStatus::kEvaluationError;
      sol.explanation = ExplainStatus(sol.status) + ": " + eval_error;
    } else {
      sol.explanation = ExplainStatus(out.status);
      if (out.status == NlpStatus::kEvaluationError && !out.last_evaluation_error.empty()) {
        sol.explanation += " (last: " + out.last_evaluation_error + ")";
      }
    }
    log("stage " + std::to_string(stage + 1) + ": " + StatusName(out.status) + " after " + std::to_string(out.iterations) +
        " iterations, objective " + model::FormatNumber(st.objective) + " " + sol.objective_unit + ", tf " +
        model::FormatNumber(st.tf) + " " + tu + ", " + Seconds(out.wall_seconds));
    if (!StatusIsSuccess(out.status)) break;
    previous = sol.controls;
    have_previous = true;
    tf_guess = st.tf;
  }
  if (!StatusIsSuccess(sol.status) && problem.tf_free && !std::isfinite(problem.tf_max)) {
    sol.explanation += ". Note: the final time is free with no maximum (horizon.end.max); if the objective keeps "
                       "improving with time the problem is unbounded";
  }
  sol.wall_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return sol;
}

}  // namespace biotwin::control
