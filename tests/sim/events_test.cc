// Discrete events: timed events fire at their exact times (single, `every`/`until`, unit-bearing
// times, scenario recipe events), state events at the analytically known crossing time, bolus
// mixing, set input / parameter / phase changes take effect from the event on, outputs at an event
// time show the post-event state, explicit output times are labelled correctly, and overflow /
// emptying stop the run with a clear message (also when the vessel sits exactly at a limit).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include "model/model.h"
#include "sim/scenario.h"
#include "sim/simulator.h"

namespace biotwin::sim {
namespace {

using model::LoadModelText;
using ::testing::HasSubstr;

// Every test runs with each integrator (solver.method): CVODES BDF and the Rosenbrock methods must fire
// the same events at the same times.
class Events : public ::testing::TestWithParam<const char*> {
 protected:
  SimResult Simulate(const std::string& model_yaml, const std::string& scenario_yaml) {
    auto m = LoadModelText(model_yaml, "model.yaml");
    return Run(m, LoadScenarioText(scenario_yaml, "scenario.yaml", m->info()));
  }
  SimResult Run(std::shared_ptr<const model::Model> m, Scenario sc) {
    sc.method = GetParam();
    return Simulator(std::move(m), sc).Run();
  }
};

// Index of the output time t (exact match required: the grid is built from the scenario).
size_t At(const SimResult& r, double t) {
  for (size_t k = 0; k < r.time.size(); ++k) {
    if (std::fabs(r.time[k] - t) < 1e-12) return k;
  }
  ADD_FAILURE() << "no output at t = " << t;
  return 0;
}

// A vessel with one diluted solute C, one diluted solute D, a non-diluted state P and no
// reactions, so every change of state is caused by an event.
constexpr const char* kVessel = R"yaml(biotwin: 1
model: {name: vessel}
states:
  C: {unit: g/L, initial: 2}
  D: {unit: g/L, initial: 3}
  P: {unit: "%", initial: 40, diluted: false}
liquid:
  volume: {name: V, unit: L, initial: 1, max: 3, min: 0.1}
balances:
  C: "0"
  D: "0"
  P: "0"
  V: "0"
events:
  - name: tick
    at: {start: 1 h, every: 0.7 h, until: 6 h}
    actions: [{withdraw: 1 mL}]
  - name: once
    at: "150 min"
    actions: [{withdraw: "0.002 [L]"}]
  - name: feed_shot
    at: 8
    actions: [{bolus: {volume: "500 mL", composition: {C: "10 [g/L]"}}}]
)yaml";

TEST_P(Events, TimedEventsFireAtExactScheduledTimes) {
  SimResult r = Simulate(kVessel,
                         "until: 10 h\noutput_interval: 1 h\n"
                         "events:\n  - {name: recipe, at: {start: 0.25 h, every: 3 h}, "
                         "actions: [{withdraw: 1 mL}]}\n");
  ASSERT_TRUE(r.ok) << r.message;
  std::vector<std::pair<double, std::string>> want;
  for (int k = 0; 1.0 + 0.7 * k <= 6.0 + 1e-9; ++k) want.push_back({1.0 + 0.7 * k, "tick"});
  ASSERT_EQ(want.size(), 8u);  // 1.0, 1.7, ..., 5.9 (6.6 is after `until`)
  want.push_back({2.5, "once"});
  want.push_back({8.0, "feed_shot"});
  for (double t : {0.25, 3.25, 6.25, 9.25}) want.push_back({t, "recipe"});
  std::sort(want.begin(), want.end());
  ASSERT_EQ(r.events.size(), want.size());
  for (size_t i = 0; i < want.size(); ++i) {
    // Event times are start + k every, accumulated by addition: 1e-12 allows the round-off of
    // ~10 additions but no scheduling slop (a stop time missed by the solver step would show).
    EXPECT_NEAR(r.events[i].time, want[i].first, 1e-12) << i;
    EXPECT_EQ(r.events[i].name, want[i].second) << i;
  }
  EXPECT_EQ(r.stats.events, static_cast<long>(want.size()));
  // Volume bookkeeping: 12 x 1 mL + 2 mL withdrawn, 0.5 L added.
  EXPECT_NEAR(r.states.back()[3], 1.0 - 0.012 - 0.002 + 0.5, 1e-12);
}

TEST_P(Events, BolusMixesDilutedStatesAndOutputShowsPostEventState) {
  SimResult r = Simulate(kVessel, "until: 10 h\noutput_interval: 2 h\n");
  ASSERT_TRUE(r.ok) << r.message;
  const size_t k = At(r, 8.0);
  const double v = 1.0 - 0.008 - 0.002;  // volume before the bolus: 8 ticks + "once"
  ASSERT_NEAR(r.states[k - 1][3], v, 1e-12);
  // C+ = (C V + dV Cin) / (V + dV); D+ = D V / (V + dV); the non-diluted P is unchanged.
  EXPECT_NEAR(r.states[k][0], (2.0 * v + 0.5 * 10.0) / (v + 0.5), 1e-12);
  EXPECT_NEAR(r.states[k][1], 3.0 * v / (v + 0.5), 1e-12);
  EXPECT_EQ(r.states[k][2], 40.0);
  EXPECT_NEAR(r.states[k][3], v + 0.5, 1e-12);
  // Withdrawals take broth at its own composition: concentrations unchanged before the bolus.
  EXPECT_EQ(r.states[k - 1][0], 2.0);
  EXPECT_EQ(r.states[k - 1][1], 3.0);
}

TEST_P(Events, StateEventFiresAtAnalyticCrossingTime) {
  // S = S0 - k t crosses 1 g/L at t* = (S0 - 1)/k = 8 h; E = E0 exp(-kd t) crosses 500 mg/L at
  // t* = ln(E0/0.5)/kd. The actions stop both decays, so afterwards S and E stay at the threshold.
  SimResult r = Simulate(R"yaml(biotwin: 1
model: {name: depletion}
states:
  S: {unit: g/L, initial: 5}
  E: {unit: g/L, initial: 3}
parameters:
  k: {value: 0.5, unit: g/L/h}
  kd: {value: 0.2, unit: 1/h}
balances:
  S: "-k"
  E: "-kd*E"
events:
  - name: S_low
    when: "S < 1 [g/L]"
    actions: [{set: {k: 0}}]
  - name: E_low
    when: "E <= 500 [mg/L]"
    actions: [{set: {kd: "0 [1/h]"}}]
)yaml",
                         "until: 15 h\noutput_interval: 1 h\nsolver: {rtol: 1e-10, atol: 1e-12}\n");
  ASSERT_TRUE(r.ok) << r.message;
  ASSERT_EQ(r.events.size(), 2u);  // each fires once (no repeat)
  const double te = std::log(3.0 / 0.5) / 0.2;
  EXPECT_EQ(r.events[0].name, "S_low");
  EXPECT_EQ(r.events[1].name, "E_low");
  // Root-finding locates g = 0 to ~ 100 ulps of t plus the state error (rtol 1e-10): 1e-6 h.
  EXPECT_NEAR(r.events[0].time, 8.0, 1e-6);
  EXPECT_NEAR(r.events[1].time, te, 1e-6);
  EXPECT_NEAR(r.states.back()[0], 1.0, 1e-6);
  EXPECT_NEAR(r.states.back()[1], 0.5, 1e-6);
  EXPECT_NEAR(r.states[At(r, 5.0)][0], 2.5, 1e-9);  // before the event the decay runs
}

