// Published parameter-estimation benchmarks run through the real CLI: COPS pinene and gasoil
// (examples/benchmarks/*). The objective must match to 4 significant digits and the parameters
// to 3; for gasoil the standard errors implied by PSOPT's 95 % intervals and its correlations.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "fit_test_util.h"

namespace biotwin::estimate {
namespace {

using biotwin::testing::AgreeToDigits;
using biotwin::testing::ReadText;
using biotwin::testing::RunBiotwin;
using nlohmann::json;

json Expected(const std::string& name) {
  return json::parse(ReadText(biotwin::testing::SourcePath("examples/benchmarks/" + name + "/expected.json")));
}

json FitBenchmark(const std::string& name, const std::vector<std::string>& extra) {
  const std::string dir = biotwin::testing::TempDir();
  const std::string src = biotwin::testing::SourcePath("examples/benchmarks/" + name + "/");
  std::vector<std::string> args = {"fit", src + name + ".yaml", "--data", src + "data.csv", "--out", dir + "/FIT.json",
                                   "--report", dir + "/FIT.html"};
  args.insert(args.end(), extra.begin(), extra.end());
  auto r = RunBiotwin(args, dir);
  EXPECT_EQ(r.code, 0) << r.err;
  return json::parse(ReadText(dir + "/FIT.json"));
}

void CheckAgainstPublished(const json& fit, const json& expected) {
  ASSERT_EQ(fit["status"], "converged");
  const double j = fit["objective"];
  EXPECT_TRUE(AgreeToDigits(j, expected["objective"], expected["objective_significant_digits"]))
      << "J = " << j << ", published " << expected["objective"];
  for (const auto& p : fit["parameters"]) {
    const double ref = expected["parameters"][p["name"].get<std::string>()];
    EXPECT_TRUE(AgreeToDigits(p["value"], ref, expected["parameters_significant_digits"]))
        << p["name"] << " = " << p["value"] << ", published " << ref;
  }
}

TEST(FitBenchmarks, PineneMatchesCops) {
  const json e = Expected("pinene");
  const json fit = FitBenchmark("pinene", {"--estimate", "p1,p2,p3,p4,p5", "--rtol", "1e-10", "--atol", "1e-10"});
  CheckAgainstPublished(fit, e);
  // Unweighted: sigma is estimated and the residual variance is J/(N - p) = J/35.
  EXPECT_EQ(fit["degrees_of_freedom"], 35);
  EXPECT_NEAR(fit["residual_variance"].get<double>(), fit["objective"].get<double>() / 35, 1e-12);
}

TEST(FitBenchmarks, PineneFromLatinHypercubeStartsFindsTheSameOptimum) {
  const json e = Expected("pinene");
  const json fit = FitBenchmark("pinene", {"--estimate", "p1,p2,p3,p4,p5", "--rtol", "1e-10", "--atol", "1e-10",
                                           "--starts", "4", "--seed", "7", "--profile", "none"});
  CheckAgainstPublished(fit, e);
  EXPECT_EQ(fit["starts"].size(), 4u);
}

TEST(FitBenchmarks, GasoilMatchesCopsAndPsoptStatistics) {
  const json e = Expected("gasoil");
  const json fit = FitBenchmark("gasoil", {"--estimate", "p1,p2,p3", "--rtol", "1e-10", "--atol", "1e-12",
                                           "--profile", "all"});
  CheckAgainstPublished(fit, e);
  // PSOPT's intervals are value +- 1.96 SE: compare the standard errors.
  for (const auto& p : fit["parameters"]) {
    const auto& ci = e["ci95_psopt"][p["name"].get<std::string>()];
    const double se_psopt = (ci[1].get<double>() - ci[0].get<double>()) / 2 / 1.959964;
    EXPECT_NEAR(p["standard_error"].get<double>(), se_psopt, 0.02 * se_psopt) << p["name"];
    // biotwin's interval: Student t with 39 degrees of freedom.
    const double half = (p["ci95"][1].get<double>() - p["ci95"][0].get<double>()) / 2;
    EXPECT_NEAR(half / p["standard_error"].get<double>(), 2.02269, 1e-4);
  }
  const auto& c = fit["correlation"]["matrix"];
  EXPECT_NEAR(c[0][1].get<double>(), e["correlation_psopt"]["p1,p2"], 0.01);
  EXPECT_NEAR(c[0][2].get<double>(), e["correlation_psopt"]["p1,p3"], 0.01);
  EXPECT_NEAR(c[1][2].get<double>(), e["correlation_psopt"]["p2,p3"], 0.01);
  // Profiles of a nearly linear problem: every parameter identifiable, intervals close to Fisher's.
  ASSERT_EQ(fit["profiles"].size(), 3u);
  for (size_t k = 0; k < 3; ++k) {
    const auto& prof = fit["profiles"][k];
    EXPECT_TRUE(prof["identifiable"].get<bool>()) << prof["parameter"];
    const auto& fisher = fit["parameters"][k]["ci95"];
    const double width = fisher[1].get<double>() - fisher[0].get<double>();
    EXPECT_NEAR(prof["ci95"][0].get<double>(), fisher[0].get<double>(), 0.1 * width) << prof["parameter"];
    EXPECT_NEAR(prof["ci95"][1].get<double>(), fisher[1].get<double>(), 0.1 * width) << prof["parameter"];
  }
}

}  // namespace
}  // namespace biotwin::estimate
