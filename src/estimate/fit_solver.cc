// One Ceres trust-region solve of the fit (Levenberg-Marquardt, dense QR) over the transformed
// free parameters, with exact Jacobians from forward sensitivities; and the multi-start points.
#include <algorithm>
#include <atomic>
#include <memory>
#include <cmath>
#include <numeric>
#include <random>

#include <ceres/ceres.h>
#include <ceres/manifold.h>

#include "estimate/fit.h"

namespace biotwin::estimate {
namespace {

double ToSolver(const FreeParameter& f, double p) { return f.log ? std::log(p) : p; }
double FromSolver(const FreeParameter& f, double theta) { return f.log ? std::exp(theta) : theta; }

// Residuals of one experiment as a Ceres cost function of the transformed parameter block.
class ExperimentCost : public ceres::CostFunction {
 public:
  ExperimentCost(const FitResiduals& residuals, int experiment, std::atomic<long>* simulations)
      : residuals_(residuals), experiment_(experiment), simulations_(simulations) {
    set_num_residuals(residuals.count(experiment));
    mutable_parameter_block_sizes()->push_back(residuals.num_parameters());
    p_.resize(residuals.num_parameters());
    jac_.resize(static_cast<size_t>(residuals.count(experiment)) * residuals.num_parameters());
    r_cache_.resize(residuals.count(experiment));
  }

  // Copies the residuals and the parameter-unit Jacobian of the last Jacobian evaluation into
  // the full-length r and jac when it was at theta; false otherwise.
  bool TakeJacobianAt(const std::vector<double>& theta, std::vector<double>* r, std::vector<double>* jac) const {
    if (!have_cache_ || theta_cache_ != theta) return false;
    const int off = residuals_.offset(experiment_);
    const size_t np = theta.size();
    std::copy(r_cache_.begin(), r_cache_.end(), r->begin() + off);
    std::copy(jac_.begin(), jac_.end(), jac->begin() + static_cast<std::ptrdiff_t>(off * np));
    return true;
  }

  bool Evaluate(double const* const* parameters, double* residuals, double** jacobians) const override {
    const auto& params = residuals_.problem().parameters;
    const int np = static_cast<int>(params.size());
    const int m = num_residuals();
    const bool want_jac = jacobians != nullptr && jacobians[0] != nullptr;
    // With bounds, Ceres evaluates residuals and Jacobian at a candidate during its projected
    // line search and again at the same point once the step is accepted: reuse the last
    // Jacobian evaluation. Residual-only evaluations (rejected candidates) leave it in place.
    const bool cached = have_cache_ && std::equal(theta_cache_.begin(), theta_cache_.end(), parameters[0]);
    if (!cached) {
      for (int k = 0; k < np; ++k) {
        p_[k] = FromSolver(params[k], parameters[0][k]);
        if (!std::isfinite(p_[k])) return false;
      }
      ++*simulations_;
      if (!want_jac) {
        if (!residuals_.EvaluateExperiment(experiment_, p_.data(), residuals, nullptr, nullptr, nullptr)) return false;
        return true;
      }
      have_cache_ = false;
      if (!residuals_.EvaluateExperiment(experiment_, p_.data(), r_cache_.data(), jac_.data(), nullptr, nullptr)) {
        return false;
      }
      theta_cache_.assign(parameters[0], parameters[0] + np);
      p_cache_ = p_;
      have_cache_ = true;
    }
    std::copy(r_cache_.begin(), r_cache_.end(), residuals);
    if (want_jac) {
      for (int i = 0; i < m; ++i) {
        for (int k = 0; k < np; ++k) {
          jacobians[0][i * np + k] = jac_[i * np + k] * (params[k].log ? p_cache_[k] : 1.0);
        }
      }
    }
    return true;
  }

 private:
  const FitResiduals& residuals_;
  int experiment_;
  std::atomic<long>* simulations_;  // shared by the blocks (Ceres may evaluate them in parallel)
  mutable std::vector<double> p_, jac_, r_cache_, theta_cache_, p_cache_;
  mutable bool have_cache_ = false;
};

// Ridge penalty of the free parameters with a positive weight: residual sqrt(lambda_k) * p_k.
class RidgeCost : public ceres::CostFunction {
 public:
  RidgeCost(const std::vector<FreeParameter>& params, const std::vector<double>& ridge) : params_(params) {
    for (size_t k = 0; k < ridge.size(); ++k) {
      if (ridge[k] > 0) terms_.push_back({static_cast<int>(k), std::sqrt(ridge[k])});
    }
    set_num_residuals(static_cast<int>(terms_.size()));
    mutable_parameter_block_sizes()->push_back(static_cast<int>(params.size()));
  }
  bool empty() const { return terms_.empty(); }