TEST_P(Events, RepeatingStateEventRefillsEachTime) {
  // S falls at 1 g/L/h from 3; each time it reaches 1 g/L, a set action restores it to 3 g/L:
  // crossings every 2 h at t = 2, 4, 6, 8.
  SimResult r =
      Simulate(R"yaml(biotwin: 1
model: {name: refill}
states:
  S: {unit: g/L, initial: 3}
balances:
  S: "-1 [g/L/h]"
events:
  - name: refill
    when: "S < 1 [g/L]"
    repeat: true
    actions: [{set: {S: 3}}]
)yaml",
               "until: 9 h\noutput_interval: 0.5 h\nsolver: {rtol: 1e-10, atol: 1e-12}\n");
  ASSERT_TRUE(r.ok) << r.message;
  ASSERT_EQ(r.events.size(), 4u);
  for (size_t i = 0; i < 4; ++i) EXPECT_NEAR(r.events[i].time, 2.0 * (i + 1), 1e-6) << i;
  EXPECT_NEAR(r.states.back()[0], 2.0, 1e-6);
}

TEST_P(Events, SetInputParameterAndPhaseChangeTheDynamicsFromTheEventOn) {
  // dY/dt = a + u + b*(phase == fed): 0.1 on [0,1), +0.5 from 1 h (u), a = 1 from 2 h,
  // +2 from 3 h (phase). Y is piecewise linear with known slopes.
  SimResult r =
      Simulate(R"yaml(biotwin: 1
model: {name: switches}
phases: [batch, fed]
states:
  Y: {unit: g/L, initial: 0}
parameters:
  a: {value: 0.1, unit: g/L/h}
  b: {value: 2, unit: g/L/h}
inputs:
  u: {unit: g/L/h, default: 0}
balances:
  Y: "a + u + b*if(phase == fed, 1, 0)"
events:
  - {name: start_u, at: 1 h, actions: [{set: {u: 0.5}}]}
  - {name: raise_a, at: 2 h, actions: [{set: {a: "60 [g/L/min]"}}]}
  - {name: go_fed, at: 3 h, actions: [{phase: fed}]}
)yaml",
               "until: 4 h\noutput_interval: 0.5 h\nsolver: {rtol: 1e-10, atol: 1e-12}\n");
  ASSERT_TRUE(r.ok) << r.message;
  ASSERT_EQ(r.events.size(), 3u);
  auto y = [](double t) {
    double v = 0.1 * t;
    if (t > 1) v += 0.5 * (t - 1);
    if (t > 2) v += (3600.0 - 0.1) * (t - 2);  // 60 g/L/min = 3600 g/L/h replaces 0.1
    if (t > 3) v += 2.0 * (t - 3);
    return v;
  };
  for (size_t k = 0; k < r.time.size(); ++k) {
    // Piecewise-linear solutions are integrated exactly; 1e-9 relative covers round-off.
    EXPECT_NEAR(r.states[k][0], y(r.time[k]), 1e-9 * (1 + y(r.time[k]))) << "t = " << r.time[k];
  }
  // The recorded input follows the set action (post-event at the event time itself).
  EXPECT_EQ(r.inputs[At(r, 0.5)][0], 0.0);
  EXPECT_EQ(r.inputs[At(r, 1.0)][0], 0.5);
  EXPECT_THAT(r.events[1].description, HasSubstr("3600"));
}

