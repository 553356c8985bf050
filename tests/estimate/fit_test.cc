// The fit engine against closed-form references: recovery of known parameters from noiseless
// exponential decays (several signals, missing values, an output, two batches), the exact
// Jacobian against central differences (test only), and Fisher standard errors against the
// linear-regression formula on a model that is linear in its parameters.
#include <gtest/gtest.h>

#include <Eigen/Dense>
#include <cmath>
#include <random>

#include "estimate/estimate.h"
#include "model/model.h"
#include "sim/scenario.h"
#include "test_paths.h"

namespace biotwin::estimate {
namespace {

constexpr const char* kDecay = R"(
biotwin: 1
model: {name: decay, version: 1.0.0}
time_unit: h
states:
  x: {unit: g/L, initial: 5}
  y: {unit: g/L, initial: 2}
parameters:
  k1: {value: 0.2, unit: 1/h, bounds: [1e-3, 10], source: test}
  k2: {value: 1.0, unit: 1/h, bounds: [1e-3, 10], source: test}
  c:  {value: 3.0, unit: h, source: test}
balances:
  x: "-k1*x"
  y: "-k2*y"
outputs:
  total: {expr: "x + c*y*k2", unit: g/L}
)";

// Noiseless data of the analytic solution x = 5 exp(-k1 t), y = 2 exp(-k2 t), with y missing
// at every third time and the output measured at irregular times.
Measurements DecayData(const model::ModelInfo& info, double k1, double k2, double x0, const std::string& file) {
  DataTable t;
  t.file = file;
  t.time_unit = "min";  // converted to the model's hours
  const std::vector<double> times_h = {0.1, 0.35, 0.8, 1.3, 2.0, 2.9, 4.1, 5.5, 7.0};
  DataColumn x{"x", "mg/L", {}}, y{"y", "g/L", {}}, total{"total", "g/L", {}};
  for (size_t i = 0; i < times_h.size(); ++i) {
    const double th = times_h[i];
    t.time.push_back(th * 60);
    x.values.push_back(1000 * x0 * std::exp(-k1 * th));
    y.values.push_back(i % 3 == 2 ? model::kNaN : 2 * std::exp(-k2 * th));
    total.values.push_back(i % 2 == 0 ? x0 * std::exp(-k1 * th) + 3 * 2 * std::exp(-k2 * th) * k2 : model::kNaN);
  }
  t.columns = {x, y, total};
  return MatchData(t, info);
}

FitProblem DecayProblem(std::shared_ptr<const model::Model> m) {
  FitProblem p;
  p.model = m;
  const auto& info = m->info();
  for (double x0 : {5.0, 8.0}) {
    Experiment e;
    e.name = "x0 = " + std::to_string(x0);
    e.scenario = sim::DefaultScenario(info, model::kNaN);
    e.scenario.initial[info.StateIndex("x")] = x0;  // each batch has its own initial value
    e.data = DecayData(info, 0.45, 1.7, x0, e.name + ".csv");
    p.experiments.push_back(e);
  }
  p.rtol = 1e-10;
  p.atol = 1e-12;
  p.parameters = MakeFreeParameters(info, {"k1", "k2"}, {}, {}, {});
  CheckProblem(&p);
  return p;
}

TEST(Fit, RecoversDecayRatesFromNoiselessDataOfTwoBatches) {
  auto m = model::LoadModelText(kDecay, "decay.yaml");
  FitProblem p = DecayProblem(m);
  FitOptions o;
  o.profile = {"none"};
  FitResult r = Fit(p, o);
  ASSERT_EQ(r.status, "converged") << r.message;
  EXPECT_NEAR(r.parameters[0].value, 0.45, 1e-6);
  EXPECT_NEAR(r.parameters[1].value, 1.7, 1e-6);
  EXPECT_LT(r.objective, 1e-12);
  // 9 x + 6 y + 5 total per batch.
  EXPECT_EQ(r.num_data, 2 * (9 + 6 + 5));
  EXPECT_TRUE(r.parameters[0].log);
  // Validity domain: x spans its two initial values down to the last decayed value.
  ASSERT_EQ(r.domain.size(), 2u);
  EXPECT_NEAR(r.domain[0].max, 8.0, 1e-9);
  EXPECT_NEAR(r.domain[0].min, 5.0 * std::exp(-0.45 * 7.0), 1e-6);
}

TEST(Fit, ParallelBatchesGiveTheSameFit) {
  auto m = model::LoadModelText(kDecay, "decay.yaml");
  FitProblem p = DecayProblem(m);
  FitOptions o;
  o.profile = {"none"};
  o.max_iterations = 3;  // compare the iterates, not just the optimum
  FitResult one = Fit(p, o);
  o.threads = 2;
  FitResult two = Fit(p, o);
  ASSERT_EQ(one.starts[0].end.size(), two.starts[0].end.size());
  for (size_t k = 0; k < one.starts[0].end.size(); ++k) {
    EXPECT_NEAR(one.starts[0].end[k], two.starts[0].end[k], 1e-12 * std::fabs(one.starts[0].end[k]));
  }
  EXPECT_EQ(one.simulations, two.simulations);
}

TEST(Fit, JacobianFromSensitivitiesMatchesCentralDifferences) {
  auto m = model::LoadModelText(kDecay, "decay.yaml");
  FitProblem p = DecayProblem(m);
  p.errors["x"] = ParseErrorModel("0.05 g/L + 4%", m->info().states[0].unit, "test");
  FitResiduals res(p);
  const std::vector<double> theta = {0.3, 1.1};
  const int n = res.num_residuals(), np = 2;
  std::vector<double> r(n), jac(n * np), rp(n), rm(n);
  std::string err;
  ASSERT_TRUE(res.Evaluate(theta.data(), r.data(), jac.data(), nullptr, &err)) << err;
  for (int k = 0; k < np; ++k) {
    const double h = 1e-6 * theta[k];
    auto tp = theta, tm = theta;
    tp[k] += h;
    tm[k] -= h;
    ASSERT_TRUE(res.Evaluate(tp.data(), rp.data(), nullptr, nullptr, &err));
    ASSERT_TRUE(res.Evaluate(tm.data(), rm.data(), nullptr, nullptr, &err));
    for (int i = 0; i < n; ++i) {
      const double fd = (rp[i] - rm[i]) / (2 * h);
      EXPECT_NEAR(jac[i * np + k], fd, 1e-5 * std::max(1.0, std::fabs(fd))) << "residual " << i << " parameter " << k;
    }
  }
}

TEST(Fit, JacobianThroughFeedsEventsAndOutputsMatchesCentralDifferences) {
  // The E. coli fed-batch: exponential feed, sampling withdrawals, an output (mu) measured.
  auto m = model::LoadModelFile(testing::SourcePath("models/ecoli_anane2017.yaml"));
  const auto& info = m->info();
  FitProblem p;
  p.model = m;
  Experiment e;
  e.name = "fed-batch";
  e.scenario = sim::LoadScenarioFile(testing::SourcePath("examples/ecoli_fedbatch/scenario.yaml"), info);
  DataTable t;
  t.file = "ecoli.csv";
  t.time = {2, 6.5, 11, 15.2, 22, 30, 38};
  t.columns = {{"X", "g/L", {0.4, 1.5, 3, 3.5, 4.5, 6, 8}},
               {"A", "g/L", {0.05, 0.2, 0.3, 0.25, 0.2, 0.1, 0.1}},
               {"mu", "1/h", {0.5, 0.5, model::kNaN, 0.05, 0.05, 0.04, 0.04}}};
  e.data = MatchData(t, info);
  p.experiments.push_back(e);
  p.rtol = 1e-10;
  p.atol = 1e-12;
  p.parameters = MakeFreeParameters(info, {"qSmax", "Ks", "Yem", "pAmax"}, {}, {}, {});
  CheckProblem(&p);
  FitResiduals res(p);
  std::vector<double> theta;
  for (const auto& f : p.parameters) theta.push_back(f.start);
  const int n = res.num_residuals(), np = static_cast<int>(theta.size());
  std::vector<double> r(n), jac(n * np), rp(n), rm(n);
  std::string err;
  ASSERT_TRUE(res.Evaluate(theta.data(), r.data(), jac.data(), nullptr, &err)) << err;
  for (int k = 0; k < np; ++k) {
    const double h = 1e-5 * theta[k];
    auto tp = theta, tm = theta;
    tp[k] += h;
    tm[k] -= h;
    ASSERT_TRUE(res.Evaluate(tp.data(), rp.data(), nullptr, nullptr, &err));
    ASSERT_TRUE(res.Evaluate(tm.data(), rm.data(), nullptr, nullptr, &err));
    for (int i = 0; i < n; ++i) {
      const double fd = (rp[i] - rm[i]) / (2 * h);
      EXPECT_NEAR(jac[i * np + k], fd, 2e-4 * std::max(1.0, std::fabs(fd)))
          << "residual " << i << " (" << res.points()[i].time << " h) d/d" << p.parameters[k].name;
    }
  }
}

TEST(Fit, FisherStandardErrorsEqualLinearRegression) {
  // x' = a + 2 b t, x(0) = 0  =>  x(t) = a t + b t^2: linear regression on (t, t^2).
  auto m = model::LoadModelText(R"(
biotwin: 1
model: {name: quadratic, version: 1.0.0}
time_unit: h
states:
  x: {unit: g/L, initial: 0}
parameters:
  a: {value: 0.5, unit: g/L/h, source: test}
  b: {value: 0.5, unit: g/L/h^2, source: test}
balances:
  x: "a + 2*b*t"
)", "quadratic.yaml");
  std::mt19937_64 rng(42);
  std::normal_distribution<double> noise(0.0, 0.3);
  DataTable t;
  t.file = "quadratic.csv";
  DataColumn x{"x", "g/L", {}};
  for (int i = 1; i <= 15; ++i) {
    const double ti = 0.5 * i + 0.1 * (i % 4);
    t.time.push_back(ti);
    x.values.push_back(1.3 * ti + 0.2 * ti * ti + noise(rng));
  }
  t.columns = {x};
  FitProblem p;
  p.model = m;
  Experiment e;
  e.scenario = sim::DefaultScenario(m->info(), model::kNaN);
  e.data = MatchData(t, m->info());
  p.experiments.push_back(e);
  p.rtol = 1e-11;
  p.atol = 1e-12;
  p.parameters = MakeFreeParameters(m->info(), {"a", "b"}, {}, {}, {"a", "b"});
  CheckProblem(&p);
  FitOptions o;
  o.profile = {"none"};
  FitResult r = Fit(p, o);
  ASSERT_EQ(r.status, "converged") << r.message;
  // Ordinary least squares in closed form.
  const int n = static_cast<int>(t.time.size());
  Eigen::MatrixXd X(n, 2);
  Eigen::VectorXd y(n);
  for (int i = 0; i < n; ++i) {
    X(i, 0) = t.time[i];
    X(i, 1) = t.time[i] * t.time[i];
    y(i) = x.values[i];
  }
  const Eigen::MatrixXd xtx_inv = (X.transpose() * X).inverse();
  const Eigen::VectorXd beta = xtx_inv * X.transpose() * y;
  const double rss = (y - X * beta).squaredNorm();
  const double s2 = rss / (n - 2);
  EXPECT_NEAR(r.parameters[0].value, beta(0), 1e-6 * std::fabs(beta(0)));
  EXPECT_NEAR(r.parameters[1].value, beta(1), 1e-6 * std::fabs(beta(1)));
  EXPECT_NEAR(r.objective, rss, 1e-8 * rss);
  EXPECT_NEAR(r.parameters[0].se, std::sqrt(s2 * xtx_inv(0, 0)), 1e-5 * std::sqrt(s2 * xtx_inv(0, 0)));
  EXPECT_NEAR(r.parameters[1].se, std::sqrt(s2 * xtx_inv(1, 1)), 1e-5 * std::sqrt(s2 * xtx_inv(1, 1)));
  const double corr = xtx_inv(0, 1) / std::sqrt(xtx_inv(0, 0) * xtx_inv(1, 1));
  EXPECT_NEAR(r.correlation[0][1], corr, 1e-6);
  // Student t quantile with 13 degrees of freedom: 2.160369.
  EXPECT_NEAR((r.parameters[0].ci_high - r.parameters[0].value) / r.parameters[0].se, 2.160369, 1e-5);
  EXPECT_FALSE(r.sigma_known);
}

TEST(Fit, DeclaredSigmaGivesChiSquareTestAndUnscaledCovariance) {
  auto m = model::LoadModelText(kDecay, "decay.yaml");
  FitProblem p = DecayProblem(m);
  const auto& info = m->info();
  p.errors["x"] = ParseErrorModel("10 mg/L", info.states[0].unit, "test");
  p.errors["y"] = ParseErrorModel("0.01", info.states[1].unit, "test");
  p.errors["total"] = ParseErrorModel("2%", info.outputs[0].unit, "test");
  EXPECT_TRUE(p.SigmaKnown());
  FitOptions o;
  o.profile = {"none"};
  FitResult r = Fit(p, o);
  ASSERT_EQ(r.status, "converged");
  EXPECT_TRUE(r.sigma_known);
  // Noiseless data: J ~ 0, so P(chi2 >= J) = 1.
  EXPECT_NEAR(r.chi2_p_value, 1.0, 1e-9);
  // Known sigma: normal quantile.
  EXPECT_NEAR((r.parameters[0].ci_high - r.parameters[0].value) / r.parameters[0].se, 1.959964, 1e-5);
}

// Single-batch fit helper for the identifiability and diagnostics tests.
FitResult FitOne(const std::string& model_text, const std::vector<double>& t, const std::vector<double>& x,
                 const std::vector<std::string>& names, const std::vector<std::string>& profile) {
  auto m = model::LoadModelText(model_text, "m.yaml");
  DataTable d;
  d.file = "d.csv";
  d.time = t;
  d.columns = {{"x", "g/L", x}};
  FitProblem p;
  p.model = m;
  Experiment e;
  e.scenario = sim::DefaultScenario(m->info(), model::kNaN);
  e.data = MatchData(d, m->info());
  p.experiments.push_back(e);
  p.rtol = 1e-10;
  p.atol = 1e-12;
  p.parameters = MakeFreeParameters(m->info(), names, {}, {}, {});
  CheckProblem(&p);
  FitOptions o;
  o.profile = profile;
  return Fit(p, o);
}

TEST(Fit, OptimumOnABoundEqualsTheFitWithThatParameterFixedThere) {
  // x' = -k x + s with s in [0, 1], fitted to data made with s = -0.1: the best s is its lower
  // bound 0, where the fit must stop (steps are projected onto the bounds) with the k that a fit
  // of k alone, s = 0, gives.
  const std::string model_text = R"(
biotwin: 1
model: {name: decay_source, version: 1.0.0}
time_unit: h
states:
  x: {unit: g/L, initial: 5}
parameters:
  k: {value: 0.2, unit: 1/h, bounds: [1e-3, 10], source: test}
  s: {value: S_VALUE, unit: g/L/h, bounds: [0, 1], source: test}
balances:
  x: "-k*x + s"
)";
  auto with_s = [&](const std::string& v) {
    std::string text = model_text;
    text.replace(text.find("S_VALUE"), 7, v);
    return text;
  };
  std::vector<double> t, x;
  for (int i = 1; i <= 20; ++i) {
    t.push_back(0.5 * i);
    x.push_back(5 * std::exp(-0.3 * t.back()) - 0.1 / 0.3 * (1 - std::exp(-0.3 * t.back())));
  }
  FitResult both = FitOne(with_s("0.5"), t, x, {"k", "s"}, {"none"});
  FitResult k_only = FitOne(with_s("0"), t, x, {"k"}, {"none"});
  ASSERT_EQ(both.status, "converged") << both.message;
  ASSERT_EQ(k_only.status, "converged") << k_only.message;
  EXPECT_EQ(both.parameters[1].value, 0.0);
  EXPECT_TRUE(both.parameters[1].at_bound);
  EXPECT_NEAR(both.parameters[0].value, k_only.parameters[0].value, 1e-6 * k_only.parameters[0].value);
  EXPECT_NEAR(both.objective, k_only.objective, 1e-6 * k_only.objective);
}

