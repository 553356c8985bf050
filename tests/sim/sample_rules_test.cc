// The `sample_rules:` section of model files and sim::ApplySampleRules: clamps (inclusive and
// strict, values in each state's unit or converted from a quantity), resets, and trend rules that
// set a parameter when a tracked state fell (or rose) in enough of the last samples; plus the
// loader's errors for malformed rules, and IndPenSim's growth-damage rule on a synthetic history.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "model/model.h"
#include "sim/sample_rules.h"
#include "sim/simulator.h"
#include "test_paths.h"

namespace biotwin {
namespace {

const char* kModel = R"(
model: {name: rules}
states:
  X: {unit: g/L, initial: 1}
  Y: {unit: g/L, initial: 1}
  I: {unit: "-", initial: 0}
  R: {unit: "-", initial: 0}
parameters:
  k:  {value: 0.5, unit: 1/h, source: test}
  k0: {value: 2, unit: 1/h, source: test}
inputs:
  F: {unit: L/h, default: 0}
balances: {X: "-k*X", Y: "0", I: "k", R: "0"}
sample_rules:
  - name: positive
    clamp: {states: [X, Y], at_or_below: 0, set: 0.001}
  - name: floor
    clamp: {states: Y, below: "2 mg/L", set: "1 mg/L"}
  - name: damage
    when_falling: {signal: I, at_least: 3, of_last: 4}
    set: {k: "5 [1/h]*I"}
  - name: recovery
    when_rising: {signal: R, at_least: 2, of_last: 2}
    set: {k0: "k0 + 1 [1/h]", R: "0"}
  - name: integral
    reset: {states: [I]}
)";

class SampleRules : public ::testing::Test {
 protected:
  void SetUp() override {
    model_ = model::LoadModelText(kModel, "rules.yaml");
    x_ = model_->info().InitialState();
    p_ = model_->info().ParameterValues();
  }
  int S(const char* n) const { return model_->info().StateIndex(n); }
  int P(const char* n) const { return model_->info().ParameterIndex(n); }
  void Apply(int k) { sim::ApplySampleRules(*model_, k, 0.2 * k, x_, p_, history_); }

