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
  ShootingTnlp(ShootingNlp& nlp, bool exact_hessian) : nlp_(nlp), exact_hessian_(exact_hessian) {}

  // Starts a solve: start point, optional multipliers, wall-clock limit (0: none).
  void Begin(const std::vector<double>& w0, const NlpMultipliers* y0, double max_seconds) {
    w0_ = &w0;
    y0_ = y0;
    max_seconds_ = max_seconds;
    start_ = std::chrono::steady_clock::now();
    timed_out_ = false;
    solver_return_ = Ipopt::UNASSIGNED;
    out_.status = NlpStatus::kFailed;
    out_.ipopt_status.clear();
    out_.iterations = 0;
    out_.objective = 0.0;
    out_.primal_infeasibility = out_.dual_infeasibility = out_.wall_seconds = 0.0;
    out_.w.clear();
    out_.multipliers.z_lower.clear();
    out_.multipliers.z_upper.clear();
    out_.multipliers.lambda.clear();
    out_.last_evaluation_error.clear();
    out_.function_evaluations = out_.jacobian_evaluations = out_.hessian_evaluations = 0;
  }

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
  bool get_starting_point(Index n, bool init_x, Number* x, bool init_z, Number* z_l, Number* z_u, Index m,
                          bool init_lambda, Number* lambda) override {
    if (init_x) std::copy(w0_->begin(), w0_->end(), x);
    const bool have = y0_ != nullptr && static_cast<Index>(y0_->z_lower.size()) == n &&
                      static_cast<Index>(y0_->z_upper.size()) == n && static_cast<Index>(y0_->lambda.size()) == m;
    if (init_z) {
      if (!have) return false;
      std::copy(y0_->z_lower.begin(), y0_->z_lower.end(), z_l);
      std::copy(y0_->z_upper.begin(), y0_->z_upper.end(), z_u);
    }
    if (init_lambda) {
      if (!have) return false;
      std::copy(y0_->lambda.begin(), y0_->lambda.end(), lambda);
    }
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
  bool intermediate_callback(Ipopt::AlgorithmMode, Index iter, Number, Number, Number, Number,
                             Number, Number, Number, Number, Index, const Ipopt::IpoptData*,
                             Ipopt::IpoptCalculatedQuantities*) override {
    out_.iterations = iter;
    if (max_seconds_ > 0 && Elapsed() > max_seconds_) {
      timed_out_ = true;
      return false;
    }
    return true;
  }
  void finalize_solution(Ipopt::SolverReturn status, Index n, const Number* x, const Number* z_l,
                         const Number* z_u, Index m, const Number*, const Number* lambda, Number obj,
                         const Ipopt::IpoptData*, Ipopt::IpoptCalculatedQuantities* cq) override {
    out_.w.assign(x, x + n);
    if (z_l && z_u && lambda) {
      out_.multipliers.z_lower.assign(z_l, z_l + n);
      out_.multipliers.z_upper.assign(z_u, z_u + n);
      out_.multipliers.lambda.assign(lambda, lambda + m);
    }
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
  bool exact_hessian() const { return exact_hessian_; }
  IpoptOutcome out_;
  bool timed_out_ = false;
  Ipopt::SolverReturn solver_return_ = Ipopt::UNASSIGNED;

 private:
  ShootingNlp& nlp_;
  const std::vector<double>* w0_ = nullptr;
  const NlpMultipliers* y0_ = nullptr;
  double max_seconds_ = 0.0;
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

struct IpoptSession::Impl {
  ShootingNlp& nlp;
  Ipopt::SmartPtr<ShootingTnlp> tnlp;
  Ipopt::SmartPtr<Ipopt::IpoptApplication> app;
  HessianMethod hessian = HessianMethod::kExact;
  bool solved_once = false;  // the application holds this NLP's structure (ReOptimizeTNLP)

  explicit Impl(ShootingNlp& n) : nlp(n) {}

  // A fresh application (first solve, or after IPOPT failed internally).
  bool Create(HessianMethod h, int print_level) {
    hessian = h;
    tnlp = new ShootingTnlp(nlp, h != HessianMethod::kLimitedMemory);
    app = IpoptApplicationFactory();
    app->RethrowNonIpoptException(false);
    solved_once = false;
    auto& o = *app->Options();
    o.SetIntegerValue("print_level", print_level);
    o.SetStringValue("sb", "yes");  // no banner
    if (h == HessianMethod::kLimitedMemory) {
      o.SetStringValue("hessian_approximation", "limited-memory");
      o.SetIntegerValue("limited_memory_max_history", 20);
      // SR1 updates cope with the indefinite Lagrangian Hessian of multiple shooting far better
      // than BFGS (Park-Ramirez N = 20: converges in about 300 iterations; BFGS stalls).
      o.SetStringValue("limited_memory_update_type", "sr1");
    }
    return app->Initialize() == Ipopt::Solve_Succeeded;
  }
};

IpoptSession::IpoptSession(ShootingNlp& nlp) : impl_(std::make_unique<Impl>(nlp)) {}
IpoptSession::~IpoptSession() = default;

const IpoptOutcome& IpoptSession::Solve(const std::vector<double>& w0, const NlpMultipliers* y0,
                                        const IpoptSettings& settings) {
  Impl& s = *impl_;
  if (!Ipopt::IsValid(s.app) || s.hessian != settings.hessian) {
    if (!s.Create(settings.hessian, settings.print_level)) {
      s.app = nullptr;
      s.tnlp->Begin(w0, y0, settings.max_seconds);
      s.tnlp->out_.w = w0;
      s.tnlp->out_.status = NlpStatus::kFailed;
      s.tnlp->out_.ipopt_status = "Invalid_Option";
      return s.tnlp->out_;
    }
  }
  auto& o = *s.app->Options();
  o.SetIntegerValue("print_level", settings.print_level);
  o.SetNumericValue("tol", settings.tolerance);
  o.SetNumericValue("acceptable_tol", std::max(1e-6, 100 * settings.tolerance));
  o.SetIntegerValue("acceptable_iter", 10);
  o.SetIntegerValue("max_iter", settings.max_iterations);
  o.SetNumericValue("max_cpu_time", settings.max_cpu_seconds > 0 ? settings.max_cpu_seconds : 1e6);
  o.SetIntegerValue("mumps_mem_percent", settings.lean_linear_solver ? 5 : 1000);
  o.SetIntegerValue("mumps_scaling", settings.lean_linear_solver ? 0 : 77);
  const bool dual = settings.warm_start_multipliers && y0 != nullptr;
  // Every option a previous solve may have changed is set again (the application keeps them).
  o.SetStringValue("warm_start_init_point", dual ? "yes" : "no");
  if (dual) {
    o.SetNumericValue("mu_init", settings.warm_mu_init);
    for (const char* k : {"warm_start_bound_push", "warm_start_bound_frac", "warm_start_slack_bound_push",
                          "warm_start_slack_bound_frac", "warm_start_mult_bound_push"}) {
      o.SetNumericValue(k, 1e-6);
    }
  } else if (settings.warm_start) {
    o.SetNumericValue("mu_init", 1e-4);
    o.SetNumericValue("bound_push", 1e-6);
    o.SetNumericValue("bound_frac", 1e-6);
  } else {
    o.SetNumericValue("mu_init", 0.1);  // IPOPT's defaults
    o.SetNumericValue("bound_push", 1e-2);
    o.SetNumericValue("bound_frac", 1e-2);
  }
  o.SetStringValue("warm_start_same_structure", s.solved_once ? "yes" : "no");
  s.tnlp->Begin(w0, y0, settings.max_seconds);
  const Ipopt::SmartPtr<Ipopt::TNLP> tnlp = Ipopt::GetRawPtr(s.tnlp);
  const Ipopt::ApplicationReturnStatus st = s.solved_once ? s.app->ReOptimizeTNLP(tnlp) : s.app->OptimizeTNLP(tnlp);
  IpoptOutcome& out = s.tnlp->out_;
  if (out.w.empty()) out.w = w0;
  out.status = Translate(st, s.tnlp->timed_out_);
  out.ipopt_status = IpoptName(st);
  out.wall_seconds = s.tnlp->Elapsed();
  if (Ipopt::IsValid(s.app->Statistics())) out.iterations = s.app->Statistics()->IterationCount();
  // Internal failures may leave the application half set up: start afresh next time.
  const bool internal = st == Ipopt::Invalid_Problem_Definition || st == Ipopt::Invalid_Option ||
                        st == Ipopt::Unrecoverable_Exception || st == Ipopt::NonIpopt_Exception_Thrown ||
                        st == Ipopt::Insufficient_Memory || st == Ipopt::Internal_Error ||
                        st == Ipopt::Not_Enough_Degrees_Of_Freedom || st == Ipopt::Invalid_Number_Detected;
  if (internal) {
    s.solved_once = false;
    s.app = nullptr;
  } else {
    s.solved_once = true;
  }
  return out;
}

IpoptOutcome SolveWithIpopt(ShootingNlp& nlp, const std::vector<double>& w0, const IpoptSettings& settings) {
  IpoptSession session(nlp);
  return session.Solve(w0, nullptr, settings);
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
