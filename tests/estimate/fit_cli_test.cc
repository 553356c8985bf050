// `biotwin fit` on bad inputs: every problem is an error naming the file, line/column and field,
// with the documented exit code; a fit that does not converge is reported as such (exit 1,
// status in FIT.json, no estimates). Also a fit spec with two batches and error models.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "fit_test_util.h"

namespace biotwin::estimate {
namespace {

using ::testing::HasSubstr;
using biotwin::testing::ReadText;
using biotwin::testing::RunBiotwin;
using biotwin::testing::WriteText;

constexpr const char* kModel = R"(biotwin: 1
model: {name: decay, version: 2.1.0}
time_unit: h
states:
  x: {unit: g/L, initial: 5}
parameters:
  k: {value: 0.2, unit: 1/h, bounds: [1e-3, 10], source: test}
inputs:
  F: {unit: L/h, default: 0}
balances:
  x: "-k*x"
)";

class FitCli : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = biotwin::testing::TempDir();
    WriteText(Path("decay.yaml"), kModel);
    WriteText(Path("good.csv"), "t [h],x [g/L]\n0.5,4.524\n1,4.094\n2,3.352\n4,2.247\n6,1.506\n");
  }
  std::string Path(const std::string& name) const { return dir_ + "/" + name; }
  biotwin::testing::FitCliResult Fit(const std::string& csv, std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {"fit", Path("decay.yaml"), "--data", Path(csv), "--estimate", "k",
                                     "--out", Path("FIT.json"), "--quiet"};
    args.insert(args.end(), extra.begin(), extra.end());
    return RunBiotwin(args, dir_);
  }
  std::string dir_;
};

TEST_F(FitCli, FitsAndWritesTheDossier) {
  auto r = Fit("good.csv", {"--report", Path("FIT.html")});
  ASSERT_EQ(r.code, 0) << r.err;
  auto j = nlohmann::json::parse(ReadText(Path("FIT.json")));
  EXPECT_EQ(j["status"], "converged");
  EXPECT_NEAR(j["parameters"][0]["value"].get<double>(), 0.2, 2e-4);
  EXPECT_EQ(j["dossier"]["model"]["version"], "2.1.0");
  EXPECT_EQ(j["dossier"]["model"]["sha256"].get<std::string>().size(), 64u);
  EXPECT_EQ(j["dossier"]["data"][0]["sha256"].get<std::string>().size(), 64u);
  const auto& dom = j["dossier"]["validity_domain"];
  ASSERT_EQ(dom.size(), 2u);  // state x and input F
  EXPECT_NEAR(dom[0]["max"].get<double>(), 5.0, 1e-9);
  EXPECT_EQ(dom[1]["name"], "F");
  EXPECT_THAT(ReadText(Path("FIT.html")), HasSubstr("biotwin fit: decay"));
}

TEST_F(FitCli, UnknownColumnNamesFileLineColumnAndField) {
  WriteText(Path("bad.csv"), "# comment\nt [h],x [g/L],Xv [g/L]\n0.5,4.5,1\n1,4.1,1\n");
  auto r = Fit("bad.csv");
  EXPECT_EQ(r.code, 3);
  EXPECT_THAT(r.err, HasSubstr("bad.csv:2:3: column 'Xv'"));
  EXPECT_THAT(r.err, HasSubstr("neither a state nor an output"));
}

TEST_F(FitCli, IncompatibleUnitIsAnError) {
  WriteText(Path("bad.csv"), "t [h],x [mol]\n0.5,4.5\n1,4.1\n");
  auto r = Fit("bad.csv");
  EXPECT_EQ(r.code, 3);
  EXPECT_THAT(r.err, HasSubstr("bad.csv:1:2: column 'x'"));
  EXPECT_THAT(r.err, HasSubstr("cannot be converted to 'g/L'"));
}

TEST_F(FitCli, TimeInAnotherUnitIsConvertedButMustBeATime) {
  WriteText(Path("min.csv"), "t [min],x [mg/L]\n30,4524\n60,4094\n120,3352\n240,2247\n360,1506\n");
  EXPECT_EQ(Fit("min.csv").code, 0);
  WriteText(Path("bad.csv"), "t [g],x [g/L]\n0.5,4.5\n1,4.1\n");
  auto r = Fit("bad.csv");
  EXPECT_EQ(r.code, 3);
  EXPECT_THAT(r.err, HasSubstr("is not a time"));
}

