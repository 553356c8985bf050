// Noise files: quantities converted to the model's units, defaults left as NaN, and errors that
// name the file, line and field.
#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "estimate/state_noise.h"
#include "model/model.h"
#include "test_paths.h"

namespace biotwin::estimate {
namespace {

class NoiseSpecTest : public ::testing::Test {
 protected:
  void SetUp() override { model_ = model::LoadModelFile(testing::SourcePath("models/ecoli_anane2017.yaml")); }
  const model::ModelInfo& info() const { return model_->info(); }
  std::string Error(const std::string& text) {
    try {
      LoadNoiseSpecText(text, "noise.yaml", info());
    } catch (const model::ModelError& e) {
      return e.what();
    }
    return "(no error)";
  }
  std::shared_ptr<const model::Model> model_;
};

TEST_F(NoiseSpecTest, ConvertsUnitsAndLeavesGapsForDefaults) {
  const NoiseSpec spec = LoadNoiseSpecText(R"(measurements:
  S: 50 mg/L
  OUR: 0.5 mol/(m^3*h)
  DOTm: 1
process:
  X: 0.05 g/L
  V: 0 mL
initial:
  X: {value: 250 mg/L, sigma: 0.1 g/L}
non_negative: [S]
ignore: [pH]
mhe: {window: 12}
ukf: {alpha: 0.3}
)",
                                           "noise.yaml", info());
  EXPECT_DOUBLE_EQ(spec.measurement_sigma.at("S"), 0.05);    // g/L
  EXPECT_DOUBLE_EQ(spec.measurement_sigma.at("OUR"), 0.5);   // mmol/(L*h)
  EXPECT_DOUBLE_EQ(spec.measurement_sigma.at("DOTm"), 1.0);  // a bare number is in the signal's unit
  const int x = info().StateIndex("X"), s = info().StateIndex("S");
  EXPECT_DOUBLE_EQ(spec.process_sigma[x], 0.05);
  EXPECT_DOUBLE_EQ(spec.process_sigma[info().volume_state], 0.0);
  EXPECT_TRUE(std::isnan(spec.process_sigma[s]));
  EXPECT_DOUBLE_EQ(spec.initial_value[x], 0.25);
  EXPECT_DOUBLE_EQ(spec.initial_sigma[x], 0.1);
  EXPECT_TRUE(std::isnan(spec.initial_value[s]));
  EXPECT_EQ(spec.non_negative, std::vector<std::string>{"S"});
  EXPECT_EQ(spec.ignore, std::vector<std::string>{"pH"});
  EXPECT_EQ(spec.mhe_window, 12);
  EXPECT_DOUBLE_EQ(spec.ukf_alpha, 0.3);
  EXPECT_TRUE(std::isnan(spec.ukf_beta));
}

TEST_F(NoiseSpecTest, ErrorsNameLineAndField) {
  EXPECT_NE(Error("measurements:\n  X: -1 g/L\n").find("noise.yaml:2: measurements.X"), std::string::npos);
  EXPECT_NE(Error("measurements:\n  X: 1 h\n").find("noise.yaml:2"), std::string::npos);
  EXPECT_NE(Error("measurements:\n  pH: 0.1\n").find("neither a state nor an output"), std::string::npos);
  EXPECT_NE(Error("process:\n  mu: 0.1\n").find("'mu' is not a state"), std::string::npos);
  EXPECT_NE(Error("mhe: {window: 1}\n").find("mhe.window"), std::string::npos);
  EXPECT_NE(Error("sigma: 1\n").find("noise.yaml:1"), std::string::npos);
  EXPECT_NE(Error("initial:\n  X: {mean: 1}\n").find("noise.yaml:2"), std::string::npos);
}

}  // namespace
}  // namespace biotwin::estimate
