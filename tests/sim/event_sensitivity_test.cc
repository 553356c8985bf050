// Forward sensitivities across discrete events against closed forms: the jump at a state event
// whose time depends on the parameter, and the bolus mixing map.
#include <gtest/gtest.h>

#include <cmath>

#include "model/model.h"
#include "sim/scenario.h"
#include "sim/simulator.h"

namespace biotwin {
namespace {

// x' = a from x0 = 0.5; when x > c = 2 it is reset to 0. Event time tau = (c - x0)/a, after it
// x(t) = a (t - tau), so dx/da = (t - tau) - a dtau/da = t. Without the event-time correction a
// simulator would report t - tau.
constexpr const char* kReset = R"yaml(
model: {name: reset}
states:
  x: {unit: g/L, initial: 0.5}
parameters:
  a: {value: 0.5, unit: g/L/h}
  c: {value: 2, unit: g/L}
balances:
  x: "a"
events:
  - name: reset
    when: "x > c"
    actions:
      - set: {x: 0}
)yaml";

TEST(EventSensitivity, StateEventTimeCorrectionMatchesClosedForm) {
  auto m = model::LoadModelText(kReset, "reset.yaml");
  sim::Scenario sc = sim::DefaultScenario(m->info(), 5.0);  // tau = 3 h, one reset
  sc.output_times = {1.0, 2.0, 4.0, 5.0};
  sc.rtol = 1e-10;
  sc.atol = 1e-12;
  sim::SimOptions opt;
  opt.sensitivity_parameters = {m->info().ParameterIndex("a"), m->info().ParameterIndex("c")};
  sim::SimResult r = sim::Simulator(m, sc, opt).Run();
  ASSERT_TRUE(r.ok) << r.message;
  ASSERT_EQ(r.events.size(), 1u);
  EXPECT_NEAR(r.events[0].time, 3.0, 1e-8);
  for (size_t k = 0; k < r.time.size(); ++k) {
    const double t = r.time[k];
    // d x / d a = t before and after the reset.
    EXPECT_NEAR(r.sensitivities[k][0][0], t, 1e-6) << "t = " << t;
    // d x / d c: 0 before; after, x = a (t - (c - x0)/a) = a t - c + x0, so -1.
    EXPECT_NEAR(r.sensitivities[k][1][0], t < 3 ? 0.0 : -1.0, 1e-6) << "t = " << t;
  }
}

// A bolus at a fixed time: C+ = (C V + dV Cin)/(V + dV). With C(t) = C0 exp(-k t) before the
// bolus and first-order decay after it, dC/dk is known in closed form.
constexpr const char* kBolus = R"yaml(
model: {name: bolus}
states:
  C: {unit: g/L, initial: 2}
liquid:
  volume: {name: V, unit: L, initial: 1}
parameters:
  k: {value: 0.3, unit: 1/h}
balances:
  C: "-k*C"
events:
  - name: spike
    at: 2 h
    actions:
      - bolus: {volume: 0.5 L, composition: {C: 10 g/L}}
)yaml";

TEST(EventSensitivity, BolusMixingMapCarriesSensitivities) {
  auto m = model::LoadModelText(kBolus, "bolus.yaml");
  sim::Scenario sc = sim::DefaultScenario(m->info(), 4.0);
  sc.output_times = {1.0, 3.0, 4.0};
  sc.rtol = 1e-10;
  sc.atol = 1e-12;
  sim::SimOptions opt;
  opt.sensitivity_parameters = {0};
  sim::SimResult r = sim::Simulator(m, sc, opt).Run();
  ASSERT_TRUE(r.ok) << r.message;
  const double k = 0.3, c0 = 2, v = 1, dv = 0.5, cin = 10, tb = 2;
  for (size_t i = 0; i < r.time.size(); ++i) {
    const double t = r.time[i];
    double c, dc;
    if (t < tb) {
      c = c0 * std::exp(-k * t);
      dc = -t * c;
    } else {
      const double cb = c0 * std::exp(-k * tb);  // just before the bolus
      const double cp = (cb * v + dv * cin) / (v + dv);
      const double dcp = v / (v + dv) * (-tb * cb);
      c = cp * std::exp(-k * (t - tb));
      dc = dcp * std::exp(-k * (t - tb)) - (t - tb) * c;
    }
    EXPECT_NEAR(r.states[i][0], c, 1e-7) << "t = " << t;
    EXPECT_NEAR(r.sensitivities[i][0][0], dc, 1e-6) << "t = " << t;
  }
}

}  // namespace
}  // namespace biotwin
