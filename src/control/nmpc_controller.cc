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
  period_ = (problem_.tf - problem_.t0) / problem_.intervals;
}

NmpcController::~NmpcController() = default;

NmpcStep NmpcController::Step(double t, const std::vector<double>& x) {
  const auto start = std::chrono::steady_clock::now();
  const double cpu_start = ThreadCpuSeconds();
  NmpcStep step = Solve(t, x);
  step.solve_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  step.cpu_seconds = ThreadCpuSeconds() - cpu_start;
  return step;
}

NmpcStep NmpcController::Solve(double t, const std::vector<double>& x) {
  NmpcStep step;
  step.time = t;
  const int N = nlp_->intervals();
  const size_t nc = problem_.controls.size();
  const double tol_t = 1e-9 * std::max(1.0, std::fabs(t));
  nlp_->MoveHorizon(t, x.data());

  // Warm start: the previous solution shifted by one interval when this step follows it;
  // otherwise the remaining plan, or the recipe, simulated from x.
  bool warm = false;
  if (have_solution_ && std::fabs(t - (solution_start_ + period_)) < tol_t) {
    nlp_->ShiftSolution(&w_, x.data());
    warm = true;
  } else {
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
  settings.max_iterations = options_.max_iterations;
  settings.max_seconds = options_.max_solve_seconds;
  settings.warm_start = warm;
  settings.hessian = problem_.solver.hessian;
  settings.print_level = problem_.solver.print_level;
  const auto start = std::chrono::steady_clock::now();
  IpoptOutcome out;
  if (options_.max_solve_seconds > 0) {
    nlp_->set_deadline(start + std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                                   std::chrono::duration<double>(options_.max_solve_seconds)));
    out = SolveWithIpopt(*nlp_, w_, settings);
    nlp_->clear_deadline();
    // An evaluation stopped by the deadline makes IPOPT report an evaluation error: it is the
    // time limit.
    const double used = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (!StatusIsSuccess(out.status) && used >= options_.max_solve_seconds) out.status = NlpStatus::kTimeLimit;
  } else {
    out.status = NlpStatus::kTimeLimit;
  }
  step.solve_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  step.status = out.status;
  step.iterations = out.iterations;

  step.converged = StatusIsSuccess(out.status);
  const bool feasible = !out.w.empty() && out.iterations > 0 && out.primal_infeasibility <= options_.feasibility_tolerance;
  const bool stopped = out.status == NlpStatus::kMaxIterations || out.status == NlpStatus::kTimeLimit;
  if (feasible && (step.converged || (options_.accept_feasible_iterate && stopped))) {
    w_ = out.w;
    have_solution_ = true;
    solution_start_ = t;
    plan_ = nlp_->Plan(w_.data());
    plan_start_ = t;
    have_plan_ = true;
    step.source = NmpcSource::kOptimal;
    step.objective = nlp_->ObjectiveValue(w_.data());
    for (size_t c = 0; c < nc; ++c) step.controls.push_back(plan_.values[c][0]);
    return step;
  }
  // Real-time iteration: an iterate that was only stopped (iteration or time limit) is still the
  // best start for the next step, even when it is not yet feasible enough to apply.
  if (stopped && !out.w.empty() && out.iterations > 0) {
    w_ = out.w;
    have_solution_ = true;
    solution_start_ = t;
  } else {
    have_solution_ = false;
  }
  std::string why = std::string("the solve ended '") + StatusName(out.status) + "' after " +
                    model::FormatNumber(step.solve_seconds) + " s (budget " + model::FormatNumber(options_.max_solve_seconds) +
                    " s, " + std::to_string(out.iterations) + " iterations)";
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