TEST(Fit, OnlyTheProductIsIdentifiable) {
  // x' = -a*b*x: the data fix a*b = 0.6, not a and b. The Fisher information is singular and the
  // automatic profiles stay flat wherever the other parameter can compensate within its bounds
  // (0.12 < a, b < 5), so at least one end of each interval is never found.
  const char* model_text = R"(
biotwin: 1
model: {name: product, version: 1.0.0}
time_unit: h
states:
  x: {unit: g/L, initial: 5}
parameters:
  a: {value: 0.5, unit: 1/h, bounds: [0.05, 5], source: test}
  b: {value: 2, unit: 1, bounds: [0.05, 5], source: test}
balances:
  x: "-a*b*x"
)";
  std::vector<double> t, x;
  for (int i = 1; i <= 8; ++i) {
    t.push_back(0.5 * i);
    x.push_back(5 * std::exp(-0.6 * 0.5 * i) * (1 + 0.01 * ((i % 3) - 1)));
  }
  FitResult r = FitOne(model_text, t, x, {"a", "b"}, {"auto"});
  ASSERT_EQ(r.status, "converged") << r.message;
  EXPECT_NEAR(r.parameters[0].value * r.parameters[1].value, 0.6, 0.01);
  EXPECT_NE(r.fisher_condition, "ok");
  EXPECT_TRUE(std::isnan(r.parameters[0].se));
  ASSERT_EQ(r.profiles.size(), 2u);
  for (const auto& prof : r.profiles) {
    EXPECT_FALSE(prof.identifiable) << prof.name;
    EXPECT_GE(prof.points.size(), 5u) << prof.name;
    for (const auto& pt : prof.points) {
      if (pt.ok && pt.value > 0.13 && pt.value < 4.5) {
        EXPECT_LT(pt.objective, prof.threshold) << prof.name << " at " << pt.value;
      }
    }
  }
}

