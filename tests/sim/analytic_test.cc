// Simulator results against closed-form solutions: exponential growth and first-order decay (with
// unit conversion), batch Monod kinetics (yield invariant and the implicit time relation),
// fed-batch and chemostat dilution generated from `liquid`, exact integration of input profiles,
// and forward sensitivities (closed form and central finite differences on the E. coli model,
// across events with parameter-dependent values and times).
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

using model::LoadModelText;
using model::Model;

double RelErr(double got, double want) { return std::fabs(got - want) / std::fabs(want); }

SimResult RunText(const std::shared_ptr<const Model>& m, const std::string& scenario_yaml,
                  SimOptions opt = {}) {
  Scenario sc = LoadScenarioText(scenario_yaml, "scenario.yaml", m->info());
  SimResult r = Simulator(m, sc, std::move(opt)).Run();
  EXPECT_TRUE(r.ok) << r.message;
  return r;
}

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

// A scenario with rtol 1e-8: the global error of BDF over a few e-folds stays within a few
// hundred rtol, so 1e-6 relative is a safe but still meaningful bound (a wrong rate, unit factor
// or a dropped term is off by far more).
constexpr const char* kTight = R"(until: 10 h
output_interval: 0.5 h
solver: {rtol: 1e-8, atol: 1e-12}
)";

TEST(Analytic, ExponentialGrowthMatchesClosedFormAtEveryOutput) {
  auto m = LoadModelText(kGrowth, "growth.yaml");
  SimResult r = RunText(m, kTight);
  ASSERT_EQ(r.time.size(), 21u);  // 0, 0.5, ..., 10
  for (size_t k = 0; k < r.time.size(); ++k) {
    EXPECT_DOUBLE_EQ(r.time[k], 0.5 * k);
    const double want = 0.5 * std::exp(0.25 * r.time[k]);
    EXPECT_LT(RelErr(r.states[k][0], want), 1e-6) << "t = " << r.time[k];
  }
  EXPECT_NEAR(r.t_reached, 10.0, 1e-12);
}

TEST(Analytic, FirstOrderDecayConvertsRateConstantFromPerMinute) {
  // k = 0.01 1/min with time in h: dC/dt = -0.6 C per hour, C = C0 exp(-60 k t).
  auto m = LoadModelText(R"yaml(biotwin: 1
model: {name: decay}
time_unit: h
states:
  C: {unit: mg/L, initial: 80}
parameters:
  k: {value: 0.01, unit: 1/min}
balances:
  C: "-k*C"
)yaml",
                         "decay.yaml");
  SimResult r =
      RunText(m, "until: 5 h\noutput_interval: 15 min\nsolver: {rtol: 1e-8, atol: 1e-12}\n");
  ASSERT_EQ(r.time.size(), 21u);
  EXPECT_DOUBLE_EQ(r.time[1], 0.25);
  for (size_t k = 0; k < r.time.size(); ++k) {
    const double want = 80.0 * std::exp(-60.0 * 0.01 * r.time[k]);
    EXPECT_LT(RelErr(r.states[k][0], want), 1e-6) << "t = " << r.time[k];
  }
}

