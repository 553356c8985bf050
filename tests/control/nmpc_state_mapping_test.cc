// The NMPC's plant -> internal-model state mapping (control::PlantStateSource): states by name
// with unit conversion, and states the plant only has as an output (IndPenSim's biomass X =
// A0 + A1 + A3 + A4 for the reduced model models/indpensim_reduced.yaml).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "control/nmpc_loop.h"
#include "model/model.h"
#include "test_paths.h"

namespace biotwin {
namespace {

class NmpcStateMapping : public ::testing::Test {
 protected:
  void SetUp() override {
    plant_ = model::LoadModelFile(testing::SourcePath("models/indpensim.yaml"));
    const auto& info = plant_->info();
    x_ = info.InitialState();
    p_ = info.ParameterValues();
    u_ = info.DefaultInputs();
    x_[info.StateIndex("a0")] = 1.5;
    x_[info.StateIndex("a1")] = 12.0;
    x_[info.StateIndex("a3")] = 2.25;
    x_[info.StateIndex("a4")] = 0.125;
    x_[info.StateIndex("S")] = 0.0021;
    x_[info.StateIndex("P")] = 17.5;
    x_[info.StateIndex("V")] = 81234.0;
    x_[info.StateIndex("P_harvested")] = 456.0;
  }
  std::shared_ptr<const model::Model> plant_;
  std::vector<double> x_, p_, u_;
};

TEST_F(NmpcStateMapping, TakesReducedModelStatesFromPlantStatesAndOutputs) {
  auto reduced = model::LoadModelFile(testing::SourcePath("models/indpensim_reduced.yaml"));
  const auto& ri = reduced->info();
  control::PlantStateSource source(plant_, ri);
  source.InputsApplied(u_.data());
  source.SetPlantState(42.0, x_.data(), p_.data());
  std::vector<double> x(ri.states.size(), -1.0);
  std::string why;
  ASSERT_TRUE(source.State(42.0, nullptr, x.data(), &why)) << why;
  EXPECT_DOUBLE_EQ(x[ri.StateIndex("X")], 1.5 + 12.0 + 2.25 + 0.125);  // the plant's output X
  EXPECT_DOUBLE_EQ(x[ri.StateIndex("S")], 0.0021);
  EXPECT_DOUBLE_EQ(x[ri.StateIndex("P")], 17.5);
  EXPECT_DOUBLE_EQ(x[ri.StateIndex("V")], 81234.0);
  EXPECT_DOUBLE_EQ(x[ri.StateIndex("P_harvested")], 456.0);
  // Another time than the last plant state: no state, and why.
  EXPECT_FALSE(source.State(44.0, nullptr, x.data(), &why));
  EXPECT_NE(why.find("no plant state"), std::string::npos) << why;
}

TEST_F(NmpcStateMapping, ConvertsUnitsOfOutputsAndRejectsUnknownStates) {
  auto internal = model::LoadModelText(R"yaml(
biotwin: 1
model: {name: x_in_mg}
time_unit: h
states:
  X: {unit: mg/L, initial: 1}
parameters:
  k: {value: 0.1, unit: 1/h, source: "test"}
balances:
  X: "k*X"
)yaml", "x_in_mg.yaml");
  control::PlantStateSource source(plant_, internal->info());
  source.InputsApplied(u_.data());
  source.SetPlantState(0.0, x_.data(), p_.data());
  double x = 0;
  std::string why;
  ASSERT_TRUE(source.State(0.0, nullptr, &x, &why)) << why;
  EXPECT_NEAR(x, 1000.0 * 15.875, 1e-9);

  auto unknown = model::LoadModelText(R"yaml(
biotwin: 1
model: {name: unknown_state}
time_unit: h
states:
  Biomass: {unit: g/L, initial: 1}
parameters:
  k: {value: 0.1, unit: 1/h, source: "test"}
balances:
  Biomass: "k*Biomass"
)yaml", "unknown_state.yaml");
  try {
    control::PlantStateSource bad(plant_, unknown->info());
    FAIL() << "expected an error for a state the plant has neither as a state nor as an output";
  } catch (const model::ModelError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("unknown_state.yaml"), std::string::npos) << what;
    EXPECT_NE(what.find("Biomass"), std::string::npos) << what;
    EXPECT_NE(what.find("neither as a state nor as an output"), std::string::npos) << what;
  }
}

}  // namespace
}  // namespace biotwin
