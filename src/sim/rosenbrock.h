// Rosenbrock (linearly implicit one-step) integrators for stiff models, both L-stable and
// stiffly accurate with an embedded error estimate:
// - RODAS3 (Sandu et al. 1997): 4 stages, order 3, three function evaluations per step;
// - RODAS4 (Hairer and Wanner, Solving ODEs II, 2nd ed., 1996, sec. IV.7): 6 stages, order 4;
// - ROS34PW2 (Rang and Angermann 2005): a W-method, 4 stages, order 3 with any matrix in place
//   of the Jacobian, so it keeps its Jacobian for up to 20 steps (a failed step gets a fresh one)
//   and its LU while the step size stays: a sampled loop whose steps span whole intervals then
//   costs four function evaluations and four solves per interval.
//
// Why next to CVODES: a sampled closed loop changes its held inputs every control interval, and
// CVODES' BDF has to restart at order 1 with a small step after every such discontinuity (about
// 13 steps per 0.2 h interval on IndPenSim). A one-step method has no history to lose: it takes
// the step size it had before the discontinuity, and L-stability lets it step over the fast
// gas-liquid transients the new inputs excite (about 1.1 steps per interval at rtol 1e-3). SUNDIALS has no
// Rosenbrock method. Each step costs one Jacobian, one LU of (1/(h gamma)) I - J and one
// function evaluation and one solve per stage; no Newton iteration, so nothing to converge.
//
// Dense output for root location is the cubic Hermite interpolant on the step's end values and
// derivatives (third order).
#ifndef BIOTWIN_SIM_ROSENBROCK_H_
#define BIOTWIN_SIM_ROSENBROCK_H_

#include <memory>
#include <utility>
#include <vector>

#include "sim/sparse_lu.h"

namespace biotwin::sim {

// The problem dx/dt = f(t, x) as the integrator sees it.
class RosenbrockSystem {
 public:
  virtual ~RosenbrockSystem() = default;
  // f(t, x); false when it is not finite (the step is retried with a smaller size).
  virtual bool Rhs(double t, const double* x, double* f) = 0;
  // f(t, x) into f, df/dx into jac (column major n x n, entry (i, j) at [i + j n]) and, when jt
  // is not null and the system can, df/dt into jt (*have_jt says whether it did; otherwise the
  // integrator differences f in t). False when f is not finite.
  virtual bool RhsAndJacobian(double t, const double* x, double* f, double* jac, double* jt, bool* have_jt) = 0;
  // Whether f depends on t explicitly (then df/dt is differenced once per step).
  virtual bool TimeDependent() = 0;
};

struct RosenbrockStats {
  long steps = 0, rejected = 0, rhs_evals = 0, jac_evals = 0, factorizations = 0;
  long sparse_refusals = 0;  // matrices the sparse LU refused (factorised densely instead)
};

class Rosenbrock {
 public:
  enum class Method { kRodas3, kRodas4, kRos34pw2 };
  enum class Status { kOk, kStepTooSmall, kRhsFailed };

  // n states; relative tolerance and per-state absolute tolerances (the error weights are
  // atol_i + rtol max(|x_i| at the start, at the end of a step)).
  Rosenbrock(Method method, int n, double rtol, std::vector<double> atol);

  // Factorises with a sparse LU in a fixed pivot order (sparse_lu.h) when the Jacobian's
  // structural non-zeros make that at least 3x fewer operations than the dense LU; a matrix
  // it refuses (a small pivot) falls back to the dense partial-pivoting LU. Empty: dense.
  void UseSparsity(const std::vector<std::pair<int, int>>& pattern);
  bool sparse() const { return sparse_ != nullptr; }

  // (Re)starts at time t from the state x, which the integrator then advances in place (the
  // array must outlive the integration). The step size proposal is kept across restarts: after
  // a discontinuity of the inputs the old scale is still the right one for the slow states.
  void Restart(double t, double* x);

  // One accepted step from t() toward t_stop (> t()), never past it: lands exactly on t_stop
  // when within reach. On failure the state is unchanged.
  Status Step(RosenbrockSystem& sys, double t_stop);

  // The state at t within the last accepted step [previous_time(), t()] (cubic Hermite; the
  // derivative at the end is evaluated once on first use).
  bool Interpolate(RosenbrockSystem& sys, double t, double* x_out);

  double t() const { return t_; }
  double previous_time() const { return t_prev_; }
  double last_step() const { return h_last_; }
  const RosenbrockStats& stats() const { return stats_; }
  // The state with the largest weighted error in the last attempted step (failure messages).
  int WorstState() const { return worst_; }

 private:
  double ErrorNorm(const double* err, const double* x0, const double* x1);
  double InitialStep(double t_stop);

  Method method_;
  int n_;
  double rtol_;
  std::vector<double> atol_;
  double t_ = 0.0, t_prev_ = 0.0, h_next_ = 0.0, h_last_ = 0.0;
  double* x_ = nullptr;
  bool f_end_valid_ = false;
  // W-method: steps taken with the kept Jacobian (-1: none yet), and the step size its
  // factorisation in lu_ is for (0: none).
  int jac_age_ = -1;
  double lu_h_ = 0.0;
  int worst_ = -1;
  RosenbrockStats stats_;
  // Work arrays: f at the step start, df/dt, the Jacobian, the matrix and its LU, the six stage
  // vectors K, a stage state, its f and the stage's right-hand side, the new state, the step's start state and end derivative.
  std::vector<double> f0_, ft_, jac_, lu_, k_, stage_x_, stage_f_, stage_rhs_, x_new_, x_prev_, f_end_;
  std::vector<int> perm_;
  std::unique_ptr<SparseLu> sparse_;
  bool lu_is_sparse_ = false;  // which factorisation the solves use
};

}  // namespace biotwin::sim

#endif  // BIOTWIN_SIM_ROSENBROCK_H_