TEST(Fit, StructuralMisfitShowsInTheResidualDiagnostics) {
  // A first-order decay fitted to a straight-line decrease: residuals are systematic (few sign
  // runs, strong lag-1 autocorrelation), unlike noise.
  const char* model_text = R"(
biotwin: 1
model: {name: decay1, version: 1.0.0}
time_unit: h
states:
  x: {unit: g/L, initial: 5}
parameters:
  k: {value: 0.1, unit: 1/h, bounds: [1e-3, 10], source: test}
balances:
  x: "-k*x"
)";
  std::vector<double> t, x;
  for (int i = 1; i <= 30; ++i) {
    t.push_back(0.25 * i);
    x.push_back(5 - 0.6 * 0.25 * i);
  }
  FitResult r = FitOne(model_text, t, x, {"k"}, {"none"});
  ASSERT_EQ(r.status, "converged") << r.message;
  ASSERT_EQ(r.diagnostics.size(), 1u);
  const auto& d = r.diagnostics[0];
  EXPECT_EQ(d.n, 30);
  EXPECT_LE(d.runs, 4);
  EXPECT_LT(d.runs_p, 0.01);
  EXPECT_GT(d.lag1_autocorrelation, 0.6);
  EXPECT_NEAR(d.rms, std::sqrt(r.objective / 30), 1e-12);
}