TEST(Analytic, BatchMonodKeepsYieldInvariantAndImplicitTimeRelation) {
  const double mumax = 0.8, ks = 0.5, y = 0.5, x0 = 0.1, s0 = 10.0;
  auto m = LoadModelText(R"yaml(biotwin: 1
model: {name: monod}
states:
  X: {unit: g/L, initial: 0.1}
  S: {unit: g/L, initial: 10}
parameters:
  mumax: {value: 0.8, unit: 1/h}
  Ks: {value: 0.5, unit: g/L}
  Yxs: {value: 0.5, unit: g/g}
expressions:
  mu: {expr: "mumax*S/(S + Ks)", unit: 1/h}
balances:
  X: "mu*X"
  S: "-mu*X/Yxs"
)yaml",
                         "monod.yaml");
  // Until S ~ 0.25 g/L (t ~ 6.4 h): beyond it ln(S/S0) amplifies solver error without bound.
  SimResult r =
      RunText(m, "until: 6 h\noutput_interval: 0.25 h\nsolver: {rtol: 1e-10, atol: 1e-14}\n");
  const double c = x0 + y * s0, a = ks * y / c;
  ASSERT_EQ(r.time.size(), 25u);
  EXPECT_LT(r.states.back()[1], 1.0);  // the run really reaches the substrate-limited regime
  for (size_t k = 0; k < r.time.size(); ++k) {
    const double x = r.states[k][0], s = r.states[k][1], t = r.time[k];
    // X + Y S is a linear invariant; Newton with the exact Jacobian keeps it to round-off
    // (relative 1e-12 allows ~ 1e4 ulps of accumulated round-off).
    EXPECT_NEAR(x + y * s, c, 1e-12 * c) << "t = " << t;
    // mu_max t = (a + 1) ln(X/X0) - a ln(S/S0), a = Ks Y / (X0 + Y S0). The time recomputed from
    // the states carries the states' relative error (~1e-9 at rtol 1e-10) times 1/mu_max and the
    // ln(S/S0) amplification (S/S0 >= 0.03): 1e-6 h is a bound with margin.
    const double t_formula = ((a + 1) * std::log(x / x0) - a * std::log(s / s0)) / mumax;
    EXPECT_NEAR(t_formula, t, 1e-6) << "t = " << t;
  }
}

constexpr const char* kFedTracer = R"yaml(biotwin: 1
model: {name: fed_tracer}
states:
  C: {unit: g/L, initial: 2}
  N: {unit: g/L, initial: 5, diluted: false}
liquid:
  volume: {name: V, unit: L, initial: 1.5, max: 10}
  feeds:
    - {name: feed, rate: F, composition: {C: Cin}}
parameters:
  Cin: {value: 20, unit: g/L}
inputs:
  F: {unit: mL/h, default: 100}
balances:
  N: "0"
)yaml";

TEST(Analytic, FedBatchVolumeAndTracerDilutionAreExact) {
  // V = V0 + F t (F = 100 mL/h = 0.1 L/h); C = Cin + (C0 - Cin) V0 / V; non-diluted N constant.
  auto m = LoadModelText(kFedTracer, "fed.yaml");
  ASSERT_EQ(m->info().volume_state, 2);
  SimResult r =
      RunText(m, "until: 20 h\noutput_interval: 1 h\nsolver: {rtol: 1e-9, atol: 1e-12}\n");
  ASSERT_EQ(r.time.size(), 21u);
  for (size_t k = 0; k < r.time.size(); ++k) {
    const double t = r.time[k], v = 1.5 + 0.1 * t;
    // V' is constant: BDF integrates it exactly up to round-off.
    EXPECT_NEAR(r.states[k][2], v, 1e-10 * v) << "t = " << t;
    EXPECT_LT(RelErr(r.states[k][0], 20.0 + (2.0 - 20.0) * 1.5 / v), 1e-7) << "t = " << t;
    EXPECT_EQ(r.states[k][1], 5.0);
  }
  EXPECT_NEAR(r.states.back()[2], 3.5, 1e-9);
}

TEST(Analytic, ChemostatWashInApproachesFeedConcentrationExponentially) {
  // Feed and outflow at D V: V stays V0, C = Cin + (C0 - Cin) exp(-F/V0 t).
  auto m = LoadModelText(R"yaml(biotwin: 1
model: {name: chemostat}
states:
  C: {unit: g/L, initial: 1}
liquid:
  volume: {name: V, unit: L, initial: 2}
  feeds:
    - {name: in, rate: "0.5 [L/h]", composition: {C: "8 [g/L]"}}
  withdrawals:
    - {name: out, rate: "0.5 [L/h]"}
)yaml",
                         "chemostat.yaml");
  SimResult r =
      RunText(m, "until: 12 h\noutput_interval: 0.5 h\nsolver: {rtol: 1e-9, atol: 1e-12}\n");
  for (size_t k = 0; k < r.time.size(); ++k) {
    const double t = r.time[k];
    EXPECT_NEAR(r.states[k][1], 2.0, 1e-12);
    EXPECT_LT(RelErr(r.states[k][0], 8.0 - 7.0 * std::exp(-0.25 * t)), 1e-7) << "t = " << t;
  }
}

