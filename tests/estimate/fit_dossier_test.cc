// The fit dossier: held-out validation checked against the analytic solution of a first-order
// decay, a held-out batch from other parameters flagged as failing, computed failure modes for an
// unidentifiable pair and a misfitting model, and the --write-model round trip.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <set>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "fit_test_util.h"
#include "model/content_hash.h"
#include "model/model.h"

namespace biotwin::estimate {
namespace {

using ::testing::HasSubstr;
using biotwin::testing::ReadText;
using biotwin::testing::RunBiotwin;
using biotwin::testing::WriteText;
using nlohmann::json;

// x(t) = 5 exp(-k j t); j is 1 and only estimated to make (k, j) an unidentifiable pair.
constexpr const char* kModel = R"(biotwin: 1
model: {name: decay, version: 2.1.0}
time_unit: h
states:
  x: {unit: g/L, initial: 5}
parameters:
  # first-order rate constant
  k: {value: 0.15, unit: 1/h, bounds: [1e-3, 10], source: test}  # trailing comment stays
  j:
    value: 1
    unit: "-"
    bounds: [0.1, 10]
    description: a factor that only the product k*j determines
inputs:
  F: {unit: L/h, default: 0}
balances:
  x: "-k*j*x"
)";

const std::vector<double> kTimes = {0.5, 1, 2, 3, 4, 6};
constexpr double kSigma = 0.05;  // g/L, the declared absolute measurement error

// Data of x = 5 exp(-k t) with fixed perturbations (in units of kSigma).
std::string DecayCsv(double k, const std::vector<double>& noise) {
  std::string s = "t [h],x [g/L]\n";
  for (size_t i = 0; i < kTimes.size(); ++i) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%g,%.6f\n", kTimes[i], 5 * std::exp(-k * kTimes[i]) + kSigma * noise[i]);
    s += buf;
  }
  return s;
}

// P(chi2_n >= x) for even n (closed form: exp(-x/2) sum_{i < n/2} (x/2)^i / i!).
double ChiSquareSurvivalEven(double x, int n) {
  double term = 1, sum = 0;
  for (int i = 0; i < n / 2; ++i) {
    if (i > 0) term *= 0.5 * x / i;
    sum += term;
  }
  return std::exp(-0.5 * x) * sum;
}

class FitDossier : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = biotwin::testing::TempDir();
    WriteText(Path("decay.yaml"), kModel);
    WriteText(Path("train.csv"), DecayCsv(0.2, {0.8, -1.1, 0.4, 1.3, -0.6, -0.2}));
    WriteText(Path("held.csv"), DecayCsv(0.2, {-0.5, 0.9, -1.4, 0.3, 1.0, -0.7}));
    WriteText(Path("other.csv"), DecayCsv(0.3, {0, 0, 0, 0, 0, 0}));
  }
  std::string Path(const std::string& name) const { return dir_ + "/" + name; }
  biotwin::testing::FitCliResult Fit(std::vector<std::string> extra, const std::string& model = "decay.yaml",
                                     const std::string& estimate = "k") {
    std::vector<std::string> args = {"fit", Path(model), "--data", Path("train.csv"), "--estimate", estimate,
                                     "--error", "x=0.05g/L", "--out", Path("FIT.json"), "--quiet"};
    args.insert(args.end(), extra.begin(), extra.end());
    return RunBiotwin(args, dir_);
  }
  json FitJson() const { return json::parse(ReadText(Path("FIT.json"))); }
  std::string dir_;
};

