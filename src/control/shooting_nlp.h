// Direct multiple shooting transcription of an optimal-control problem into an NLP:
//   variables  s_0..s_N (states at the grid points, s_0 fixed), control values (N per
//              piecewise-constant control, N+1 per piecewise-linear one), tf when free;
//   constraints continuity s_{k+1} - Phi_k(s_k, q_k, tf) = 0, path constraints at the grid points
//              (and optional check points inside each interval), terminal constraints;
//   objective  Mayer term at s_N plus the running cost integrated as an extra state.
// Exact first derivatives come from CVODES forward sensitivities (sim::ShootingIntegrator).
// Independent of the NLP solver; ipopt_adapter.h plugs it into IPOPT.
#ifndef BIOTWIN_CONTROL_SHOOTING_NLP_H_
#define BIOTWIN_CONTROL_SHOOTING_NLP_H_

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "control/ocp_functions.h"
#include "control/ocp_problem.h"
#include "sim/shooting_sensitivity.h"

namespace biotwin::control {

// Control values on a grid (input units): piecewise-constant controls have one value per
// interval, piecewise-linear ones one per grid point.
struct ControlPlan {
  double tf = 0.0;
  std::vector<std::vector<double>> values;  // [control][interval or node]
};

// A constraint that is violated at a point, for messages.
struct Violation {
  std::string text, field, unit;
  int line = 0;
  double time = 0.0;        // model time unit
  double value = 0.0;       // the constrained expression
  double bound = 0.0;       // the bound it crosses
  double amount = 0.0;      // how far beyond the bound (>= 0, in `unit`)
};

class ShootingNlp {
 public:
  // Throws model::ModelError for problems in the problem file's expressions.
  ShootingNlp(const OcpProblem& problem, int intervals);
  ~ShootingNlp();

  int intervals() const { return N_; }
  int num_variables() const { return nw_; }
  int num_constraints() const { return ng_; }
  int jacobian_nonzeros() const { return nnz_; }
  int nx() const { return nx_; }
  bool tf_free() const { return problem_.tf_free; }
  const OcpProblem& problem() const { return problem_; }
  OcpFunctions& functions() { return *fns_; }

  void Bounds(double* w_lower, double* w_upper, double* g_lower, double* g_upper) const;
  void JacobianStructure(int* rows, int* cols);

  // Integrates every interval at `w` (values only, or with sensitivities). Cached: repeated calls
  // at the same point are free. Returns false with *error when an integration fails.
  bool Evaluate(const double* w, bool with_sensitivities, std::string* error);
  // When set, every evaluation integrates with sensitivities, so the Jacobian at an accepted
  // point needs no second integration (NMPC: most trial points are accepted).
  void set_always_sensitivities(bool on) { always_sens_ = on; }
  // Real-time budget: past `deadline`, Evaluate stops before the next interval and fails with
  // "time budget exhausted" (checked between intervals, not inside one). clear_deadline() ends it.
  void set_deadline(std::chrono::steady_clock::time_point deadline) { deadline_ = deadline; has_deadline_ = true; }
  void clear_deadline() { has_deadline_ = false; }
  // The objective to minimise (sign-flipped for maximisation) and its gradient; need no
  // integration (they depend on s_N, tf and the final control only).
  double Objective(const double* w);
  void ObjectiveGradient(const double* w, double* grad);
  // After Evaluate(w, ...): constraint values; after Evaluate(w, true): Jacobian values in the
  // order of JacobianStructure.
  void Constraints(const double* w, double* g);
  void JacobianValues(const double* w, double* values);

  // Hessian of the Lagrangian obj_factor*f + sum lambda_i*g_i (lower triangle), by finite
  // differences of the exact first derivatives (sensitivities re-integrated per interval
  // variable; node functions through their tapes; shooting_hessian.cc), or, with
  // solver.hessian = gauss_newton, the Gauss-Newton approximation that needs no integration
  // (shooting_lsq.cc).
  int hessian_nonzeros();
  void HessianStructure(int* rows, int* cols);
  bool HessianValues(const double* w, double obj_factor, const double* lambda, double* values,
                     std::string* error);

  // Initial point: control plan `plan` (interpolated by the caller onto this grid), states by
  // forward simulation from x0 (single-shooting initialisation). Returns false with *error when
  // the simulation fails (the remaining states are then copies of the last good one).
  bool InitialPoint(const ControlPlan& plan, std::vector<double>* w, std::string* error);
  ControlPlan Plan(const double* w) const;
  // Plan(w) into *plan, reusing its storage (no allocation once sized).
  void PlanInto(const double* w, ControlPlan* plan) const;
  double FinalTime(const double* w) const { return problem_.tf_free ? w[nw_ - 1] : problem_.tf; }
  // Objective in the problem's own sense and unit (maximised value for maximisation).
  double ObjectiveValue(const double* w) { return sign_ * Objective(w); }
  // Violated constraints at `w` (after Evaluate), worst per constraint, with tolerance `tol`.
  std::vector<Violation> Violations(const double* w, double tol);
  double MaxContinuityDefect(const double* w);
  // Grid times t_0..t_N for final time tf.
  std::vector<double> GridTimes(double tf) const;
  // States at the grid points (model states only, model units): [k][i].
  std::vector<std::vector<double>> GridStates(const double* w) const;
  const std::vector<double>& x0() const { return x0_; }
  // Receding horizon: moves a fixed-length horizon to start at `t0` from state `x0` (model states),
  // keeping the horizon length. No allocation.
  void MoveHorizon(double t0, const double* x0);
  // Sets the value (input unit) at which a model input that is not a control is held over the
  // horizon (e.g. the plant's current value of an input a PID loop drives). No allocation.
  void SetHeldInput(int input, double value) { base_inputs_[input] = value; cached_ = false; }
  // Shifts a solution one interval forward in place (states and controls move one step, the last
  // ones are repeated) and puts `x0` into s_0: the warm start of the next receding-horizon step.
  void ShiftSolution(std::vector<double>* w, const double* x0) const;
  // After ShiftSolution: replaces the repeated last grid state s_N by the simulation of the last
  // interval from s_{N-1} with its (repeated) control, so the shifted start meets the last
  // continuity constraint. Returns false (w unchanged) when that integration fails.
  bool SimulateLastInterval(std::vector<double>* w, std::string* error);
  // Shifts multipliers the same way (per-variable bound multipliers like the variables, each
  // constraint row's multiplier from the same row one interval later; the last interval's rows
  // keep theirs): the dual part of the warm start. No allocation.
  void ShiftMultipliers(double* z_lower, double* z_upper, double* lambda) const;
  long integrator_steps() const;

