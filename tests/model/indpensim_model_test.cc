// models/indpensim.yaml: the file loads with every state, parameter and input of IndPenSim, its
// right-hand side at the reference initial state has the signs and values worked out by hand
// (and by the reference's first 0.2 h step), and the off-gas OUR/CER outputs reproduce the
// values indpensim.m recorded.
#include <gtest/gtest.h>

#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include "model/model.h"
#include "test_paths.h"
#include "validation/indpensim_openloop_replay.h"

namespace biotwin {
namespace {

using indpensim_test::Batch;

class IndPenSimModel : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    model_ = model::LoadModelFile(testing::SourcePath("models/indpensim.yaml"));
    batch_ = new Batch(indpensim_test::LoadBatch("indpensim_nominal_nodist_230h", false));
  }
  static void TearDownTestSuite() {
    model_.reset();
    delete batch_;
  }
  const model::ModelInfo& info() const { return model_->info(); }
  int S(const char* name) const {
    int i = info().StateIndex(name);
    EXPECT_GE(i, 0) << name;
    return i;
  }
  // Right-hand side at reference row 0 with the inputs of the first interval.
  std::vector<double> InitialRhs() const {
    x_ = indpensim_test::StateAt(*model_, *batch_, 0);
    u_ = indpensim_test::IntervalInputs(*model_, *batch_, 1);
    p_ = indpensim_test::BatchParameters(*model_, *batch_);
    std::vector<double> xdot(model_->num_states());
    auto ws = model_->NewWorkspace();
    model::EvalPoint at{0.0, x_.data(), u_.data(), p_.data(), 0};
    model_->Rhs(at, xdot.data(), *ws);
    return xdot;
  }
  // Mean rate of the reference over its first interval.
  double ReferenceRate(const char* state) const {
    const int i = S(state);
    const double x0 = indpensim_test::ReferenceState(*model_, *batch_, i, 0);
    return (indpensim_test::ReferenceState(*model_, *batch_, i, 1) - (std::isnan(x0) ? 0.0 : x0)) / 0.2;
  }

  static std::shared_ptr<const model::Model> model_;
  static Batch* batch_;
  mutable std::vector<double> x_, u_, p_;
};
std::shared_ptr<const model::Model> IndPenSimModel::model_;
Batch* IndPenSimModel::batch_ = nullptr;

TEST_F(IndPenSimModel, DeclaresTheStatesParametersAndInputsOfIndPenSim) {
  EXPECT_EQ(model_->num_states(), 34);  // IndPenSim's 33 + the harvested-penicillin account
  EXPECT_EQ(model_->num_parameters(), 106);  // Parameter_list.m's 105 + the ion-addition step h_ode
  for (const char* s : {"S", "DO2", "O2_offgas", "P", "V", "Wt", "H", "T", "Q", "Viscosity",
                        "Culture_age", "a0", "a1", "a3", "a4", "n0", "n9", "nm", "phi0",
                        "CO2_offgas", "CO2_d", "PAA", "NH3", "mu_P_calc", "mu_X_calc"}) {
    EXPECT_GE(info().StateIndex(s), 0) << s;
  }
  for (const auto& p : info().parameters) {
    EXPECT_FALSE(p.source.empty()) << p.name << " has no source";
    EXPECT_FALSE(p.unit.text.empty()) << p.name << " has no unit";
  }
  // The batch-random parameters carry their spread (MODEL.md section 4).
  const std::pair<const char*, double> random[] = {
      {"mu_p", 0.0025}, {"mux_max", 0.025}, {"alpha_kla", 10}, {"PAA_c", 20000}, {"N_conc_paa", 2000}};
  for (const auto& [name, sd] : random) {
    const int k = info().ParameterIndex(name);
    ASSERT_GE(k, 0) << name;
    EXPECT_DOUBLE_EQ(info().parameters[k].uncertainty, sd) << name;
  }
  for (const char* u : {"Fs", "Foil", "Fg", "RPM", "Fpaa", "Fa", "Fb", "Fc", "Fh", "Fw", "pressure",
                        "Fdischarge", "NH3_shots", "d_mu_p", "d_mux_max", "d_c_s", "d_c_oil",
                        "d_abc", "d_PAA_c", "d_Tcin", "d_O2_in"}) {
    EXPECT_GE(info().InputIndex(u), 0) << u;
  }
  for (const char* o : {"X", "pH", "OUR", "CER", "Q_over_1000"}) EXPECT_GE(info().OutputIndex(o), 0) << o;
  // The plant's discrete rules: positivity of states 1-31, the DO2 floor, growth damage, reset.
  ASSERT_EQ(info().sample_rules.size(), 4u);
  EXPECT_EQ(info().sample_rules[0].states.size(), 31u);
  EXPECT_EQ(info().sample_rules[2].kind, model::SampleRule::Kind::kWhenFalling);
  EXPECT_EQ(info().sample_rules[2].at_least, 63);
  EXPECT_EQ(info().sample_rules[2].of_last, 64);
}