// V(t) = V0 + integral of F: each profile's integral is evaluated in closed form below.
struct ProfileCase {
  const char* name;
  const char* scenario;
  double (*integral)(double t);
};

double PiecewiseConstantIntegral(double t) {  // 0.1 on [0,2), 0.3 on [2,5), 0 after
  return 0.1 * std::min(t, 2.0) + 0.3 * std::clamp(t - 2.0, 0.0, 3.0);
}

double PiecewiseLinearIntegral(double t) {  // 0 before 1; linear 0->0.2 on [1,3], 0.2->0.1 on [3,6]
  double s = 0;
  if (t > 1) s += 0.1 * std::pow(std::min(t, 3.0) - 1.0, 2) / 2.0;  // slope 0.1 L/h per h
  if (t > 3) {
    const double d = std::min(t, 6.0) - 3.0;
    s += 0.2 * d - (0.1 / 3.0) * d * d / 2.0;
  }
  if (t > 6) s += 0.1 * (t - 6.0);
  return s;
}

double ExponentialIntegral(double t) {  // 0 before 2, 0.01 exp(0.3 (t-2)) capped at 0.05
  const double cap = 2.0 + std::log(5.0) / 0.3;
  if (t <= 2) return 0;
  const double te = std::min(t, cap);
  return 0.01 / 0.3 * (std::exp(0.3 * (te - 2.0)) - 1.0) + 0.05 * std::max(0.0, t - cap);
}

TEST(Analytic, InputProfilesIntegrateExactly) {
  auto m = LoadModelText(kFedTracer, "fed.yaml");
  const ProfileCase cases[] = {
      {"piecewise_constant",
       "inputs:\n  F: {piecewise_constant: {times: [0 h, 2 h, 5 h], values: [0.1 L/h, 0.3 L/h, "
       "0]}}\n",
       &PiecewiseConstantIntegral},
      {"piecewise_linear",
       "inputs:\n  F: {piecewise_linear: {times: [1 h, 180 min, 6 h], values: [0, 200 mL/h, 0.1 "
       "L/h]}}\n",
       &PiecewiseLinearIntegral},
      {"exponential",
       "inputs:\n  F: {exponential: {start: 2 h, initial: 0.01 L/h, rate: 0.3 1/h, max: 0.05 "
       "L/h}}\n",
       &ExponentialIntegral},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    SimResult r = RunText(m, std::string("until: 10 h\noutput_interval: 0.25 h\n"
                                         "solver: {rtol: 1e-10, atol: 1e-13}\n") +
                                 c.scenario);
    ASSERT_EQ(r.time.size(), 41u);
    for (size_t k = 0; k < r.time.size(); ++k) {
      // Piecewise-polynomial pieces are integrated exactly by BDF (restarted at every
      // breakpoint); the exponential piece is rtol-controlled: 1e-8 L on ~2 L is ~ 50 rtol.
      EXPECT_NEAR(r.states[k][2], 1.5 + c.integral(r.time[k]), 1e-8) << "t = " << r.time[k];
    }
  }
}