TEST_F(FitDossier, HeldOutValidationMatchesTheAnalyticSolution) {
  auto r = Fit({"--validate", Path("held.csv"), "--report", Path("FIT.html")});
  ASSERT_EQ(r.code, 0) << r.err;
  const json j = FitJson();
  const double k = j["parameters"][0]["value"].get<double>();
  EXPECT_NEAR(k, 0.2, 0.005);
  // Independent computation: the analytic model at the estimate against the held-out data.
  const std::vector<double> noise = {-0.5, 0.9, -1.4, 0.3, 1.0, -0.7};
  double sum = 0, sum2 = 0;
  for (size_t i = 0; i < kTimes.size(); ++i) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.6f", 5 * std::exp(-0.2 * kTimes[i]) + kSigma * noise[i]);
    const double diff = 5 * std::exp(-k * kTimes[i]) - std::stod(buf);
    sum += diff;
    sum2 += diff * diff;
  }
  const double n = kTimes.size(), rmse = std::sqrt(sum2 / n), chi2 = sum2 / (kSigma * kSigma);
  const json& v = j["dossier"]["validation"];
  ASSERT_EQ(v.size(), 1u);
  EXPECT_EQ(j["dossier"]["validation_status"], "validated on 1 held-out batches");
  const json& s = v[0]["signals"][0];
  EXPECT_EQ(s["name"], "x");
  EXPECT_EQ(s["points"], 6);
  EXPECT_NEAR(s["rmse"].get<double>(), rmse, 1e-4 * rmse + 1e-6);
  EXPECT_NEAR(s["bias"].get<double>(), sum / n, 1e-5);
  EXPECT_NEAR(s["normalised_rmse"].get<double>(), rmse / kSigma, 1e-3 * rmse / kSigma);
  EXPECT_NEAR(v[0]["chi_square"].get<double>(), chi2, 1e-3 * chi2);
  EXPECT_NEAR(v[0]["p_value"].get<double>(), ChiSquareSurvivalEven(chi2, 6), 1e-4);
  EXPECT_EQ(v[0]["verdict"], "pass");
  EXPECT_EQ(v[0]["sha256"], model::Sha256Hex(ReadText(Path("held.csv"))));
  const std::string html = ReadText(Path("FIT.html"));
  for (const char* section : {"Held-out validation", "Validity domain", "Known failure modes", "Data provenance", "Estimates"}) {
    EXPECT_THAT(html, HasSubstr(section));
  }
  EXPECT_THAT(html, HasSubstr(j["dossier"]["model"]["sha256"].get<std::string>()));
}

TEST_F(FitDossier, HeldOutBatchFromOtherParametersFails) {
  auto r = Fit({"--validate", Path("held.csv") + "," + Path("other.csv")});
  ASSERT_EQ(r.code, 0) << r.err;
  const json j = FitJson();
  const json& v = j["dossier"]["validation"];
  ASSERT_EQ(v.size(), 2u);
  EXPECT_EQ(v[0]["verdict"], "pass");
  EXPECT_EQ(v[1]["verdict"], "fail");
  EXPECT_LT(v[1]["p_value"].get<double>(), 1e-3);
  EXPECT_GT(v[1]["signals"][0]["bias"].get<double>(), 0.1);  // k = 0.3 decays faster: the model is too high
  bool flagged = false;
  for (const auto& f : j["dossier"]["failure_modes"]) {
    if (f["kind"] == "held_out_failure") {
      flagged = true;
      EXPECT_THAT(f["subject"].get<std::string>(), HasSubstr("other.csv"));
      EXPECT_THAT(f["evidence"].get<std::string>(), HasSubstr("g/L"));
    }
  }
  EXPECT_TRUE(flagged);
}

TEST_F(FitDossier, WithoutHeldOutDataTheDossierSaysSo) {
  ASSERT_EQ(Fit({}).code, 0);
  const json j = FitJson();
  EXPECT_EQ(j["dossier"]["validation_status"], "not validated on held-out batches");
  EXPECT_TRUE(j["dossier"]["validation"].empty());
  EXPECT_TRUE(j["dossier"]["failure_modes"].empty()) << j["dossier"]["failure_modes"].dump(1);
}

