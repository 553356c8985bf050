// Fitting network weights (docs/fit.md "Networks and regularisation"): parameter patterns,
// ridge residuals, the fit-spec keys, the CLI options, and a tiny fit through the ODE that
// recovers a known 1-hidden-unit network.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "estimate/estimate.h"
#include "fit_test_util.h"
#include "model/model.h"
#include "sim/scenario.h"
#include "sim/simulator.h"
#include "test_paths.h"

namespace biotwin::estimate {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

// dy/dt = g(y) with g a 1-1-1 tanh network: g = w2 * tanh(w1 * z + b1) + b2, z = (y - 1)/1.
constexpr const char* kModel = R"yaml(biotwin: 1
model: {name: tiny_net}
states:
  y: {unit: g/L, initial: 0.2}
parameters:
  c: {value: 1, unit: "-", bounds: [0.1, 10]}
networks:
  g_net:
    inputs: [{expr: y, unit: g/L, range: [0, 2]}]
    hidden: [1]
    output: {unit: g/(L*h), transform: linear}
    values: {w1_1_1: W1, b1_1: B1, w2_1_1: W2, b2_1: B2}
balances:
  y: "c*g_net"
)yaml";

std::string ModelText(double w1, double b1, double w2, double b2) {
  std::string t = kModel;
  auto put = [&t](const std::string& key, double v) { t.replace(t.find(key), key.size(), std::to_string(v)); };
  put("W1", w1);
  put("B1", b1);
  put("W2", w2);
  put("B2", b2);
  return t;
}

const double kTrue[] = {1.5, -0.4, -0.8, 0.3};  // w1, b1, w2, b2

// Noise-free data of y from three initial values (spanning the input range), every 0.25 h to 4 h.
FitProblem TinyProblem(const std::shared_ptr<const model::Model>& fitted) {
  auto truth = model::LoadModelText(ModelText(kTrue[0], kTrue[1], kTrue[2], kTrue[3]), "truth.yaml");
  FitProblem problem;
  problem.model = fitted;
  for (double y0 : {0.1, 0.9, 1.9}) {
    sim::Scenario sc = sim::DefaultScenario(fitted->info(), 4.0);
    sc.initial[0] = y0;
    sc.rtol = 1e-10;
    sc.atol = 1e-12;
    DataTable t;
    t.file = "y0=" + std::to_string(y0);
    for (int i = 1; i <= 16; ++i) t.time.push_back(0.25 * i);
    sim::Scenario tsc = sc;
    tsc.output_times = t.time;
    sim::Simulator simulator(truth, tsc);
    sim::SimResult res = simulator.Run();
    EXPECT_TRUE(res.ok) << res.message;
    t.columns = {{"y", "g/L", {}}};
    for (const auto& x : res.states) t.columns[0].values.push_back(x[0]);
    Experiment ex;
    ex.name = t.file;
    ex.scenario = sc;
    ex.data = MatchData(t, fitted->info());
    problem.experiments.push_back(std::move(ex));
  }
  return problem;
}

TEST(HybridFit, PatternsExpandToEveryWeightInModelOrder) {
  auto m = model::LoadModelText(ModelText(1, 0, 1, 0), "m.yaml");
  EXPECT_THAT(ExpandParameterPattern(m->info(), "g_net.*", "--estimate"),
              ElementsAre("g_net.w1_1_1", "g_net.b1_1", "g_net.w2_1_1", "g_net.b2_1"));
  EXPECT_THAT(ExpandParameterPattern(m->info(), "g_net.b*", "--estimate"), ElementsAre("g_net.b1_1", "g_net.b2_1"));
  EXPECT_THAT(ExpandParameterPattern(m->info(), "c", "--estimate"), ElementsAre("c"));
  try {
    ExpandParameterPattern(m->info(), "h_net.*", "--estimate");
    ADD_FAILURE();
  } catch (const FitInputError& e) {
    EXPECT_THAT(e.what(), HasSubstr("'h_net.*' matches no parameter"));
  }
  auto params = MakeFreeParameters(m->info(), {"g_net.w*", "c"}, {}, {}, {});
  ASSERT_EQ(params.size(), 3u);
  EXPECT_EQ(params[0].name, "g_net.w1_1_1");
  EXPECT_FALSE(params[0].log);  // unbounded weights are optimised linearly
  EXPECT_TRUE(params[2].log);
}

TEST(HybridFit, RidgeWeightsFollowPatternsAndRejectBadInput) {
  auto m = model::LoadModelText(ModelText(1, 0, 1, 0), "m.yaml");
  FitProblem problem;
  problem.model = m;
  problem.parameters = MakeFreeParameters(m->info(), {"g_net.*", "c"}, {}, {}, {});
  SetRidge({{"g_net.w*", 0.5}, {"c", 2.0}}, &problem);
  EXPECT_THAT(problem.ridge, ElementsAre(0.5, 0.0, 0.5, 0.0, 2.0));
  EXPECT_THROW(SetRidge({{"q*", 1.0}}, &problem), FitInputError);
  EXPECT_THROW(SetRidge({{"c", -1.0}}, &problem), FitInputError);
}