TEST(Analytic, InputsRecordedAtOutputTimesFollowTheProfile) {
  auto m = LoadModelText(kFedTracer, "fed.yaml");
  SimResult r = RunText(m,
                        "until: 6 h\noutput_interval: 0.5 h\ninputs:\n"
                        "  F: {piecewise_linear: {times: [1 h, 3 h], values: [0, 200 mL/h]}}\n");
  for (size_t k = 0; k < r.time.size(); ++k) {
    const double t = r.time[k];
    const double want = 100.0 * std::clamp(t - 1.0, 0.0, 2.0);  // mL/h
    EXPECT_NEAR(r.inputs[k][0], want, 1e-9) << "t = " << t;
  }
}

TEST(Analytic, ForwardSensitivitiesOfExponentialGrowthMatchClosedForm) {
  auto m = LoadModelText(kGrowth, "growth.yaml");
  SimOptions opt;
  opt.sensitivity_parameters = {m->info().ParameterIndex("mu"), m->info().ParameterIndex("kd")};
  SimResult r = RunText(m, kTight, opt);
  ASSERT_EQ(r.sensitivities.size(), r.time.size());
  for (size_t k = 0; k < r.time.size(); ++k) {
    const double t = r.time[k], x = 0.5 * std::exp(0.25 * t);
    ASSERT_EQ(r.sensitivities[k].size(), 2u);
    // dX/dmu = X0 t exp((mu - kd) t) = t X; dX/dkd = -t X. Sensitivities are error-controlled
    // with the same rtol (1e-8): 1e-6 relative (with 1e-12 absolute at t = 0, where both are 0).
    EXPECT_NEAR(r.sensitivities[k][0][0], t * x, 1e-6 * t * x + 1e-12) << "t = " << t;
    EXPECT_NEAR(r.sensitivities[k][1][0], -t * x, 1e-6 * t * x + 1e-12) << "t = " << t;
  }
}

// The E. coli model at 5 h with tight tolerances; optionally with a parameter overridden.
SimResult RunEcoli(const std::shared_ptr<const Model>& m, int param, double value, SimOptions opt) {
  Scenario sc = DefaultScenario(m->info(), 5.0);
  sc.output_times = {0.0, 2.5, 5.0};
  sc.rtol = 1e-11;
  sc.atol = 1e-13;
  sc.max_steps = 500000;
  if (param >= 0) sc.parameters[param] = value;
  // A constant feed makes the volume and dilution terms part of the sensitivity system.
  sc.inputs[m->info().InputIndex("F")] = InputProfile::Constant(0.02);
  SimResult r = Simulator(m, sc, std::move(opt)).Run();
  EXPECT_TRUE(r.ok) << r.message;
  return r;
}

TEST(Analytic, EcoliSensitivitiesAgreeWithCentralFiniteDifferences) {
  auto m = model::LoadModelFile(testing::SourcePath("models/ecoli_anane2017.yaml"));
  const auto& info = m->info();
  const std::vector<std::string> names = {"qSmax", "Yem"};
  SimOptions opt;
  for (const auto& n : names) opt.sensitivity_parameters.push_back(info.ParameterIndex(n));
  SimResult base = RunEcoli(m, -1, 0, opt);
  ASSERT_EQ(base.sensitivities.size(), 3u);
  for (size_t k = 0; k < names.size(); ++k) {
    const int p = opt.sensitivity_parameters[k];
    const double p0 = info.parameters[p].value, h = 1e-4 * p0;
    SimResult up = RunEcoli(m, p, p0 + h, {});
    SimResult dn = RunEcoli(m, p, p0 - h, {});
    for (size_t i = 0; i < info.states.size(); ++i) {
      const double fd = (up.states.back()[i] - dn.states.back()[i]) / (2 * h);
      const double s = base.sensitivities.back()[k][i];
      // Central differences: truncation ~ (h/p)^2 = 1e-8 relative, solver noise ~ rtol/(h/p)
      // = 1e-7 relative to the state's scale, so 1e-4 relative is a safe bound. The absolute floor
      // (1e-4 of state scale per unit of parameter) covers states that barely depend on p.
      const double scale = std::max(1.0, std::fabs(base.states.back()[i])) / p0;
      EXPECT_NEAR(s, fd, 1e-4 * std::fabs(fd) + 1e-6 * scale)
          << "d" << info.states[i].name << "/d" << names[k];
    }
    // The test must have teeth: biomass really depends on both parameters.
    EXPECT_GT(std::fabs(base.sensitivities.back()[k][0]) * p0, 1e-3) << names[k];
  }
}

