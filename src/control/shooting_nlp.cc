#include "control/shooting_nlp.h"

#include <algorithm>
#include <cmath>

#include "model/format.h"

namespace biotwin::control {

ShootingNlp::ShootingNlp(const OcpProblem& problem, int intervals)
    : problem_(problem), N_(intervals) {
  const auto& model = problem_.model;
  const auto& info = model->info();
  n_ = model->num_states();
  m_ = model->num_inputs();
  params_ = info.ParameterValues();
  for (const auto& [k, v] : problem_.parameters) params_[k] = v;
  x0_ = info.InitialState();
  for (const auto& [k, v] : problem_.initial_state) x0_[k] = v;
  base_inputs_ = info.DefaultInputs();
  for (const auto& [k, v] : problem_.fixed_inputs) base_inputs_[k] = v;
  fns_ = std::make_unique<OcpFunctions>(problem_, params_);
  sign_ = problem_.objective.maximize ? -1.0 : 1.0;
  const bool lagrange = fns_->has(OcpFunctions::kLagrange);
  nx_ = n_ + (lagrange ? 1 : 0);
  nc_ = static_cast<int>(problem_.controls.size());
  cp_ = problem_.solver.check_points;

  // Move blocks (scaled when a mesh refinement multiplies the intervals).
  std::vector<int> blocks = problem_.move_blocks;
  if (!blocks.empty() && N_ != problem_.intervals) {
    if (N_ % problem_.intervals != 0) {
      throw model::ModelError(problem_.file, problem_.line_intervals, "move_blocking", "cannot apply the move blocks to " + std::to_string(N_) + " intervals");
    }
    for (int& b : blocks) b *= N_ / problem_.intervals;
  }
  if (blocks.empty()) blocks.assign(N_, 1);
  for (size_t b = 0; b < blocks.size(); ++b) {
    block_start_.push_back(static_cast<int>(block_of_.size()));
    for (int i = 0; i < blocks[b]; ++i) block_of_.push_back(static_cast<int>(b));
  }
  nb_ = static_cast<int>(blocks.size());

  // Variables.
  int off = (N_ + 1) * nx_;
  sim::ShootingSetup setup;
  setup.parameters = params_;
  for (int c = 0; c < nc_; ++c) {
    const auto& ctl = problem_.controls[c];
    qoff_.push_back(off);
    if (ctl.shape == ControlShape::kPiecewiseConstant) {
      off += nb_;
      setup.input_directions.push_back({ctl.input, sim::InputDirection::Kind::kConstant});
      dir_var_.push_back({c, 0});
    } else {
      off += N_ + 1;
      setup.input_directions.push_back({ctl.input, sim::InputDirection::Kind::kStart});
      dir_var_.push_back({c, 0});
      setup.input_directions.push_back({ctl.input, sim::InputDirection::Kind::kEnd});
      dir_var_.push_back({c, 1});
    }
  }
  nd_ = static_cast<int>(dir_var_.size());
  nw_ = off + (problem_.tf_free ? 1 : 0);
  setup.sens_length = problem_.tf_free;
  setup.sens_start = problem_.tf_free;
  setup.rtol = problem_.solver.rtol;
  setup.max_steps = problem_.solver.max_steps;
  setup.sens_error_control = problem_.solver.sens_error_control;
  setup.method = problem_.solver.integrator;
  setup.rk4_steps = problem_.solver.steps_per_interval;
  for (int i = 0; i < n_; ++i) {
    const double a = info.states[i].abs_tol;
    setup.atol.push_back(std::isnan(a) ? problem_.solver.atol * std::max(1.0, std::fabs(x0_[i])) : a);
  }
  if (lagrange) setup.atol.push_back(problem_.solver.atol);
  integrator_ = std::make_unique<sim::ShootingIntegrator>(model, setup, fns_->LagrangeExtension());
  for (int q = 1; q <= cp_; ++q) taus_.push_back(static_cast<double>(q) / (cp_ + 1));
  taus_.push_back(1.0);

  // Constraint rows.
  const auto& path = fns_->rows(OcpFunctions::kPath);
  for (int k = 0; k <= N_; ++k) {
    for (int r = 0; r < static_cast<int>(path.size()); ++r) {
      if (k == 0 && !path[r].uses_inputs && !(problem_.tf_free && path[r].uses_time)) continue;
      rows_.push_back({OcpFunctions::kPath, k, -1, r});
    }
  }
  for (int k = 0; k < N_; ++k) {
    for (int q = 0; q < cp_; ++q) {
      for (int r = 0; r < static_cast<int>(path.size()); ++r) rows_.push_back({OcpFunctions::kPath, k, q, r});
    }
  }
  for (int r = 0; r < fns_->size(OcpFunctions::kTerminal); ++r) rows_.push_back({OcpFunctions::kTerminal, N_, -1, r});
  row_next_.assign(rows_.size(), -1);
  for (size_t j = 0; j < rows_.size(); ++j) {
    const RowRef& a = rows_[j];
    if (a.group == OcpFunctions::kTerminal) continue;
    for (size_t i = 0; i < rows_.size(); ++i) {
      const RowRef& b = rows_[i];
      if (b.group == a.group && b.k == a.k + 1 && b.q == a.q && b.r == a.r) {
        row_next_[j] = static_cast<int>(i);
        break;
      }
    }
  }
  ng_ = N_ * nx_ + static_cast<int>(rows_.size());
  const int tf1 = problem_.tf_free ? 1 : 0;
  nnz_ = N_ * nx_ * (nx_ + nd_ + tf1 + 1);
  for (const auto& rr : rows_) nnz_ += rr.q < 0 ? n_ + nc_ + tf1 : nx_ + nd_ + tf1;

  const int ng_max = std::max({fns_->size(OcpFunctions::kPath), fns_->size(OcpFunctions::kTerminal),
                               fns_->size(OcpFunctions::kMayer), fns_->size(OcpFunctions::kResiduals), 1});
  ua_.assign(std::max(m_, 1), 0.0);
  ub_.assign(std::max(m_, 1), 0.0);
  u_.assign(std::max(m_, 1), 0.0);
  gv_.assign(ng_max, 0.0);
  gdx_.assign(static_cast<size_t>(ng_max) * n_, 0.0);
  gdu_.assign(static_cast<size_t>(ng_max) * std::max(m_, 1), 0.0);
  gdt_.assign(ng_max, 0.0);
  points_.resize(N_);
  const size_t nr = std::max(fns_->size(OcpFunctions::kResiduals), 1);
  lsq_r_.assign(nr, 0.0);
  lsq_dx_.assign(nr * n_, 0.0);
  lsq_du_.assign(nr * std::max(m_, 1), 0.0);
  lsq_dt_.assign(nr, 0.0);
  lsq_j_.assign(nr * (n_ + nc_ + 1), 0.0);
}

ShootingNlp::~ShootingNlp() = default;

long ShootingNlp::integrator_steps() const { return integrator_->total_steps(); }

std::vector<double> ShootingNlp::GridTimes(double tf) const {
  std::vector<double> t(N_ + 1);
  for (int k = 0; k <= N_; ++k) t[k] = problem_.t0 + (tf - problem_.t0) * k / N_;
  return t;
}

int ShootingNlp::NodeControlVar(int c, int k) const {
  return ControlVar(c, problem_.controls[c].shape == ControlShape::kPiecewiseConstant ? std::min(k, N_ - 1) : k);
}

void ShootingNlp::InputsAt(const double* w, int k, double* ua, double* ub) const {
  std::copy(base_inputs_.begin(), base_inputs_.end(), ua);
  std::copy(base_inputs_.begin(), base_inputs_.end(), ub);
  for (int c = 0; c < nc_; ++c) {
    const int l = problem_.controls[c].input;
    ua[l] = w[ControlVar(c, k)];
    ub[l] = problem_.controls[c].shape == ControlShape::kPiecewiseConstant ? ua[l] : w[qoff_[c] + k + 1];
  }
}

void ShootingNlp::NodeInputs(const double* w, int k, double* u) const {
  std::copy(base_inputs_.begin(), base_inputs_.end(), u);
  for (int c = 0; c < nc_; ++c) u[problem_.controls[c].input] = w[NodeControlVar(c, k)];
}

void ShootingNlp::Bounds(double* wl, double* wu, double* gl, double* gu) const {
  for (int j = 0; j < nw_; ++j) {
    wl[j] = -2e19;
    wu[j] = 2e19;
  }
  for (int i = 0; i < nx_; ++i) wl[i] = wu[i] = i < n_ ? x0_[i] : 0.0;
  for (int c = 0; c < nc_; ++c) {
    const int cnt = ControlCount(c);
    for (int k = 0; k < cnt; ++k) {
      wl[qoff_[c] + k] = problem_.controls[c].lower;
      wu[qoff_[c] + k] = problem_.controls[c].upper;
    }
  }
  if (problem_.tf_free) {
    wl[nw_ - 1] = problem_.tf_min;
    wu[nw_ - 1] = std::isfinite(problem_.tf_max) ? problem_.tf_max : 2e19;
  }
  for (int r = 0; r < N_ * nx_; ++r) gl[r] = gu[r] = 0.0;
  for (size_t j = 0; j < rows_.size(); ++j) {
    const ConstraintRow& row = fns_->rows(rows_[j].group)[rows_[j].r];
    gl[N_ * nx_ + j] = std::isfinite(row.lower) ? row.lower : -2e19;
    gu[N_ * nx_ + j] = std::isfinite(row.upper) ? row.upper : 2e19;
  }
}

void ShootingNlp::JacobianStructure(int* ir, int* jc) {
  int e = 0;
  const int tfv = nw_ - 1;
  for (int k = 0; k < N_; ++k) {
    for (int i = 0; i < nx_; ++i) {
      const int row = k * nx_ + i;
      for (int j = 0; j < nx_; ++j) { ir[e] = row; jc[e++] = k * nx_ + j; }
      for (int d = 0; d < nd_; ++d) { ir[e] = row; jc[e++] = ControlVar(dir_var_[d].first, k) + dir_var_[d].second; }
      if (problem_.tf_free) { ir[e] = row; jc[e++] = tfv; }
      ir[e] = row;
      jc[e++] = (k + 1) * nx_ + i;
    }
  }
  for (size_t j = 0; j < rows_.size(); ++j) {
    const RowRef& rr = rows_[j];
    const int row = N_ * nx_ + static_cast<int>(j);
    if (rr.q < 0) {
      for (int i = 0; i < n_; ++i) { ir[e] = row; jc[e++] = rr.k * nx_ + i; }
      for (int c = 0; c < nc_; ++c) { ir[e] = row; jc[e++] = NodeControlVar(c, rr.k); }
    } else {
      for (int i = 0; i < nx_; ++i) { ir[e] = row; jc[e++] = rr.k * nx_ + i; }
      for (int d = 0; d < nd_; ++d) { ir[e] = row; jc[e++] = ControlVar(dir_var_[d].first, rr.k) + dir_var_[d].second; }
    }
    if (problem_.tf_free) { ir[e] = row; jc[e++] = tfv; }
  }
}

bool ShootingNlp::Evaluate(const double* w, bool with_sens, std::string* error) {
  with_sens = with_sens || always_sens_;
  if (cached_ && (cached_sens_ || !with_sens) && std::equal(w, w + nw_, cached_w_.begin())) return true;
  cached_ = false;
  const double tf = FinalTime(w);
  const double h = (tf - problem_.t0) / N_;
  for (int k = 0; k < N_; ++k) {
    if (has_deadline_ && std::chrono::steady_clock::now() > deadline_) {
      *error = "time budget exhausted before interval " + std::to_string(k + 1) + " of " + std::to_string(N_);
      return false;
    }
    InputsAt(w, k, ua_.data(), ub_.data());
    const double t0 = problem_.t0 + (tf - problem_.t0) * k / N_;
    if (!integrator_->Integrate(t0, h, w + k * nx_, ua_.data(), ub_.data(), taus_, with_sens, &points_[k], error)) {
      *error = "interval " + std::to_string(k + 1) + " of " + std::to_string(N_) + ": " + *error;
      return false;
    }
  }
  cached_w_.assign(w, w + nw_);
  cached_ = true;
  cached_sens_ = with_sens;
  return true;
}

double ShootingNlp::Objective(const double* w) {
  const double* sN = w + N_ * nx_;
  double f = 0.0;
  if (fns_->has(OcpFunctions::kMayer)) {
    NodeInputs(w, N_, u_.data());
    fns_->Eval(OcpFunctions::kMayer, FinalTime(w), sN, u_.data(), gv_.data(), nullptr, nullptr, nullptr);
    f += gv_[0];
  }
  if (nx_ > n_) f += sN[n_];
  if (fns_->has(OcpFunctions::kResiduals)) f += LeastSquares(w, nullptr);
  return sign_ * f;
}

void ShootingNlp::ObjectiveGradient(const double* w, double* grad) {
  std::fill(grad, grad + nw_, 0.0);
  const double* sN = w + N_ * nx_;
  if (fns_->has(OcpFunctions::kMayer)) {
    NodeInputs(w, N_, u_.data());
    fns_->Eval(OcpFunctions::kMayer, FinalTime(w), sN, u_.data(), gv_.data(), gdx_.data(), gdu_.data(), gdt_.data());
    for (int i = 0; i < n_; ++i) grad[N_ * nx_ + i] += sign_ * gdx_[i];
    for (int c = 0; c < nc_; ++c) grad[NodeControlVar(c, N_)] += sign_ * gdu_[problem_.controls[c].input];
    if (problem_.tf_free) grad[nw_ - 1] += sign_ * gdt_[0];
  }
  if (nx_ > n_) grad[N_ * nx_ + n_] += sign_;
  if (fns_->has(OcpFunctions::kResiduals)) LeastSquares(w, grad);  // minimised: sign_ = 1
}

void ShootingNlp::Constraints(const double* w, double* g) {
  const double tf = FinalTime(w);
  for (int k = 0; k < N_; ++k) {
    const std::vector<double>& phi = points_[k].back().x;
    for (int i = 0; i < nx_; ++i) g[k * nx_ + i] = w[(k + 1) * nx_ + i] - phi[i];
  }
  int last_k = -1, last_q = -2;
  OcpFunctions::Group last_g = OcpFunctions::kMayer;
  for (size_t j = 0; j < rows_.size(); ++j) {
    const RowRef& rr = rows_[j];
    if (rr.k != last_k || rr.q != last_q || rr.group != last_g) {
      last_k = rr.k; last_q = rr.q; last_g = rr.group;
      if (rr.q < 0) {
        NodeInputs(w, rr.k, u_.data());
        const double t = problem_.t0 + (tf - problem_.t0) * rr.k / N_;
        fns_->Eval(rr.group, t, w + rr.k * nx_, u_.data(), gv_.data(), nullptr, nullptr, nullptr);
      } else {
        const double tau = taus_[rr.q];
        InputsAt(w, rr.k, ua_.data(), ub_.data());
        for (int l = 0; l < m_; ++l) u_[l] = ua_[l] + (ub_[l] - ua_[l]) * tau;
        const double t = problem_.t0 + (tf - problem_.t0) * (rr.k + tau) / N_;
        fns_->Eval(rr.group, t, points_[rr.k][rr.q].x.data(), u_.data(), gv_.data(), nullptr, nullptr, nullptr);
      }
    }
    g[N_ * nx_ + j] = gv_[rr.r];
  }
}

void ShootingNlp::JacobianValues(const double* w, double* v) {
  int e = 0;
  const int col_len = nx_ + nd_, col_start = nx_ + nd_ + 1;
  const double tf = FinalTime(w);
  for (int k = 0; k < N_; ++k) {
    const std::vector<double>& S = points_[k].back().sens;
    const double sigma = static_cast<double>(k) / N_, dsigma = 1.0 / N_;
    for (int i = 0; i < nx_; ++i) {
      for (int j = 0; j < nx_; ++j) v[e++] = -S[i + j * nx_];
      for (int d = 0; d < nd_; ++d) v[e++] = -S[i + (nx_ + d) * nx_];
      if (problem_.tf_free) v[e++] = -(S[i + col_len * nx_] * dsigma + S[i + col_start * nx_] * sigma);
      v[e++] = 1.0;
    }
  }
  OcpFunctions::Group last_g = OcpFunctions::kMayer;
  int last_k = -1;
  for (size_t j = 0; j < rows_.size(); ++j) {
    const RowRef& rr = rows_[j];
    if (rr.q >= 0) {
      CheckRowGradient(j, w, points_[rr.k], v + e);
      e += nx_ + nd_ + (problem_.tf_free ? 1 : 0);
      last_k = -1;
      continue;
    }
    if (rr.k != last_k || rr.group != last_g) {
      last_k = rr.k;
      last_g = rr.group;
      NodeInputs(w, rr.k, u_.data());
      const double t = problem_.t0 + (tf - problem_.t0) * rr.k / N_;
      fns_->Eval(rr.group, t, w + rr.k * nx_, u_.data(), gv_.data(), gdx_.data(), gdu_.data(), gdt_.data());
    }
    const double* dx = gdx_.data() + static_cast<size_t>(rr.r) * n_;
    const double* du = gdu_.data() + static_cast<size_t>(rr.r) * m_;
    for (int i = 0; i < n_; ++i) v[e++] = dx[i];
    for (int c = 0; c < nc_; ++c) v[e++] = du[problem_.controls[c].input];
    if (problem_.tf_free) v[e++] = gdt_[rr.r] * static_cast<double>(rr.k) / N_;
  }
}

bool ShootingNlp::InitialPoint(const ControlPlan& plan, std::vector<double>* w, std::string* error) {
  w->assign(nw_, 0.0);
  for (int i = 0; i < n_; ++i) (*w)[i] = x0_[i];
  for (int c = 0; c < nc_; ++c) {
    const bool pwc = problem_.controls[c].shape == ControlShape::kPiecewiseConstant;
    const int cnt = ControlCount(c);
    for (int k = 0; k < cnt; ++k) {
      const double v = plan.values[c][pwc ? block_start_[k] : k];  // a block takes its first interval's value
      (*w)[qoff_[c] + k] = std::clamp(v, problem_.controls[c].lower, problem_.controls[c].upper);
    }
  }
  if (problem_.tf_free) (*w)[nw_ - 1] = std::clamp(plan.tf, problem_.tf_min, problem_.tf_max);
  const double tf = FinalTime(w->data());
  const double h = (tf - problem_.t0) / N_;
  std::vector<sim::ShootingPoint>& pts = shift_points_;
  bool ok = true;
  for (int k = 0; k < N_; ++k) {
    double* next = w->data() + (k + 1) * nx_;
    const double* cur = w->data() + k * nx_;
    if (ok) {
      InputsAt(w->data(), k, ua_.data(), ub_.data());
      const double t0 = problem_.t0 + (tf - problem_.t0) * k / N_;
      ok = integrator_->Integrate(t0, h, cur, ua_.data(), ub_.data(), end_tau_, false, &pts, error);
      if (ok) {
        std::copy(pts[0].x.begin(), pts[0].x.end(), next);
        continue;
      }
      *error = "simulating the initial guess failed in interval " + std::to_string(k + 1) + ": " + *error;
    }
    std::copy(cur, cur + nx_, next);
  }
  cached_ = false;
  return ok;
}

ControlPlan ShootingNlp::Plan(const double* w) const {
  ControlPlan plan;
  PlanInto(w, &plan);
  return plan;
}

void ShootingNlp::PlanInto(const double* w, ControlPlan* plan) const {
  plan->tf = FinalTime(w);
  plan->values.resize(nc_);
  for (int c = 0; c < nc_; ++c) {
    std::vector<double>& v = plan->values[c];
    if (problem_.controls[c].shape == ControlShape::kPiecewiseConstant) {
      v.resize(N_);  // one value per interval (blocks expanded)
      for (int k = 0; k < N_; ++k) v[k] = w[ControlVar(c, k)];
    } else {
      v.assign(w + qoff_[c], w + qoff_[c] + N_ + 1);
    }
  }
}

std::vector<std::vector<double>> ShootingNlp::GridStates(const double* w) const {
  std::vector<std::vector<double>> out;
  for (int k = 0; k <= N_; ++k) out.emplace_back(w + k * nx_, w + k * nx_ + n_);
  return out;
}

double ShootingNlp::MaxContinuityDefect(const double* w) {
  double worst = 0.0;
  for (int k = 0; k < N_; ++k) {
    const std::vector<double>& phi = points_[k].back().x;
    for (int i = 0; i < nx_; ++i) worst = std::max(worst, std::fabs(w[(k + 1) * nx_ + i] - phi[i]) / std::max(1.0, std::fabs(phi[i])));
  }
  return worst;
}

std::vector<Violation> ShootingNlp::Violations(const double* w, double tol) {
  std::vector<double> g(ng_);
  Constraints(w, g.data());
  std::vector<double> gl(ng_), gu(ng_), wl(nw_), wu(nw_);
  Bounds(wl.data(), wu.data(), gl.data(), gu.data());
  std::vector<Violation> worst;
  const double tf = FinalTime(w);
  for (size_t j = 0; j < rows_.size(); ++j) {
    const int gi = N_ * nx_ + static_cast<int>(j);
    const double over = std::max(g[gi] - gu[gi], gl[gi] - g[gi]);
    const double scale = std::max(1.0, std::max(std::fabs(gl[gi]) < 1e19 ? std::fabs(gl[gi]) : 0.0, std::fabs(gu[gi]) < 1e19 ? std::fabs(gu[gi]) : 0.0));
    if (!(over > tol * scale)) continue;
    const RowRef& rr = rows_[j];
    const ConstraintRow& row = fns_->rows(rr.group)[rr.r];
    Violation v{row.text, row.field, row.unit, row.line};
    v.time = problem_.t0 + (tf - problem_.t0) * (rr.k + (rr.q < 0 ? 0.0 : taus_[rr.q])) / N_;
    v.value = g[gi];
    v.bound = g[gi] > gu[gi] ? gu[gi] : gl[gi];
    v.amount = over;
    auto it = std::find_if(worst.begin(), worst.end(), [&](const Violation& o) { return o.field == v.field; });
    if (it == worst.end()) worst.push_back(v);
    else if (v.amount > it->amount) *it = v;
  }
  return worst;
}

}  // namespace biotwin::control

