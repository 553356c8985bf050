// Solves a multiple-shooting NLP with IPOPT (interior point, MUMPS, limited-memory quasi-Newton
// Hessian). The IPOPT headers stay inside ipopt_adapter.cc.
#ifndef BIOTWIN_CONTROL_IPOPT_ADAPTER_H_
#define BIOTWIN_CONTROL_IPOPT_ADAPTER_H_

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
  std::string last_evaluation_error;
  long function_evaluations = 0, jacobian_evaluations = 0, hessian_evaluations = 0;
};

IpoptOutcome SolveWithIpopt(ShootingNlp& nlp, const std::vector<double>& w0, const IpoptSettings& settings);

// Plain-language meaning of a status ("the constraints could not be satisfied ...").
std::string ExplainStatus(NlpStatus status);
const char* StatusName(NlpStatus status);  // "solved", "infeasible", ...
bool StatusIsSuccess(NlpStatus status);

}  // namespace biotwin::control

#endif  // BIOTWIN_CONTROL_IPOPT_ADAPTER_H_