constexpr const char* kFilling = R"yaml(biotwin: 1
model: {name: filling}
states:
  C: {unit: g/L, initial: 1}
liquid:
  volume: {name: V, unit: L, initial: 1, max: 2, min: 0.2}
  feeds: [{name: in, rate: F}]
  withdrawals: [{name: out, rate: Fout}]
inputs:
  F: {unit: L/h, default: 0}
  Fout: {unit: L/h, default: 0}
)yaml";

TEST_P(Events, OverflowStopsTheRunAtTheCrossingTime) {
  // V = 1 + 0.4 t reaches the 2 L maximum at t = 2.5 h.
  SimResult r = Simulate(kFilling, "until: 10 h\ninputs: {F: 0.4}\n");
  ASSERT_FALSE(r.ok);
  EXPECT_THAT(r.message, HasSubstr("overflow"));
  EXPECT_THAT(r.message, HasSubstr("t = 2.5 h"));
  EXPECT_NEAR(r.t_reached, 2.5, 1e-6);
  ASSERT_FALSE(r.time.empty());
  EXPECT_LE(r.time.back(), 2.5);  // partial trajectory up to the failure
}

TEST_P(Events, EmptyingStopsTheRunAtTheCrossingTime) {
  // V = 1 - 0.5 t reaches the 0.2 L minimum at t = 1.6 h.
  SimResult r = Simulate(kFilling, "until: 10 h\ninputs: {Fout: 0.5}\n");
  ASSERT_FALSE(r.ok);
  EXPECT_THAT(r.message, HasSubstr("emptied"));
  EXPECT_THAT(r.message, HasSubstr("t = 1.6 h"));
  EXPECT_NEAR(r.t_reached, 1.6, 1e-6);
}

