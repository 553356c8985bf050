// Nonlinear model predictive control on top of the multiple-shooting optimiser: at every sampling
// instant, solve the optimal-control problem over a receding horizon from the measured (or
// estimated) state, warm-started from the shifted previous solution, and apply the first control
// interval. Every step has a wall-clock budget. When the solve does not finish in time or fails,
// the controller falls back to the last feasible plan (its next interval), and when no plan is
// left, to the recipe. The reason is recorded in every step.
#ifndef BIOTWIN_CONTROL_NMPC_CONTROLLER_H_
#define BIOTWIN_CONTROL_NMPC_CONTROLLER_H_

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "control/ipopt_adapter.h"
#include "control/ocp_problem.h"
#include "control/shooting_nlp.h"

namespace biotwin::control {

struct NmpcOptions {
  double max_solve_seconds = 1.0;  // wall-clock budget per step
  int max_iterations = 100;        // IPOPT iterations per step
  double tolerance = 1e-6;
  double feasibility_tolerance = 1e-6;  // max constraint violation for a plan to count as feasible
  // Real-time iteration: when the iteration limit (or the time budget) stops IPOPT at an iterate
  // that meets the constraints to feasibility_tolerance, apply it (it is a feasible, not yet
  // optimal plan; the next step continues from it). False: such steps fall back.
  bool accept_feasible_iterate = true;
};

enum class NmpcSource {
  kOptimal,        // this step's solve converged
  kPreviousPlan,   // the solve failed or ran out of time: the next interval of the last feasible plan
  kRecipe,         // no feasible plan covers this step: the recipe's values
};

const char* NmpcSourceName(NmpcSource s);

struct NmpcStep {
  double time = 0.0;               // model time unit
  std::vector<double> controls;    // applied value per problem control (input units)
  NmpcSource source = NmpcSource::kOptimal;
  std::string reason;              // why a fallback was used ("" for kOptimal)
  NlpStatus status = NlpStatus::kFailed;
  int iterations = 0;
  double solve_seconds = 0.0;      // wall clock of the whole step
  double cpu_seconds = 0.0;        // CPU time of this thread for the step
  bool converged = false;          // IPOPT converged (false for an accepted feasible iterate)
  double objective = 0.0;          // predicted objective over the horizon (problem's sense)
};

class NmpcController {
 public:
  // `problem` defines model, controls, objective and constraints; its horizon length
  // (end - start, fixed) and interval count define the prediction horizon and the sampling
  // period (length / intervals). `recipe(t)` returns the fallback value of every control at t.
  // Throws model::ModelError for problems in `problem` (free final times are rejected).
  NmpcController(const OcpProblem& problem, NmpcOptions options,
                 std::function<std::vector<double>(double)> recipe);
  ~NmpcController();

  double sampling_period() const { return period_; }
  // Unit of the predicted objective (NmpcStep::objective).
  const std::string& objective_unit() { return nlp_->functions().objective_unit(); }
  void set_max_solve_seconds(double s) { options_.max_solve_seconds = s; }

  // Holds model input `input` (not a control) at `value` over the prediction horizon.
  void SetHeldInput(int input, double value) { nlp_->SetHeldInput(input, value); }

  // Computes the controls to apply over [t, t + sampling_period()) from state x (model states).
  NmpcStep Step(double t, const std::vector<double>& x);

  // Preparation before the run (as a real NMPC computes its first plan before the batch starts):
  // solves the problem at (t0, x0) from the recipe, cold and to convergence, and keeps the
  // solution as the warm start of the first Step at t0 (which then solves again from the state
  // it is given). Optional: without it, the first Step solves cold. Returns the record of the
  // cold solve (its time is the cold-start cost).
  NmpcStep Prepare(double t0, const std::vector<double>& x0);

 private:
  // budget: wall-clock seconds (0: no time, the step falls back; negative: no limit).
  NmpcStep Solve(double t, const std::vector<double>& x, int max_iterations, double budget);
  // Simulates the controls of iterate w from the current state into w_sim_ and checks the path
  // and terminal constraints on the result (to feasibility_tolerance).
  bool SimulatedPlanIsFeasible(const double* w);
  // Keeps IPOPT's final point and multipliers as the start of the next step.
  void KeepIterate(const IpoptOutcome& out, double t);
  OcpProblem problem_;
  NmpcOptions options_;
  std::function<std::vector<double>(double)> recipe_;
  std::unique_ptr<ShootingNlp> nlp_;
  std::unique_ptr<IpoptSession> session_;  // one IPOPT application for all steps
  double period_ = 0.0;
  std::vector<double> w_;            // warm start / last solution
  NlpMultipliers y_;                 // its multipliers (when have_multipliers_)
  bool have_multipliers_ = false;
  std::string scratch_error_;
  std::vector<double> w_sim_;        // SimulatedPlanIsFeasible
  ControlPlan sim_plan_;
  bool have_solution_ = false;       // w_ holds a solution (possibly infeasible) to shift
  double solution_start_ = 0.0;      // the step time w_ was computed for
  ControlPlan plan_;                 // last feasible plan
  double plan_start_ = 0.0;
  bool have_plan_ = false;
};

}  // namespace biotwin::control

#endif  // BIOTWIN_CONTROL_NMPC_CONTROLLER_H_