  std::shared_ptr<const model::Model> model_;
  std::vector<double> x_, p_;
  sim::SampleRuleHistory history_;
};

TEST_F(SampleRules, ParsesRulesInFileOrder) {
  const auto& rules = model_->info().sample_rules;
  ASSERT_EQ(rules.size(), 5u);
  EXPECT_EQ(rules[0].name, "positive");
  EXPECT_TRUE(rules[0].inclusive);
  EXPECT_FALSE(rules[1].inclusive);
  // "2 mg/L" and "1 mg/L" are converted to the state's unit g/L.
  EXPECT_DOUBLE_EQ(rules[1].threshold[0], 0.002);
  EXPECT_DOUBLE_EQ(rules[1].value[0], 0.001);
  EXPECT_EQ(rules[2].kind, model::SampleRule::Kind::kWhenFalling);
  EXPECT_EQ(rules[3].kind, model::SampleRule::Kind::kWhenRising);
  EXPECT_EQ(rules[3].actions.size(), 2u);
  EXPECT_EQ(rules[4].kind, model::SampleRule::Kind::kReset);
}

TEST_F(SampleRules, ClampsAtOrBelowAndStrictlyBelow) {
  x_[S("X")] = 0.0;      // at the bound: clamped
  x_[S("Y")] = 0.0015;   // below 2 mg/L: floored to 1 mg/L
  Apply(1);
  EXPECT_DOUBLE_EQ(x_[S("X")], 0.001);
  EXPECT_DOUBLE_EQ(x_[S("Y")], 0.001);
  x_[S("X")] = 1e-12;    // positive: untouched
  x_[S("Y")] = 0.002;    // exactly 2 mg/L is not below 2 mg/L
  Apply(2);
  EXPECT_DOUBLE_EQ(x_[S("X")], 1e-12);
  EXPECT_DOUBLE_EQ(x_[S("Y")], 0.002);
  // Y = -1 is first clamped to 0.001 g/L by 'positive', which is below 2 mg/L: 'floor' then sets
  // 1 mg/L. Rules act in file order.
  x_[S("Y")] = -1;
  Apply(3);
  EXPECT_DOUBLE_EQ(x_[S("Y")], 0.001);
  ASSERT_GE(history_.last().size(), 2u);
  EXPECT_EQ(history_.last()[0].rule, 0);
  EXPECT_EQ(history_.last()[1].rule, 1);
  EXPECT_EQ(history_.last()[0].k, 3);
}

TEST_F(SampleRules, ResetRunsEverySampleAfterTheTrendRuleHasSeenTheValue) {
  x_[S("I")] = 0.7;
  Apply(1);
  EXPECT_DOUBLE_EQ(x_[S("I")], 0.0);
  EXPECT_EQ(history_.Count(4), 1);
  Apply(2);
  EXPECT_EQ(history_.Count(4), 2);
}

// The trend rule needs of_last + 1 samples; it fires at the first sample at which at least
// `at_least` of the last `of_last` changes fell, sets k from the value at that sample, and the
// new k stays when the signal recovers.
TEST_F(SampleRules, FallingTrendSetsTheParameterAtTheRightSample) {
  const double signal[] = {1.0, 0.9, 0.95, 0.8, 0.7, 0.6, 0.65, 0.66, 0.67};
  // Changes: -, +, -, -, -, +, +, +. Last 4 changes at sample 5 (1-based, values 1..5): -,+,-,-
  // = 3 falling -> fires at sample 5 with I = 0.7.
  for (int k = 1; k <= 9; ++k) {
    x_[S("I")] = signal[k - 1];
    Apply(k);
    if (k < 5) {
      EXPECT_DOUBLE_EQ(p_[P("k")], 0.5) << "sample " << k;
    }
  }
  // Samples 5 (-,+,-,-), 6 (+,-,-,-) and 7 (-,-,-,+) fire; 8 (-,-,+,+) and 9 do not.
  EXPECT_EQ(history_.Count(2), 3);
  EXPECT_DOUBLE_EQ(p_[P("k")], 5 * 0.65);  // from the last firing (sample 7), kept afterwards
  int first = -1;
  for (const auto& f : history_.fired()) {
    if (f.rule == 2 && first < 0) first = f.k;
  }
  EXPECT_EQ(first, 5);
}

TEST_F(SampleRules, RisingTrendSetsParameterAndStateFromValuesBeforeTheAssignments) {
  x_[S("R")] = 0;
  Apply(1);
  x_[S("R")] = 1;
  Apply(2);
  EXPECT_DOUBLE_EQ(p_[P("k0")], 2);  // only one change recorded so far
  x_[S("R")] = 2;
  Apply(3);  // changes +, +: fires; R is set back to 0
  EXPECT_DOUBLE_EQ(p_[P("k0")], 3);
  EXPECT_DOUBLE_EQ(x_[S("R")], 0);
}

TEST_F(SampleRules, RejectsSpansThatDoNotMatchTheModel) {
  std::vector<double> short_x(2);
  EXPECT_THROW(sim::ApplySampleRules(*model_, 1, 0.2, short_x, p_, history_), std::invalid_argument);
}

TEST_F(SampleRules, HistoryResetStartsOver) {
  for (int k = 1; k <= 5; ++k) {
    x_[S("I")] = 1.0 - 0.1 * k;
    Apply(k);
  }
  EXPECT_EQ(history_.samples(), 5);
  EXPECT_EQ(history_.Count(2), 1);
  history_.Reset();
  EXPECT_EQ(history_.samples(), 0);
  EXPECT_TRUE(history_.fired().empty());
}

void ExpectLoadError(const std::string& rules, const std::string& fragment) {
  std::string text = kModel;
  text = text.substr(0, text.find("sample_rules:")) + "sample_rules:\n" + rules;
  try {
    model::LoadModelText(text, "bad.yaml");
    ADD_FAILURE() << "no error for:\n" << rules;
  } catch (const model::ModelError& e) {
    EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("bad.yaml:"), std::string::npos) << e.what();
  }
}