TEST_P(Events, BolusBeyondMaximumAndOversizedSampleFail) {
  SimResult over = Simulate(kFilling,
                            "until: 5 h\nevents:\n  - {name: big, at: 1 h, "
                            "actions: [{bolus: {volume: 1.5 L}}]}\n");
  ASSERT_FALSE(over.ok);
  EXPECT_THAT(over.message, HasSubstr("overflow"));
  EXPECT_THAT(over.message, HasSubstr("t = 1 h"));
  EXPECT_THAT(over.message, HasSubstr("big"));
  SimResult empty = Simulate(kFilling,
                             "until: 5 h\nevents:\n  - {name: drain, at: 2 h, "
                             "actions: [{withdraw: 900 mL}]}\n");
  ASSERT_FALSE(empty.ok);
  EXPECT_THAT(empty.message, HasSubstr("emptied"));
  EXPECT_THAT(empty.message, HasSubstr("t = 2 h"));
  // withdraw_to leaves the given volume: 1 L -> 0.3 L is legal (min 0.2 L).
  SimResult to = Simulate(kFilling,
                          "until: 5 h\noutput_interval: 1 h\nevents:\n  - {name: harvest, "
                          "at: 2 h, actions: [{withdraw_to: 300 mL}]}\n");
  ASSERT_TRUE(to.ok) << to.message;
  EXPECT_NEAR(to.states[At(to, 2.0)][1], 0.3, 1e-12);
  EXPECT_NEAR(to.states[At(to, 1.0)][1], 1.0, 1e-12);
}

TEST_P(Events, EventAtTimeZeroAndAtTheEndAreApplied) {
  SimResult r = Simulate(kFilling,
                         "until: 4 h\noutput_interval: 1 h\nevents:\n"
                         "  - {name: first, at: 0 h, actions: [{bolus: {volume: 0.5 L, "
                         "composition: {C: 4 g/L}}}]}\n"
                         "  - {name: last, at: 4 h, actions: [{withdraw: 0.25 L}]}\n");
  ASSERT_TRUE(r.ok) << r.message;
  ASSERT_EQ(r.events.size(), 2u);
  EXPECT_EQ(r.events[0].time, 0.0);
  EXPECT_EQ(r.events[1].time, 4.0);
  EXPECT_NEAR(r.states.front()[0], (1.0 + 0.5 * 4.0) / 1.5, 1e-12);  // post-event at t = 0
  EXPECT_NEAR(r.states.front()[1], 1.5, 1e-12);
  EXPECT_NEAR(r.states.back()[1], 1.25, 1e-12);  // post-event at t = 4
}

