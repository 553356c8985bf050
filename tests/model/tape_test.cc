#include <array>
#include <atomic>
#include <cmath>
#include <cstdlib>
#include <functional>
#include <limits>
#include <new>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "model/tape.h"

// Allocation counter for the no-allocation test: the replaced global operator new counts calls
// while g_count_allocations is set. Affects this test binary only.
namespace {
std::atomic<bool> g_count_allocations{false};
std::atomic<long> g_allocations{0};

void* CountedAlloc(std::size_t size) {
  if (g_count_allocations.load(std::memory_order_relaxed)) {
    g_allocations.fetch_add(1, std::memory_order_relaxed);
  }
  void* p = std::malloc(size == 0 ? 1 : size);
  if (p == nullptr) throw std::bad_alloc();
  return p;
}
}  // namespace

void* operator new(std::size_t size) { return CountedAlloc(size); }
void* operator new[](std::size_t size) { return CountedAlloc(size); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }

namespace biotwin::model {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();

// Evaluates output 0 of a finalized tape at `vars`.
double Eval(const Tape& tape, TapeWorkspace& ws, const std::vector<double>& vars, int out = 0) {
  TapeForward(tape, vars.data(), ws);
  return TapeOutput(tape, ws, out);
}

std::vector<double> Grad(const Tape& tape, TapeWorkspace& ws, const std::vector<double>& vars,
                         int out = 0) {
  TapeForward(tape, vars.data(), ws);
  std::vector<double> grad(tape.num_vars(), 12345.0);  // garbage: Gradient must overwrite all
  TapeGradient(tape, ws, out, grad.data());
  return grad;
}

// Compares the tape gradient with central finite differences at `vars`.
void ExpectGradientMatchesFiniteDifferences(const Tape& tape, const std::vector<double>& vars) {
  TapeWorkspace ws(tape);
  const std::vector<double> grad = Grad(tape, ws, vars);
  for (int i = 0; i < tape.num_vars(); ++i) {
    const double h = 1e-5 * std::max(1.0, std::fabs(vars[i]));
    std::vector<double> plus = vars, minus = vars;
    plus[i] += h;
    minus[i] -= h;
    const double fd = (Eval(tape, ws, plus) - Eval(tape, ws, minus)) / (2.0 * h);
    EXPECT_NEAR(grad[i], fd, 1e-6 * std::max(1.0, std::fabs(fd)))
        << "d/dvar" << i << " at (" << vars[0] << ", " << vars[1] << ", " << vars[2] << ")";
  }
}

TEST(TapeTest, ValuesMatchClosedForms) {
  Tape t(3);
  const int x = t.Var(0), y = t.Var(1), z = t.Var(2);
  const double xv = 1.7, yv = -0.4, zv = 2.5;
  struct Check {
    int node;
    double expected;
  };
  const std::vector<Check> checks = {
      {t.Binary(TapeOp::kAdd, x, y), xv + yv},
      {t.Binary(TapeOp::kSub, x, y), xv - yv},
      {t.Binary(TapeOp::kMul, x, z), xv * zv},
      {t.Binary(TapeOp::kDiv, y, z), yv / zv},
      {t.Unary(TapeOp::kNeg, x), -xv},
      {t.Binary(TapeOp::kPow, x, z), std::pow(xv, zv)},
      {t.PowK(y, 3.0), std::pow(yv, 3.0)},
      {t.Unary(TapeOp::kExp, y), std::exp(yv)},
      {t.Unary(TapeOp::kLog, x), std::log(xv)},
      {t.Unary(TapeOp::kLog10, z), std::log10(zv)},
      {t.Unary(TapeOp::kSqrt, z), std::sqrt(zv)},
      {t.Unary(TapeOp::kAbs, y), 0.4},
      {t.Unary(TapeOp::kTanh, y), std::tanh(yv)},
      {t.Unary(TapeOp::kSin, x), std::sin(xv)},
      {t.Unary(TapeOp::kCos, x), std::cos(xv)},
      {t.Binary(TapeOp::kMin, x, y), yv},
      {t.Binary(TapeOp::kMax, x, y), xv},
      {t.Binary(TapeOp::kLt, y, x), 1.0},
      {t.Binary(TapeOp::kLe, x, y), 0.0},
      {t.Binary(TapeOp::kGt, z, x), 1.0},
      {t.Binary(TapeOp::kGe, y, z), 0.0},
      {t.Binary(TapeOp::kEq, x, x), 1.0},
      {t.Binary(TapeOp::kNe, x, z), 1.0},
      {t.Binary(TapeOp::kAnd, x, y), 1.0},
      {t.Binary(TapeOp::kOr, t.Const(0.0), t.Binary(TapeOp::kGt, y, z)), 0.0},
      {t.Unary(TapeOp::kNot, x), 0.0},
      {t.Select(t.Binary(TapeOp::kGt, x, z), x, y), yv},
      {t.Unary(TapeOp::kStep, y), 0.0},
      {t.Unary(TapeOp::kStep, t.Binary(TapeOp::kSub, x, x)), 1.0},
      {t.Binary(TapeOp::kSmoothStep, y, z), 0.5 * (1.0 + std::tanh(yv / zv))},
  };
  for (const Check& c : checks) t.AddOutput(c.node);
  t.Finalize();
  TapeWorkspace ws(t);
  const std::vector<double> vars = {xv, yv, zv};
  TapeForward(t, vars.data(), ws);
  for (size_t i = 0; i < checks.size(); ++i) {
    EXPECT_DOUBLE_EQ(TapeOutput(t, ws, static_cast<int>(i)), checks[i].expected) << "check " << i;
  }
}

TEST(TapeTest, HashConsingSharesIdenticalNodes) {
  Tape t(2);
  auto build = [&t] {
    const int s = t.Var(0), ks = t.Var(1);
    return t.Binary(TapeOp::kDiv, s, t.Binary(TapeOp::kAdd, ks, s));
  };
  const int first = build();
  const int size = t.size();
  EXPECT_EQ(build(), first);
  EXPECT_EQ(t.size(), size);
  EXPECT_EQ(t.Const(2.5), t.Const(2.5));
  EXPECT_NE(t.Const(0.0), t.Const(-0.0));
  EXPECT_EQ(t.Const(kNaN), t.Const(kNaN));
  EXPECT_EQ(t.PowK(t.Var(0), 2.0), t.Binary(TapeOp::kPow, t.Var(0), t.Const(2.0)));
  // Commutative operations are normalised; non-commutative ones are not.
  EXPECT_EQ(t.Binary(TapeOp::kMul, t.Var(0), t.Var(1)), t.Binary(TapeOp::kMul, t.Var(1), t.Var(0)));
  EXPECT_EQ(t.Binary(TapeOp::kAdd, t.Var(1), t.Var(0)), t.Binary(TapeOp::kAdd, t.Var(0), t.Var(1)));
  EXPECT_NE(t.Binary(TapeOp::kSub, t.Var(0), t.Var(1)), t.Binary(TapeOp::kSub, t.Var(1), t.Var(0)));
  EXPECT_NE(t.PowK(t.Var(0), 2.0), t.PowK(t.Var(0), 3.0));
  // Many distinct nodes (forces rehashing) stay distinct and shareable.
  std::vector<int> ids;
  for (int i = 0; i < 1000; ++i) ids.push_back(t.PowK(t.Var(i % 2), 1.5 + i));
  const int grown = t.size();
  for (int i = 0; i < 1000; ++i) EXPECT_EQ(t.PowK(t.Var(i % 2), 1.5 + i), ids[i]);
  EXPECT_EQ(t.size(), grown);
}

TEST(TapeTest, ConstantFolding) {
  Tape t(2);
  const int x = t.Var(0);
  auto const_value = [&t](int node) {
    EXPECT_EQ(t.instrs()[node].op, TapeOp::kConst);
    return t.instrs()[node].k;
  };
  EXPECT_DOUBLE_EQ(const_value(t.Binary(TapeOp::kAdd, t.Const(2), t.Const(3))), 5.0);
  EXPECT_DOUBLE_EQ(const_value(t.Binary(TapeOp::kPow, t.Const(2), t.Const(10))), 1024.0);
  EXPECT_DOUBLE_EQ(const_value(t.PowK(t.Const(3), 2.0)), 9.0);
  EXPECT_DOUBLE_EQ(const_value(t.Unary(TapeOp::kExp, t.Const(0))), 1.0);
  EXPECT_DOUBLE_EQ(const_value(t.Binary(TapeOp::kMax, t.Const(-1), t.Const(4))), 4.0);
  EXPECT_DOUBLE_EQ(const_value(t.Binary(TapeOp::kLt, t.Const(1), t.Const(2))), 1.0);
  EXPECT_DOUBLE_EQ(
      const_value(t.Select(t.Const(1), t.Const(7), t.Const(8))), 7.0);
  EXPECT_DOUBLE_EQ(const_value(t.Binary(TapeOp::kMul, x, t.Const(0))), 0.0);
  EXPECT_DOUBLE_EQ(const_value(t.PowK(x, 0.0)), 1.0);
  const int before = t.size();
  EXPECT_EQ(t.Binary(TapeOp::kMul, x, t.Const(1)), x);
  EXPECT_EQ(t.Binary(TapeOp::kMul, t.Const(1), x), x);
  EXPECT_EQ(t.Binary(TapeOp::kAdd, t.Const(0), x), x);
  EXPECT_EQ(t.Binary(TapeOp::kAdd, x, t.Const(0)), x);
  EXPECT_EQ(t.Binary(TapeOp::kSub, x, t.Const(0)), x);
  EXPECT_EQ(t.Binary(TapeOp::kDiv, x, t.Const(1)), x);
  EXPECT_EQ(t.PowK(x, 1.0), x);
  EXPECT_EQ(t.Select(t.Const(0), t.Var(1), x), x);
  EXPECT_EQ(t.Select(t.Var(1), x, x), x);
  EXPECT_EQ(t.Unary(TapeOp::kNeg, t.Unary(TapeOp::kNeg, x)), x);
  // (2 * 3 + 4) folds all the way; a dead expression with only constants adds just constants.
  const int c = t.Binary(TapeOp::kAdd, t.Binary(TapeOp::kMul, t.Const(2), t.Const(3)), t.Const(4));
  EXPECT_DOUBLE_EQ(const_value(c), 10.0);
  for (int i = before; i < t.size(); ++i) {
    const TapeOp op = t.instrs()[i].op;
    EXPECT_TRUE(op == TapeOp::kConst || op == TapeOp::kVar || op == TapeOp::kNeg) << i;
  }
}

// One test case per op for the finite-difference sweep: a builder and evaluation points chosen
// away from kinks.
struct GradCase {
  std::string name;
  std::function<int(Tape&, int, int, int)> build;
  std::vector<std::vector<double>> points;
};

TEST(TapeTest, GradientsMatchFiniteDifferencesForEveryOp) {
  const std::vector<std::vector<double>> general = {
      {0.7, -1.3, 2.1}, {-2.4, 0.35, -0.8}, {3.5, 1.9, 0.6}};
  const std::vector<std::vector<double>> positive = {
      {0.7, 1.3, 2.1}, {2.4, 0.35, 0.8}, {3.5, 1.9, 0.06}};
  using T = Tape;
  const std::vector<GradCase> cases = {
      {"add", [](T& t, int x, int y, int z) { return t.Binary(TapeOp::kAdd, x, y); }, general},
      {"sub", [](T& t, int x, int y, int z) { return t.Binary(TapeOp::kSub, x, y); }, general},
      {"mul", [](T& t, int x, int y, int z) { return t.Binary(TapeOp::kMul, x, y); }, general},
      {"square", [](T& t, int x, int y, int z) { return t.Binary(TapeOp::kMul, x, x); },
       general},
      {"div", [](T& t, int x, int y, int z) { return t.Binary(TapeOp::kDiv, x, y); }, general},
      {"neg", [](T& t, int x, int y, int z) { return t.Unary(TapeOp::kNeg, z); }, general},
      {"pow", [](T& t, int x, int y, int z) { return t.Binary(TapeOp::kPow, x, y); }, positive},
      {"pow_expr", [](T& t, int x, int y, int z) {
         return t.Binary(TapeOp::kPow, t.Binary(TapeOp::kAdd, x, z), t.Unary(TapeOp::kSin, y));
       }, positive},
      {"powk_2", [](T& t, int x, int y, int z) { return t.PowK(x, 2.0); }, general},
      {"powk_3", [](T& t, int x, int y, int z) { return t.PowK(y, 3.0); }, general},
      {"powk_-1.5", [](T& t, int x, int y, int z) { return t.PowK(z, -1.5); }, positive},
      {"powk_0.38", [](T& t, int x, int y, int z) { return t.PowK(x, 0.38); }, positive},
      {"exp", [](T& t, int x, int y, int z) { return t.Unary(TapeOp::kExp, x); }, general},
      {"log", [](T& t, int x, int y, int z) { return t.Unary(TapeOp::kLog, y); }, positive},
      {"log10", [](T& t, int x, int y, int z) { return t.Unary(TapeOp::kLog10, z); }, positive},
      {"sqrt", [](T& t, int x, int y, int z) { return t.Unary(TapeOp::kSqrt, x); }, positive},
      {"abs", [](T& t, int x, int y, int z) { return t.Unary(TapeOp::kAbs, y); }, general},
      {"tanh", [](T& t, int x, int y, int z) { return t.Unary(TapeOp::kTanh, x); }, general},
      {"sin", [](T& t, int x, int y, int z) { return t.Unary(TapeOp::kSin, x); }, general},
      {"cos", [](T& t, int x, int y, int z) { return t.Unary(TapeOp::kCos, z); }, general},
      {"min", [](T& t, int x, int y, int z) { return t.Binary(TapeOp::kMin, x, y); }, general},
      {"max", [](T& t, int x, int y, int z) { return t.Binary(TapeOp::kMax, x, z); }, general},
      {"select", [](T& t, int x, int y, int z) {
         return t.Select(t.Binary(TapeOp::kGt, x, y), t.Binary(TapeOp::kMul, x, z),
                         t.Unary(TapeOp::kSin, y));
       }, general},
      {"smoothstep", [](T& t, int x, int y, int z) {
         return t.Binary(TapeOp::kSmoothStep, y, z);
       }, positive},
      {"smoothstep_neg", [](T& t, int x, int y, int z) {
         return t.Binary(TapeOp::kSmoothStep, t.Unary(TapeOp::kNeg, x), z);
       }, positive},
      {"step_times_x", [](T& t, int x, int y, int z) {
         return t.Binary(TapeOp::kMul, t.Unary(TapeOp::kStep, y), x);
       }, general},
      {"compare_logic", [](T& t, int x, int y, int z) {
         const int c = t.Binary(TapeOp::kOr, t.Binary(TapeOp::kAnd, t.Binary(TapeOp::kLt, x, y),
                                                      t.Binary(TapeOp::kGe, z, x)),
                                t.Unary(TapeOp::kNot, t.Binary(TapeOp::kNe, y, z)));
         return t.Binary(TapeOp::kAdd, c,
                         t.Binary(TapeOp::kMul, t.Binary(TapeOp::kLe, x, z), y));
       }, general},
  };
  for (const GradCase& c : cases) {
    SCOPED_TRACE(c.name);
    Tape t(3);
    t.AddOutput(c.build(t, t.Var(0), t.Var(1), t.Var(2)));
    t.Finalize();
    for (const auto& p : c.points) ExpectGradientMatchesFiniteDifferences(t, p);
  }
}

TEST(TapeTest, ComparisonsAndLogicHaveZeroGradient) {
  for (TapeOp op : {TapeOp::kLt, TapeOp::kLe, TapeOp::kGt, TapeOp::kGe, TapeOp::kEq,
                    TapeOp::kNe, TapeOp::kAnd, TapeOp::kOr}) {
    Tape t(2);
    t.AddOutput(t.Binary(op, t.Var(0), t.Var(1)));
    t.Finalize();
    TapeWorkspace ws(t);
    EXPECT_THAT(Grad(t, ws, {1.0, 2.0}), ElementsAre(0.0, 0.0));
    EXPECT_THAT(Grad(t, ws, {2.0, 2.0}), ElementsAre(0.0, 0.0));
  }
  Tape t(1);
  t.AddOutput(t.Unary(TapeOp::kNot, t.Var(0)));
  t.AddOutput(t.Unary(TapeOp::kStep, t.Var(0)));
  t.Finalize();
  TapeWorkspace ws(t);
  EXPECT_THAT(Grad(t, ws, {0.0}, 0), ElementsAre(0.0));
  EXPECT_THAT(Grad(t, ws, {0.0}, 1), ElementsAre(0.0));
}

TEST(TapeTest, SpecialPointConventions) {
  Tape t(2);
  const int x = t.Var(0), y = t.Var(1);
  t.AddOutput(t.Binary(TapeOp::kPow, x, y));  // 0
  t.AddOutput(t.Unary(TapeOp::kAbs, x));      // 1
  t.AddOutput(t.Unary(TapeOp::kSqrt, x));     // 2
  t.AddOutput(t.PowK(x, 3.0));                // 3
  t.Finalize();
  TapeWorkspace ws(t);
  // pow with a <= 0: d/db is 0 when the value is finite; d/da = b * a^(b-1).
  std::vector<double> g = Grad(t, ws, {-2.0, 3.0}, 0);
  EXPECT_DOUBLE_EQ(TapeOutput(t, ws, 0), -8.0);
  EXPECT_DOUBLE_EQ(g[0], 12.0);
  EXPECT_EQ(g[1], 0.0);
  g = Grad(t, ws, {0.0, 2.0}, 0);
  EXPECT_EQ(g[0], 0.0);
  EXPECT_EQ(g[1], 0.0);
  g = Grad(t, ws, {2.0, 0.0}, 0);  // x^0: zero d/dx, d/dy = log(2)
  EXPECT_EQ(g[0], 0.0);
  EXPECT_DOUBLE_EQ(g[1], std::log(2.0));
  EXPECT_THAT(Grad(t, ws, {0.0, 0.0}, 1), ElementsAre(0.0, 0.0));   // sign(0) = 0
  EXPECT_THAT(Grad(t, ws, {-3.0, 0.0}, 1), ElementsAre(-1.0, 0.0));
  EXPECT_EQ(Grad(t, ws, {0.0, 0.0}, 2)[0], kInf);                    // 0.5 / sqrt(0)
  EXPECT_EQ(Grad(t, ws, {0.0, 0.0}, 3)[0], 0.0);
  EXPECT_DOUBLE_EQ(Grad(t, ws, {-2.0, 0.0}, 3)[0], 12.0);
}

TEST(TapeTest, HaldaneMonodGradientMatchesAnalyticDerivative) {
  enum { kMumax, kS, kKs, kKi, kKd, kT, kUnused, kNumVars };
  Tape t(kNumVars);
  const int mumax = t.Var(kMumax), s = t.Var(kS), ks = t.Var(kKs), ki = t.Var(kKi);
  const int kd = t.Var(kKd), time = t.Var(kT);
  const int denom = t.Binary(TapeOp::kAdd, t.Binary(TapeOp::kAdd, ks, s),
                             t.Binary(TapeOp::kDiv, t.Binary(TapeOp::kPow, s, t.Const(2)), ki));
  const int decay = t.Unary(TapeOp::kExp, t.Unary(TapeOp::kNeg, t.Binary(TapeOp::kMul, kd, time)));
  const int mu = t.Binary(TapeOp::kMul,
                          t.Binary(TapeOp::kDiv, t.Binary(TapeOp::kMul, mumax, s), denom), decay);
  t.AddOutput(mu);
  t.Finalize();
  EXPECT_THAT(t.OutputVars(0), ElementsAre(kMumax, kS, kKs, kKi, kKd, kT));
  TapeWorkspace ws(t);
  for (const std::vector<double>& v : std::vector<std::vector<double>>{
           {0.45, 2.0, 0.3, 15.0, 0.01, 24.0, 9.0},
           {1.2, 0.05, 0.8, 2.0, 0.2, 3.5, -1.0},
           {0.08, 40.0, 5.0, 0.7, 0.0, 100.0, 0.0}}) {
    const double d = v[kKs] + v[kS] + v[kS] * v[kS] / v[kKi];
    const double e = std::exp(-v[kKd] * v[kT]);
    const double value = v[kMumax] * v[kS] / d * e;
    const std::vector<double> g = Grad(t, ws, v);
    EXPECT_NEAR(TapeOutput(t, ws, 0), value, 1e-14 * value);
    const std::vector<double> expected = {
        v[kS] / d * e,
        v[kMumax] * e * (d - v[kS] * (1.0 + 2.0 * v[kS] / v[kKi])) / (d * d),
        -v[kMumax] * v[kS] * e / (d * d),
        v[kMumax] * v[kS] * e / (d * d) * v[kS] * v[kS] / (v[kKi] * v[kKi]),
        -v[kT] * value,
        -v[kKd] * value,
        0.0};
    for (int i = 0; i < kNumVars; ++i) {
      EXPECT_NEAR(g[i], expected[i], 1e-12 * std::max(1.0, std::fabs(expected[i]))) << i;
    }
    EXPECT_EQ(g[kUnused], 0.0);
    ExpectGradientMatchesFiniteDifferences(t, v);
  }
}

TEST(TapeTest, GradientIsRestrictedToTheOutputCone) {
  Tape t(5);
  const int v0 = t.Var(0), v1 = t.Var(1), v2 = t.Var(2), v3 = t.Var(3);
  const int shared = t.Binary(TapeOp::kMul, v0, v1);
  const int out_a = t.AddOutput(t.Binary(TapeOp::kAdd, shared, t.Unary(TapeOp::kExp, v2)));
  const int out_b = t.AddOutput(t.Binary(TapeOp::kDiv, shared, v3));
  const int out_c = t.AddOutput(t.Const(3.0));
  t.Finalize();
  EXPECT_THAT(t.OutputVars(out_a), ElementsAre(0, 1, 2));
  EXPECT_THAT(t.OutputVars(out_b), ElementsAre(0, 1, 3));
  EXPECT_TRUE(t.OutputVars(out_c).empty());
  TapeWorkspace ws(t);
  const std::vector<double> vars = {2.0, 3.0, 0.5, 4.0, 7.0};
  std::vector<double> g = Grad(t, ws, vars, out_a);
  EXPECT_THAT(g, ElementsAre(3.0, 2.0, std::exp(0.5), 0.0, 0.0));
  g = Grad(t, ws, vars, out_b);
  EXPECT_THAT(g, ElementsAre(0.75, 0.5, 0.0, -6.0 / 16.0, 0.0));
  // Evaluating output b must not leave stale adjoints that leak into output a.
  g = Grad(t, ws, vars, out_a);
  EXPECT_EQ(g[3], 0.0);
  EXPECT_DOUBLE_EQ(g[0], 3.0);
  EXPECT_THAT(Grad(t, ws, vars, out_c), ElementsAre(0.0, 0.0, 0.0, 0.0, 0.0));
  EXPECT_DOUBLE_EQ(TapeOutput(t, ws, out_c), 3.0);
}

TEST(TapeTest, SelectMinMaxFollowTheChosenBranch) {
  Tape t(3);
  const int x = t.Var(0), y = t.Var(1), z = t.Var(2);
  const int sel = t.AddOutput(
      t.Select(t.Binary(TapeOp::kGt, x, y), t.Binary(TapeOp::kMul, x, z), t.PowK(y, 2.0)));
  const int mn = t.AddOutput(t.Binary(TapeOp::kMin, x, y));
  const int mx = t.AddOutput(t.Binary(TapeOp::kMax, x, y));
  // An infinite partial in the branch not taken must not poison the gradient.
  const int guarded = t.AddOutput(
      t.Select(t.Binary(TapeOp::kGt, x, t.Const(0)), t.Unary(TapeOp::kSqrt, x), z));
  t.Finalize();
  TapeWorkspace ws(t);
  EXPECT_THAT(Grad(t, ws, {3.0, 1.0, 5.0}, sel), ElementsAre(5.0, 0.0, 3.0));
  EXPECT_DOUBLE_EQ(TapeOutput(t, ws, sel), 15.0);
  EXPECT_THAT(Grad(t, ws, {1.0, 3.0, 5.0}, sel), ElementsAre(0.0, 6.0, 0.0));
  EXPECT_DOUBLE_EQ(TapeOutput(t, ws, sel), 9.0);

  EXPECT_THAT(Grad(t, ws, {1.0, 3.0, 0.0}, mn), ElementsAre(1.0, 0.0, 0.0));
  EXPECT_THAT(Grad(t, ws, {4.0, 3.0, 0.0}, mn), ElementsAre(0.0, 1.0, 0.0));
  EXPECT_THAT(Grad(t, ws, {2.0, 2.0, 0.0}, mn), ElementsAre(1.0, 0.0, 0.0));  // a on ties
  EXPECT_THAT(Grad(t, ws, {1.0, 3.0, 0.0}, mx), ElementsAre(0.0, 1.0, 0.0));
  EXPECT_THAT(Grad(t, ws, {4.0, 3.0, 0.0}, mx), ElementsAre(1.0, 0.0, 0.0));
  EXPECT_THAT(Grad(t, ws, {2.0, 2.0, 0.0}, mx), ElementsAre(1.0, 0.0, 0.0));
  EXPECT_DOUBLE_EQ(TapeOutput(t, ws, mx), 2.0);

  EXPECT_THAT(Grad(t, ws, {0.0, 0.0, 2.0}, guarded), ElementsAre(0.0, 0.0, 1.0));
  EXPECT_THAT(Grad(t, ws, {4.0, 0.0, 2.0}, guarded), ElementsAre(0.25, 0.0, 0.0));

  // NaN propagates through min/max instead of being silently dropped.
  EXPECT_TRUE(std::isnan(Eval(t, ws, {kNaN, 1.0, 0.0}, mn)));
  EXPECT_TRUE(std::isnan(Eval(t, ws, {1.0, kNaN, 0.0}, mn)));
  EXPECT_TRUE(std::isnan(Eval(t, ws, {kNaN, 1.0, 0.0}, mx)));
  EXPECT_TRUE(std::isnan(Eval(t, ws, {1.0, kNaN, 0.0}, mx)));
}

// The restricted sweep over the nodes that depend on variables 0 and 1 (the "states"; 2 and 3
// play parameters): the same bits as the full gradient for 0 and 1, through a select, min, a
// power with a parameter exponent and a parameter-only subexpression, and nothing written
// elsewhere.
TEST(TapeTest, GradientOverTheStateDependentNodesMatchesTheFullGradient) {
  Tape t(4);
  const int x = t.Var(0), y = t.Var(1), p = t.Var(2), q = t.Var(3);
  const int k = t.Binary(TapeOp::kDiv, t.Unary(TapeOp::kExp, p), t.Binary(TapeOp::kAdd, q, t.Const(1.0)));  // parameters only
  const int rate = t.Binary(TapeOp::kMul, k, t.Binary(TapeOp::kPow, x, p));
  const int o0 = t.AddOutput(t.Binary(TapeOp::kSub, rate, t.Binary(TapeOp::kMin, y, t.Binary(TapeOp::kMul, q, x))));
  const int o1 = t.AddOutput(t.Select(t.Binary(TapeOp::kGt, y, p), t.Binary(TapeOp::kMul, rate, y), k));
  const int o2 = t.AddOutput(k);  // depends on no state
  t.Finalize();
  const std::vector<char> dep = NodesDependingOn(t, {1, 1, 0, 0});
  EXPECT_FALSE(dep[k]);
  EXPECT_TRUE(dep[rate]);
  TapeWorkspace ws(t);
  for (const std::vector<double>& vars : {std::vector<double>{1.7, 0.4, 0.8, 2.5}, {0.3, 2.0, 0.8, 2.5},
                                          {2.2, 0.1, 1.3, 0.2}}) {
    TapeForward(t, vars.data(), ws);
    for (int o : {o0, o1, o2}) {
      std::vector<int> nodes;
      for (int node : t.OutputNodes(o)) {
        if (dep[node]) nodes.push_back(node);
      }
      std::vector<double> full(4, 0.0), part = {0.0, 0.0, -1.0, -1.0};
      TapeGradient(t, ws, o, full.data());
      TapeGradientOver(t, ws, o, nodes, part.data());
      EXPECT_EQ(part[0], full[0]) << "output " << o;
      EXPECT_EQ(part[1], full[1]) << "output " << o;
      EXPECT_EQ(part[2], -1.0);  // untouched
      EXPECT_EQ(part[3], -1.0);
      if (o == o0) {  // the comparison is not between zeros
        EXPECT_NE(full[0], 0.0);
      }
    }
  }
}

TEST(TapeTest, ForwardAndGradientDoNotAllocate) {
  Tape t(4);
  const int s = t.Var(0), ks = t.Var(1), x = t.Var(2), time = t.Var(3);
  const int monod = t.Binary(TapeOp::kDiv, s, t.Binary(TapeOp::kAdd, ks, s));
  const int rate = t.Binary(TapeOp::kMul, t.Binary(TapeOp::kMul, monod, x),
                            t.Unary(TapeOp::kExp, t.Unary(TapeOp::kNeg, time)));
  t.AddOutput(rate);
  t.AddOutput(t.Select(t.Binary(TapeOp::kGt, s, ks), t.PowK(x, 1.5), t.Unary(TapeOp::kLog, x)));
  t.AddOutput(t.Binary(TapeOp::kSmoothStep, t.Binary(TapeOp::kSub, s, ks), t.Const(0.1)));
  t.Finalize();
  TapeWorkspace ws(t);
  const double vars[4] = {2.0, 0.5, 1.3, 0.7};
  double grad[4];
  double sum = 0.0;
  g_allocations = 0;
  g_count_allocations = true;
  for (int rep = 0; rep < 10; ++rep) {
    TapeForward(t, vars, ws);
    for (int o = 0; o < t.num_outputs(); ++o) {
      TapeGradient(t, ws, o, grad);
      sum += grad[0] + TapeOutput(t, ws, o);
    }
  }
  g_count_allocations = false;
  EXPECT_EQ(g_allocations.load(), 0);
  EXPECT_TRUE(std::isfinite(sum));
  // Sanity check that the counter works.
  g_count_allocations = true;
  auto* probe = new std::vector<int>(100);
  g_count_allocations = false;
  delete probe;
  EXPECT_GE(g_allocations.load(), 1);
}

TEST(TapeTest, DumpAndErrors) {
  Tape t(2);
  const int v0 = t.Var(0);
  const int c = t.Const(2.5);
  const int m = t.Binary(TapeOp::kMul, v0, c);
  t.AddOutput(t.PowK(m, 2.0));
  t.Finalize();
  const std::string dump = t.Dump();
  EXPECT_THAT(dump, HasSubstr("%0 = var v0"));
  EXPECT_THAT(dump, HasSubstr("%1 = const 2.5"));
  EXPECT_THAT(dump, HasSubstr("%2 = mul %0 %1"));
  EXPECT_THAT(dump, HasSubstr("%3 = powk %2 2"));
  EXPECT_THAT(dump, HasSubstr("out0 = %3"));
  EXPECT_THROW(t.Var(2), std::out_of_range);
  EXPECT_THROW(t.Unary(TapeOp::kExp, 99), std::out_of_range);
  EXPECT_THROW(t.Unary(TapeOp::kAdd, 0), std::invalid_argument);
  EXPECT_THROW(t.Binary(TapeOp::kExp, 0, 1), std::invalid_argument);
  Tape unfinished(1);
  unfinished.AddOutput(unfinished.Var(0));
  TapeWorkspace ws(unfinished);
  double v = 1.0, g = 0.0;
  TapeForward(unfinished, &v, ws);
  EXPECT_THROW(TapeGradient(unfinished, ws, 0, &g), std::logic_error);
}

}  // namespace
}  // namespace biotwin::model
