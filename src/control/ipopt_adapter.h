// Solves a multiple-shooting NLP with IPOPT (interior point, MUMPS; exact, Gauss-Newton or
// limited-memory quasi-Newton Hessian). IpoptSession keeps one IPOPT application across solves of
// the same NLP structure (receding horizon); SolveWithIpopt is a one-off solve. The IPOPT headers
// stay inside ipopt_adapter.cc.
#ifndef BIOTWIN_CONTROL_IPOPT_ADAPTER_H_
#define BIOTWIN_CONTROL_IPOPT_ADAPTER_H_

#include <memory>
#include <string>
#include <vector>

#include "control/shooting_nlp.h"

namespace biotwin::control {

struct IpoptSettings {
  double tolerance = 1e-8;
  int max_iterations = 1000;
  double max_seconds = 0.0;  // wall clock (0: no limit); exceeding it stops with kTimeLimit
  int print_level = 0;
  bool warm_start = false;   // the start point is a previous solution: smaller initial barrier
  // Lagrangian Hessian: finite differences of the exact sensitivities, IPOPT's limited-memory
  // quasi-Newton (SR1) approximation, or Gauss-Newton (see HessianMethod).
  HessianMethod hessian = HessianMethod::kExact;
  double max_cpu_seconds = 0.0;  // IPOPT max_cpu_time (0: none)
  // Primal-dual warm start (receding horizon): start from the given multipliers too (IPOPT
  // warm_start_init_point) with a small initial barrier `warm_mu_init`, and keep the start point
  // almost where it is (warm-start bound pushes 1e-6 instead of 1e-2).
  bool warm_start_multipliers = false;
  double warm_mu_init = 1e-4;
  // Lean MUMPS settings for small KKT systems solved again and again (NMPC): 5 % workspace
  // margin instead of IPOPT's 1000 % (far less memory to allocate and fault in per factorisation;
  // IPOPT enlarges it when MUMPS runs short) and no MUMPS scaling of the KKT matrix.
  bool lean_linear_solver = false;
};

// Multipliers in IPOPT's convention: bound multipliers per variable (z_lower >= 0, z_upper >= 0)
// and constraint multipliers per row (lambda).
struct NlpMultipliers {
  std::vector<double> z_lower, z_upper, lambda;
};

enum class NlpStatus {
  kSolved,            // converged to the requested tolerance
  kAcceptable,        // converged to IPOPT's acceptable tolerance
  kInfeasible,        // locally infeasible: the constraints cannot all be met
  kMaxIterations,
  kTimeLimit,
  kDiverging,         // iterates diverge: the objective is probably unbounded
  kStalled,           // search direction too small / restoration failed
  kEvaluationError,   // the model could not be integrated at the points IPOPT tried
  kFailed,            // other IPOPT errors
};

struct IpoptOutcome {
  NlpStatus status = NlpStatus::kFailed;
  std::string ipopt_status;  // IPOPT's own return code name
  int iterations = 0;
  double objective = 0.0;    // as minimised (sign-flipped for maximisation)
  double primal_infeasibility = 0.0;  // IPOPT's final constraint violation (unscaled)
  double dual_infeasibility = 0.0;
  double wall_seconds = 0.0;
  std::vector<double> w;     // final point (last iterate when not solved)
  NlpMultipliers multipliers;  // at w (empty when IPOPT reported no final point)
  std::string last_evaluation_error;
  long function_evaluations = 0, jacobian_evaluations = 0, hessian_evaluations = 0;
};

IpoptOutcome SolveWithIpopt(ShootingNlp& nlp, const std::vector<double>& w0, const IpoptSettings& settings);

// One IPOPT application for a sequence of solves of `nlp`, whose structure (sizes, sparsity,
// which variables are fixed) must not change between them; bounds, the fixed values (x0) and the
// start point may. The first Solve sets everything up, later ones reuse the application, the
// problem's structure and its memory (IPOPT ReOptimizeTNLP). `nlp` must outlive the session.
class IpoptSession {
 public:
  explicit IpoptSession(ShootingNlp& nlp);
  ~IpoptSession();
  IpoptSession(const IpoptSession&) = delete;
  IpoptSession& operator=(const IpoptSession&) = delete;

  // Solves from w0 and, with settings.warm_start_multipliers, from the multipliers y0 (sized as
  // NlpMultipliers of this NLP). The outcome's vectors are reused between calls.
  const IpoptOutcome& Solve(const std::vector<double>& w0, const NlpMultipliers* y0, const IpoptSettings& settings);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Plain-language meaning of a status ("the constraints could not be satisfied ...").
std::string ExplainStatus(NlpStatus status);
const char* StatusName(NlpStatus status);  // "solved", "infeasible", ...
bool StatusIsSuccess(NlpStatus status);

}  // namespace biotwin::control

#endif  // BIOTWIN_CONTROL_IPOPT_ADAPTER_H_