TEST_P(Events, ExplicitOutputTimesOutOfOrderAreNotMislabelled) {
  // output_times [0, 4, 2]: either the scenario is rejected, or every recorded time carries the
  // state at that time (X = 0.5 exp(0.25 t)), never the state of another time.
  auto m = LoadModelText(R"yaml(biotwin: 1
model: {name: growth}
states:
  X: {unit: g/L, initial: 0.5}
parameters:
  mu: {value: 0.25, unit: 1/h}
balances:
  X: "mu*X"
)yaml",
                         "growth.yaml");
  Scenario sc;
  try {
    sc =
        LoadScenarioText("until: 5 h\noutput_times: [0, 4, 2]\nsolver: {rtol: 1e-8, atol: 1e-12}\n",
                         "scenario.yaml", m->info());
  } catch (const model::ModelError& e) {
    SUCCEED() << "rejected: " << e.what();
    return;
  }
  SimResult r = Run(m, sc);
  ASSERT_TRUE(r.ok) << r.message;
  EXPECT_EQ(r.time.size(), 3u);
  for (size_t k = 0; k < r.time.size(); ++k) {
    // rtol 1e-8 over 1 e-fold: 1e-6 relative.
    const double want = 0.5 * std::exp(0.25 * r.time[k]);
    EXPECT_NEAR(r.states[k][0], want, 1e-6 * want) << "t = " << r.time[k];
  }
}

TEST_P(Events, PeriodicEventStartedBeforeTheScenarioStartFiresItsLaterOccurrences) {
  // A sampling plan every 4 h from 4 h, run from 5 h: the occurrences at 8 h and 12 h are due.
  SimResult r =
      Simulate(kFilling,
               "start: 5 h\nuntil: 13 h\noutput_interval: 1 h\nevents:\n"
               "  - {name: sample, at: {start: 4 h, every: 4 h}, actions: [{withdraw: 10 mL}]}\n");
  ASSERT_TRUE(r.ok) << r.message;
  ASSERT_EQ(r.events.size(), 2u)
      << "events before the scenario start must be skipped, later ones fired";
  EXPECT_NEAR(r.events[0].time, 8.0, 1e-12);
  EXPECT_NEAR(r.events[1].time, 12.0, 1e-12);
  EXPECT_NEAR(r.states.back()[1], 0.98, 1e-12);
}

TEST_P(Events, StateEventWhoseRootCoincidesWithATimedEventStillFires) {
  // S = 5 - t crosses 1 g/L exactly at t = 4 h, where an unrelated timed event is scheduled (so
  // the solver stops there for the timed event). S keeps falling below 1 afterwards: the state
  // event's condition becomes true at 4 h and it must fire once, there.
  SimResult r = Simulate(R"yaml(biotwin: 1
model: {name: coincide}
states:
  S: {unit: g/L, initial: 5}
  Q: {unit: g/L, initial: 0}
  Z: {unit: g/L, initial: 0}
balances:
  S: "-1 [g/L/h]"
  Q: "0"
  Z: "0"
events:
  - {name: low, when: "S < 1 [g/L]", actions: [{set: {Q: 1}}]}
  - {name: tick, at: {start: 4 h, every: 4 h}, actions: [{set: {Z: 7}}]}
)yaml",
                         "until: 9 h\noutput_interval: 1 h\n");
  ASSERT_TRUE(r.ok) << r.message;
  std::vector<std::string> names;
  for (const auto& e : r.events)
    names.push_back(e.name + "@" + std::to_string(std::lround(e.time)));
  EXPECT_THAT(names, ::testing::UnorderedElementsAre("low@4", "tick@4", "tick@8"));
  EXPECT_EQ(r.states.back()[1], 1.0) << "the state event's action was applied";
  // The output at 4 h shows the state after the timed event (the state event's condition S < 1
  // only becomes true just after 4 h, where S = 1 exactly).
  EXPECT_EQ(r.states[At(r, 4.0)][2], 7.0);
  EXPECT_NEAR(r.states.back()[0], -4.0, 1e-9);
}