TEST(Analytic, PiecewiseConstantInputAtABreakpointIsTheNewValue) {
  // The profile holds values[i] on [times[i], times[i+1]): at t = 2 h the input is 300 mL/h.
  auto m = LoadModelText(kFedTracer, "fed.yaml");
  SimResult r =
      RunText(m,
              "until: 4 h\noutput_interval: 1 h\ninputs:\n"
              "  F: {piecewise_constant: {times: [0 h, 2 h], values: [100 mL/h, 300 mL/h]}}\n");
  ASSERT_EQ(r.time.size(), 5u);
  EXPECT_EQ(r.inputs[1][0], 100.0);
  EXPECT_EQ(r.inputs[2][0], 300.0) << "input recorded at the breakpoint t = 2 h";
  EXPECT_EQ(r.inputs[3][0], 300.0);
}

// Fed-batch tracer with the feed rate as a parameter: V = V0 + Fp t, C V = C0 V0 + Cin Fp t, so
// dV/dFp = t and dC/dFp = t (Cin B - A) / (B + Fp t)^2 with A = C0 V0, B = V0 (plus the bolus's
// dV Cb and dV after it). Events: a bolus at 2 h, a withdraw_to 1 L at 4 h (V no longer depends
// on the history: dV/dFp restarts from 0).
constexpr const char* kFedParam = R"yaml(biotwin: 1
model: {name: fed_param}
states:
  C: {unit: g/L, initial: 2}
liquid:
  volume: {name: V, unit: L, initial: 1, max: 10}
  feeds: [{name: feed, rate: Fp, composition: {C: "20 [g/L]"}}]
parameters:
  Fp: {value: 0.25, unit: L/h}
events:
  - {name: shot, at: 2 h, actions: [{bolus: {volume: 0.5, composition: {C: "8 [g/L]"}}}]}
  - {name: harvest, at: 4 h, actions: [{withdraw_to: 1}]}
)yaml";

TEST(Analytic, SensitivitiesAcrossBolusAndWithdrawToMatchClosedForm) {
  auto m = LoadModelText(kFedParam, "fed_param.yaml");
  SimOptions opt;
  opt.sensitivity_parameters = {0};
  SimResult r =
      RunText(m, "until: 6 h\noutput_interval: 0.5 h\nsolver: {rtol: 1e-9, atol: 1e-12}\n", opt);
  const double fp = 0.25, cin = 20;
  for (size_t k = 0; k < r.time.size(); ++k) {
    const double t = r.time[k];
    double dv_dfp, dc_dfp;
    if (t < 2) {  // A = C0 V0, B = V0
      dv_dfp = t;
      dc_dfp = t * (cin * 1.0 - 2.0) / std::pow(1.0 + fp * t, 2);
    } else if (t < 4) {  // bolus: A = C0 V0 + 0.5 * 8, B = V0 + 0.5
      dv_dfp = t;
      dc_dfp = t * (cin * 1.5 - 6.0) / std::pow(1.5 + fp * t, 2);
    } else {
      // After withdraw_to: V = 1 + Fp (t - 4), C V = C4 + Cin Fp (t - 4), C4 = C(4) (a function
      // of Fp: its derivative is the pre-harvest dC/dFp at 4 h, as withdrawal keeps C).
      const double c4 = (6.0 + cin * fp * 4.0) / (1.5 + fp * 4.0);
      const double dc4 = 4.0 * (cin * 1.5 - 6.0) / std::pow(1.5 + fp * 4.0, 2);
      const double tau = t - 4.0, v = 1.0 + fp * tau;
      dv_dfp = tau;
      dc_dfp = (dc4 + cin * tau) / v - (c4 + cin * fp * tau) * tau / (v * v);
    }
    // Sensitivities are error-controlled at rtol 1e-9: 1e-6 absolute on O(1) values.
    EXPECT_NEAR(r.sensitivities[k][0][1], dv_dfp, 1e-6) << "dV/dFp at t = " << t;
    EXPECT_NEAR(r.sensitivities[k][0][0], dc_dfp, 1e-6) << "dC/dFp at t = " << t;
  }
}