TEST_F(FitDossier, UnidentifiablePairIsAFailureMode) {
  auto r = Fit({}, "decay.yaml", "k,j");
  ASSERT_EQ(r.code, 0) << r.err;
  std::set<std::string> kinds, subjects;
  const json modes = FitJson()["dossier"]["failure_modes"];
  for (const auto& f : modes) {
    kinds.insert(f["kind"].get<std::string>());
    subjects.insert(f["subject"].get<std::string>());
  }
  SCOPED_TRACE(modes.dump(1));
  EXPECT_TRUE(kinds.count("singular_fisher"));
  EXPECT_TRUE(subjects.count("k, j")) << "the undetermined direction names the pair";
  // x depends on k*j only: the weakest relative direction is (1, -1)/sqrt(2).
  const json w = FitJson()["fisher_information"]["weakest_direction"];
  EXPECT_NEAR(std::fabs(w["k"].get<double>()), std::sqrt(0.5), 1e-3);
  EXPECT_NEAR(w["k"].get<double>(), -w["j"].get<double>(), 1e-3);
  EXPECT_TRUE(kinds.count("poorly_identified") || kinds.count("flat_profile"));
  EXPECT_TRUE(subjects.count("k"));
  EXPECT_TRUE(subjects.count("j"));
}

TEST_F(FitDossier, SystematicMisfitIsAResidualTrend) {
  // 20 points of a logistic-like decline fitted by an exponential: long runs of one sign.
  std::string csv = "t [h],x [g/L]\n";
  for (int i = 1; i <= 20; ++i) {
    const double t = 0.5 * i;
    csv += std::to_string(t) + "," + std::to_string(5.0 / (1 + 0.05 * t * t)) + "\n";
  }
  WriteText(Path("train.csv"), csv);
  ASSERT_EQ(Fit({}).code, 0);
  bool trend = false, misfit = false;
  const json j = FitJson();
  SCOPED_TRACE(j["residual_diagnostics"].dump(1) + j["dossier"]["failure_modes"].dump(1));
  for (const auto& f : j["dossier"]["failure_modes"]) {
    trend = trend || (f["kind"] == "residual_trend" && f["subject"] == "x");
    misfit = misfit || f["kind"] == "lack_of_fit";
  }
  EXPECT_TRUE(trend);
  EXPECT_TRUE(misfit);
}

TEST_F(FitDossier, WrittenModelCarriesTheFitAndStartsAtTheOptimum) {
  auto r = Fit({"--write-model", Path("fitted.yaml")});
  ASSERT_EQ(r.code, 0) << r.err;
  const json j = FitJson();
  const double k = j["parameters"][0]["value"].get<double>(), se = j["parameters"][0]["standard_error"].get<double>();
  const std::string fit_hash = model::Sha256Hex(ReadText(Path("FIT.json")));
  const std::string text = ReadText(Path("fitted.yaml"));
  EXPECT_THAT(text, HasSubstr("# trailing comment stays"));
  EXPECT_THAT(text, HasSubstr("# first-order rate constant"));
  auto m = model::LoadModelFile(Path("fitted.yaml"));
  const auto& info = m->info();
  const auto& par = info.parameters[info.ParameterIndex("k")];
  EXPECT_NEAR(par.value, k, 1e-9 * k);
  EXPECT_NEAR(par.uncertainty, se, 1e-9 * se);
  EXPECT_THAT(par.source, HasSubstr("fit " + fit_hash));
  EXPECT_EQ(par.lower, 1e-3);  // everything else kept
  EXPECT_EQ(info.parameters[info.ParameterIndex("j")].value, 1.0);
  ASSERT_EQ(info.validity.bounds.size(), 2u);
  EXPECT_EQ(info.validity.dossier, fit_hash);
  const auto& dom = j["dossier"]["validity_domain"];
  EXPECT_EQ(info.validity.bounds[0].name, "x");
  EXPECT_NEAR(info.validity.bounds[0].lower, dom[0]["min"].get<double>(), 1e-8);
  EXPECT_NEAR(info.validity.bounds[0].upper, dom[0]["max"].get<double>(), 1e-8);
  EXPECT_TRUE(info.validity.bounds[1].is_input);
  // Refitting from the written model starts at the optimum and ends there.
  auto again = RunBiotwin({"fit", Path("fitted.yaml"), "--data", Path("train.csv"), "--estimate", "k", "--error",
                           "x=0.05g/L", "--out", Path("FIT2.json"), "--write-model", Path("fitted2.yaml"), "--quiet"},
                          dir_);
  ASSERT_EQ(again.code, 0) << again.err;
  EXPECT_EQ(again.err, "");  // the fitted batch lies inside the domain: no warning
  const json j2 = json::parse(ReadText(Path("FIT2.json")));
  EXPECT_NEAR(j2["starts"][0]["start"]["k"].get<double>(), k, 1e-9 * k);
  EXPECT_NEAR(j2["parameters"][0]["value"].get<double>(), k, 1e-6 * k);
  EXPECT_LE(j2["starts"][0]["iterations"].get<int>(), 2);
  // Writing again replaces the validity section (and its comment) instead of adding one.
  const std::string text2 = ReadText(Path("fitted2.yaml"));
  auto count = [&](const std::string& what) {
    int n = 0;
    for (size_t pos = text2.find(what); pos != std::string::npos; pos = text2.find(what, pos + 1)) ++n;
    return n;
  };
  EXPECT_EQ(count("\nvalidity:\n"), 1);
  EXPECT_EQ(count("# Validity domain of the fit"), 1);
  EXPECT_EQ(model::LoadModelFile(Path("fitted2.yaml"))->info().validity.dossier,
            model::Sha256Hex(ReadText(Path("FIT2.json"))));
}