TEST_P(Events, StateEventJustAfterATimedEventFires) {
  // Control case: the root at 4 h + 1e-3 h, shortly after the timed stop.
  SimResult r = Simulate(R"yaml(biotwin: 1
model: {name: near}
states:
  S: {unit: g/L, initial: 5.001}
  Q: {unit: g/L, initial: 0}
balances:
  S: "-1 [g/L/h]"
  Q: "0"
events:
  - {name: low, when: "S < 1 [g/L]", actions: [{set: {Q: 1}}]}
  - {name: tick, at: 4 h, actions: [{set: {Q: 0}}]}
)yaml",
                         "until: 9 h\noutput_interval: 1 h\nsolver: {rtol: 1e-10, atol: 1e-12}\n");
  ASSERT_TRUE(r.ok) << r.message;
  ASSERT_EQ(r.events.size(), 2u);
  EXPECT_EQ(r.events[0].name, "tick");
  EXPECT_EQ(r.events[1].name, "low");
  EXPECT_NEAR(r.events[1].time, 4.001, 1e-6);
  EXPECT_EQ(r.states.back()[1], 1.0);
}

TEST_P(Events, InitialVolumeOverrideOutsideTheVesselLimitsIsRejected) {
  // The model loader rejects an initial volume above `max`; an override in the scenario (or via
  // --set) must not silently start an overflowing vessel (the overflow root only sees crossings).
  for (const char* v0 : {"2.5 L", "0.1 L"}) {
    SCOPED_TRACE(v0);
    auto m = LoadModelText(kFilling, "model.yaml");
    bool rejected = false;
    try {
      Scenario sc = LoadScenarioText(std::string("until: 2 h\ninitial: {V: ") + v0 + "}\n",
                                     "s.yaml", m->info());
      SimResult r = Run(m, sc);
      rejected = !r.ok;
      if (!r.ok) {
        EXPECT_THAT(r.message, ::testing::AnyOf(HasSubstr("maximum"), HasSubstr("minimum"),
                                                HasSubstr("overflow"), HasSubstr("emptied")));
      }
    } catch (const model::ModelError& e) {
      rejected = true;
      EXPECT_EQ(e.field(), "initial.V");
    }
    EXPECT_TRUE(rejected) << "a vessel with min 0.2 L and max 2 L ran with V0 = " << v0;
  }
}

TEST_P(Events, StateEventJustBeforeATimedEventDoesNotSwallowIt) {
  // S = 4.9999999999999 - t crosses 1 g/L at t = 4 h - 1e-13 h, within the 1e-12 tolerance at
  // which the simulator treats times as equal to the timed event at 4 h. Both events must fire,
  // and the periodic timed event must keep its schedule (8 h).
  SimResult r = Simulate(R"yaml(biotwin: 1
model: {name: coincide}
states:
  S: {unit: g/L, initial: 4.9999999999999}
  Q: {unit: g/L, initial: 0}
  Z: {unit: g/L, initial: 0}
balances:
  S: "-1 [g/L/h]"
  Q: "0"
  Z: "0"
events:
  - {name: low, when: "S < 1 [g/L]", actions: [{set: {Q: 1}}]}
  - {name: tick, at: {start: 4 h, every: 4 h}, actions: [{set: {Z: 7}}]}
)yaml",
                         "until: 9 h\noutput_interval: 1 h\n");
  ASSERT_TRUE(r.ok) << r.message;
  std::vector<std::string> names;
  for (const auto& e : r.events)
    names.push_back(e.name + "@" + std::to_string(std::lround(e.time)));
  EXPECT_THAT(names, ::testing::ElementsAre("low@4", "tick@4", "tick@8"));
  EXPECT_EQ(r.states.back()[2], 7.0) << "the timed event's action was applied";
}

