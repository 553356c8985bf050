#include "control/nmpc_controller.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <ctime>

#include "model/format.h"

namespace biotwin::control {
namespace {

double ThreadCpuSeconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}

}  // namespace

const char* NmpcSourceName(NmpcSource s) {
  switch (s) {
    case NmpcSource::kOptimal: return "optimal";
    case NmpcSource::kPreviousPlan: return "previous_plan";
    default: return "recipe";
  }
}

NmpcController::NmpcController(const OcpProblem& problem, NmpcOptions options,
                               std::function<std::vector<double>(double)> recipe)
    : problem_(problem), options_(options), recipe_(std::move(recipe)) {
  if (problem_.tf_free) {
    throw model::ModelError(problem_.file, problem_.line_time, "horizon.end",
                            "NMPC needs a fixed prediction horizon (the end may not be free)");
  }
  nlp_ = std::make_unique<ShootingNlp>(problem_, problem_.intervals);
  nlp_->set_always_sensitivities(true);
  session_ = std::make_unique<IpoptSession>(*nlp_);
  period_ = (problem_.tf - problem_.t0) / problem_.intervals;
}

NmpcController::~NmpcController() = default;

NmpcStep NmpcController::Step(double t, const std::vector<double>& x) {
  const auto start = std::chrono::steady_clock::now();
  const double cpu_start = ThreadCpuSeconds();
  NmpcStep step = Solve(t, x, options_.max_iterations, options_.max_solve_seconds);
  step.solve_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  step.cpu_seconds = ThreadCpuSeconds() - cpu_start;
  return step;
}

NmpcStep NmpcController::Prepare(double t0, const std::vector<double>& x0) {
  have_solution_ = have_multipliers_ = have_plan_ = false;
  const auto start = std::chrono::steady_clock::now();
  const double cpu_start = ThreadCpuSeconds();
  // No time budget and the problem's own iteration limit: preparation happens before the run.
  NmpcStep step = Solve(t0, x0, std::max(options_.max_iterations, problem_.solver.max_iterations), -1.0);
  step.solve_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  step.cpu_seconds = ThreadCpuSeconds() - cpu_start;
  return step;
}

bool NmpcController::SimulatedPlanIsFeasible(const double* w) {
  nlp_->PlanInto(w, &sim_plan_);
  return nlp_->InitialPoint(sim_plan_, &w_sim_, &scratch_error_) && nlp_->Evaluate(w_sim_.data(), false, &scratch_error_) &&
         nlp_->Violations(w_sim_.data(), options_.feasibility_tolerance).empty();
}

void NmpcController::KeepIterate(const IpoptOutcome& out, double t) {
  w_ = out.w;
  have_solution_ = true;
  solution_start_ = t;
  have_multipliers_ = !out.multipliers.lambda.empty();
  if (have_multipliers_) y_ = out.multipliers;
}