TEST(SampleRulesLoader, ReportsMalformedRulesWithFileLineAndField) {
  ExpectLoadError("  - clamp: {states: [Z], at_or_below: 0, set: 1}\n", "'Z' is not a declared state");
  ExpectLoadError("  - clamp: {states: [X], at_or_below: 0, below: 1, set: 1}\n", "exactly one of 'at_or_below' and 'below'");
  ExpectLoadError("  - clamp: {states: [X], at_or_below: 0}\n", "needs 'set'");
  ExpectLoadError("  - clamp: {states: [X], at_or_below: 2 h, set: 1}\n", "sample_rules.rule1.clamp.at_or_below");
  ExpectLoadError("  - clamp: {states: [X, X], at_or_below: 0, set: 1}\n", "listed twice");
  ExpectLoadError("  - reset: {to: 1}\n", "sample_rules.rule1.reset.states: missing 'states'");
  ExpectLoadError("  - reset: {states: [X]}\n    clamp: {states: [X], below: 0, set: 1}\n", "exactly one of");
  ExpectLoadError("  - when_falling: {signal: I, at_least: 5, of_last: 4}\n    set: {k: 1}\n", "'at_least' exceeds 'of_last'");
  ExpectLoadError("  - when_falling: {signal: I, at_least: 1.5, of_last: 4}\n    set: {k: 1}\n", "whole number");
  ExpectLoadError("  - when_falling: {signal: I, at_least: 1, of_last: 4}\n", "needs 'set'");
  ExpectLoadError("  - when_falling: {signal: I, at_least: 1, of_last: 4}\n    set: {F: 1}\n", "cannot set inputs");
  ExpectLoadError("  - when_falling: {signal: I, at_least: 1, of_last: 4}\n    set: {k: \"F/(1 [L])\"}\n", "uses input 'F'");
  ExpectLoadError("  - when_falling: {signal: I, at_least: 1, of_last: 4}\n    set: {k: \"2 [g/L]\"}\n", "dimension");
  ExpectLoadError("  - reset: {states: [X]}\n    set: {k: 1}\n", "'set' belongs to");
  ExpectLoadError("  - {name: a, reset: {states: [X]}}\n  - {name: a, reset: {states: [Y]}}\n", "duplicate sample rule name 'a'");
}

// IndPenSim's growth-damage rule (indpensim.m): once 65 samples of the interval integral of mu_e
// exist, mux_max := 5 h^-1 x the latest integral when it fell in at least 63 of the last 64
// changes. The two reference runs never trigger it, so this synthetic history does.
TEST(IndPenSimGrowthDamage, FiresOnceSixtyThreeOfSixtyFourChangesFell) {
  auto m = model::LoadModelFile(testing::SourcePath("models/indpensim.yaml"));
  const int mu_x = m->info().StateIndex("mu_X_calc"), mux = m->info().ParameterIndex("mux_max");
  std::vector<double> x = m->info().InitialState(), p = m->info().ParameterValues();
  sim::SampleRuleHistory history;
  // A steadily falling integral with one rise at sample 10: 63 of 64 changes fall.
  auto value = [](int k) { return k == 10 ? 0.08 : 0.08 - 0.0002 * k; };
  for (int k = 1; k <= 64; ++k) {
    x[mu_x] = value(k);
    sim::ApplySampleRules(*m, k, 0.2 * k, x, p, history);
    EXPECT_DOUBLE_EQ(p[mux], 0.41) << "sample " << k << ": fewer than 65 samples";
    EXPECT_DOUBLE_EQ(x[mu_x], 0.0) << "the integral is reset after every sample";
  }
  x[mu_x] = value(65);
  sim::ApplySampleRules(*m, 65, 13.0, x, p, history);
  EXPECT_NEAR(p[mux], 5 * value(65), 1e-15);
  // Two rises among the last 64 changes: no firing, the lowered value stays.
  const double lowered = p[mux];
  x[mu_x] = 0.1;
  sim::ApplySampleRules(*m, 66, 13.2, x, p, history);
  EXPECT_DOUBLE_EQ(p[mux], lowered);
}