  bool Evaluate(double const* const* parameters, double* residuals, double** jacobians) const override {
    const int np = static_cast<int>(params_.size());
    for (size_t i = 0; i < terms_.size(); ++i) {
      const auto [k, w] = terms_[i];
      const double p = FromSolver(params_[k], parameters[0][k]);
      residuals[i] = w * p;
      if (jacobians != nullptr && jacobians[0] != nullptr) {
        std::fill(jacobians[0] + i * np, jacobians[0] + (i + 1) * np, 0.0);
        jacobians[0][i * np + k] = w * (params_[k].log ? p : 1.0);
      }
    }
    return true;
  }

 private:
  const std::vector<FreeParameter>& params_;
  std::vector<std::pair<int, double>> terms_;
};

// Ends the solve once the objective is at the noise floor of the integration: after a successful
// step, kRejections consecutive rejected steps that each promised a relative decrease below
// kNoiseFloor. Without this, Ceres shrinks its trust region over many more (wasted) iterations.
class NoiseFloorCallback : public ceres::IterationCallback {
 public:
  static constexpr int kRejections = 3;
  static constexpr double kNoiseFloor = 1e-4;
  ceres::CallbackReturnType operator()(const ceres::IterationSummary& s) override {
    if (s.iteration == 0) return ceres::SOLVER_CONTINUE;
    if (s.step_is_successful) {
      any_success_ = true;
      rejections_ = 0;
      return ceres::SOLVER_CONTINUE;
    }
    const bool tiny = std::fabs(s.cost_change) <= kNoiseFloor * std::max(s.cost, 1e-300);
    rejections_ = tiny ? rejections_ + 1 : 0;
    if (any_success_ && rejections_ >= kRejections) {
      stopped_ = true;
      return ceres::SOLVER_TERMINATE_SUCCESSFULLY;
    }
    return ceres::SOLVER_CONTINUE;
  }
  bool stopped() const { return stopped_; }

