// The Hessian of the multiple-shooting Lagrangian. It is block-structured: each interval's
// continuity and check-point rows depend only on (s_k, the interval's control values, tf), and
// each grid point's path/terminal rows and the objective only on (s_k, the control values at the
// grid point, tf). Each block is obtained by forward differences of the exact gradients (CVODES
// sensitivities for intervals, tape gradients for grid-point functions), then symmetrised.
#include <algorithm>
#include <cmath>
#include <map>

#include "control/shooting_nlp.h"

namespace biotwin::control {

std::vector<int> ShootingNlp::IntervalVars(int k) const {
  std::vector<int> v;
  for (int i = 0; i < nx_; ++i) v.push_back(k * nx_ + i);
  for (int d = 0; d < nd_; ++d) v.push_back(ControlVar(dir_var_[d].first, k) + dir_var_[d].second);
  if (problem_.tf_free) v.push_back(nw_ - 1);
  return v;
}

std::vector<int> ShootingNlp::NodeVars(int k) const {
  std::vector<int> v;
  for (int i = 0; i < n_; ++i) v.push_back(k * nx_ + i);
  for (int c = 0; c < nc_; ++c) v.push_back(NodeControlVar(c, k));
  if (problem_.tf_free) v.push_back(nw_ - 1);
  return v;
}

void ShootingNlp::CheckRowGradient(size_t j, const double* w, const std::vector<sim::ShootingPoint>& pts,
                                   double* out) {
  const RowRef& rr = rows_[j];
  const double tf = FinalTime(w);
  const double tau = taus_[rr.q];
  InputsAt(w, rr.k, ua_.data(), ub_.data());
  for (int l = 0; l < m_; ++l) u_[l] = ua_[l] + (ub_[l] - ua_[l]) * tau;
  const double t = problem_.t0 + (tf - problem_.t0) * (rr.k + tau) / N_;
  fns_->Eval(rr.group, t, pts[rr.q].x.data(), u_.data(), gv_.data(), gdx_.data(), gdu_.data(), gdt_.data());
  const double* dx = gdx_.data() + static_cast<size_t>(rr.r) * n_;
  const double* du = gdu_.data() + static_cast<size_t>(rr.r) * m_;
  const std::vector<double>& S = pts[rr.q].sens;
  auto chain = [&](int col) {
    double acc = 0.0;
    for (int i = 0; i < n_; ++i) acc += dx[i] * S[i + col * nx_];
    return acc;
  };
  int e = 0;
  for (int i = 0; i < nx_; ++i) out[e++] = chain(i);
  for (int d = 0; d < nd_; ++d) {
    const auto& dir = dir_var_[d];
    const int l = problem_.controls[dir.first].input;
    const bool linear = problem_.controls[dir.first].shape == ControlShape::kPiecewiseLinear;
    const double wgt = !linear ? 1.0 : (dir.second == 0 ? 1.0 - tau : tau);
    out[e++] = chain(nx_ + d) + du[l] * wgt;
  }
  if (problem_.tf_free) {
    const int col_len = nx_ + nd_, col_start = nx_ + nd_ + 1;
    out[e++] = chain(col_len) / N_ + chain(col_start) * static_cast<double>(rr.k) / N_ + gdt_[rr.r] * (rr.k + tau) / N_;
  }
}

void ShootingNlp::IntervalLagrangeGradient(int k, const double* w, const std::vector<sim::ShootingPoint>& pts,
                                           const double* lambda, double* out) {
  const int nz = nx_ + nd_ + (problem_.tf_free ? 1 : 0);
  std::fill(out, out + nz, 0.0);
  const std::vector<double>& S = pts.back().sens;
  const int col_len = nx_ + nd_, col_start = nx_ + nd_ + 1;
  for (int i = 0; i < nx_; ++i) {
    const double l = lambda[k * nx_ + i];
    if (l == 0.0) continue;
    for (int j = 0; j < nx_ + nd_; ++j) out[j] -= l * S[i + j * nx_];
    if (problem_.tf_free) out[nz - 1] -= l * (S[i + col_len * nx_] / N_ + S[i + col_start * nx_] * static_cast<double>(k) / N_);
  }
  std::vector<double> g(nz);
  for (size_t j = 0; j < rows_.size(); ++j) {
    if (rows_[j].q < 0 || rows_[j].k != k) continue;
    const double l = lambda[N_ * nx_ + j];
    if (l == 0.0) continue;
    CheckRowGradient(j, w, pts, g.data());
    for (int a = 0; a < nz; ++a) out[a] += l * g[a];
  }
}

void ShootingNlp::NodeLagrangeGradient(int k, const double* w, double obj_factor, const double* lambda, double* out) {
  const int ny = n_ + nc_ + (problem_.tf_free ? 1 : 0);
  std::fill(out, out + ny, 0.0);
  const double tf = FinalTime(w);
  const double t = problem_.t0 + (tf - problem_.t0) * k / N_;
  NodeInputs(w, k, u_.data());
  auto add = [&](OcpFunctions::Group g, int r, double weight) {
    const double* dx = gdx_.data() + static_cast<size_t>(r) * n_;
    const double* du = gdu_.data() + static_cast<size_t>(r) * m_;
    for (int i = 0; i < n_; ++i) out[i] += weight * dx[i];
    for (int c = 0; c < nc_; ++c) out[n_ + c] += weight * du[problem_.controls[c].input];
    if (problem_.tf_free) out[ny - 1] += weight * gdt_[r] * static_cast<double>(k) / N_;
  };
  OcpFunctions::Group evaluated = OcpFunctions::kLagrange;  // none yet
  for (size_t j = 0; j < rows_.size(); ++j) {
    const RowRef& rr = rows_[j];
    if (rr.q >= 0 || rr.k != k) continue;
    const double l = lambda[N_ * nx_ + j];
    if (l == 0.0) continue;
    if (evaluated != rr.group) {
      fns_->Eval(rr.group, t, w + k * nx_, u_.data(), gv_.data(), gdx_.data(), gdu_.data(), gdt_.data());
      evaluated = rr.group;
    }
    add(rr.group, rr.r, l);
  }
  if (fns_->has(OcpFunctions::kResiduals) && obj_factor != 0.0) {
    // obj_factor * c_k * |r|^2 (the tf-dependence of c_k is left to the tf column's differences).
    const int nr = fns_->size(OcpFunctions::kResiduals);
    fns_->Eval(OcpFunctions::kResiduals, t, w + k * nx_, u_.data(), lsq_r_.data(), gdx_.data(), gdu_.data(), gdt_.data());
    const double ck = NodeWeight(k, tf);
    for (int r = 0; r < nr; ++r) add(OcpFunctions::kResiduals, r, obj_factor * 2.0 * ck * lsq_r_[r]);
  }
  if (k == N_ && fns_->has(OcpFunctions::kMayer) && obj_factor != 0.0) {
    fns_->Eval(OcpFunctions::kMayer, t, w + k * nx_, u_.data(), gv_.data(), gdx_.data(), gdu_.data(), gdt_.data());
    add(OcpFunctions::kMayer, 0, obj_factor * sign_);
  }
}

void ShootingNlp::BuildHessianStructure() {
  if (!hess_interval_pos_.empty()) return;
  std::map<std::pair<int, int>, int> index;
  auto collect = [&](const std::vector<int>& vars) {
    for (int a : vars) {
      for (int b : vars) {
        if (a >= b) index.emplace(std::make_pair(a, b), 0);
      }
    }
  };
  for (int k = 0; k < N_; ++k) collect(IntervalVars(k));
  for (int k = 0; k <= N_; ++k) collect(NodeVars(k));
  int e = 0;
  for (auto& [key, pos] : index) {
    pos = e++;
    hess_entries_.push_back(key);
  }
  auto positions = [&](const std::vector<int>& vars) {
    std::vector<int> pos(vars.size() * vars.size());
    for (size_t a = 0; a < vars.size(); ++a) {
      for (size_t b = 0; b < vars.size(); ++b) {
        pos[a * vars.size() + b] = index.at({std::max(vars[a], vars[b]), std::min(vars[a], vars[b])});
      }
    }
    return pos;
  };
  for (int k = 0; k < N_; ++k) hess_interval_pos_.push_back(positions(IntervalVars(k)));
  for (int k = 0; k <= N_; ++k) hess_node_pos_.push_back(positions(NodeVars(k)));
}

int ShootingNlp::hessian_nonzeros() {
  BuildHessianStructure();
  return static_cast<int>(hess_entries_.size());
}

void ShootingNlp::HessianStructure(int* rows, int* cols) {
  BuildHessianStructure();
  for (size_t e = 0; e < hess_entries_.size(); ++e) {
    rows[e] = hess_entries_[e].first;
    cols[e] = hess_entries_[e].second;
  }
}

bool ShootingNlp::HessianValues(const double* w, double obj_factor, const double* lambda, double* values,
                                std::string* error) {
  BuildHessianStructure();
  std::fill(values, values + hess_entries_.size(), 0.0);
  if (problem_.solver.hessian == HessianMethod::kGaussNewton) {
    GaussNewtonHessian(w, obj_factor, values);
    return true;
  }
  if (!Evaluate(w, true, error)) return false;
  std::vector<double> wp(w, w + nw_);
  std::vector<sim::ShootingPoint> pts;
  // Scatters the symmetric part of the dense block H (columns = perturbed variables).
  auto scatter = [&](const std::vector<double>& H, int nz, const std::vector<int>& pos) {
    for (int a = 0; a < nz; ++a) {
      for (int b = 0; b <= a; ++b) values[pos[a * nz + b]] += 0.5 * (H[a * nz + b] + H[b * nz + a]);
    }
  };
  // Step: above the integrator's noise (BDF: its tolerance; RK4's derivatives are exact ones of
  // the discrete map, so the usual square root of the machine precision).
  const double rel = problem_.solver.integrator == sim::ShootingMethod::kRk4
                         ? 1e-8
                         : std::sqrt(std::max(problem_.solver.rtol, 1e-14));
  for (int k = 0; k < N_; ++k) {
    const std::vector<int> vars = IntervalVars(k);
    const int nz = static_cast<int>(vars.size());
    std::vector<double> g0(nz), g1(nz), H(static_cast<size_t>(nz) * nz, 0.0);
    IntervalLagrangeGradient(k, w, points_[k], lambda, g0.data());
    for (int j = 0; j < nz; ++j) {
      const int v = vars[j];
      if (k == 0 && v < nx_) continue;  // s_0 is fixed
      const double eps = rel * std::max(1.0, std::fabs(w[v]));
      wp[v] = w[v] + eps;
      const double tfp = FinalTime(wp.data());
      InputsAt(wp.data(), k, ua_.data(), ub_.data());
      const double t0 = problem_.t0 + (tfp - problem_.t0) * k / N_;
      const bool ok = integrator_->Integrate(t0, (tfp - problem_.t0) / N_, wp.data() + k * nx_, ua_.data(), ub_.data(),
                                             taus_, true, &pts, error);
      if (ok) IntervalLagrangeGradient(k, wp.data(), pts, lambda, g1.data());
      wp[v] = w[v];
      if (!ok) return false;
      for (int a = 0; a < nz; ++a) H[a * nz + j] = (g1[a] - g0[a]) / eps;
    }
    scatter(H, nz, hess_interval_pos_[k]);
  }
  for (int k = 0; k <= N_; ++k) {
    const std::vector<int> vars = NodeVars(k);
    const int nz = static_cast<int>(vars.size());
    bool any = (k == N_ && fns_->has(OcpFunctions::kMayer)) || fns_->has(OcpFunctions::kResiduals);
    for (size_t j = 0; j < rows_.size() && !any; ++j) any = rows_[j].q < 0 && rows_[j].k == k && lambda[N_ * nx_ + j] != 0.0;
    if (!any) continue;
    std::vector<double> g0(nz), g1(nz), H(static_cast<size_t>(nz) * nz, 0.0);
    NodeLagrangeGradient(k, w, obj_factor, lambda, g0.data());
    for (int j = 0; j < nz; ++j) {
      const int v = vars[j];
      if (k == 0 && v < nx_) continue;
      const double eps = 1e-7 * std::max(1.0, std::fabs(w[v]));
      wp[v] = w[v] + eps;
      NodeLagrangeGradient(k, wp.data(), obj_factor, lambda, g1.data());
      wp[v] = w[v];
      for (int a = 0; a < nz; ++a) H[a * nz + j] = (g1[a] - g0[a]) / eps;
    }
    scatter(H, nz, hess_node_pos_[k]);
  }
  return true;
}

}  // namespace biotwin::control