TEST_F(FitDossier, WrittenModelCarriesFittedNetworkWeights) {
  // The rate constant as a (linear, softplus) network of x: its weights go to networks.k_net.values.
  WriteText(Path("net.yaml"), R"(biotwin: 1
model: {name: netdecay, version: 1.0.0}
states:
  x: {unit: g/L, initial: 5}
networks:
  k_net:
    inputs:
      - {expr: x, unit: g/L, range: [0, 5]}
    hidden: []
    output: {unit: 1/h, transform: softplus, scale: 0.2}
balances:
  x: "-k_net*x"
)");
  auto r = Fit({"--write-model", Path("net_fit.yaml")}, "net.yaml", "k_net.*");
  ASSERT_EQ(r.code, 0) << r.err;
  const json j = FitJson();
  const auto fitted = model::LoadModelFile(Path("net_fit.yaml"));
  const auto& info = fitted->info();
  ASSERT_EQ(j["parameters"].size(), 2u);
  for (const auto& p : j["parameters"]) {
    const int k = info.ParameterIndex(p["name"].get<std::string>());
    ASSERT_GE(k, 0) << p["name"];
    EXPECT_NEAR(info.parameters[k].value, p["value"].get<double>(), 1e-9 * std::fabs(p["value"].get<double>()));
  }
  EXPECT_THAT(ReadText(Path("net_fit.yaml")), HasSubstr("    values: {"));
}

TEST_F(FitDossier, FitWarnsWhenItsStartLeavesTheModelsDomain) {
  ASSERT_EQ(Fit({"--write-model", Path("fitted.yaml")}).code, 0);
  // Data to 20 h: the decay goes below the 6 h range of the first fit.
  std::string csv = "t [h],x [g/L]\n";
  for (double t : {2.0, 5.0, 10.0, 20.0}) csv += std::to_string(t) + "," + std::to_string(5 * std::exp(-0.2 * t)) + "\n";
  WriteText(Path("long.csv"), csv);
  auto r = RunBiotwin({"fit", Path("fitted.yaml"), "--data", Path("long.csv"), "--estimate", "k", "--out",
                       Path("FIT3.json"), "--quiet"}, dir_);
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.err, HasSubstr("warning: " + Path("fitted.yaml") + ": state x left the validity domain ["));
  EXPECT_THAT(r.err, HasSubstr("at the start values"));
  const json j = json::parse(ReadText(Path("FIT3.json")));
  ASSERT_EQ(j["warnings"].size(), 1u);
}

TEST_F(FitDossier, BadValidateOptionsAreUsageOrInputErrors) {
  EXPECT_EQ(Fit({"--validate-scenario", Path("s.yaml")}).code, 3);
  WriteText(Path("bad.csv"), "t [h],y [g/L]\n1,2\n");
  auto r = Fit({"--validate", Path("bad.csv")});
  EXPECT_EQ(r.code, 3);
  EXPECT_THAT(r.err, HasSubstr("bad.csv:1:2: column 'y'"));
}

}  // namespace
}  // namespace biotwin::estimate