TEST_F(FitCli, NonMonotonicTimeNamesTheLine) {
  WriteText(Path("bad.csv"), "t [h],x [g/L]\n0.5,4.5\n2,3.3\n1,4.1\n");
  auto r = Fit("bad.csv");
  EXPECT_EQ(r.code, 3);
  EXPECT_THAT(r.err, HasSubstr("bad.csv:4"));
}

TEST_F(FitCli, AllMissingSignalIsAnError) {
  WriteText(Path("bad.csv"), "t [h],x [g/L]\n0.5,\n1,nan\n");
  auto r = Fit("bad.csv");
  EXPECT_EQ(r.code, 3);
  EXPECT_THAT(r.err, HasSubstr("column 'x': has no values"));
}

TEST_F(FitCli, ParameterNotInTheModel) {
  auto r = RunBiotwin({"fit", Path("decay.yaml"), "--data", Path("good.csv"), "--estimate", "k,kd", "--out",
                       Path("FIT.json")}, dir_);
  EXPECT_EQ(r.code, 3);
  EXPECT_THAT(r.err, HasSubstr("'kd' is not a parameter of model 'decay'"));
}

TEST_F(FitCli, DataAfterTheScenarioEndIsAnError) {
  WriteText(Path("short.yaml"), "biotwin_scenario: 1\nname: short\nuntil: 3 h\n");
  auto r = Fit("good.csv", {"--scenario", Path("short.yaml")});
  EXPECT_EQ(r.code, 3);
  EXPECT_THAT(r.err, HasSubstr("lie after the end of scenario 'short'"));
}

TEST_F(FitCli, NonConvergedFitIsReportedAsSuchWithoutEstimates) {
  auto r = Fit("good.csv", {"--start", "k=5", "--max-iterations", "1"});
  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(r.err, HasSubstr("did not converge"));
  auto j = nlohmann::json::parse(ReadText(Path("FIT.json")));
  EXPECT_EQ(j["status"], "not_converged");
  EXPECT_FALSE(j.contains("parameters"));
  EXPECT_TRUE(j["starts"][0].contains("last_iterate"));
}

TEST_F(FitCli, SpecWithTwoBatchesAndErrorModels) {
  WriteText(Path("b2.csv"), "t [h],x [g/L]\n1,8.187\n3,5.488\n5,3.679\n");
  WriteText(Path("b2.yaml"), "biotwin_scenario: 1\nname: b2\nuntil: 5 h\ninitial: {x: 10 g/L}\n");
  WriteText(Path("fit.yaml"),
            "biotwin_fit: 1\n"
            "estimate:\n  k: {start: 0.5 1/h, bounds: [0.01, 2]}\n"
            "errors:\n  x: 5 mg/L + 1 %\n"
            "experiments:\n  - {data: good.csv}\n  - {data: b2.csv, scenario: b2.yaml}\n"
            "options: {starts: 3, seed: 2, profile: all}\n");
  auto r = RunBiotwin({"fit", Path("decay.yaml"), "--spec", Path("fit.yaml"), "--out", Path("FIT.json"), "--quiet"}, dir_);
  ASSERT_EQ(r.code, 0) << r.err;
  auto j = nlohmann::json::parse(ReadText(Path("FIT.json")));
  EXPECT_NEAR(j["parameters"][0]["value"].get<double>(), 0.2, 1e-3);
  EXPECT_TRUE(j["sigma_known"].get<bool>());
  EXPECT_TRUE(j["chi_square"]["meaningful"].get<bool>());
  EXPECT_EQ(j["num_data"], 8);
  EXPECT_EQ(j["starts"].size(), 3u);
  EXPECT_EQ(j["profiles"].size(), 1u);
  EXPECT_EQ(j["error_models"]["x"], "0.005 g/L + 1 %");
  EXPECT_EQ(j["dossier"]["data"][1]["scenario_name"], "b2");
  // A spec error names the file, line and field.
  WriteText(Path("bad.yaml"), "biotwin_fit: 1\nestimate:\n  k: {}\nerrors:\n  x: 5 mol\n");
  r = RunBiotwin({"fit", Path("decay.yaml"), "--spec", Path("bad.yaml"), "--data", Path("good.csv"), "--out", Path("FIT.json")}, dir_);
  EXPECT_EQ(r.code, 3);
  EXPECT_THAT(r.err, HasSubstr("bad.yaml:5"));
  EXPECT_THAT(r.err, HasSubstr("errors.x"));
}

}  // namespace
}  // namespace biotwin::estimate
