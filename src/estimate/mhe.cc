#include "estimate/mhe.h"

#include <ceres/ceres.h>

#include <cmath>
#include <stdexcept>

#include "model/format.h"

namespace biotwin::estimate {

// Arrival cost: L^-1 (x0 - prior), P_prior = L L^T.
class MheArrivalCost : public ceres::CostFunction {
 public:
  MheArrivalCost(const Eigen::VectorXd& prior, const Eigen::MatrixXd& P) : prior_(prior) {
    const int n = static_cast<int>(prior.size());
    Eigen::LLT<Eigen::MatrixXd> llt(P);
    linv_ = llt.matrixL().solve(Eigen::MatrixXd::Identity(n, n));
    set_num_residuals(n);
    mutable_parameter_block_sizes()->push_back(n);
  }
  bool Evaluate(double const* const* params, double* residuals, double** jacobians) const override {
    const int n = static_cast<int>(prior_.size());
    Eigen::Map<const Eigen::VectorXd> x(params[0], n);
    Eigen::Map<Eigen::VectorXd>(residuals, n) = linv_ * (x - prior_);
    if (jacobians != nullptr && jacobians[0] != nullptr) {
      Eigen::Map<Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>>(jacobians[0], n, n) = linv_;
    }
    return true;
  }

 private:
  Eigen::VectorXd prior_;
  Eigen::MatrixXd linv_;
};

// Process noise between two nodes: W (x_{k+1} - f(x_k)), W = diag(1 / (q sqrt(dt))).
class MheDynamicsCost : public ceres::CostFunction {
 public:
  MheDynamicsCost(StatePropagator* prop, double t0, double t1, const Eigen::VectorXd& q2)
      : prop_(prop), t0_(t0), t1_(t1) {
    const int n = static_cast<int>(q2.size());
    w_.resize(n);
    // States without process noise are held by a stiff (not infinite) weight.
    for (int i = 0; i < n; ++i) w_[i] = 1.0 / std::max(std::sqrt(q2[i] * (t1 - t0)), 1e-6);
    set_num_residuals(n);
    mutable_parameter_block_sizes()->push_back(n);
    mutable_parameter_block_sizes()->push_back(n);
    xw_.resize(n);
    x_in_.resize(n);
    phi_.resize(n, n);
  }
  bool Evaluate(double const* const* params, double* residuals, double** jacobians) const override {
    const int n = static_cast<int>(w_.size());
    const bool jac = jacobians != nullptr && (jacobians[0] != nullptr || jacobians[1] != nullptr);
    // Ceres evaluates a trial point without and then, once accepted, with Jacobians: reuse the
    // propagation when the start state is unchanged.
    // The transition matrix is always computed: an accepted trial point needs it next.
    bool cached = cache_valid_;
    for (int i = 0; cached && i < n; ++i) cached = x_in_[i] == params[0][i];
    if (!cached) {
      for (int i = 0; i < n; ++i) xw_[i] = x_in_[i] = params[0][i];
      cache_valid_ = false;
      if (!prop_->Propagate(t0_, t1_, xw_.data(), phi_.data())) return false;
      cache_valid_ = true;
    }
    for (int i = 0; i < n; ++i) residuals[i] = w_[i] * (params[1][i] - xw_[i]);
    if (jac) {
      for (int i = 0; i < n; ++i) {
        for (int j = 0; j < n; ++j) {
          if (jacobians[0] != nullptr) jacobians[0][i * n + j] = -w_[i] * phi_(i, j);
          if (jacobians[1] != nullptr) jacobians[1][i * n + j] = i == j ? w_[i] : 0.0;
        }
      }
    }
    return true;
  }