// The ridge adds lambda * sum p^2 to J: with the data exactly reproduced at the start, a solve
// with every parameter fixed reports J = lambda * sum p^2.
TEST(HybridFit, RidgePenaltyIsAddedToTheObjective) {
  auto m = model::LoadModelText(ModelText(kTrue[0], kTrue[1], kTrue[2], kTrue[3]), "m.yaml");
  FitProblem problem = TinyProblem(m);
  problem.parameters = MakeFreeParameters(m->info(), {"g_net.*"}, {}, {}, {});
  SetRidge({{"g_net.*", 0.01}}, &problem);
  FitResiduals residuals(problem);
  FitOptions options;
  long sims = 0;
  const std::vector<double> start(kTrue, kTrue + 4);
  StartOutcome out = SolveFrom(residuals, start, {0, 1, 2, 3}, options, &sims);
  double penalty = 0;
  for (double v : kTrue) penalty += 0.01 * v * v;
  EXPECT_NEAR(out.objective, penalty, 1e-9);
}

TEST(HybridFit, TinyFitRecoversAKnownOneHiddenUnitNetwork) {
  // Start 20-40 % away from the truth (same sign branch; tanh nets have a sign symmetry).
  auto m = model::LoadModelText(ModelText(1.1, -0.2, -0.6, 0.4), "start.yaml");
  FitProblem problem = TinyProblem(m);
  problem.parameters = MakeFreeParameters(m->info(), {"g_net.*"}, {}, {}, {});
  CheckProblem(&problem);
  FitOptions options;
  options.profile = {"none"};
  FitResult r = Fit(problem, options);
  ASSERT_EQ(r.status, "converged") << r.message;
  ASSERT_EQ(r.parameters.size(), 4u);
  for (int k = 0; k < 4; ++k) EXPECT_NEAR(r.parameters[k].value, kTrue[k], 1e-4) << r.parameters[k].name;
  EXPECT_LT(r.objective, 1e-10);
}

TEST(HybridFit, SpecAcceptsPatternsAndRegularization) {
  auto m = model::LoadModelText(ModelText(1, 0, 1, 0), "m.yaml");
  FitSpec spec = LoadFitSpecText(R"yaml(biotwin_fit: 1
estimate:
  "g_net.*": {}
  c: {bounds: [0.5, 2]}
regularization:
  "g_net.*": 0.001
)yaml", "spec.yaml", m->info());
  EXPECT_THAT(spec.estimate, ElementsAre("g_net.w1_1_1", "g_net.b1_1", "g_net.w2_1_1", "g_net.b2_1", "c"));
  EXPECT_DOUBLE_EQ(spec.ridge.at("g_net.*"), 0.001);
  try {
    LoadFitSpecText("biotwin_fit: 1\nregularization:\n  \"h.*\": 1\n", "spec.yaml", m->info());
    ADD_FAILURE();
  } catch (const model::ModelError& e) {
    EXPECT_EQ(e.line(), 3);
    EXPECT_EQ(e.field(), "regularization.h.*");
  }
}

TEST(HybridFit, CliEstimatesANetworkByPatternWithRidge) {
  const std::string dir = testing::TempDir();
  testing::WriteText(dir + "/m.yaml", ModelText(1.1, -0.2, -0.6, 0.4));
  auto truth = model::LoadModelText(ModelText(kTrue[0], kTrue[1], kTrue[2], kTrue[3]), "truth.yaml");
  sim::Scenario sc = sim::DefaultScenario(truth->info(), 4.0);
  sc.initial[0] = 0.9;
  for (int i = 1; i <= 16; ++i) sc.output_times.push_back(0.25 * i);
  sim::Simulator simulator(truth, sc);
  sim::SimResult res = simulator.Run();
  ASSERT_TRUE(res.ok);
  std::string csv = "t [h],y [g/L]\n";
  for (size_t i = 0; i < res.time.size(); ++i) csv += std::to_string(res.time[i]) + "," + std::to_string(res.states[i][0]) + "\n";
  testing::WriteText(dir + "/d.csv", csv);
  testing::WriteText(dir + "/s.yaml", "biotwin_scenario: 1\nname: s\nuntil: 4 h\ninitial: {y: 0.9 g/L}\n");
  auto r = testing::RunBiotwin({"fit", "m.yaml", "--data", "d.csv", "--scenario", "s.yaml", "--estimate", "g_net.*",
                                "--ridge", "g_net.*=1e-6", "--out", "FIT.json", "--profile", "none", "--quiet"},
                               dir);
  ASSERT_EQ(r.code, 0) << r.out << r.err;
  auto fit = nlohmann::json::parse(testing::ReadText(dir + "/FIT.json"));
  ASSERT_EQ(fit["parameters"].size(), 4u);
  EXPECT_EQ(fit["parameters"][0]["name"], "g_net.w1_1_1");
  EXPECT_EQ(fit["parameters"][0]["scale"], "linear");
  EXPECT_DOUBLE_EQ(fit["solver"]["ridge"]["g_net.b2_1"].get<double>(), 1e-6);
  r = testing::RunBiotwin({"fit", "m.yaml", "--data", "d.csv", "--estimate", "g_net.*", "--ridge", "g_net.*=x",
                           "--out", "FIT.json"}, dir);
  EXPECT_EQ(r.code, 3) << r.err;
  EXPECT_THAT(r.err, HasSubstr("--ridge"));
}

}  // namespace
}  // namespace biotwin::estimate
