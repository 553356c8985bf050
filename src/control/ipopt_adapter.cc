#include "control/ipopt_adapter.h"

#include <IpIpoptApplication.hpp>
#include <IpIpoptCalculatedQuantities.hpp>
#include <IpIpoptData.hpp>
#include <IpSolveStatistics.hpp>
#include <IpTNLP.hpp>

#include <chrono>
#include <cmath>

namespace biotwin::control {
namespace {

using Ipopt::Index;
using Ipopt::Number;

class ShootingTnlp : public Ipopt::TNLP {
 public:
  ShootingTnlp(ShootingNlp& nlp, const std::vector<double>& w0, double max_seconds, bool exact_hessian)
      : nlp_(nlp), w0_(w0), max_seconds_(max_seconds), exact_hessian_(exact_hessian),
        start_(std::chrono::steady_clock::now()) {}

  bool get_nlp_info(Index& n, Index& m, Index& nnz_jac, Index& nnz_h, IndexStyleEnum& style) override {
    n = nlp_.num_variables();
    m = nlp_.num_constraints();
    nnz_jac = nlp_.jacobian_nonzeros();
    nnz_h = exact_hessian_ ? nlp_.hessian_nonzeros() : 0;
    style = TNLP::C_STYLE;
    return true;
  }
  bool get_bounds_info(Index, Number* xl, Number* xu, Index, Number* gl, Number* gu) override {
    nlp_.Bounds(xl, xu, gl, gu);
    return true;
  }
  bool get_starting_point(Index n, bool init_x, Number* x, bool, Number*, Number*, Index, bool, Number*) override {
    if (init_x) std::copy(w0_.begin(), w0_.end(), x);
    return true;
  }
  bool eval_f(Index, const Number* x, bool, Number& f) override {
    f = nlp_.Objective(x);
    return std::isfinite(f);
  }
  bool eval_grad_f(Index, const Number* x, bool, Number* g) override {
    nlp_.ObjectiveGradient(x, g);
    return true;
  }
  bool eval_g(Index, const Number* x, bool, Index, Number* g) override {
    ++out_.function_evaluations;
    if (!nlp_.Evaluate(x, false, &out_.last_evaluation_error)) return false;
    nlp_.Constraints(x, g);
    return true;
  }
  bool eval_jac_g(Index, const Number* x, bool, Index, Index, Index* ir, Index* jc, Number* v) override {
    if (!v) {
      nlp_.JacobianStructure(ir, jc);
      return true;
    }
    ++out_.jacobian_evaluations;
    if (!nlp_.Evaluate(x, true, &out_.last_evaluation_error)) return false;
    nlp_.JacobianValues(x, v);
    return true;
  }
  bool eval_h(Index, const Number* x, bool, Number obj_factor, Index, const Number* lambda, bool, Index,
              Index* ir, Index* jc, Number* v) override {
    if (!exact_hessian_) return false;
    if (!v) {
      nlp_.HessianStructure(ir, jc);
      return true;
    }
    ++out_.hessian_evaluations;
    return nlp_.HessianValues(x, obj_factor, lambda, v, &out_.last_evaluation_error);
  }
  bool intermediate_callback(Ipopt::AlgorithmMode, Index iter, Number, Number inf_pr, Number inf_du, Number,
                             Number, Number, Number, Number, Index, const Ipopt::IpoptData*,
                             Ipopt::IpoptCalculatedQuantities*) override {
    out_.iterations = iter;
    if (max_seconds_ > 0 && Elapsed() > max_seconds_) {
      timed_out_ = true;
      return false;
    }
    return true;
  }
  void finalize_solution(Ipopt::SolverReturn status, Index n, const Number* x, const Number*, const Number*,
                         Index, const Number*, const Number*, Number obj, const Ipopt::IpoptData*,
                         Ipopt::IpoptCalculatedQuantities* cq) override {
    out_.w.assign(x, x + n);
    out_.objective = obj;
    if (cq) {
      out_.primal_infeasibility = cq->unscaled_curr_nlp_constraint_violation(Ipopt::NORM_MAX);
      out_.dual_infeasibility = cq->unscaled_curr_dual_infeasibility(Ipopt::NORM_MAX);
    }
    solver_return_ = status;
  }

