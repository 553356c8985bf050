#include "sim/rosenbrock.h"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <limits>

#include "sim/dense_lu.h"

namespace biotwin::sim {
namespace {

// Methods in the transformed form of Hairer and Wanner (sec. IV.7, eq. 7.4'): with
// G = I / (h gamma) - J,
//   G K_i = f(t + alpha_i h, x + sum_j A_ij K_j) + sum_j (C_ij / h) K_j + h gamma_i df/dt,
//   x_new = x + sum_i M_i K_i, error estimate sum_i E_i K_i.
// A stage without a new function evaluation reuses the previous stage's f (same point).
struct Tableau {
  int stages;
  double gamma;
  double alpha[6], gamma_sum[6], a[6][6], c[6][6], m[6], e[6];
  bool new_f[6];
  double error_order;  // order of the error estimate + 1 (step-size controller)
  // W-method: the order holds with any matrix in place of J, so a Jacobian (and, at the same
  // step size, its factorisation) can be kept across steps.
  bool w_method;
};

// RODAS4: Hairer and Wanner's coefficients (their rodas.f, METH = 1). Stiffly accurate: the
// last two stages are evaluated at the new point, and the estimate is the last stage.
constexpr Tableau kRodas4Tableau = {
    6,
    0.25,
    {0.0, 0.386, 0.21, 0.63, 1.0, 1.0},
    {0.25, -0.1043, 0.1035, -0.0362, 0.0, 0.0},
    {{},
     {1.544},
     {0.9466785280815826, 0.2557011698983284},
     {3.314825187068521, 2.896124015972201, 0.9986419139977817},
     {1.221224509226641, 6.019134481288629, 12.53708332932087, -0.6878860361058950},
     {1.221224509226641, 6.019134481288629, 12.53708332932087, -0.6878860361058950, 1.0}},
    {{},
     {-5.6688},
     {-2.430093356833875, -0.2063599157091915},
     {-0.1073529058151375, -9.594562251023355, -20.47028614809616},
     {7.496443313967647, -10.24680431464352, -33.99990352819905, 11.70890893206160},
     {8.083246795921522, -7.981132988064893, -31.52159432874371, 16.31930543123136, -6.058818238834054}},
    {1.221224509226641, 6.019134481288629, 12.53708332932087, -0.6878860361058950, 1.0, 1.0},
    {0, 0, 0, 0, 0, 1.0},
    {true, true, true, true, true, true},
    4.0,
    false,
};

// RODAS3 (Sandu, Verwer, Blom et al., Atmos. Environ. 31, 1997): 4 stages, order 3 with an
// order-2 estimate, stiffly accurate; stage 2 reuses f at the step's start, so a step costs three
// function evaluations.
constexpr Tableau kRodas3Tableau = {
    4,
    0.5,
    {0.0, 0.0, 1.0, 1.0},
    {0.5, 1.5, 0.0, 0.0},
    {{}, {0.0}, {2.0, 0.0}, {2.0, 0.0, 1.0}},
    {{}, {4.0}, {1.0, -1.0}, {1.0, -1.0, -8.0 / 3.0}},
    {2.0, 0.0, 1.0, 1.0},
    {0, 0, 0, 1.0},
    {true, false, true, true},
    3.0,
    false,
};

// A method given in the standard form of Hairer and Wanner (eq. IV.7.4): stage propagation a,
// stage matrix Gamma (lower triangular, diagonal gamma), weights b and embedded weights b_hat.
struct StandardForm {
  int stages;
  double a[4][4], g[4][4], b[4], b_hat[4];
  double error_order;
  bool w_method;
};

// The transformed form (eq. 7.4'): A = a Gamma^-1, C = diag(1/gamma) - Gamma^-1,
// M = b Gamma^-1, E = (b - b_hat) Gamma^-1, alpha = row sums of a, gamma_i = row sums of Gamma.
Tableau Transform(const StandardForm& f) {
  Tableau t{};
  const int s = f.stages;
  t.stages = s;
  t.gamma = f.g[0][0];
  double inv[4][4] = {};  // Gamma^-1 (lower triangular), column by column by forward substitution
  for (int j = 0; j < s; ++j) {
    for (int i = j; i < s; ++i) {
      double v = i == j ? 1.0 : 0.0;
      for (int k = j; k < i; ++k) v -= f.g[i][k] * inv[k][j];
      inv[i][j] = v / f.g[i][i];
    }
  }
  for (int i = 0; i < s; ++i) {
    for (int j = 0; j < s; ++j) {
      t.alpha[i] += f.a[i][j];
      t.gamma_sum[i] += f.g[i][j];
      double aij = 0.0;
      for (int k = 0; k < s; ++k) aij += f.a[i][k] * inv[k][j];
      if (j < i) {
        t.a[i][j] = aij;
        t.c[i][j] = -inv[i][j];  // the diagonal of diag(1/gamma) - Gamma^-1 is zero
      }
      t.m[j] += f.b[i] * inv[i][j];
      t.e[j] += (f.b[i] - f.b_hat[i]) * inv[i][j];
    }
    t.new_f[i] = true;
  }
  t.error_order = f.error_order;
  t.w_method = f.w_method;
  return t;
}

// ROS34PW2 (Rang and Angermann, BIT 45, 2005): a Rosenbrock-W method, 4 stages, order 3 with
// an order-2 estimate, L-stable and stiffly accurate; four function evaluations per step.
const Tableau kRos34pw2Tableau = Transform({
    4,
    {{0, 0, 0, 0},
     {8.7173304301691801e-01, 0, 0, 0},
     {8.4457060015369423e-01, -1.1299064236484185e-01, 0, 0},
     {0, 0, 1.0, 0}},
    {{4.3586652150845900e-01, 0, 0, 0},
     {-8.7173304301691801e-01, 4.3586652150845900e-01, 0, 0},
     {-9.0338057013044082e-01, 5.4180672388095326e-02, 4.3586652150845900e-01, 0},
     {2.4212380706095346e-01, -1.2232505839045147e+00, 5.4526025533510214e-01, 4.3586652150845900e-01}},
    {2.4212380706095346e-01, -1.2232505839045147e+00, 1.5452602553351020e+00, 4.3586652150845900e-01},
    {3.7810903145819369e-01, -9.6042292212423178e-02, 5.0000000000000000e-01, 2.1793326075422950e-01},
    3.0,
    true,
});

// Step-size controller (Hairer and Wanner's defaults for RODAS).
constexpr double kSafety = 0.9, kFacMin = 0.2, kFacMax = 6.0, kFacReject = 0.1;
constexpr int kMaxRejections = 60;

const Tableau& TableauOf(Rosenbrock::Method method) {
  switch (method) {
    case Rosenbrock::Method::kRodas3: return kRodas3Tableau;
    case Rosenbrock::Method::kRos34pw2: return kRos34pw2Tableau;
    default: return kRodas4Tableau;
  }
}

// W-method: a kept Jacobian is re-evaluated after this many steps, or when a step with it fails.
constexpr int kMaxJacobianAge = 20;

}  // namespace

Rosenbrock::Rosenbrock(Method method, int n, double rtol, std::vector<double> atol)
    : method_(method), n_(n), rtol_(rtol), atol_(std::move(atol)) {
  const size_t nn = static_cast<size_t>(n) * n;
  f0_.resize(n);
  ft_.resize(n);
  jac_.resize(nn);
  lu_.resize(nn);
  k_.resize(static_cast<size_t>(TableauOf(method).stages) * n);
  stage_rhs_.resize(n);
  stage_x_.resize(n);
  stage_f_.resize(n);
  x_new_.resize(n);
  x_prev_.resize(n);
  f_end_.resize(n);
  perm_.resize(n);
}

void Rosenbrock::UseSparsity(const std::vector<std::pair<int, int>>& pattern) {
  sparse_.reset();
  if (pattern.empty()) return;
  auto lu = std::make_unique<SparseLu>(n_, pattern);
  if (lu->BeatsDense()) sparse_ = std::move(lu);
}

void Rosenbrock::Restart(double t, double* x) {
  t_ = t_prev_ = t;
  x_ = x;
  std::copy_n(x, n_, x_prev_.data());
  f_end_valid_ = false;
}

double Rosenbrock::ErrorNorm(const double* err, const double* x0, const double* x1) {
  double sum = 0.0, worst = -1.0;
  for (int i = 0; i < n_; ++i) {
    const double w = atol_[i] + rtol_ * std::max(std::fabs(x0[i]), std::fabs(x1[i]));
    const double e = err[i] / w;
    const double e2 = e * e;
    sum += e2;
    if (e2 > worst) {
      worst = e2;
      worst_ = i;
    }
  }
  return std::sqrt(sum / n_);
}

// Hairer and Wanner's starting step (Solving ODEs I, sec. II.4), order 4: the step for which an
// Euler step changes the state by 1 % of its weighted size.
double Rosenbrock::InitialStep(double t_stop) {
  double d0 = 0.0, d1 = 0.0;
  for (int i = 0; i < n_; ++i) {
    const double w = atol_[i] + rtol_ * std::fabs(x_[i]);
    d0 += (x_[i] / w) * (x_[i] / w);
    d1 += (f0_[i] / w) * (f0_[i] / w);
  }
  d0 = std::sqrt(d0 / n_);
  d1 = std::sqrt(d1 / n_);
  double h = (d0 < 1e-5 || d1 < 1e-5) ? 1e-6 : 0.01 * d0 / d1;
  return std::min(h, t_stop - t_);
}

Rosenbrock::Status Rosenbrock::Step(RosenbrockSystem& sys, double t_stop) {
  const int n = n_;
  const size_t nn = static_cast<size_t>(n) * n;
  const Tableau& tab = TableauOf(method_);
  // Derivatives at the start of the step (reused by every attempt): f, the Jacobian (every step,
  // or when a W-method's kept one is too old) and df/dt where f depends on t.
  const bool time_dependent = sys.TimeDependent();
  bool have_ft = false;
  auto evaluate_jacobian = [&] {
    ++stats_.jac_evals;
    if (!sys.RhsAndJacobian(t_, x_, f0_.data(), jac_.data(), time_dependent ? ft_.data() : nullptr, &have_ft)) {
      return false;
    }
    jac_age_ = 0;
    lu_h_ = 0.0;  // the factorisation is of the old matrix
    return true;
  };
  if (!tab.w_method || jac_age_ < 0 || jac_age_ >= kMaxJacobianAge) {
    if (!evaluate_jacobian()) return Status::kRhsFailed;
  } else if (f_end_valid_ && t_prev_ != t_) {
    std::copy_n(f_end_.data(), n, f0_.data());  // evaluated at this point by Interpolate
  } else {
    ++stats_.rhs_evals;
    if (!sys.Rhs(t_, x_, f0_.data())) return Status::kRhsFailed;
  }
  f_end_valid_ = false;
  if (time_dependent && !have_ft) {
    const double dt = std::sqrt(std::numeric_limits<double>::epsilon()) * std::max(1e-5, std::fabs(t_));
    ++stats_.rhs_evals;
    if (!sys.Rhs(t_ + dt, x_, ft_.data())) return Status::kRhsFailed;
    for (int i = 0; i < n; ++i) ft_[i] = (ft_[i] - f0_[i]) / dt;
  }
  if (!(h_next_ > 0)) h_next_ = InitialStep(t_stop);

  const double h_min = 16 * std::numeric_limits<double>::epsilon() * std::max(1.0, std::fabs(t_));
  bool rejected = false;
  for (int attempt = 0; attempt <= kMaxRejections; ++attempt) {
    // Land on t_stop: take it in one step when within 25 % of reach, in two equal ones when
    // within two steps, so that no sliver of a step is left before a discontinuity.
    const double remaining = t_stop - t_;
    const double h_wanted = h_next_;
    double h = h_wanted;
    bool last = false;
    if (h >= remaining / 1.25) {
      h = remaining;
      last = true;
    } else if (h > remaining / 2) {
      h = remaining / 2;
    }
    if (h < h_min) return Status::kStepTooSmall;
    // G = I / (h gamma) - J, factorised; a W-method keeps the factorisation while J and h stay.
    if (!(lu_h_ > 0 && std::fabs(h - lu_h_) <= 1e-13 * lu_h_)) {
      const double diag = 1.0 / (h * tab.gamma);
      ++stats_.factorizations;
      lu_h_ = 0.0;
      lu_is_sparse_ = sparse_ != nullptr && sparse_->Factor(diag, jac_.data());
      if (sparse_ != nullptr && !lu_is_sparse_) ++stats_.sparse_refusals;
      if (!lu_is_sparse_) {
        for (size_t i = 0; i < nn; ++i) lu_[i] = -jac_[i];
        for (int i = 0; i < n; ++i) lu_[static_cast<size_t>(i) * n + i] += diag;
        if (DenseLuFactor(lu_.data(), perm_.data(), n) != 0) {
          h_next_ = 0.5 * h;
          rejected = true;
          ++stats_.rejected;
          continue;
        }
      }
      lu_h_ = h;
    }
    bool rhs_ok = true;
    for (int s = 0; s < tab.stages && rhs_ok; ++s) {
      if (s == 0) {
        std::copy_n(f0_.data(), n, stage_f_.data());
      } else if (tab.new_f[s]) {
        std::copy_n(x_, n, stage_x_.data());
        for (int j = 0; j < s; ++j) {
          const double a = tab.a[s][j];
          if (a == 0.0) continue;
          const double* kj = &k_[static_cast<size_t>(j) * n];
          for (int i = 0; i < n; ++i) stage_x_[i] += a * kj[i];
        }
        ++stats_.rhs_evals;
        rhs_ok = sys.Rhs(t_ + tab.alpha[s] * h, stage_x_.data(), stage_f_.data());
        if (!rhs_ok) break;
      }
      std::copy_n(stage_f_.data(), n, stage_rhs_.data());
      for (int j = 0; j < s; ++j) {
        const double c = tab.c[s][j] / h;
        const double* kj = &k_[static_cast<size_t>(j) * n];
        for (int i = 0; i < n; ++i) stage_rhs_[i] += c * kj[i];
      }
      if (time_dependent && tab.gamma_sum[s] != 0.0) {
        const double hg = h * tab.gamma_sum[s];
        for (int i = 0; i < n; ++i) stage_rhs_[i] += hg * ft_[i];
      }
      double* ks = &k_[static_cast<size_t>(s) * n];
      if (lu_is_sparse_) {
        sparse_->Solve(stage_rhs_.data(), ks);
      } else {
        DenseLuSolve(lu_.data(), perm_.data(), n, stage_rhs_.data(), ks);
      }
    }
    double err = std::numeric_limits<double>::infinity();
    if (rhs_ok) {
      std::copy_n(x_, n, x_new_.data());
      std::fill_n(stage_x_.data(), n, 0.0);  // the error estimate
      for (int s = 0; s < tab.stages; ++s) {
        const double* ks = &k_[static_cast<size_t>(s) * n];
        if (tab.m[s] != 0.0) {
          for (int i = 0; i < n; ++i) x_new_[i] += tab.m[s] * ks[i];
        }
        if (tab.e[s] != 0.0) {
          for (int i = 0; i < n; ++i) stage_x_[i] += tab.e[s] * ks[i];
        }
      }
      err = ErrorNorm(stage_x_.data(), x_, x_new_.data());
    }
    if (!(err <= 1.0) && tab.w_method && jac_age_ > 0) {
      // The kept Jacobian may be what failed: retry this step size with a fresh one first.
      ++stats_.rejected;
      if (!evaluate_jacobian()) return Status::kRhsFailed;
      h_next_ = h_wanted;
      continue;
    }
    if (!std::isfinite(err)) {
      // A stage left the model's domain: retry much smaller.
      h_next_ = 0.25 * h;
      rejected = true;
      ++stats_.rejected;
      continue;
    }
    double fac = kSafety * std::pow(std::max(err, 1e-10), -1.0 / tab.error_order);
    fac = std::clamp(fac, kFacMin, kFacMax);
    if (err <= 1.0) {
      std::copy_n(x_, n, x_prev_.data());
      std::copy_n(x_new_.data(), n, x_);
      t_prev_ = t_;
      t_ = last ? t_stop : t_ + h;
      h_last_ = h;
      ++stats_.steps;
      ++jac_age_;
      double h_new = h * fac;
      if (rejected) h_new = std::min(h_new, h);
      // A step shortened to land on t_stop says nothing against the longer one wanted.
      if (h < h_wanted && !rejected) h_new = std::max(h_new, h_wanted);
      h_next_ = h_new;
      return Status::kOk;
    }
    ++stats_.rejected;
    // Repeated rejections mean the error does not shrink like h^4 (a kink of the balances within
    // the step): cut harder.
    h_next_ = h * (attempt == 0 ? std::min(fac, 0.9) : attempt == 1 ? std::min(fac, 0.5) : kFacReject);
    rejected = true;
  }
  return Status::kStepTooSmall;
}

bool Rosenbrock::Interpolate(RosenbrockSystem& sys, double t, double* x_out) {
  const double h = t_ - t_prev_;
  if (!(h > 0)) {
    std::copy_n(x_, n_, x_out);
    return true;
  }
  if (!f_end_valid_) {
    ++stats_.rhs_evals;
    if (!sys.Rhs(t_, x_, f_end_.data())) return false;
    f_end_valid_ = true;
  }
  // f0_ still holds the derivative at the step's start.
  const double s = (t - t_prev_) / h;
  const double h00 = (1 + 2 * s) * (1 - s) * (1 - s), h10 = s * (1 - s) * (1 - s);
  const double h01 = s * s * (3 - 2 * s), h11 = s * s * (s - 1);
  for (int i = 0; i < n_; ++i) {
    x_out[i] = h00 * x_prev_[i] + h10 * h * f0_[i] + h01 * x_[i] + h11 * h * f_end_[i];
  }
  return true;
}

}  // namespace biotwin::sim