TEST_F(IndPenSimModel, InitialRatesMatchHandCalculation) {
  std::vector<double> f = InitialRhs();
  // Evaporation at 297 K: V alpha_evp (exp(2.5 (T - T0)/(Tv - T0)) - 1).
  const double f_evp = 58000 * 5.24e-4 * (std::exp(2.5 * 24.0 / 100.0) - 1.0);
  const double fs = u_[info().InputIndex("Fs")], fb = u_[info().InputIndex("Fb")];
  const double fpaa = u_[info().InputIndex("Fpaa")], foil = u_[info().InputIndex("Foil")];
  ASSERT_DOUBLE_EQ(fs, 8);
  ASSERT_DOUBLE_EQ(fpaa, 5);
  ASSERT_DOUBLE_EQ(foil, 22);
  // Volume: sugar + base + PAA - evaporation (the oil adds none; no discharge yet).
  EXPECT_NEAR(f[S("V")], fs + fb + fpaa - f_evp, 1e-9);
  // Weight: sugar feed at density 0.6*1540 + 0.4*1000 kg/m3, oil at 0.9 kg/L.
  EXPECT_NEAR(f[S("Wt")], fs * 1.324 + 0.9 * foil + fb + fpaa - f_evp, 1e-9);
  // Viscosity: 3 a0^(1/3) / (1 + e^{0.001}) / (1 + e^{0.025}) at t = 0.
  EXPECT_NEAR(f[S("Viscosity")],
              3 * std::cbrt(x_[S("a0")]) / (1 + std::exp(0.001)) / (1 + std::exp(0.025)), 1e-12);
  EXPECT_NEAR(f[S("Culture_age")], 0.5, 1e-12);
  EXPECT_NEAR(f[S("mu_P_calc")], 0.041, 1e-15);
  EXPECT_DOUBLE_EQ(f[S("P")], 0.0);  // P = 0 and S far above the production window
}

TEST_F(IndPenSimModel, InitialRatesHaveTheSignsOfTheReferenceFirstStep) {
  std::vector<double> f = InitialRhs();
  for (const char* s : {"S", "DO2", "O2_offgas", "V", "Wt", "H", "T", "Q", "Viscosity", "a0", "a1",
                        "n0", "phi0", "CO2_offgas", "CO2_d", "PAA", "NH3"}) {
    const double ref = ReferenceRate(s);
    EXPECT_EQ(f[S(s)] > 0, ref > 0) << s << ": model " << f[S(s)] << ", reference mean rate " << ref;
  }
  // Nearly linear states: the initial rate is close to the reference's mean rate over 0.2 h.
  for (const char* s : {"Wt", "Viscosity", "PAA", "NH3", "Culture_age"}) {
    EXPECT_NEAR(f[S(s)], ReferenceRate(s), 0.1 * std::fabs(ReferenceRate(s))) << s;
  }
}

TEST_F(IndPenSimModel, OffGasOurAndCerReproduceTheRecordedValues) {
  auto ws = model_->NewWorkspace();
  std::vector<double> p = indpensim_test::BatchParameters(*model_, *batch_);
  std::vector<double> y(model_->num_outputs());
  const int our = info().OutputIndex("OUR"), cer = info().OutputIndex("CER");
  const int ph = info().OutputIndex("pH"), x = info().OutputIndex("X");
  for (int row : {1, 100, 400, 575, 900, 1150}) {
    std::vector<double> xs = indpensim_test::StateAt(*model_, *batch_, row);
    std::vector<double> u = indpensim_test::IntervalInputs(*model_, *batch_, row);
    model::EvalPoint at{0.2 * row, xs.data(), u.data(), p.data(), 0};
    model_->Outputs(at, y.data(), *ws);
    EXPECT_NEAR(y[our], batch_->data.Column("OUR")[row], 1e-8 * (1 + std::fabs(y[our]))) << row;
    EXPECT_NEAR(y[cer], batch_->data.Column("CER")[row], 1e-8 * (1 + std::fabs(y[cer]))) << row;
    EXPECT_NEAR(y[ph], batch_->data.Column("pH")[row], 1e-9) << row;
    EXPECT_NEAR(y[x], batch_->data.Column("X_g_per_L")[row], 1e-8) << row;
  }
}

}  // namespace
}  // namespace biotwin