TEST(Analytic, SensitivitiesThroughParameterDependentEventValues) {
  // At 1 h a bolus of 0.5 L at Cb (a parameter) joins 1 L at 2 g/L: C+ = (2 + 0.5 Cb)/1.5, so
  // dC/dCb = 1/3 afterwards. At 2 h R is set to Rr (a parameter): dR/dRr = 1 afterwards, and R then
  // decays as R = Rr - k (t - 2), so dR/dk = -(t - 2).
  auto m = LoadModelText(R"yaml(biotwin: 1
model: {name: event_values}
states:
  C: {unit: g/L, initial: 2}
  R: {unit: g/L, initial: 0, diluted: false}
liquid:
  volume: {name: V, unit: L, initial: 1}
parameters:
  Cb: {value: 8, unit: g/L}
  Rr: {value: 5, unit: g/L}
  k: {value: 0.5, unit: g/L/h}
balances:
  C: "0"
  V: "0"
  R: "-k*if(t > 2 [h], 1, 0)"
events:
  - {name: shot, at: 1 h, actions: [{bolus: {volume: 0.5, composition: {C: Cb}}}]}
  - {name: reset, at: 2 h, actions: [{set: {R: Rr}}]}
)yaml",
                         "event_values.yaml");
  SimOptions opt;
  opt.sensitivity_parameters = {0, 1, 2};
  SimResult r =
      RunText(m, "until: 4 h\noutput_interval: 0.5 h\nsolver: {rtol: 1e-9, atol: 1e-12}\n", opt);
  for (size_t k = 0; k < r.time.size(); ++k) {
    const double t = r.time[k];
    // Values first (they are right), then the sensitivities; 1e-8 covers rtol-level error.
    EXPECT_NEAR(r.states[k][0], t >= 1 ? 6.0 / 1.5 : 2.0, 1e-12) << "t = " << t;
    EXPECT_NEAR(r.sensitivities[k][0][0], t >= 1 ? 1.0 / 3.0 : 0.0, 1e-8) << "dC/dCb at t = " << t;
    EXPECT_NEAR(r.sensitivities[k][1][1], t >= 2 ? 1.0 : 0.0, 1e-8) << "dR/dRr at t = " << t;
    EXPECT_NEAR(r.sensitivities[k][2][1], t >= 2 ? -(t - 2.0) : 0.0, 1e-8) << "dR/dk at t = " << t;
  }
}

TEST(Analytic, SensitivityAcrossAStateEventIncludesTheEventTimeShift) {
  // S = 3 - k t hits 1 g/L at t* = 2/k and is reset to 3: afterwards S = 3 - k (t - t*), so
  // dS/dk = -(t - t*) + k dt*/dk = -(t - t*) - 2/k (the jump condition of forward sensitivities
  // at a parameter-dependent event time). With k = 1: dS/dk(3 h) = -3. Before: dS/dk = -t.
  auto m = LoadModelText(R"yaml(biotwin: 1
model: {name: reset}
states:
  S: {unit: g/L, initial: 3}
parameters:
  k: {value: 1, unit: g/L/h}
balances:
  S: "-k"
events:
  - {name: low, when: "S < 1 [g/L]", actions: [{set: {S: 3}}]}
)yaml",
                         "reset.yaml");
  SimOptions opt;
  opt.sensitivity_parameters = {0};
  SimResult r =
      RunText(m, "until: 3 h\noutput_times: [1, 3]\nsolver: {rtol: 1e-10, atol: 1e-12}\n", opt);
  ASSERT_EQ(r.events.size(), 1u);
  EXPECT_NEAR(r.states[1][0], 2.0, 1e-6);
  EXPECT_NEAR(r.sensitivities[0][0][0], -1.0, 1e-6);
  EXPECT_NEAR(r.sensitivities[1][0][0], -3.0, 1e-4) << "missing event-time term -2/k";
}