 private:
  int rejections_ = 0;
  bool any_success_ = false, stopped_ = false;
};

}  // namespace

StartOutcome SolveFrom(const FitResiduals& residuals, const std::vector<double>& start,
                       const std::vector<int>& fixed, const FitOptions& options, long* simulations) {
  const auto& params = residuals.problem().parameters;
  const int np = static_cast<int>(params.size());
  StartOutcome out;
  out.start = start;
  std::vector<double> theta(np);
  for (int k = 0; k < np; ++k) theta[k] = ToSolver(params[k], start[k]);
  std::atomic<long> sims_count{0};
  std::atomic<long>* sims = &sims_count;
  ceres::Problem::Options popt;
  ceres::Problem problem(popt);
  std::vector<const ExperimentCost*> costs;  // owned by `problem`
  for (int e = 0; e < residuals.num_experiments(); ++e) {
    if (residuals.count(e) == 0) continue;
    auto* cost = new ExperimentCost(residuals, e, sims);
    costs.push_back(cost);
    problem.AddResidualBlock(cost, nullptr, theta.data());
  }
  if (!residuals.problem().ridge.empty()) {
    auto ridge = std::make_unique<RidgeCost>(params, residuals.problem().ridge);
    if (!ridge->empty()) problem.AddResidualBlock(ridge.release(), nullptr, theta.data());
  }
  for (int k = 0; k < np; ++k) {
    const auto& f = params[k];
    const double lo = f.log ? (f.lower > 0 ? std::log(f.lower) : -model::kInf) : f.lower;
    const double hi = f.log ? std::log(f.upper) : f.upper;
    if (std::isfinite(lo)) problem.SetParameterLowerBound(theta.data(), k, lo);
    if (std::isfinite(hi)) problem.SetParameterUpperBound(theta.data(), k, hi);
  }
  if (!fixed.empty()) {
    if (static_cast<int>(fixed.size()) >= np) {
      problem.SetParameterBlockConstant(theta.data());
    } else {
      problem.SetManifold(theta.data(), new ceres::SubsetManifold(np, fixed));
    }
  }
  ceres::Solver::Options so;
  so.minimizer_type = ceres::TRUST_REGION;
  so.trust_region_strategy_type = ceres::LEVENBERG_MARQUARDT;
  so.linear_solver_type = ceres::DENSE_QR;
  so.max_num_iterations = options.max_iterations;
  so.function_tolerance = options.function_tolerance;
  so.gradient_tolerance = options.gradient_tolerance;
  so.parameter_tolerance = options.parameter_tolerance;
  so.num_threads = std::max(1, options.threads);
  // No projected line search: with bounds Ceres would evaluate the gradient (the full Jacobian,
  // i.e. a sensitivity simulation of every batch, ~5 plain ones) at every candidate, including
  // the rejected ones and several per line search. Without it a candidate costs plain
  // simulations and the Jacobian is evaluated once per accepted step; the bounds still hold,
  // as Ceres projects every step onto them. E. coli benchmark: 230 -> 120 sensitivity runs.
  so.max_num_line_search_step_size_iterations = 0;
  so.logging_type = options.trace ? ceres::PER_MINIMIZER_ITERATION : ceres::SILENT;
  so.minimizer_progress_to_stdout = options.trace;
  NoiseFloorCallback noise_floor;
  so.callbacks.push_back(&noise_floor);
  ceres::Solver::Summary summary;
  ceres::Solve(so, &problem, &summary);
  if (simulations != nullptr) *simulations += sims_count.load();
  out.end.resize(np);
  for (int k = 0; k < np; ++k) out.end[k] = FromSolver(params[k], theta[k]);
  out.iterations = static_cast<int>(summary.iterations.size()) - 1;
  // Ceres ends at its last accepted point, where it normally evaluated the Jacobian: keep it for
  // the analysis (one sensitivity simulation per batch fewer). Fixed parameters would need their
  // columns too, which Ceres does not evaluate through the subset manifold: re-simulate then.
  if (fixed.empty()) {
    out.end_residuals.assign(residuals.num_residuals(), 0.0);
    out.end_jacobian.assign(static_cast<size_t>(residuals.num_residuals()) * np, 0.0);
    const bool all = std::all_of(costs.begin(), costs.end(), [&](const ExperimentCost* c) {
      return c->TakeJacobianAt(theta, &out.end_residuals, &out.end_jacobian);
    });
    if (!all) {
      out.end_residuals.clear();
      out.end_jacobian.clear();
    }
  }
  out.message = summary.message;
  out.objective = 2.0 * summary.final_cost;
  if (summary.termination_type == ceres::USER_SUCCESS && noise_floor.stopped() && std::isfinite(out.objective)) {
    out.status = "converged";
    out.message = "converged to the accuracy of the integration: " + std::to_string(NoiseFloorCallback::kRejections) +
                  " consecutive steps rejected that promised a relative decrease below 1e-4 (tighten --rtol for more digits)";
  } else if (summary.termination_type == ceres::CONVERGENCE && std::isfinite(out.objective)) {
    out.status = "converged";
  } else if (summary.termination_type == ceres::NO_CONVERGENCE) {
    out.status = "not_converged";
    out.message = "no convergence within " + std::to_string(options.max_iterations) +
                  " iterations (" + summary.message + ")";
  } else {
    out.status = "failed";
    if (!summary.IsSolutionUsable()) out.objective = model::kNaN;
  }
  return out;
}

std::vector<std::vector<double>> LatinHypercubeStarts(const std::vector<FreeParameter>& params,
                                                      int count, uint64_t seed) {
  std::vector<std::vector<double>> starts(std::max(count, 0), std::vector<double>(params.size()));
  if (count <= 0) return starts;
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  std::vector<int> perm(count);
  for (size_t k = 0; k < params.size(); ++k) {
    const auto& f = params[k];
    double lo, hi;
    if (f.log) {
      const double s = std::log(f.start);
      lo = f.lower > 0 ? std::log(f.lower) : s - std::log(10.0);
      hi = std::isfinite(f.upper) ? std::log(f.upper) : s + std::log(10.0);
    } else {
      const double w = std::max(std::fabs(f.start), 1.0);
      lo = std::isfinite(f.lower) ? f.lower : f.start - w;
      hi = std::isfinite(f.upper) ? f.upper : f.start + w;
    }
    std::iota(perm.begin(), perm.end(), 0);
    std::shuffle(perm.begin(), perm.end(), rng);
    for (int i = 0; i < count; ++i) {
      const double theta = lo + (perm[i] + unit(rng)) / count * (hi - lo);
      starts[i][k] = std::clamp(f.log ? std::exp(theta) : theta, f.lower, f.upper);
    }
  }
  return starts;
}

}  // namespace biotwin::estimate