 private:
  StatePropagator* prop_;
  double t0_, t1_;
  Eigen::VectorXd w_;
  mutable Eigen::VectorXd xw_, x_in_;
  mutable Eigen::MatrixXd phi_;
  mutable bool cache_valid_ = false;
};

// One measurement: (y - h(t, x)) / sigma.
class MheMeasurementCost : public ceres::CostFunction {
 public:
  MheMeasurementCost(StatePropagator* prop, MeasurementModel* meas, double t, const Observation& o, int n)
      : prop_(prop), meas_(meas), t_(t), o_(o) {
    set_num_residuals(1);
    mutable_parameter_block_sizes()->push_back(n);
    row_.resize(n);
  }
  bool Evaluate(double const* const* params, double* residuals, double** jacobians) const override {
    const double s = meas_->sigma(o_.signal);
    if (jacobians != nullptr && jacobians[0] != nullptr) {
      const double h = meas_->ValueAndGradient(*prop_, o_.signal, t_, params[0], row_.data());
      residuals[0] = (o_.value - h) / s;
      for (int j = 0; j < row_.size(); ++j) jacobians[0][j] = -row_[j] / s;
    } else {
      residuals[0] = (o_.value - meas_->Value(*prop_, o_.signal, t_, params[0])) / s;
    }
    return std::isfinite(residuals[0]);
  }

