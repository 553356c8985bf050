// The exact (AD) Jacobians d(xdot)/dx and d(xdot)/dp of compiled file models against central
// finite differences of Model::Rhs, at fixed pseudo-random points: the E. coli model (with its
// generated dilution and gas-transfer terms) and a model exercising if/min/max/smoothstep/pow/
// exp/log/sqrt/tanh/abs/clip with unit conversions. The RHS (and E. coli outputs) that the finite
// differences rely on are themselves checked against hand-written implementations.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "model/model.h"
#include "test_paths.h"

namespace biotwin::model {
namespace {

struct Point {
  double t = 0;
  std::vector<double> x, u, p;
  int phase = 0;
  EvalPoint Eval() const { return EvalPoint{t, x.data(), u.data(), p.data(), phase}; }
};

std::vector<double> Rhs(const Model& m, const Point& pt, ModelWorkspace& ws) {
  std::vector<double> f(m.num_states());
  m.Rhs(pt.Eval(), f.data(), ws);
  return f;
}

// Compares the column-major Jacobian `exact` (n x cols) with central differences of the RHS in
// the variables `vars` (a pointer into the point's x or p). The step is relative (1e-6 of the
// variable, with a floor) so the truncation error ~ h^2 f''' and cancellation ~ eps |f| / h are
// both ~1e-10 of the typical entry; the comparison uses rel 1e-5 with an absolute floor of 1e-7 of
// the row's magnitude (|f_i| + sum_j |J_ij x_j|) divided by the variable's scale.
void CompareWithFiniteDifferences(const Model& m, Point pt, std::vector<double> Point::*vars,
                                  const std::vector<double>& exact, const std::string& what) {
  auto ws = m.NewWorkspace();
  const int n = m.num_states();
  std::vector<double>& v = pt.*vars;
  const int cols = static_cast<int>(v.size());
  const std::vector<double> f0 = Rhs(m, pt, *ws);
  std::vector<double> row_scale(n);
  for (int i = 0; i < n; ++i) {
    row_scale[i] = std::fabs(f0[i]);
    for (int j = 0; j < cols; ++j) row_scale[i] += std::fabs(exact[i + j * n] * v[j]);
  }
  for (int j = 0; j < cols; ++j) {
    const double v0 = v[j];
    const double scale = std::max(std::fabs(v0), 1e-3);
    const double h = 1e-6 * scale;
    v[j] = v0 + h;
    const std::vector<double> fp = Rhs(m, pt, *ws);
    v[j] = v0 - h;
    const std::vector<double> fm = Rhs(m, pt, *ws);
    v[j] = v0;
    for (int i = 0; i < n; ++i) {
      const double fd = (fp[i] - fm[i]) / (2 * h);
      const double tol = 1e-5 * std::fabs(fd) + 1e-7 * row_scale[i] / scale + 1e-12;
      EXPECT_NEAR(exact[i + j * n], fd, tol) << what << ": entry (" << i << ", " << j << ")";
    }
  }
}

void CheckJacobians(const Model& m, const Point& pt, const std::string& what) {
  const int n = m.num_states(), np = m.num_parameters();
  auto ws = m.NewWorkspace();
  std::vector<double> jx(n * n, kNaN), jp(n * std::max(np, 1), kNaN);
  m.Jacobians(pt.Eval(), jx.data(), jp.data(), *ws);
  CompareWithFiniteDifferences(m, pt, &Point::x, jx, what + " jx");
  CompareWithFiniteDifferences(m, pt, &Point::p, jp, what + " jp");
  // Either pointer may be null, and the remaining one is unchanged.
  std::vector<double> jx2(n * n, kNaN);
  m.Jacobians(pt.Eval(), jx2.data(), nullptr, *ws);
  EXPECT_EQ(jx2, jx) << what;
  std::vector<double> jp2(n * std::max(np, 1), kNaN);
  m.Jacobians(pt.Eval(), nullptr, jp2.data(), *ws);
  for (int k = 0; k < n * np; ++k) EXPECT_EQ(jp2[k], jp[k]) << what << " jp[" << k << "]";
}

TEST(Jacobian, EcoliModelAtFixedRandomStates) {
  auto m = LoadModelFile(testing::SourcePath("models/ecoli_anane2017.yaml"));
  const ModelInfo& info = m->info();
  ASSERT_EQ(m->num_states(), 6);
  ASSERT_EQ(m->num_inputs(), 1);
  std::mt19937 rng(20240611);  // fixed seed: reproducible points
  auto uniform = [&](double lo, double hi) {
    return std::uniform_real_distribution<double>(lo, hi)(rng);
  };
  for (int trial = 0; trial < 8; ++trial) {
    Point pt;
    pt.t = uniform(0, 40);
    pt.x.assign(6, 0.0);
    pt.x[info.StateIndex("X")] = uniform(0.1, 30);
    pt.x[info.StateIndex("S")] = trial == 0 ? 1e-4 : uniform(0.005, 10);  // one nearly depleted
    pt.x[info.StateIndex("A")] = uniform(0.001, 4);
    pt.x[info.StateIndex("DOT")] = trial == 1 ? 2e-4 : uniform(2, 100);  // one oxygen-limited
    pt.x[info.StateIndex("DOTm")] = uniform(2, 100);
    pt.x[info.volume_state] = uniform(0.5, 4.5);
    pt.u = {uniform(0, 0.3)};
    pt.p = info.ParameterValues();
    for (double& q : pt.p) q *= uniform(0.8, 1.25);
    CheckJacobians(*m, pt, "ecoli point " + std::to_string(trial));
  }
}

TEST(Jacobian, EcoliJacobianHasTheExpectedStructure) {
  // Known entries in closed form: d(dDOTm/dt)/dDOTm = -1/tau (tau 35 s -> h), d(dV/dt)/dx = 0,
  // d(dX/dt)/dV = +F X / V^2 (dilution), d(dDOT/dt)/dkLa = DOTstar - DOT.
  auto m = LoadModelFile(testing::SourcePath("models/ecoli_anane2017.yaml"));
  const ModelInfo& info = m->info();
  const int n = m->num_states(), np = m->num_parameters();
  Point pt;
  pt.x = {2.0, 1.5, 0.3, 60.0, 55.0, 2.5};
  pt.u = {0.1};
  pt.p = info.ParameterValues();
  auto ws = m->NewWorkspace();
  std::vector<double> jx(n * n), jp(n * np);
  m->Jacobians(pt.Eval(), jx.data(), jp.data(), *ws);
  const int X = info.StateIndex("X"), DOT = info.StateIndex("DOT"), DOTm = info.StateIndex("DOTm");
  const int V = info.volume_state;
  auto J = [&](int i, int j) { return jx[i + j * n]; };
  EXPECT_NEAR(J(DOTm, DOTm), -3600.0 / 35.0, 1e-9);
  EXPECT_NEAR(J(DOTm, DOT), 3600.0 / 35.0, 1e-9);
  for (int j = 0; j < n; ++j) EXPECT_EQ(J(V, j), 0.0) << j;
  EXPECT_NEAR(J(X, V), 0.1 * 2.0 / (2.5 * 2.5), 1e-12);  // d(-F X/V)/dV
  EXPECT_NEAR(jp[DOT + info.ParameterIndex("kLa") * n], 99.0 - 60.0, 1e-12);
  EXPECT_EQ(J(DOT, V), 0.0);  // DOT is not diluted
}

constexpr const char* kFunctions = R"yaml(biotwin: 1
model: {name: functions}
phases: [grow, produce]
states:
  A: {unit: g/L, initial: 1}
  B: {unit: mg/L, initial: 500}
  C: {unit: "%", initial: 40, diluted: false}
  T: {unit: K, initial: 310, diluted: false}
parameters:
  k1: {value: 0.3, unit: 1/h}
  k2: {value: 2, unit: 1/min}
  Km: {value: 0.4, unit: g/L}
  n: {value: 1.7, unit: "-"}
  w: {value: 0.05, unit: g/L}
  Ea: {value: 5000, unit: K}
  Csat: {value: 90, unit: "%"}
  cap: {value: 0.8, unit: g/L}
inputs:
  u: {unit: mL/h, default: 3}
expressions:
  sw: "smoothstep(A - Km, w)"
  hill: "pow(A/Km, n)/(1 + pow(A/Km, n))"
  arr: "exp(-Ea/T + Ea/(310 [K]))"
  lg: "log(1 + B/(100 [mg/L]))"
  r1: {expr: "k1*A*if(A > Km, hill, sw)*arr", unit: g/L/h}
  r2: {expr: "k2*min(A, cap)*lg + max(B, 200 [mg/L])*k1*(A/Km)^2 - abs(B - 300 [mg/L])/(2 [h])", unit: mg/L/h}
balances:
  A: "-r1 + clip(u*(1 [g/L])/(1 [L]), 0 [g/L/h], 10 [g/L/h])*sqrt(A/Km)*tanh(A/Km)"
  B: "r2*if(phase == produce, 2, 1)"
  C: "k1*(Csat - C)*exp(-(A/Km)^2) + log10(B/(1 [mg/L]))*1 [%/h]"
  T: "(320 [K] - T)*k1*pow(C/Csat, 0.5)"
)yaml";

TEST(Jacobian, FunctionsAndUnitConversionsAtFixedRandomPoints) {
  auto m = LoadModelText(kFunctions, "functions.yaml");
  ASSERT_EQ(m->num_states(), 4);
  std::mt19937 rng(7);
  auto uniform = [&](double lo, double hi) {
    return std::uniform_real_distribution<double>(lo, hi)(rng);
  };
  const double km = 0.4;
  int above = 0, below = 0;
  for (int trial = 0; trial < 12; ++trial) {
    Point pt;
    pt.t = uniform(0, 10);
    // Stay 2% away from the kinks of if(A > Km), min(A, cap), max(B, 200), abs(B - 300).
    double a;
    do a = uniform(0.05, 2.0);
    while (std::fabs(a - km) < 0.02 * km || std::fabs(a - 0.8) < 0.016);
    double b;
    do b = uniform(50, 2000);
    while (std::fabs(b - 200) < 4 || std::fabs(b - 300) < 6);
    (a > km ? above : below)++;
    pt.x = {a, b, uniform(5, 95), uniform(290, 330)};
    double u;  // clip() saturates at u = 10000 mL/h (10 g/L/h): sample both sides, off the kink
    do u = uniform(0, 20000);
    while (std::fabs(u - 10000) < 200);
    pt.u = {u};
    pt.p = m->info().ParameterValues();
    for (double& q : pt.p) q *= uniform(0.9, 1.1);
    pt.phase = trial % 2;
    CheckJacobians(*m, pt, "functions point " + std::to_string(trial));
  }
  EXPECT_GT(above, 0);  // both branches of the if() were exercised
  EXPECT_GT(below, 0);
}

TEST(Jacobian, FunctionsModelRhsMatchesHandComputedValue) {
  // One point evaluated by hand guards against Jacobian and RHS agreeing on a wrong function.
  auto m = LoadModelText(kFunctions, "functions.yaml");
  Point pt;
  pt.x = {1.0, 500.0, 40.0, 310.0};
  pt.u = {3.0};
  pt.p = m->info().ParameterValues();
  pt.phase = 1;
  auto ws = m->NewWorkspace();
  std::vector<double> f = Rhs(*m, pt, *ws);
  const double a = 1.0, km = 0.4, x = a / km;
  const double hill = std::pow(x, 1.7) / (1 + std::pow(x, 1.7));
  const double r1 = 0.3 * a * hill * 1.0;                        // g/L/h
  const double da = -r1 + (3e-3) * std::sqrt(x) * std::tanh(x);  // u: 3 mL/h / 1 L = 3e-3 g/L/h
  const double r2 = 120.0 * 800.0 * std::log(6.0) + 500.0 * 0.3 * x * x - 200.0 / 2.0;  // mg/L/h
  const double dc = 0.3 * (90 - 40) * std::exp(-x * x) + std::log10(500.0);
  const double dt = (320 - 310) * 0.3 * std::sqrt(40.0 / 90.0);
  EXPECT_NEAR(f[0], da, 1e-12 * std::fabs(da));
  EXPECT_NEAR(f[1], 2 * r2, 1e-12 * std::fabs(r2));
  EXPECT_NEAR(f[2], dc, 1e-12 * std::fabs(dc));
  EXPECT_NEAR(f[3], dt, 1e-12 * std::fabs(dt));
}

TEST(Jacobian, EcoliRhsAndOutputsMatchAHandWrittenImplementation) {
  // The Anane et al. (2017) equations written out by hand in the model's units (g, L, h, %): an
  // independent check of what the compiled tapes evaluate (Jacobians are checked against them).
  auto m = LoadModelFile(testing::SourcePath("models/ecoli_anane2017.yaml"));
  const ModelInfo& info = m->info();
  const double X = 3.0, S = 0.8, A = 0.4, DOT = 35.0, DOTm = 40.0, V = 2.2, F = 0.03;
  Point pt;
  pt.x.assign(6, 0.0);
  pt.x[info.StateIndex("X")] = X;
  pt.x[info.StateIndex("S")] = S;
  pt.x[info.StateIndex("A")] = A;
  pt.x[info.StateIndex("DOT")] = DOT;
  pt.x[info.StateIndex("DOTm")] = DOTm;
  pt.x[info.volume_state] = V;
  pt.u = {F};
  pt.p = info.ParameterValues();
  auto P = [&](const char* name) { return pt.p[info.ParameterIndex(name)]; };
  const double qS = P("qSmax") / (1 + A / P("Kia")) * S / (S + P("Ks"));
  const double qSof = P("pAmax") * qS / (qS + P("Kap"));
  const double pA = qSof * P("Yas");
  const double qSox = (qS - qSof) * DOT / (DOT + P("Ko"));
  const double qSan = (qSox - P("qm")) * P("Yem") * P("Cx") / P("Cs");
  const double qsA = P("qAmax") / (1 + qS / P("Kis")) * A / (A + P("Ksa"));
  const double mu = (qSox - P("qm")) * P("Yem") + qsA * P("Yxa") + qSof * P("Yxsof");
  const double qO = P("Yos") * (qSox - qSan) + qsA * P("Yoa");
  const double tau_h = P("tau") / 3600.0;  // tau is declared in s
  const double otr = P("kLa") * (P("DOTstar") - DOT);
  auto ws = m->NewWorkspace();
  std::vector<double> f = Rhs(*m, pt, *ws);
  const double d = F / V;  // dilution by the glucose feed
  auto near = [](double got, double want) {
    return std::fabs(got - want) <= 1e-12 * (1 + std::fabs(want));
  };
  EXPECT_PRED2(near, f[info.StateIndex("X")], mu * X - d * X);
  EXPECT_PRED2(near, f[info.StateIndex("S")], -qS * X + d * (P("Si") - S));
  EXPECT_PRED2(near, f[info.StateIndex("A")], (pA - qsA) * X - d * A);
  EXPECT_PRED2(near, f[info.StateIndex("DOT")], otr - qO * X * P("H"));
  EXPECT_PRED2(near, f[info.StateIndex("DOTm")], (DOT - DOTm) / tau_h);
  EXPECT_PRED2(near, f[info.volume_state], F);
  std::vector<double> y(m->num_outputs());
  m->Outputs(pt.Eval(), y.data(), *ws);
  EXPECT_PRED2(near, y[info.OutputIndex("mu")], mu);
  EXPECT_PRED2(near, y[info.OutputIndex("qS")], qS);
  EXPECT_PRED2(near, y[info.OutputIndex("qO")], qO);
  EXPECT_PRED2(near, y[info.OutputIndex("OTR")], otr);
  EXPECT_PRED2(near, y[info.OutputIndex("OUR")], qO * X / P("M_O2") * 1000.0);  // mmol/(L*h)
  EXPECT_PRED2(near, y[info.OutputIndex("acetate_rate")], (pA - qsA) * X);
  // Off-gas CO2 by carbon balance and base by N uptake plus acetic acid (mmol/(L*h)).
  const double qC = P("Cs") * qS - P("Cx") * mu - P("Ca") * (pA - qsA);
  EXPECT_PRED2(near, y[info.OutputIndex("CER")], qC * X / P("M_C") * 1000.0);
  EXPECT_PRED2(near, y[info.OutputIndex("RQ")], (qC / P("M_C")) / (qO / P("M_O2")));
  EXPECT_PRED2(near, y[info.OutputIndex("base_rate")], (mu * P("fN") / P("M_N") + (pA - qsA) / P("M_HAc")) * X * 1000.0);
}

}  // namespace
}  // namespace biotwin::model
