// A model written in C++ against biotwin::model::Model runs through the same simulator as a
// file model, and both agree on the same equations.
#include <gtest/gtest.h>

#include <cmath>
#include <memory>

#include "model/model.h"
#include "sim/simulator.h"

namespace biotwin {
namespace {

// Batch Monod growth with substrate consumption, written by hand: X' = mu X, S' = -mu X / Y.
class MonodModel : public model::Model {
 public:
  MonodModel() {
    info_.provenance.name = "monod_cpp";
    info_.time_unit = model::ParseUnit("h");
    model::StateInfo x, s;
    x.name = "X"; x.unit = model::ParseUnit("g/L"); x.initial = 0.1;
    s.name = "S"; s.unit = model::ParseUnit("g/L"); s.initial = 10;
    info_.states = {x, s};
    model::ParameterInfo mu, ks, y;
    mu.name = "mu_max"; mu.unit = model::ParseUnit("1/h"); mu.value = 0.5;
    ks.name = "Ks"; ks.unit = model::ParseUnit("g/L"); ks.value = 0.2;
    y.name = "Y"; y.unit = model::ParseUnit("g/g"); y.value = 0.5;
    info_.parameters = {mu, ks, y};
  }
  const model::ModelInfo& info() const override { return info_; }
  std::unique_ptr<model::ModelWorkspace> NewWorkspace() const override {
    return std::make_unique<model::ModelWorkspace>();
  }
  void Rhs(const model::EvalPoint& at, double* xdot, model::ModelWorkspace&) const override {
    const double X = at.x[0], S = at.x[1], mu_max = at.p[0], Ks = at.p[1], Y = at.p[2];
    const double mu = mu_max * S / (Ks + S);
    xdot[0] = mu * X;
    xdot[1] = -mu * X / Y;
  }
  void Jacobians(const model::EvalPoint& at, double* jx, double* jp,
                 model::ModelWorkspace&) const override {
    const double X = at.x[0], S = at.x[1], mu_max = at.p[0], Ks = at.p[1], Y = at.p[2];
    const double mu = mu_max * S / (Ks + S);
    const double dmu_dS = mu_max * Ks / ((Ks + S) * (Ks + S));
    if (jx != nullptr) {  // column-major 2x2
      jx[0] = mu;            jx[2] = dmu_dS * X;
      jx[1] = -mu / Y;       jx[3] = -dmu_dS * X / Y;
    }
    if (jp != nullptr) {  // columns: mu_max, Ks, Y
      const double dmu_dmumax = S / (Ks + S), dmu_dKs = -mu_max * S / ((Ks + S) * (Ks + S));
      jp[0] = dmu_dmumax * X; jp[1] = -dmu_dmumax * X / Y;
      jp[2] = dmu_dKs * X;    jp[3] = -dmu_dKs * X / Y;
      jp[4] = 0;              jp[5] = mu * X / (Y * Y);
    }
  }
  void Outputs(const model::EvalPoint&, double*, model::ModelWorkspace&) const override {}

 private:
  model::ModelInfo info_;
};

constexpr const char* kSameModelAsFile = R"yaml(
model: {name: monod_file}
states:
  X: {unit: g/L, initial: 0.1}
  S: {unit: g/L, initial: 10}
parameters:
  mu_max: {value: 0.5, unit: 1/h}
  Ks: {value: 0.2, unit: g/L}
  Y: {value: 0.5, unit: g/g}
expressions:
  mu: "mu_max*S/(Ks + S)"
balances:
  X: "mu*X"
  S: "-mu*X/Y"
)yaml";

TEST(CppModel, RunsThroughTheSimulatorAndMatchesTheFileModel) {
  auto cpp = std::make_shared<MonodModel>();
  auto file = model::LoadModelText(kSameModelAsFile, "inline.yaml");
  sim::Scenario sc;
  sc.t_end = 12;
  sc.rtol = 1e-10;
  sc.atol = 1e-12;
  sim::SimOptions opt;
  opt.sensitivity_parameters = {0};
  sim::SimResult a = sim::Simulator(cpp, sc, opt).Run();
  sim::SimResult b = sim::Simulator(file, sc, opt).Run();
  ASSERT_TRUE(a.ok) << a.message;
  ASSERT_TRUE(b.ok) << b.message;
  ASSERT_EQ(a.time.size(), b.time.size());
  for (size_t k = 0; k < a.time.size(); ++k) {
    for (int i = 0; i < 2; ++i) {
      EXPECT_NEAR(a.states[k][i], b.states[k][i], 1e-8 * (1 + std::fabs(b.states[k][i])));
      EXPECT_NEAR(a.sensitivities[k][0][i], b.sensitivities[k][0][i],
                  1e-6 * (1 + std::fabs(b.sensitivities[k][0][i])));
    }
    // Conservation, independent of both: X + Y*S is constant in batch Monod growth.
    EXPECT_NEAR(a.states[k][0] + 0.5 * a.states[k][1], 0.1 + 0.5 * 10, 1e-8);
  }
  // Growth stops when the substrate is gone: X(inf) = X0 + Y*S0.
  EXPECT_NEAR(a.states.back()[0], 5.1, 1e-3);
}

}  // namespace
}  // namespace biotwin