TEST(IndPenSimGrowthDamage, DoesNotFireWithTwoRisesAmongTheLastSixtyFourChanges) {
  auto m = model::LoadModelFile(testing::SourcePath("models/indpensim.yaml"));
  const int mu_x = m->info().StateIndex("mu_X_calc"), mux = m->info().ParameterIndex("mux_max");
  std::vector<double> x = m->info().InitialState(), p = m->info().ParameterValues();
  sim::SampleRuleHistory history;
  for (int k = 1; k <= 65; ++k) {
    x[mu_x] = (k == 10 || k == 40) ? 0.09 : 0.08 - 0.0002 * k;
    sim::ApplySampleRules(*m, k, 0.2 * k, x, p, history);
  }
  EXPECT_DOUBLE_EQ(p[mux], 0.41);
}

// The example of docs/model-format.md ("Sample rules") loads and behaves as the page says, run
// through 0.2 h intervals with the simulator.
TEST(SampleRulesDocs, ModelFormatExampleRunsInControlIntervals) {
  std::ifstream in(testing::SourcePath("docs/model-format.md"));
  ASSERT_TRUE(in.good());
  std::stringstream doc;
  doc << in.rdbuf();
  const std::string text = doc.str();
  const size_t begin = text.find("# docs-sample-rules:");
  ASSERT_NE(begin, std::string::npos);
  const std::string block = text.substr(begin, text.find("```", begin) - begin);
  auto m = model::LoadModelText(block, "docs/model-format.md");
  const auto& info = m->info();
  ASSERT_EQ(info.sample_rules.size(), 4u);
  const int mu_int = info.StateIndex("mu_int"), mu_max = info.ParameterIndex("mu_max");
  std::vector<double> x = info.InitialState(), p = info.ParameterValues();
  sim::SampleRuleHistory history;
  int first_damage = -1;
  for (int k = 1; k <= 30; ++k) {
    sim::Scenario sc;
    sc.t_begin = 0.2 * (k - 1);
    sc.t_end = 0.2 * k;
    sc.output_times = {sc.t_begin, sc.t_end};
    for (int i = 0; i < m->num_states(); ++i) sc.initial[i] = x[i];
    for (int j = 0; j < m->num_parameters(); ++j) sc.parameters[j] = p[j];
    sim::SimResult r = sim::Simulator(m, sc).Run();
    ASSERT_TRUE(r.ok) << r.message;
    x = r.states.back();
    const double mean_mu = x[mu_int] / 0.2;
    sim::ApplySampleRules(*m, k, sc.t_end, x, p, history);
    EXPECT_EQ(x[mu_int], 0.0) << "reset after every interval";
    for (const auto& f : history.last()) {
      if (info.sample_rules[f.rule].name != "damage") continue;
      if (first_damage < 0) first_damage = k;
      EXPECT_DOUBLE_EQ(p[mu_max], mean_mu);
    }
  }
  // mu falls a little every interval as S is used: the damage rule needs 11 samples, then
  // fires at every sample, lowering mu_max to the mean rate of the interval.
  EXPECT_EQ(first_damage, 11);
  EXPECT_LT(p[mu_max], 0.3);
  EXPECT_GT(p[mu_max], 0.0);
  // The DO floor: 1.5 mg/L is below 2 mg/L.
  x[info.StateIndex("DO")] = 1.5;
  sim::ApplySampleRules(*m, 31, 6.2, x, p, history);
  EXPECT_DOUBLE_EQ(x[info.StateIndex("DO")], 1.0);
}

}  // namespace
}  // namespace biotwin