NmpcStep NmpcController::Solve(double t, const std::vector<double>& x, int max_iterations, double budget) {
  NmpcStep step;
  step.time = t;
  const int N = nlp_->intervals();
  const size_t nc = problem_.controls.size();
  const double tol_t = 1e-9 * std::max(1.0, std::fabs(t));
  nlp_->MoveHorizon(t, x.data());

  // Warm start: the previous solution (primal and dual) shifted by one interval when this step
  // follows it, as it is when it was computed for this very time (Prepare) with s_0 = x;
  // otherwise the remaining plan, or the recipe, simulated from x.
  bool warm = false;
  if (have_solution_ && std::fabs(t - (solution_start_ + period_)) < tol_t) {
    nlp_->ShiftSolution(&w_, x.data());
    nlp_->SimulateLastInterval(&w_, &scratch_error_);  // on failure the repeated state stays
    if (have_multipliers_) nlp_->ShiftMultipliers(y_.z_lower.data(), y_.z_upper.data(), y_.lambda.data());
    warm = true;
  } else if (have_solution_ && std::fabs(t - solution_start_) < tol_t) {
    std::copy(x.begin(), x.end(), w_.begin());
    warm = true;
  } else {
    have_multipliers_ = false;
    ControlPlan guess;
    guess.tf = t + N * period_;
    for (size_t c = 0; c < nc; ++c) {
      const bool linear = problem_.controls[c].shape == ControlShape::kPiecewiseLinear;
      std::vector<double> v(linear ? N + 1 : N);
      for (size_t k = 0; k < v.size(); ++k) {
        const double tk = t + (static_cast<double>(k) + (linear ? 0.0 : 0.5)) * period_;
        const int j = have_plan_ ? static_cast<int>(std::floor((tk - plan_start_) / period_ + 1e-9)) : -1;
        if (have_plan_ && j >= 0 && j < static_cast<int>(plan_.values[c].size())) {
          v[k] = plan_.values[c][j];
        } else {
          v[k] = recipe_(tk)[c];
        }
      }
      guess.values.push_back(std::move(v));
    }
    std::string err;
    nlp_->InitialPoint(guess, &w_, &err);  // a partial guess is still a start point
  }

  IpoptSettings settings;
  settings.tolerance = options_.tolerance;
  settings.max_iterations = max_iterations;
  settings.max_seconds = std::max(budget, 0.0);
  settings.warm_start = warm;
  settings.warm_start_multipliers = warm && have_multipliers_;
  settings.warm_mu_init = 1e-6;  // Park-Ramirez tracking: 3 iterations per step vs 4 at 1e-4
  settings.lean_linear_solver = true;
  settings.hessian = problem_.solver.hessian;
  settings.print_level = problem_.solver.print_level;
  const auto start = std::chrono::steady_clock::now();
  static const IpoptOutcome kNoSolve = [] {
    IpoptOutcome o;
    o.status = NlpStatus::kTimeLimit;
    return o;
  }();
  const IpoptOutcome* result = &kNoSolve;  // a zero budget leaves no time to solve
  if (budget != 0.0) {
    if (budget > 0) {
      nlp_->set_deadline(start + std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                                     std::chrono::duration<double>(budget)));
    }
    result = &session_->Solve(w_, have_multipliers_ ? &y_ : nullptr, settings);
    nlp_->clear_deadline();
  }
  const IpoptOutcome& out = *result;
  // An evaluation stopped by the deadline makes IPOPT report an evaluation error: it is the
  // time limit.
  const double used = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  step.status = out.status;
  if (budget > 0 && !StatusIsSuccess(out.status) && used >= budget) step.status = NlpStatus::kTimeLimit;
  step.solve_seconds = used;
  step.iterations = out.iterations;

  step.converged = StatusIsSuccess(step.status);
  const bool feasible = !out.w.empty() && out.iterations > 0 && out.primal_infeasibility <= options_.feasibility_tolerance;
  const bool stopped = step.status == NlpStatus::kMaxIterations || step.status == NlpStatus::kTimeLimit;
  const double* applied = nullptr;  // the plan to apply, if any
  if (feasible && (step.converged || (options_.accept_feasible_iterate && stopped))) {
    applied = out.w.data();
  } else if (options_.accept_feasible_iterate && step.status == NlpStatus::kMaxIterations && out.iterations > 0 &&
             !out.w.empty() && SimulatedPlanIsFeasible(out.w.data())) {
    // Real-time iteration: the iterate's multiple-shooting states do not join up yet, but its
    // controls, simulated from x, meet every path and terminal constraint: apply that plan.
    applied = w_sim_.data();
  }
  if (applied != nullptr) {
    nlp_->PlanInto(applied, &plan_);
    step.objective = nlp_->ObjectiveValue(applied);
    KeepIterate(out, t);
    plan_start_ = t;
    have_plan_ = true;
    step.source = NmpcSource::kOptimal;
    for (size_t c = 0; c < nc; ++c) step.controls.push_back(plan_.values[c][0]);
    return step;
  }
  // Real-time iteration: an iterate that was only stopped (iteration or time limit) is still the
  // best start for the next step, even when it is not yet feasible enough to apply.
  if (stopped && !out.w.empty() && out.iterations > 0) {
    KeepIterate(out, t);
  } else {
    have_solution_ = have_multipliers_ = false;
  }
  const std::string limit = budget < 0 ? "no time limit" : "budget " + model::FormatNumber(budget) + " s";
  std::string why = std::string("the solve ended '") + StatusName(step.status) + "' after " +
                    model::FormatNumber(step.solve_seconds) + " s (" + limit + ", " + std::to_string(out.iterations) +
                    " iterations)";
  const auto& tu = problem_.model->info().time_unit.text;
  const int j = have_plan_ ? static_cast<int>(std::floor((t - plan_start_) / period_ + 1e-9)) : -1;
  if (have_plan_ && j >= 0 && j < N) {
    step.source = NmpcSource::kPreviousPlan;
    for (size_t c = 0; c < nc; ++c) step.controls.push_back(plan_.values[c][j]);
    step.reason = why + "; applied interval " + std::to_string(j + 1) + " of the last feasible plan (computed at t = " +
                  model::FormatNumber(plan_start_) + " " + tu + ")";
    return step;
  }
  step.source = NmpcSource::kRecipe;
  step.controls = recipe_(t);
  step.reason = why + (have_plan_ ? "; the last feasible plan ended before this step" : "; no feasible plan yet") +
                ": applied the recipe";
  return step;
}

}  // namespace biotwin::control