TEST_P(Events, StateEventJustBeforeAnInputBreakpointDoesNotHideTheStep) {
  // F steps from 0 to 0.1 L/h at 4 h; a state event fires at 4 h - 1e-13 h. The step must still
  // take effect: V = 1 + 0.1 (t - 4) after 4 h.
  SimResult r = Simulate(R"yaml(biotwin: 1
model: {name: step}
states:
  S: {unit: g/L, initial: 4.9999999999999, diluted: false}
  Q: {unit: g/L, initial: 0, diluted: false}
liquid:
  volume: {name: V, unit: L, initial: 1, max: 5}
  feeds: [{name: in, rate: F}]
inputs:
  F: {unit: L/h, default: 0}
balances:
  S: "-1 [g/L/h]"
  Q: "0"
events:
  - {name: low, when: "S < 1 [g/L]", actions: [{set: {Q: 1}}]}
)yaml",
                         "until: 9 h\noutput_interval: 1 h\ninputs:\n  F: {piecewise_constant: "
                         "{times: [0, 4], values: [0, 0.1]}}\n");
  ASSERT_TRUE(r.ok) << r.message;
  ASSERT_EQ(r.events.size(), 1u);
  EXPECT_NEAR(r.states.back()[2], 1.5, 1e-9);
  EXPECT_EQ(r.inputs.back()[0], 0.1);
}

TEST_P(Events, VesselFilledExactlyToItsMaximumStillOverflowsWhenFedFurther) {
  // V = 1 + 0.5 t is 1.5 L at 1 h; a 0.5 L bolus fills the 2 L vessel exactly (legal), and the
  // continuing feed must then overflow it immediately (at 1 h), not run on to 4 L.
  SimResult bolus = Simulate(kFilling,
                             "until: 5 h\ninputs: {F: 0.5}\nevents:\n"
                             "  - {name: top, at: 1 h, actions: [{bolus: {volume: 0.5 L}}]}\n");
  EXPECT_FALSE(bolus.ok) << "final V = " << bolus.states.back()[1] << " L in a 2 L vessel";
  EXPECT_THAT(bolus.message, HasSubstr("overflow"));
  EXPECT_LE(bolus.states.back()[1], 2.0 + 1e-9);
  // The same when the run starts at the maximum (initial: max is accepted).
  SimResult full = Simulate(kFilling, "until: 5 h\ninputs: {F: 0.5}\ninitial: {V: 2 L}\n");
  EXPECT_FALSE(full.ok) << "final V = " << full.states.back()[1] << " L in a 2 L vessel";
  EXPECT_LE(full.states.back()[1], 2.0 + 1e-9);
}

TEST_P(Events, RisingConditionFiresOnlyOnTheWayUp) {
  // X = 0.5 exp(0.25 t) rises through 2 g/L at t* = ln(4)/0.25; the event reverses growth, and
  // the repeating rising-only event must not fire again when X falls back through 2 g/L.
  SimResult r = Simulate(R"yaml(biotwin: 1
model: {name: rising}
states:
  X: {unit: g/L, initial: 0.5}
parameters:
  mu: {value: 0.25, unit: 1/h}
balances:
  X: "mu*X"
events:
  - {name: high, when: "X > 2 [g/L]", repeat: true, actions: [{set: {mu: -0.25}}]}
)yaml",
                         "until: 12 h\noutput_interval: 1 h\nsolver: {rtol: 1e-10, atol: 1e-12}\n");
  ASSERT_TRUE(r.ok) << r.message;
  const double ts = std::log(4.0) / 0.25;
  ASSERT_EQ(r.events.size(), 1u);
  EXPECT_NEAR(r.events[0].time, ts, 1e-6);
  // Symmetric decay: back to 2 g/L at 2 t*; at 12 h X = 2 exp(-0.25 (12 - t*)). rtol 1e-10.
  EXPECT_NEAR(r.states.back()[0], 2.0 * std::exp(-0.25 * (12.0 - ts)), 1e-7);
}

INSTANTIATE_TEST_SUITE_P(Integrators, Events, ::testing::Values("bdf", "rodas3", "rodas4", "ros34pw2"));

}  // namespace
}  // namespace biotwin::sim
