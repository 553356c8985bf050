// Least-squares objectives on the shooting grid and their Gauss-Newton Hessian. The residuals
// r_i(t_k, s_k, u_k) live at the grid points, so the objective sum_k c_k |r(t_k)|^2 and its
// gradient need no integration, and the Gauss-Newton Hessian 2 c_k J_k^T J_k (J_k the residual
// Jacobian w.r.t. the node's variables) is node-block diagonal. Constraint curvature is ignored;
// `solver.regularization` adds rho to the diagonal of every control value, which keeps the
// reduced Hessian positive definite for objectives that are not least squares (the
// "Gauss-Newton of a regularised form" for economic NMPC).
#include <algorithm>
#include <cmath>

#include "control/shooting_nlp.h"

namespace biotwin::control {

// Trapezoidal weight of grid point k (time unit).
double ShootingNlp::NodeWeight(int k, double tf) const {
  const double h = (tf - problem_.t0) / N_;
  return (k == 0 || k == N_) ? 0.5 * h : h;
}

double ShootingNlp::LeastSquares(const double* w, double* grad) {
  const int nr = fns_->size(OcpFunctions::kResiduals);
  const double tf = FinalTime(w);
  double f = 0.0;
  for (int k = 0; k <= N_; ++k) {
    const double t = problem_.t0 + (tf - problem_.t0) * k / N_;
    const double ck = NodeWeight(k, tf);
    NodeInputs(w, k, u_.data());
    double* dx = grad ? lsq_dx_.data() : nullptr;
    fns_->Eval(OcpFunctions::kResiduals, t, w + k * nx_, u_.data(), lsq_r_.data(), dx, lsq_du_.data(), lsq_dt_.data());
    double sq = 0.0;
    for (int r = 0; r < nr; ++r) sq += lsq_r_[r] * lsq_r_[r];
    f += ck * sq;
    if (!grad) continue;
    for (int r = 0; r < nr; ++r) {
      const double a = 2.0 * ck * lsq_r_[r];
      if (a == 0.0) continue;
      for (int i = 0; i < n_; ++i) grad[k * nx_ + i] += a * lsq_dx_[static_cast<size_t>(r) * n_ + i];
      for (int c = 0; c < nc_; ++c) grad[NodeControlVar(c, k)] += a * lsq_du_[static_cast<size_t>(r) * m_ + problem_.controls[c].input];
      if (problem_.tf_free) grad[nw_ - 1] += a * lsq_dt_[r] * static_cast<double>(k) / N_;
    }
    if (problem_.tf_free) grad[nw_ - 1] += sq * ck / (tf - problem_.t0);
  }
  return f;
}

void ShootingNlp::GaussNewtonHessian(const double* w, double obj_factor, double* values) {
  const int nr = fns_->size(OcpFunctions::kResiduals);
  const double tf = FinalTime(w);
  const int nz = n_ + nc_ + (problem_.tf_free ? 1 : 0);
  if (obj_factor == 0.0) return;
  for (int k = 0; k <= N_ && nr > 0; ++k) {
    const double t = problem_.t0 + (tf - problem_.t0) * k / N_;
    const double a = 2.0 * obj_factor * NodeWeight(k, tf);
    NodeInputs(w, k, u_.data());
    fns_->Eval(OcpFunctions::kResiduals, t, w + k * nx_, u_.data(), lsq_r_.data(), lsq_dx_.data(), lsq_du_.data(),
               lsq_dt_.data());
    // J (nr x nz, row-major) over NodeVars(k).
    for (int r = 0; r < nr; ++r) {
      double* row = lsq_j_.data() + static_cast<size_t>(r) * nz;
      for (int i = 0; i < n_; ++i) row[i] = lsq_dx_[static_cast<size_t>(r) * n_ + i];
      for (int c = 0; c < nc_; ++c) row[n_ + c] = lsq_du_[static_cast<size_t>(r) * m_ + problem_.controls[c].input];
      if (problem_.tf_free) row[nz - 1] = lsq_dt_[r] * static_cast<double>(k) / N_;
    }
    const std::vector<int>& pos = hess_node_pos_[k];
    for (int p = 0; p < nz; ++p) {
      if (k == 0 && p < n_) continue;  // s_0 is fixed
      for (int q = 0; q <= p; ++q) {
        if (k == 0 && q < n_) continue;
        double acc = 0.0;
        for (int r = 0; r < nr; ++r) acc += lsq_j_[static_cast<size_t>(r) * nz + p] * lsq_j_[static_cast<size_t>(r) * nz + q];
        if (acc != 0.0) values[pos[p * nz + q]] += a * acc;
      }
    }
  }
  const double rho = obj_factor * problem_.solver.regularization;
  if (rho == 0.0) return;
  for (int c = 0; c < nc_; ++c) {
    if (problem_.controls[c].shape == ControlShape::kPiecewiseConstant) {
      for (int b = 0; b < nb_; ++b) values[hess_node_pos_[block_start_[b]][(n_ + c) * nz + (n_ + c)]] += rho;
    } else {
      for (int k = 0; k <= N_; ++k) values[hess_node_pos_[k][(n_ + c) * nz + (n_ + c)]] += rho;
    }
  }
}

}  // namespace biotwin::control