 private:
  StatePropagator* prop_;
  MeasurementModel* meas_;
  double t_;
  Observation o_;
  mutable Eigen::VectorXd row_;
};

Mhe::Mhe(std::shared_ptr<const model::Model> model, const sim::Scenario& scenario, StateEstimationOptions options)
    : StateFilterBase(model, scenario, options), arrival_(model, scenario, options) {
  if (options_.mhe_window < 2) throw std::invalid_argument("MHE: the window needs at least 2 measurement times");
}

void Mhe::Reset(double t0, std::span<const double> x0, std::span<const double> sigma0) {
  StateFilterBase::Reset(t0, x0, sigma0);
  arrival_.Reset(t0, x0, sigma0);
  nodes_.clear();
  nodes_.push_back({t0, {}, x_});
  prior_x_ = x_;
  prior_P_ = P_;
}

int Mhe::NodeAt(double t) {
  const double tol = options_.time_tolerance * std::max(1.0, std::fabs(t));
  if (t < nodes_.front().t - tol) return -1;
  size_t k = 0;
  while (k < nodes_.size() && nodes_[k].t < t - tol) ++k;
  if (k < nodes_.size() && std::fabs(nodes_[k].t - t) <= tol) return static_cast<int>(k);
  Node node;
  node.t = t;
  node.x = nodes_[k - 1].x;
  if (!prop_->Propagate(nodes_[k - 1].t, t, node.x.data(), nullptr)) {
    ++summary_.failures;
    summary_.last_error = prop_->error();
    return -2;
  }
  Project(node.x.data());
  nodes_.insert(nodes_.begin() + k, std::move(node));
  return static_cast<int>(k);
}

bool Mhe::Slide() {
  while (static_cast<int>(nodes_.size()) > options_.mhe_window) {
    // The first node leaves: its measurements go into the arrival cost by an EKF step.
    for (const auto& o : nodes_[0].obs) arrival_.Update(nodes_[0].t, o.signal, o.value, prior_x_, prior_P_);
    if (!arrival_.Predict(nodes_[0].t, nodes_[1].t, prior_x_, prior_P_)) {
      ++summary_.failures;
      summary_.last_error = arrival_.summary().last_error;
      return false;
    }
    nodes_.erase(nodes_.begin());
  }
  return true;
}

bool Mhe::Solve() {
  ceres::Problem::Options popt;
  popt.cost_function_ownership = ceres::TAKE_OWNERSHIP;
  ceres::Problem problem(popt);
  for (auto& node : nodes_) {
    problem.AddParameterBlock(node.x.data(), n_);
    for (int i = 0; i < n_; ++i) {
      if (non_negative_[i]) problem.SetParameterLowerBound(node.x.data(), i, 0.0);
    }
  }
  problem.AddResidualBlock(new MheArrivalCost(prior_x_, prior_P_), nullptr, nodes_[0].x.data());
  for (size_t k = 0; k + 1 < nodes_.size(); ++k) {
    problem.AddResidualBlock(new MheDynamicsCost(prop_.get(), nodes_[k].t, nodes_[k + 1].t, q2_), nullptr,
                             nodes_[k].x.data(), nodes_[k + 1].x.data());
  }
  for (auto& node : nodes_) {
    for (const auto& o : node.obs) {
      problem.AddResidualBlock(new MheMeasurementCost(prop_.get(), meas_.get(), node.t, o, n_), nullptr,
                               node.x.data());
    }
  }
  ceres::Solver::Options sopt;
  sopt.linear_solver_type = ceres::DENSE_QR;
  sopt.max_num_iterations = options_.mhe_max_iterations;
  sopt.logging_type = ceres::SILENT;
  sopt.function_tolerance = options_.mhe_tolerance;
  sopt.gradient_tolerance = 1e-3 * options_.mhe_tolerance;
  sopt.parameter_tolerance = 1e-2 * options_.mhe_tolerance;
  ceres::Solver::Summary sum;
  ceres::Solve(sopt, &problem, &sum);
  ++summary_.mhe_solves;
  summary_.propagations = prop_->count() + arrival_.summary().propagations;
  summary_.mhe_iterations += static_cast<long>(sum.iterations.size());
  if (sum.termination_type == ceres::FAILURE || !std::isfinite(sum.final_cost)) {
    ++summary_.failures;
    summary_.last_error = "MHE solve failed: " + sum.message;
    return false;
  }
  if (sum.termination_type == ceres::NO_CONVERGENCE) ++summary_.mhe_unconverged;
  x_ = nodes_.back().x;
  // Covariance of the current state: the Gauss-Newton inverse Hessian block of the last node.
  ceres::Covariance::Options copt;
  copt.algorithm_type = ceres::DENSE_SVD;
  copt.null_space_rank = -1;
  ceres::Covariance cov(copt);
  const double* last = nodes_.back().x.data();
  std::vector<std::pair<const double*, const double*>> blocks = {{last, last}};
  if (cov.Compute(blocks, &problem)) {
    Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor> c(n_, n_);
    cov.GetCovarianceBlock(last, last, c.data());
    P_ = c;
    KeepSpd(P_);
  }
  return true;
}

void Mhe::HoldInputs(std::span<const double>) {
  throw std::logic_error("the MHE cannot take live inputs: it re-solves its window, which needs the input history; use the EKF or UKF");
}

bool Mhe::Step(double t, std::span<const Observation> observations) {
  if (t < t_ && !IsCurrent(t)) {
    throw std::invalid_argument("Step: time " + model::FormatNumber(t) + " is before the estimator's time " +
                                model::FormatNumber(t_));
  }
  for (const auto& o : observations) {
    CheckObservation(o, meas_->num_signals());
    if (o.sample_time > t + options_.time_tolerance * std::max(1.0, std::fabs(t))) {
      throw std::invalid_argument("observation sampled at " + model::FormatNumber(o.sample_time) +
                                  " arrives before it was drawn (step time " + model::FormatNumber(t) + ")");
    }
  }
  ++summary_.steps;
  if (NodeAt(t) < 0) return false;
  t_ = std::max(t_, t);
  for (const auto& o : observations) {
    const int k = NodeAt(std::min(o.sample_time, t));
    if (k == -1) {
      ++summary_.skipped_delayed;
      continue;
    }
    if (k == -2) return false;
    nodes_[k].obs.push_back(o);
    ++summary_.observations_used;
    if (k + 1 < static_cast<int>(nodes_.size())) ++summary_.delayed_used;
  }
  if (!Slide()) return false;
  return Solve();
}

std::vector<std::pair<double, std::vector<double>>> Mhe::Window() const {
  std::vector<std::pair<double, std::vector<double>>> w;
  for (const auto& node : nodes_) w.push_back({node.t, std::vector<double>(node.x.data(), node.x.data() + n_)});
  return w;
}

}  // namespace biotwin::estimate
