// Forward sensitivities without error control (SimOptions::sensitivity_error_control = false,
// what `biotwin fit` uses): the states alone set the steps, and the sensitivities computed on
// those steps still match a closed form and central finite differences to the accuracy a
// Gauss-Newton Jacobian needs; they take fewer steps than with error control.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include "model/model.h"
#include "sim/scenario.h"
#include "sim/simulator.h"
#include "test_paths.h"

namespace biotwin::sim {
namespace {

// dX/dt = (mu - kd) X: X = X0 exp((mu - kd) t), dX/dmu = t X, dX/dkd = -t X.
constexpr const char* kGrowth = R"yaml(biotwin: 1
model: {name: growth}
states:
  X: {unit: g/L, initial: 0.5}
parameters:
  mu: {value: 0.3, unit: 1/h}
  kd: {value: 0.05, unit: 1/h}
balances:
  X: "mu*X - kd*X"
)yaml";

TEST(SensitivityOptions, WithoutErrorControlExponentialGrowthMatchesClosedForm) {
  auto m = model::LoadModelText(kGrowth, "growth.yaml");
  Scenario sc = LoadScenarioText("until: 10 h\noutput_interval: 0.5 h\nsolver: {rtol: 1e-8, atol: 1e-12}\n",
                                 "scenario.yaml", m->info());
  SimOptions opt;
  opt.sensitivity_parameters = {m->info().ParameterIndex("mu"), m->info().ParameterIndex("kd")};
  opt.sensitivity_error_control = false;
  SimResult r = Simulator(m, sc, opt).Run();
  ASSERT_TRUE(r.ok) << r.message;
  ASSERT_EQ(r.sensitivities.size(), r.time.size());
  for (size_t k = 0; k < r.time.size(); ++k) {
    const double t = r.time[k], x = 0.5 * std::exp(0.25 * t);
    // On the states' steps the linear sensitivity equation is integrated by the same BDF
    // formulas, so its error is of the states' order (a few hundred rtol over 2.5 e-folds).
    EXPECT_NEAR(r.sensitivities[k][0][0], t * x, 1e-5 * t * x + 1e-12) << "t = " << t;
    EXPECT_NEAR(r.sensitivities[k][1][0], -t * x, 1e-5 * t * x + 1e-12) << "t = " << t;
  }
}

// The E. coli fed-batch of the fit benchmark (exponential feed, 10 mL samples every 4 h) over
// 40 h: events, input breakpoints and restarts on the way.
Scenario FedBatch(const model::ModelInfo& info, int param, double value) {
  Scenario sc = LoadScenarioFile(testing::SourcePath("examples/ecoli_fedbatch/scenario.yaml"), info);
  sc.output_times = {0.0, 10.0, 20.0, 30.0, 40.0};
  if (param >= 0) sc.parameters[param] = value;
  return sc;
}

TEST(SensitivityOptions, WithoutErrorControlEcoliFedBatchAgreesWithFiniteDifferencesInFewerSteps) {
  auto m = model::LoadModelFile(testing::SourcePath("models/ecoli_anane2017.yaml"));
  const auto& info = m->info();
  const std::vector<std::string> names = {"qSmax", "Ks", "Yem", "qAmax"};
  SimOptions loose;
  for (const auto& n : names) loose.sensitivity_parameters.push_back(info.ParameterIndex(n));
  SimOptions tight = loose;
  loose.sensitivity_error_control = false;
  SimResult a = Simulator(m, FedBatch(info, -1, 0), loose).Run();
  SimResult b = Simulator(m, FedBatch(info, -1, 0), tight).Run();
  ASSERT_TRUE(a.ok && b.ok) << a.message << b.message;
  // Without error control the sensitivities do not shrink the steps (1892 vs 787 steps for 6
  // parameters when this was written).
  EXPECT_LT(a.stats.steps * 3, b.stats.steps * 2);
  const std::vector<int> measured = {info.StateIndex("X"), info.StateIndex("S"), info.StateIndex("A"),
                                     info.StateIndex("DOTm")};
  for (size_t k = 0; k < names.size(); ++k) {
    const int p = loose.sensitivity_parameters[k];
    const double p0 = info.parameters[p].value, h = 1e-3 * p0;
    // Central differences of runs at 100x tighter tolerances: truncation (h^2) and integration
    // noise well below the 1e-3 asked of the sensitivities.
    Scenario up = FedBatch(info, p, p0 + h), dn = FedBatch(info, p, p0 - h);
    up.rtol = dn.rtol = 1e-10;
    up.atol = dn.atol = 1e-12;
    SimResult ru = Simulator(m, up).Run(), rd = Simulator(m, dn).Run();
    ASSERT_TRUE(ru.ok && rd.ok);
    for (size_t t = 1; t < a.time.size(); ++t) {
      for (int i : measured) {
        const double fd = (ru.states[t][i] - rd.states[t][i]) / (2 * h);
        // Scale: the largest of this state's sensitivities to the parameter over the run, so
        // that a sensitivity passing through zero is not judged relatively.
        double scale = 0;
        for (size_t q = 1; q < b.time.size(); ++q) scale = std::max(scale, std::fabs(b.sensitivities[q][k][i]));
        EXPECT_NEAR(a.sensitivities[t][k][i], fd, 1e-3 * scale + 1e-9)
            << names[k] << ", " << info.states[i].name << ", t = " << a.time[t];
        EXPECT_NEAR(b.sensitivities[t][k][i], fd, 1e-3 * scale + 1e-9)
            << "(error-controlled) " << names[k] << ", " << info.states[i].name << ", t = " << a.time[t];
      }
    }
  }
}

}  // namespace
}  // namespace biotwin::sim