TEST(Analytic, MinuteTimeUnitAndNonZeroStart) {
  // time_unit min, mu = 0.6 1/h = 0.01 1/min; the scenario runs from 30 min to 2 h (120 min).
  auto m = LoadModelText(R"yaml(biotwin: 1
model: {name: minutes}
time_unit: min
states:
  X: {unit: g/L, initial: 0.2}
parameters:
  mu: {value: 0.6, unit: 1/h}
balances:
  X: "mu*X"
)yaml",
                         "minutes.yaml");
  SimResult r = RunText(
      m, "start: 0.5 h\nuntil: 2 h\noutput_interval: 0.25 h\nsolver: {rtol: 1e-8, atol: 1e-12}\n");
  ASSERT_EQ(r.time.size(), 7u);
  EXPECT_DOUBLE_EQ(r.time.front(), 30.0);
  EXPECT_DOUBLE_EQ(r.time[1], 45.0);
  EXPECT_DOUBLE_EQ(r.time.back(), 120.0);
  for (size_t k = 0; k < r.time.size(); ++k) {
    // X(start) is the declared initial value; growth runs from the start time.
    EXPECT_LT(RelErr(r.states[k][0], 0.2 * std::exp(0.01 * (r.time[k] - 30.0))), 1e-6)
        << "t = " << r.time[k];
  }
}

TEST(Analytic, SensitivityToAParameterOverwrittenByAnEventStopsGrowing) {
  // S = 5 - k t until 2 h, where an event sets k = 0: afterwards S = 5 - 2 k_nominal is constant,
  // so dS/dk = -t up to 2 h and -2 afterwards (the nominal k no longer acts on the dynamics).
  // Also: a parameter in a state-event condition (R < Sc) shifts the event time: after the reset
  // R = 10 - Sc - t, so dR/dSc = -1 (0 before the event).
  auto m = LoadModelText(R"yaml(biotwin: 1
model: {name: overwrite}
states:
  S: {unit: g/L, initial: 5}
  R: {unit: g/L, initial: 5}
parameters:
  k: {value: 0.5, unit: g/L/h}
  Sc: {value: 1, unit: g/L}
balances:
  S: "-k"
  R: "-1 [g/L/h]"
events:
  - {name: stop, at: 2 h, actions: [{set: {k: 0}}]}
  - {name: low, when: "R < Sc", actions: [{set: {R: 5}}]}
)yaml",
                         "overwrite.yaml");
  SimOptions opt;
  opt.sensitivity_parameters = {0, 1};
  SimResult r =
      RunText(m, "until: 6 h\noutput_interval: 1 h\nsolver: {rtol: 1e-10, atol: 1e-12}\n", opt);
  ASSERT_EQ(r.time.size(), 7u);
  for (size_t k = 0; k < r.time.size(); ++k) {
    const double t = r.time[k];
    EXPECT_NEAR(r.states[k][0], 5.0 - 0.5 * std::min(t, 2.0), 1e-9) << "t = " << t;
    // Constant right-hand sides: sensitivities are exact up to round-off (1e-8).
    EXPECT_NEAR(r.sensitivities[k][0][0], -std::min(t, 2.0), 1e-8) << "dS/dk at t = " << t;
    EXPECT_NEAR(r.sensitivities[k][1][1], t > 4 ? -1.0 : 0.0, 1e-6) << "dR/dSc at t = " << t;
  }
}

}  // namespace
}  // namespace biotwin::sim
