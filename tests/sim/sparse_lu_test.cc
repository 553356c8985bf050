// SparseLu against the dense partial-pivoting LU (an independent factorisation of the same
// matrix) and against the residual of M x = b: random sparse matrices, the IndPenSim Jacobian
// over the range of c a Rosenbrock integrator uses, matrices that need row exchanges, and the
// fill-in an ordering saves on an arrow matrix.
#include "sim/sparse_lu.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <set>
#include <stdexcept>
#include <utility>
#include <vector>

#include "model/compiled_tapes.h"
#include "model/file_model.h"
#include "model/model.h"
#include "sim/dense_lu.h"
#include "test_paths.h"

namespace biotwin::sim {
namespace {

using Pattern = std::vector<std::pair<int, int>>;

// M = c I - J, column major.
std::vector<double> NewtonMatrix(int n, double c, const std::vector<double>& jac) {
  std::vector<double> m(jac.size());
  for (size_t q = 0; q < jac.size(); ++q) m[q] = -jac[q];
  for (int k = 0; k < n; ++k) m[k + static_cast<size_t>(k) * n] += c;
  return m;
}

// ||M x - b||_inf / (||M||_inf ||x||_inf + ||b||_inf): the normwise backward error.
double BackwardError(int n, const std::vector<double>& m, const std::vector<double>& x,
                     const std::vector<double>& b) {
  double r_max = 0.0, m_norm = 0.0, x_max = 0.0, b_max = 0.0;
  for (int i = 0; i < n; ++i) {
    double r = -b[i], row = 0.0;
    for (int j = 0; j < n; ++j) {
      r += m[i + static_cast<size_t>(j) * n] * x[j];
      row += std::fabs(m[i + static_cast<size_t>(j) * n]);
    }
    r_max = std::max(r_max, std::fabs(r));
    m_norm = std::max(m_norm, row);
    x_max = std::max(x_max, std::fabs(x[i]));
    b_max = std::max(b_max, std::fabs(b[i]));
  }
  return r_max / (m_norm * x_max + b_max);
}

std::vector<double> DenseSolve(int n, std::vector<double> m, const std::vector<double>& b) {
  std::vector<int> perm(n);
  std::vector<double> x(n);
  EXPECT_EQ(DenseLuFactor(m.data(), perm.data(), n), 0);
  DenseLuSolve(m.data(), perm.data(), n, b.data(), x.data());
  return x;
}

double RelativeDifference(const std::vector<double>& x, const std::vector<double>& y) {
  double d = 0.0, s = 0.0;
  for (size_t i = 0; i < x.size(); ++i) {
    d = std::max(d, std::fabs(x[i] - y[i]));
    s = std::max(s, std::fabs(y[i]));
  }
  return d / s;
}

// Random J with the given density off the diagonal (and every diagonal entry), values in [-1, 1].
void RandomSparse(int n, double density, std::mt19937& rng, Pattern& pattern, std::vector<double>& jac) {
  std::uniform_real_distribution<double> u(-1.0, 1.0), coin(0.0, 1.0);
  pattern.clear();
  jac.assign(static_cast<size_t>(n) * n, 0.0);
  for (int j = 0; j < n; ++j) {
    for (int i = 0; i < n; ++i) {
      if (i != j && coin(rng) >= density) continue;
      pattern.emplace_back(i, j);
      jac[i + static_cast<size_t>(j) * n] = u(rng);
    }
  }
}

std::vector<double> RandomVector(int n, std::mt19937& rng) {
  std::uniform_real_distribution<double> u(-1.0, 1.0);
  std::vector<double> b(n);
  for (double& v : b) v = u(rng);
  return b;
}

TEST(SparseLu, DiagonallyDominantRandomMatchesDenseLu) {
  std::mt19937 rng(7);
  for (int trial = 0; trial < 20; ++trial) {
    const int n = 5 + trial * 4;
    Pattern pattern;
    std::vector<double> jac;
    RandomSparse(n, 0.15, rng, pattern, jac);
    // Row sums of |J| are at most n; c = n + 1 makes M strictly diagonally dominant.
    const double c = n + 1.0;
    SparseLu lu(n, pattern);
    ASSERT_TRUE(lu.Factor(c, jac.data())) << "n = " << n;
    const std::vector<double> m = NewtonMatrix(n, c, jac), b = RandomVector(n, rng);
    std::vector<double> x(n);
    lu.Solve(b.data(), x.data());
    EXPECT_LT(BackwardError(n, m, x, b), 1e-15) << "n = " << n;
    EXPECT_LT(RelativeDifference(x, DenseSolve(n, m, b)), 1e-13) << "n = " << n;
  }
}

TEST(SparseLu, NonDominantRandomIsAccurateWhenAccepted) {
  std::mt19937 rng(11);
  int accepted = 0, refused = 0;
  for (int trial = 0; trial < 200; ++trial) {
    const int n = 30;
    Pattern pattern;
    std::vector<double> jac;
    RandomSparse(n, 0.12, rng, pattern, jac);
    const double c = 1.0;  // M's diagonal is in [-0.5, 1.5]: often small against its column
    SparseLu lu(n, pattern);
    const std::vector<double> m = NewtonMatrix(n, c, jac), b = RandomVector(n, rng);
    if (!lu.Factor(c, jac.data())) {
      ++refused;
      continue;
    }
    ++accepted;
    EXPECT_GE(lu.min_pivot_ratio(), SparseLu::kPivotTolerance);
    std::vector<double> x(n);
    lu.Solve(b.data(), x.data());
    // Multipliers are bounded by 1 / kPivotTolerance, so the backward error stays near rounding.
    EXPECT_LT(BackwardError(n, m, x, b), 1e-13) << "trial " << trial;
    const std::vector<double> xd = DenseSolve(n, m, b);
    EXPECT_LT(BackwardError(n, m, xd, b), 1e-13) << "trial " << trial;
  }
  // Both outcomes occur at this c, so both branches above were exercised.
  EXPECT_GT(accepted, 20);
  EXPECT_GT(refused, 20);
}

TEST(SparseLu, SolveInPlace) {
  std::mt19937 rng(3);
  const int n = 25;
  Pattern pattern;
  std::vector<double> jac;
  RandomSparse(n, 0.2, rng, pattern, jac);
  SparseLu lu(n, pattern);
  ASSERT_TRUE(lu.Factor(30.0, jac.data()));
  const std::vector<double> b = RandomVector(n, rng);
  std::vector<double> x(n), y = b;
  lu.Solve(b.data(), x.data());
  lu.Solve(y.data(), y.data());
  EXPECT_EQ(x, y);
}

// Zero diagonal that no symmetric reordering avoids: every first pivot is zero.
TEST(SparseLu, RefusesMatrixThatNeedsRowExchanges) {
  const int n = 4;
  const double c = 3.0;
  // J = c I + cyclic permutation, so M = c I - J = -(cyclic permutation): all diagonals zero.
  std::vector<double> jac(n * n, 0.0);
  Pattern pattern;
  for (int i = 0; i < n; ++i) {
    const int j = (i + 1) % n;
    jac[i + i * n] = c;
    jac[i + j * n] = 1.0;
    pattern.emplace_back(i, j);
    pattern.emplace_back(i, i);
  }
  SparseLu lu(n, pattern);
  EXPECT_FALSE(lu.Factor(c, jac.data()));
  // The dense LU with row exchanges solves it: x_{i+1} = -b_i.
  const std::vector<double> b = {1.0, 2.0, 3.0, 4.0};
  const std::vector<double> x = DenseSolve(n, NewtonMatrix(n, c, jac), b);
  EXPECT_DOUBLE_EQ(x[1], -1.0);
  EXPECT_DOUBLE_EQ(x[0], -4.0);
  // A second Factor with c away from the cancelling value succeeds and solves correctly.
  ASSERT_TRUE(lu.Factor(c + 10.0, jac.data()));
  std::vector<double> y(n);
  lu.Solve(b.data(), y.data());
  EXPECT_LT(BackwardError(n, NewtonMatrix(n, c + 10.0, jac), y, b), 1e-15);
}

TEST(SparseLu, RefusesSmallPivots) {
  // M = [[e, 1], [1, e]]: both orders start with pivot e against a column maximum of 1.
  const double c = 1.0;
  for (double e : {1e-12, 1e-3, 0.05}) {
    const std::vector<double> jac = {c - e, -1.0, -1.0, c - e};
    SparseLu lu(2, {{0, 0}, {0, 1}, {1, 0}, {1, 1}});
    EXPECT_FALSE(lu.Factor(c, jac.data())) << e;
  }
  const double e = 0.2;  // above the threshold
  const std::vector<double> jac = {c - e, -1.0, -1.0, c - e};
  SparseLu lu(2, {{0, 0}, {0, 1}, {1, 0}, {1, 1}});
  ASSERT_TRUE(lu.Factor(c, jac.data()));
  EXPECT_DOUBLE_EQ(lu.min_pivot_ratio(), 0.2);
  const std::vector<double> b = {1.0, 0.0};
  std::vector<double> x(2);
  lu.Solve(b.data(), x.data());
  // Inverse of [[e, 1], [1, e]] times (1, 0): (e, -1) / (e^2 - 1).
  EXPECT_NEAR(x[0], e / (e * e - 1.0), 1e-15);
  EXPECT_NEAR(x[1], -1.0 / (e * e - 1.0), 1e-15);
}

// One object through a sequence of matrices, as an integrator uses it: between equilibrations the
// pivot test runs on the last scales. A small-pivot matrix arriving then is still refused (its
// pivot ratio 1e-3 is far below the threshold whatever the row scales of a nearby matrix), the
// next matrix is judged with fresh scales, and every accepted one solves like the dense LU.
TEST(SparseLu, ReusedScalesStillRefuseSmallPivotsAndSolveAccurately) {
  const Pattern pattern = {{0, 0}, {0, 1}, {1, 0}, {1, 1}};
  SparseLu lu(2, pattern);
  const double c = 1.0;
  for (int k = 0; k < 3 * SparseLu::kRescaleEvery; ++k) {
    const double e = (k % 5 == 4) ? 1e-3 : 0.5 + 0.01 * k;  // every fifth matrix needs a row exchange
    const std::vector<double> jac = {c - e, -1.0 - 0.001 * k, -1.0, c - e};
    const bool accepted = lu.Factor(c, jac.data());
    EXPECT_EQ(accepted, e > 0.1) << k;
    if (!accepted) continue;
    const std::vector<double> b = {1.0, 2.0};
    std::vector<double> x(2);
    lu.Solve(b.data(), x.data());
    EXPECT_LT(RelativeDifference(x, DenseSolve(2, NewtonMatrix(2, c, jac), b)), 1e-14) << k;
  }
}

TEST(SparseLu, RefusesNonFiniteInput) {
  std::vector<double> jac = {1.0, 2.0, 3.0, 4.0};
  SparseLu lu(2, {{0, 0}, {0, 1}, {1, 0}, {1, 1}});
  EXPECT_TRUE(lu.Factor(20.0, jac.data()));
  jac[2] = std::numeric_limits<double>::quiet_NaN();  // off the diagonal: reaches only U
  EXPECT_FALSE(lu.Factor(20.0, jac.data()));
  jac[2] = std::numeric_limits<double>::infinity();
  EXPECT_FALSE(lu.Factor(20.0, jac.data()));
  jac[2] = 3.0;
  EXPECT_FALSE(lu.Factor(std::numeric_limits<double>::quiet_NaN(), jac.data()));
}

TEST(SparseLu, RejectsPatternOutsideMatrix) {
  EXPECT_THROW(SparseLu(3, {{0, 3}}), std::invalid_argument);
  EXPECT_THROW(SparseLu(3, {{-1, 0}}), std::invalid_argument);
  EXPECT_THROW(SparseLu(0, {}), std::invalid_argument);
}

// Arrow matrix with the dense row and column first: in natural order the first elimination
// fills the whole matrix; both fill-reducing orderings put the hub (nearly) last and create no fill.
TEST(SparseLu, OrderingsRemoveArrowFill) {
  const int n = 20;
  Pattern pattern;
  std::vector<double> jac(n * n, 0.0);
  for (int i = 1; i < n; ++i) {
    pattern.emplace_back(0, i);
    pattern.emplace_back(i, 0);
    jac[0 + i * n] = 1.0 / i;
    jac[i + 0] = -0.5 / i;
    jac[i + i * n] = -1.0 - i;
  }
  SparseLu natural(n, pattern, SparseLu::Ordering::kNatural);
  EXPECT_EQ(natural.nnz_factors(), n * n);
  long dense_flops = 0;
  for (int k = 0; k < n; ++k) dense_flops += static_cast<long>(n - 1 - k) * (n - 1 - k);
  EXPECT_EQ(natural.flops_factor(), dense_flops);
  SparseLu markowitz(n, pattern, SparseLu::Ordering::kMarkowitz);
  SparseLu min_degree(n, pattern, SparseLu::Ordering::kMinimumDegree);
  for (const SparseLu* lu : {&markowitz, &min_degree}) {
    EXPECT_EQ(lu->nnz_factors(), 3 * n - 2);
    // The hub goes last but one: once only it and one leaf remain, both cost the same.
    EXPECT_EQ(lu->perm()[n - 2], 0);
    EXPECT_EQ(lu->flops_factor(), n - 1);  // each leaf updates only the hub's diagonal
  }
  std::mt19937 rng(5);
  const std::vector<double> b = RandomVector(n, rng);
  const std::vector<double> m = NewtonMatrix(n, 2.0, jac);
  for (SparseLu* lu : {&natural, &markowitz, &min_degree}) {
    ASSERT_TRUE(lu->Factor(2.0, jac.data()));
    std::vector<double> x(n);
    lu->Solve(b.data(), x.data());
    EXPECT_LT(BackwardError(n, m, x, b), 1e-15);
    EXPECT_LT(RelativeDifference(x, DenseSolve(n, m, b)), 1e-14);
  }
}

// The IndPenSim balances: pattern from the tape's dependency cones, values from the exact
// Jacobian at the initial state and at perturbed states, c over the range of 1/(h gamma).
class IndPenSimLu : public ::testing::Test {
 protected:
  void SetUp() override {
    model_ = model::LoadModelFile(testing::SourcePath("models/indpensim.yaml"));
    const auto* fm = dynamic_cast<const model::FileModel*>(model_.get());
    ASSERT_NE(fm, nullptr);
    n_ = model_->num_states();
    for (int i = 0; i < n_; ++i) {
      for (int v : fm->tapes().rhs.OutputVars(i)) {
        if (v < n_) pattern_.emplace_back(i, v);
      }
    }
    x0_ = model_->info().InitialState();
    u_ = model_->info().DefaultInputs();
    p_ = model_->info().ParameterValues();
    ws_ = model_->NewWorkspace();
  }
  std::vector<double> Jacobian(const std::vector<double>& x) {
    std::vector<double> jac(static_cast<size_t>(n_) * n_);
    model::EvalPoint at{0.0, x.data(), u_.data(), p_.data(), 0};
    model_->Jacobians(at, jac.data(), nullptr, *ws_);
    return jac;
  }
  std::shared_ptr<const model::Model> model_;
  std::unique_ptr<model::ModelWorkspace> ws_;
  int n_ = 0;
  Pattern pattern_;
  std::vector<double> x0_, u_, p_;
};

TEST_F(IndPenSimLu, PatternCoversJacobianAndOrderingCutsFill) {
  std::set<std::pair<int, int>> in_pattern(pattern_.begin(), pattern_.end());
  const std::vector<double> jac = Jacobian(x0_);
  for (int j = 0; j < n_; ++j) {
    for (int i = 0; i < n_; ++i) {
      if (jac[i + j * n_] != 0.0) {
        EXPECT_TRUE(in_pattern.count({i, j})) << i << ", " << j;
      }
    }
  }
  SparseLu markowitz(n_, pattern_), natural(n_, pattern_, SparseLu::Ordering::kNatural),
      min_degree(n_, pattern_, SparseLu::Ordering::kMinimumDegree);
  EXPECT_LT(min_degree.nnz_factors(), natural.nnz_factors());
  EXPECT_LT(min_degree.flops_factor(), natural.flops_factor());
  // The unsymmetric cost sees that IndPenSim's dense rows (rates depending on many states) and
  // columns (the volume diluting everything) need not meet early: far fewer updates.
  EXPECT_LE(markowitz.nnz_factors(), min_degree.nnz_factors());
  EXPECT_LT(markowitz.flops_factor(), 0.8 * min_degree.flops_factor());
}

TEST_F(IndPenSimLu, MatchesDenseLuOverRosenbrockRange) {
  SparseLu lu(n_, pattern_);
  std::mt19937 rng(2024);
  std::uniform_real_distribution<double> scale(0.95, 1.05);
  std::vector<std::vector<double>> states = {x0_};
  for (int s = 0; s < 3; ++s) {
    std::vector<double> x = x0_;
    for (double& v : x) v *= scale(rng);
    states.push_back(x);
  }
  int accepted = 0;
  for (const auto& x : states) {
    const std::vector<double> jac = Jacobian(x);
    for (double c = 5.0; c <= 1e4 * 1.0001; c *= std::pow(10.0, 0.25)) {
      const std::vector<double> m = NewtonMatrix(n_, c, jac);
      const std::vector<double> b = RandomVector(n_, rng);
      if (!lu.Factor(c, jac.data())) {
        ADD_FAILURE() << "refused at c = " << c << " 1/h";
        continue;
      }
      ++accepted;
      std::vector<double> xs(n_);
      lu.Solve(b.data(), xs.data());
      const std::vector<double> xd = DenseSolve(n_, m, b);
      EXPECT_LT(BackwardError(n_, m, xs, b), 1e-15) << "c = " << c;
      EXPECT_LT(RelativeDifference(xs, xd), 1e-12) << "c = " << c;
    }
  }
  EXPECT_EQ(accepted, 4 * 14);  // c = 5 10^(k/4), k = 0..13
}

// Changing a state's unit is a similarity transform J' = S J S^-1 (S = diag(unit factors)); the
// equilibrated pivot test must not care. [H+] in nmol/L instead of mol/L (factor 1e9) and the
// vessel weight in g instead of kg (1e3): same acceptance, and x' = S x.
TEST_F(IndPenSimLu, PivotTestIgnoresStateUnits) {
  const int h = model_->info().StateIndex("H"), wt = model_->info().StateIndex("Wt");
  ASSERT_GE(h, 0);
  ASSERT_GE(wt, 0);
  std::vector<double> s(n_, 1.0);
  s[h] = 1e9;
  s[wt] = 1e3;
  const std::vector<double> jac = Jacobian(x0_);
  std::vector<double> jac_s(jac.size());
  for (int j = 0; j < n_; ++j) {
    for (int i = 0; i < n_; ++i) jac_s[i + j * n_] = s[i] * jac[i + j * n_] / s[j];
  }
  SparseLu lu(n_, pattern_), lu_s(n_, pattern_);
  std::mt19937 rng(9);
  for (double c : {1.0, 5.0, 20.0, 200.0, 1e4}) {
    ASSERT_TRUE(lu.Factor(c, jac.data())) << c;
    ASSERT_TRUE(lu_s.Factor(c, jac_s.data())) << c;
    const std::vector<double> b = RandomVector(n_, rng);
    std::vector<double> b_s(n_), x(n_), x_s(n_);
    for (int i = 0; i < n_; ++i) b_s[i] = s[i] * b[i];
    lu.Solve(b.data(), x.data());
    lu_s.Solve(b_s.data(), x_s.data());
    for (int i = 0; i < n_; ++i) x_s[i] /= s[i];
    EXPECT_LT(RelativeDifference(x_s, x), 1e-12) << c;
  }
}

// The build compiles straight-line code for the bundled models' patterns (biotwin_codegen,
// SparseLu::KernelSource); the IndPenSim Newton matrices must come out bit for bit as from the
// loops, refusals included, over the integrator's range of c and through several rescales.
TEST_F(IndPenSimLu, CompiledKernelMatchesLoopsBitForBit) {
  const Pattern pattern = model_->JacobianPattern();
  SparseLu compiled(n_, pattern);
  model::SetCompiledTapesEnabled(false);
  SparseLu loops(n_, pattern);
  model::SetCompiledTapesEnabled(true);
  ASSERT_TRUE(compiled.compiled()) << "no kernel registered for " << compiled.Fingerprint();
  EXPECT_FALSE(loops.compiled());
  EXPECT_EQ(compiled.Fingerprint(), loops.Fingerprint());
  std::mt19937 rng(77);
  std::uniform_real_distribution<double> scale(0.9, 1.1);
  int factorised = 0;
  for (int s = 0; s < 4; ++s) {
    std::vector<double> x = x0_;
    if (s > 0) {
      for (double& v : x) v *= scale(rng);
    }
    std::vector<double> jac = Jacobian(x);
    if (s == 3) jac[1] = std::numeric_limits<double>::quiet_NaN();  // both must refuse it
    for (double c = 5.0; c <= 1e4; c *= 1.7) {
      const bool ok_c = compiled.Factor(c, jac.data()), ok_l = loops.Factor(c, jac.data());
      ASSERT_EQ(ok_c, ok_l) << "c = " << c;
      EXPECT_EQ(ok_c, s != 3);
      EXPECT_EQ(compiled.min_pivot_ratio(), loops.min_pivot_ratio());
      if (!ok_c) continue;
      ++factorised;
      const std::vector<double> b = RandomVector(n_, rng);
      std::vector<double> xc(n_), xl(n_);
      compiled.Solve(b.data(), xc.data());
      loops.Solve(b.data(), xl.data());
      EXPECT_EQ(std::memcmp(xc.data(), xl.data(), n_ * sizeof(double)), 0) << "c = " << c;
    }
  }
  EXPECT_EQ(factorised, 3 * 15);  // c = 5 1.7^k < 1e4, k = 0..14
}

// A pattern nobody compiled runs the loops; switching compiled code off also switches the kernels
// off.
TEST(SparseLu, UncompiledPatternRunsTheLoops) {
  SparseLu lu(3, {{0, 1}, {1, 2}, {2, 0}});
  EXPECT_FALSE(lu.compiled());
  EXPECT_EQ(lu.Fingerprint().rfind("sparse-lu/3/", 0), 0u) << lu.Fingerprint();
}

}  // namespace
}  // namespace biotwin::sim