  double Elapsed() const {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  }
  IpoptOutcome out_;
  bool timed_out_ = false;
  Ipopt::SolverReturn solver_return_ = Ipopt::UNASSIGNED;

 private:
  ShootingNlp& nlp_;
  std::vector<double> w0_;
  double max_seconds_;
  bool exact_hessian_;
  std::chrono::steady_clock::time_point start_;
};

NlpStatus Translate(Ipopt::ApplicationReturnStatus s, bool timed_out) {
  switch (s) {
    case Ipopt::Solve_Succeeded: return NlpStatus::kSolved;
    case Ipopt::Solved_To_Acceptable_Level: return NlpStatus::kAcceptable;
    case Ipopt::Infeasible_Problem_Detected: return NlpStatus::kInfeasible;
    case Ipopt::Maximum_Iterations_Exceeded: return NlpStatus::kMaxIterations;
    case Ipopt::Maximum_CpuTime_Exceeded: return NlpStatus::kTimeLimit;
    case Ipopt::User_Requested_Stop: return timed_out ? NlpStatus::kTimeLimit : NlpStatus::kFailed;
    case Ipopt::Diverging_Iterates: return NlpStatus::kDiverging;
    case Ipopt::Search_Direction_Becomes_Too_Small:
    case Ipopt::Restoration_Failed: return NlpStatus::kStalled;
    case Ipopt::Invalid_Number_Detected: return NlpStatus::kEvaluationError;
    default: return NlpStatus::kFailed;
  }
}

const char* IpoptName(Ipopt::ApplicationReturnStatus s) {
  switch (s) {
    case Ipopt::Solve_Succeeded: return "Solve_Succeeded";
    case Ipopt::Solved_To_Acceptable_Level: return "Solved_To_Acceptable_Level";
    case Ipopt::Infeasible_Problem_Detected: return "Infeasible_Problem_Detected";
    case Ipopt::Search_Direction_Becomes_Too_Small: return "Search_Direction_Becomes_Too_Small";
    case Ipopt::Diverging_Iterates: return "Diverging_Iterates";
    case Ipopt::User_Requested_Stop: return "User_Requested_Stop";
    case Ipopt::Feasible_Point_Found: return "Feasible_Point_Found";
    case Ipopt::Maximum_Iterations_Exceeded: return "Maximum_Iterations_Exceeded";
    case Ipopt::Restoration_Failed: return "Restoration_Failed";
    case Ipopt::Error_In_Step_Computation: return "Error_In_Step_Computation";
    case Ipopt::Maximum_CpuTime_Exceeded: return "Maximum_CpuTime_Exceeded";
    case Ipopt::Not_Enough_Degrees_Of_Freedom: return "Not_Enough_Degrees_Of_Freedom";
    case Ipopt::Invalid_Problem_Definition: return "Invalid_Problem_Definition";
    case Ipopt::Invalid_Option: return "Invalid_Option";
    case Ipopt::Invalid_Number_Detected: return "Invalid_Number_Detected";
    case Ipopt::Insufficient_Memory: return "Insufficient_Memory";
    default: return "Internal_Error";
  }
}

}  // namespace

IpoptOutcome SolveWithIpopt(ShootingNlp& nlp, const std::vector<double>& w0, const IpoptSettings& settings) {
  Ipopt::SmartPtr<ShootingTnlp> tnlp = new ShootingTnlp(nlp, w0, settings.max_seconds, settings.hessian != HessianMethod::kLimitedMemory);
  Ipopt::SmartPtr<Ipopt::IpoptApplication> app = IpoptApplicationFactory();
  app->RethrowNonIpoptException(false);
  auto& o = *app->Options();
  o.SetIntegerValue("print_level", settings.print_level);
  o.SetStringValue("sb", "yes");  // no banner
  if (settings.hessian == HessianMethod::kLimitedMemory) {
    o.SetStringValue("hessian_approximation", "limited-memory");
    o.SetIntegerValue("limited_memory_max_history", 20);
    // SR1 updates cope with the indefinite Lagrangian Hessian of multiple shooting far better
    // than BFGS (Park-Ramirez N = 20: converges in about 300 iterations; BFGS stalls).
    o.SetStringValue("limited_memory_update_type", "sr1");
  }
  o.SetNumericValue("tol", settings.tolerance);
  o.SetNumericValue("acceptable_tol", std::max(1e-6, 100 * settings.tolerance));
  o.SetIntegerValue("acceptable_iter", 10);
  o.SetIntegerValue("max_iter", settings.max_iterations);
  if (settings.max_cpu_seconds > 0) o.SetNumericValue("max_cpu_time", settings.max_cpu_seconds);
  if (settings.warm_start) {
    o.SetNumericValue("mu_init", 1e-4);
    o.SetNumericValue("bound_push", 1e-6);
    o.SetNumericValue("bound_frac", 1e-6);
  }
  IpoptOutcome out;
  if (app->Initialize() != Ipopt::Solve_Succeeded) {
    out.status = NlpStatus::kFailed;
    out.ipopt_status = "Invalid_Option";
    return out;
  }
  const Ipopt::ApplicationReturnStatus s = app->OptimizeTNLP(tnlp);
  out = tnlp->out_;
  if (out.w.empty()) out.w = w0;
  out.status = Translate(s, tnlp->timed_out_);
  out.ipopt_status = IpoptName(s);
  out.wall_seconds = tnlp->Elapsed();
  if (Ipopt::IsValid(app->Statistics())) out.iterations = app->Statistics()->IterationCount();
  return out;
}

const char* StatusName(NlpStatus s) {
  switch (s) {
    case NlpStatus::kSolved: return "solved";
    case NlpStatus::kAcceptable: return "solved_acceptable";
    case NlpStatus::kInfeasible: return "infeasible";
    case NlpStatus::kMaxIterations: return "max_iterations";
    case NlpStatus::kTimeLimit: return "time_limit";
    case NlpStatus::kDiverging: return "diverging";
    case NlpStatus::kStalled: return "stalled";
    case NlpStatus::kEvaluationError: return "evaluation_error";
    default: return "failed";
  }
}

bool StatusIsSuccess(NlpStatus s) { return s == NlpStatus::kSolved || s == NlpStatus::kAcceptable; }

std::string ExplainStatus(NlpStatus s) {
  switch (s) {
    case NlpStatus::kSolved: return "converged: the constraints hold and the objective is locally optimal to the requested tolerance";
    case NlpStatus::kAcceptable: return "converged to a looser (acceptable) tolerance; the result is usable but less precise";
    case NlpStatus::kInfeasible: return "the constraints cannot all be satisfied: the solver found no control profile that meets them (check bounds, path and terminal constraints, and the horizon)";
    case NlpStatus::kMaxIterations: return "the iteration limit was reached before convergence (raise solver.max_iterations, or start from a better guess / warm start)";
    case NlpStatus::kTimeLimit: return "the time limit was reached before convergence (raise solver.max_time)";
    case NlpStatus::kDiverging: return "the iterates diverge: the objective is probably unbounded (a missing bound on a control, the final time or a state)";
    case NlpStatus::kStalled: return "the solver could make no further progress (often an infeasible or badly scaled problem, or a non-smooth model)";
    case NlpStatus::kEvaluationError: return "the model produced non-finite values at the points the solver tried";
    default: return "the solver failed";
  }
}

}  // namespace biotwin::control