TEST(Fit, ErrorModelParsing) {
  const model::Unit gl = model::ParseUnit("g/L");
  ErrorModel a = ParseErrorModel("50 mg/L + 5%", gl, "x");
  EXPECT_NEAR(a.absolute, 0.05, 1e-15);
  EXPECT_NEAR(a.relative, 0.05, 1e-15);
  EXPECT_NEAR(a.Sigma(2.0), std::sqrt(0.05 * 0.05 + 0.1 * 0.1), 1e-15);
  EXPECT_NEAR(ParseErrorModel("3%", gl, "x").Sigma(10), 0.3, 1e-15);
  EXPECT_NEAR(ParseErrorModel("1e+1 mg/L", gl, "x").absolute, 0.01, 1e-15);
  EXPECT_THROW(ParseErrorModel("0.1 h", gl, "--error X"), FitInputError);
  EXPECT_THROW(ParseErrorModel("0", gl, "--error X"), FitInputError);
  EXPECT_THROW(ParseErrorModel("-1%", gl, "--error X"), FitInputError);
  EXPECT_THROW(ParseErrorModel("1%+2%", gl, "--error X"), FitInputError);
}

TEST(Fit, LatinHypercubeIsSeededStratifiedAndInsideTheBounds) {
  std::vector<FreeParameter> params(2);
  params[0] = {0, "a", "1/h", 1.0, 0.01, 100.0, true};
  params[1] = {1, "b", "g/L", 0.0, -5.0, 5.0, false};
  auto s1 = LatinHypercubeStarts(params, 10, 3), s2 = LatinHypercubeStarts(params, 10, 3);
  EXPECT_EQ(s1, s2);
  std::vector<int> strata_a(10, 0), strata_b(10, 0);
  for (const auto& s : s1) {
    ASSERT_GE(s[0], 0.01);
    ASSERT_LE(s[0], 100.0);
    strata_a[static_cast<int>((std::log(s[0]) - std::log(0.01)) / (std::log(1e4) / 10))]++;
    strata_b[static_cast<int>((s[1] + 5.0) / 1.0)]++;
  }
  for (int i = 0; i < 10; ++i) {
    EXPECT_EQ(strata_a[i], 1);
    EXPECT_EQ(strata_b[i], 1);
  }
  EXPECT_NE(LatinHypercubeStarts(params, 10, 4), s1);
}

}  // namespace
}  // namespace biotwin::estimate