namespace biotwin::control {

void ShootingNlp::MoveHorizon(double t0, const double* x0) {
  const double length = problem_.tf - problem_.t0;
  problem_.t0 = t0;
  problem_.tf = t0 + length;
  std::copy(x0, x0 + n_, x0_.begin());
  cached_ = false;
}

void ShootingNlp::ShiftVariables(double* v) const {
  for (int k = 0; k < N_; ++k) std::copy(v + (k + 1) * nx_, v + (k + 2) * nx_, v + k * nx_);
  for (int c = 0; c < nc_; ++c) {
    if (problem_.controls[c].shape == ControlShape::kPiecewiseConstant) {
      // Block b now starts one interval later in time: it takes the value planned there.
      for (int b = 0; b < nb_; ++b) v[qoff_[c] + b] = v[ControlVar(c, std::min(block_start_[b] + 1, N_ - 1))];
    } else {
      for (int k = 0; k < N_; ++k) v[qoff_[c] + k] = v[qoff_[c] + k + 1];
    }
  }
}

void ShootingNlp::ShiftMultipliers(double* z_lower, double* z_upper, double* lambda) const {
  ShiftVariables(z_lower);
  ShiftVariables(z_upper);
  for (int i = 0; i < nx_; ++i) z_lower[i] = z_upper[i] = 0.0;  // s_0 is fixed
  // Continuity rows: interval k takes interval k+1's; the last keeps its own.
  for (int k = 0; k + 1 < N_; ++k) std::copy(lambda + (k + 1) * nx_, lambda + (k + 2) * nx_, lambda + k * nx_);
  // Path and check-point rows in increasing interval order, so every source is read unshifted.
  double* rows = lambda + N_ * nx_;
  for (size_t j = 0; j < rows_.size(); ++j) {
    if (row_next_[j] >= 0) rows[j] = rows[row_next_[j]];
  }
}

void ShootingNlp::ShiftSolution(std::vector<double>* w, const double* x0) const {
  double* v = w->data();
  ShiftVariables(v);
  std::copy(x0, x0 + n_, v);
  if (nx_ > n_) {
    // The running-cost state restarts at 0 and its later values drop the first interval's share.
    const double first = v[n_];
    for (int k = 0; k <= N_; ++k) v[k * nx_ + n_] = k == 0 ? 0.0 : v[k * nx_ + n_] - first;
  }
}

bool ShootingNlp::SimulateLastInterval(std::vector<double>* w, std::string* error) {
  const int k = N_ - 1;
  const double tf = FinalTime(w->data());
  InputsAt(w->data(), k, ua_.data(), ub_.data());
  const double t0 = problem_.t0 + (tf - problem_.t0) * k / N_;
  if (!integrator_->Integrate(t0, (tf - problem_.t0) / N_, w->data() + k * nx_, ua_.data(), ub_.data(), end_tau_,
                              false, &shift_points_, error)) {
    return false;
  }
  std::copy(shift_points_[0].x.begin(), shift_points_[0].x.end(), w->begin() + N_ * nx_);
  return true;
}

}  // namespace biotwin::control