 private:
  void InputsAt(const double* w, int k, double* ua, double* ub) const;
  void NodeInputs(const double* w, int k, double* u) const;
  int NodeControlVar(int c, int k) const;
  // Variable of control c's value at the start of interval k (move blocking applied).
  int ControlVar(int c, int k) const {
    return qoff_[c] + (problem_.controls[c].shape == ControlShape::kPiecewiseConstant ? block_of_[k] : k);
  }
  int ControlCount(int c) const {
    return problem_.controls[c].shape == ControlShape::kPiecewiseConstant ? nb_ : N_ + 1;
  }
  // Variables an interval depends on: s_k, its control values (per input direction), tf.
  std::vector<int> IntervalVars(int k) const;
  // Variables a grid-point function depends on: s_k model states, node control values, tf.
  std::vector<int> NodeVars(int k) const;
  // Gradient over IntervalVars(k) of the interval's constraint rows weighted by lambda, from
  // integration points `pts` at `w`.
  void IntervalLagrangeGradient(int k, const double* w, const std::vector<sim::ShootingPoint>& pts,
                                const double* lambda, double* out);
  // Gradient over NodeVars(k) of the grid-point rows (and, at N, the objective) weighted.
  void NodeLagrangeGradient(int k, const double* w, double obj_factor, const double* lambda, double* out);
  // Chained gradient of check-point row j (rows_ index) over IntervalVars(k).
  void CheckRowGradient(size_t j, const double* w, const std::vector<sim::ShootingPoint>& pts, double* out);
  void BuildHessianStructure();
  // Least-squares objective term; adds its gradient to `grad` when non-null (shooting_lsq.cc).
  double LeastSquares(const double* w, double* grad);
  double NodeWeight(int k, double tf) const;
  // Gauss-Newton Hessian (J^T J of the residuals, regularisation on the controls) into `values`.
  void GaussNewtonHessian(const double* w, double obj_factor, double* values);

  OcpProblem problem_;
  std::unique_ptr<OcpFunctions> fns_;
  std::unique_ptr<sim::ShootingIntegrator> integrator_;
  std::vector<double> params_, x0_, base_inputs_;
  int N_ = 0, n_ = 0, m_ = 0, nx_ = 0, nc_ = 0, nd_ = 0, nw_ = 0, ng_ = 0, nnz_ = 0;
  int cp_ = 0;  // check points per interval
  double sign_ = 1.0;
  std::vector<int> qoff_;                      // per control: first variable index
  std::vector<int> block_of_, block_start_;    // interval -> move block; block -> first interval
  int nb_ = 0;                                 // move blocks (N_ without blocking)
  std::vector<std::pair<int, int>> dir_var_;   // per input direction: (control, node offset 0/1)
  std::vector<double> taus_;                   // check points then 1
  // Non-continuity rows (after the N*nx continuity rows), in order.
  struct RowRef {
    OcpFunctions::Group group;
    int k = 0;   // grid point (path, terminal) or interval (check point)
    int q = -1;  // check point index within the interval, -1 at a grid point
    int r = 0;   // constraint index within the group
  };
  std::vector<RowRef> rows_;
  std::vector<int> row_next_;  // per rows_ entry: the same row one interval later, or -1
  // Shifts per-variable values one interval forward (states and controls), leaving s_0.
  void ShiftVariables(double* v) const;
  std::vector<std::vector<sim::ShootingPoint>> points_;  // per interval
  std::vector<sim::ShootingPoint> shift_points_;         // SimulateLastInterval, InitialPoint
  std::vector<double> end_tau_{1.0};
  std::vector<double> cached_w_;
  bool cached_ = false, cached_sens_ = false, always_sens_ = false, has_deadline_ = false;
  std::chrono::steady_clock::time_point deadline_;
  // Hessian structure: lower-triangle (row, col) entries and their positions.
  std::vector<std::pair<int, int>> hess_entries_;
  std::vector<std::vector<int>> hess_interval_pos_, hess_node_pos_;  // [k][a*|vars|+b] -> entry or -1
  std::vector<int> first_row_of_node_;  // per grid point: first rows_ index with q < 0, or -1
  // Scratch.
  std::vector<double> ua_, ub_, u_, gv_, gdx_, gdu_, gdt_;
  std::vector<double> lsq_r_, lsq_dx_, lsq_du_, lsq_dt_, lsq_j_;
};

}  // namespace biotwin::control

#endif  // BIOTWIN_CONTROL_SHOOTING_NLP_H_
