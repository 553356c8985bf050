// Every invalid model yields a ModelError naming the file, the line of the offending entry, the
// field path and the facts needed to fix it; and valid unit mixes are converted at load time
// (checked through numerical RHS values).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "model/model.h"

namespace biotwin::model {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;

// 1-based number of the first line of `text` containing `marker` (0 if none): the expected error
// line is located by content, so the cases below stay readable.
int LineOf(const std::string& text, const std::string& marker) {
  size_t pos = text.find(marker);
  if (pos == std::string::npos) return 0;
  return 1 + static_cast<int>(std::count(text.begin(), text.begin() + pos, '\n'));
}

struct Caught {
  bool thrown = false;
  std::string file, field, message, what;
  int line = -1;
};

Caught Load(const std::string& text) {
  Caught c;
  try {
    LoadModelText(text, "bad.yaml");
  } catch (const ModelError& e) {
    c.thrown = true;
    c.file = e.file();
    c.line = e.line();
    c.field = e.field();
    c.message = e.message();
    c.what = e.what();
  }
  return c;
}

// A valid model; each case replaces one line (or appends text) to break exactly one thing.
constexpr const char* kValid = R"yaml(biotwin: 1
model: {name: base}
phases: [batch, fed]
states:
  X: {unit: g/L, initial: 0.1}
  S: {unit: g/L, initial: 10}
liquid:
  volume: {name: V, unit: L, initial: 1, max: 5}
  feeds: [{name: feed, rate: F, composition: {S: Sf}}]
parameters:
  mu: {value: 0.5, unit: 1/h, bounds: [0, 2]}
  Ks: {value: 0.2, unit: g/L}
  Y: {value: 0.5, unit: g/g}
  Sf: {value: 300, unit: g/L}
inputs:
  F: {unit: L/h, default: 0}
expressions:
  r: {expr: "mu*S/(S + Ks)", unit: 1/h}
balances:
  X: "r*X"
  S: "-r*X/Y"
events:
  - name: go
    at: 5 h
    actions: [{phase: fed}]
)yaml";

std::string Replace(std::string text, const std::string& from, const std::string& to) {
  size_t pos = text.find(from);
  EXPECT_NE(pos, std::string::npos) << from;
  if (pos != std::string::npos) text.replace(pos, from.size(), to);
  return text;
}

TEST(LoaderErrors, ValidBaseModelLoads) {
  auto m = LoadModelText(kValid, "base.yaml");
  EXPECT_EQ(m->num_states(), 3);
  EXPECT_EQ(m->info().file, "base.yaml");
}

struct Case {
  const char* name;
  std::string text;
  std::string line_marker;  // the expected line contains this text
  std::string field;
  std::vector<std::string> facts;  // substrings the message must contain
};

std::vector<Case> Cases() {
  const std::string v = kValid;
  return {
      {"malformed YAML",
       Replace(v, "  S: {unit: g/L, initial: 10}", "  S: {unit: g/L, initial: 10}}"),
       "  S: {unit",
       "",
       {"YAML syntax error"}},
      {"unknown symbol",
       Replace(v, "X: \"r*X\"", "X: \"r*X*Kz\""),
       "X: \"r*X*Kz\"",
       "balances.X",
       {"unknown symbol 'Kz'"}},
      {"state vs parameter",
       Replace(v, "  Y: {value: 0.5, unit: g/g}", "  X: {value: 0.5, unit: g/g}"),
       "  X: {value: 0.5",
       "parameters.X",
       {"duplicate name 'X'", "states.X"}},
      {"duplicate key in states",
       Replace(v, "  S: {unit: g/L, initial: 10}", "  X: {unit: g/L, initial: 10}"),
       "  X: {unit: g/L, initial: 10}",
       "states.X",
       {"duplicate name 'X'"}},
      {"balance unit mismatch",
       Replace(v, "X: \"r*X\"", "X: \"mu\""),
       "X: \"mu\"",
       "balances.X",
       {"'mu'", "s^-1", "kg*m^-3*s^-1"}},
      {"mismatch inside a sum",
       Replace(v, "X: \"r*X\"", "X: \"r*X + mu\""),
       "X: \"r*X + mu\"",
       "balances.X",
       {"'r * X' is kg*m^-3*s^-1", "'mu' is s^-1"}},
      {"unknown unit",
       Replace(v, "Ks: {value: 0.2, unit: g/L}", "Ks: {value: 0.2, unit: g/Lx}"),
       "Ks: {value",
       "parameters.Ks.unit",
       {"Lx"}},
      {"negative initial volume",
       Replace(v, "initial: 1, max: 5", "initial: -1, max: 5"),
       "volume: {name: V",
       "liquid.volume.initial",
       {"positive", "-1"}},
      {"initial volume above max",
       Replace(v, "initial: 1, max: 5", "initial: 6, max: 5"),
       "volume: {name: V",
       "liquid.volume.initial",
       {"exceeds", "5"}},
      {"unknown field",
       Replace(v, "X: {unit: g/L, initial: 0.1}", "X: {unit: g/L, intial: 0.1}"),
       "X: {unit: g/L, intial",
       "states.X.intial",
       {"unknown field 'intial'", "initial"}},
      {"value outside bounds",
       Replace(v, "value: 0.5, unit: 1/h, bounds: [0, 2]", "value: 2.5, unit: 1/h, bounds: [0, 2]"),
       "mu: {value: 2.5",
       "parameters.mu.value",
       {"2.5", "outside its bounds"}},
      {"state without balance",
       Replace(v, "  S: {unit: g/L, initial: 10}\n",
               "  S: {unit: g/L, initial: 10}\n  P: {unit: g/L, initial: 1, diluted: false}\n"),
       "  P: {unit",
       "states.P",
       {"'P' has no balance"}},
      {"unknown function",
       Replace(v, "S: \"-r*X/Y\"", "S: \"-foo(r)*X/Y\""),
       "S: \"-foo(r)",
       "balances.S",
       {"unknown function 'foo'"}},
      {"circular expressions",
       Replace(v, "  r: {expr: \"mu*S/(S + Ks)\", unit: 1/h}\n",
               "  r: {expr: \"mu*q\", unit: 1/h}\n  q: \"2*r/mu\"\n"),
       "  q: \"2*r/mu\"",
       "expressions.q",
       {"circular definition", "r -> q -> r"}},
      {"event action on unknown name",
       Replace(v, "actions: [{phase: fed}]", "actions: [{set: {Fx: 1}}]"),
       "actions: [{set",
       "events.go.actions[0].set.Fx",
       {"'Fx' is not an input, parameter or state"}},
      {"condition not a comparison",
       Replace(v, "    at: 5 h\n", "    when: \"S - 1 [g/L]\"\n"),
       "    when:",
       "events.go.when",
       {"must compare"}},
      {"unknown phase",
       Replace(v, "actions: [{phase: fed}]", "actions: [{phase: fedd}]"),
       "actions: [{phase",
       "events.go.actions[0].phase",
       {"unknown phase 'fedd'"}},
      {"comparison across dimensions",
       Replace(v, "    at: 5 h\n", "    when: \"S < 1 [h]\"\n"),
       "    when:",
       "events.go.when",
       {"'S < 1 [h]'", "s (e.g. h)", "kg*m^-3 (e.g. g/L)"}},
      {"feed composition of unknown state",
       Replace(v, "composition: {S: Sf}", "composition: {Sx: Sf}"),
       "feeds:",
       "liquid.feeds.feed.composition.Sx",
       {"'Sx' is not a declared state"}},
  };
}

TEST(LoaderErrors, EachBadInputNamesLineFieldAndFacts) {
  for (const Case& c : Cases()) {
    SCOPED_TRACE(c.name);
    Caught e = Load(c.text);
    if (!e.thrown) {
      ADD_FAILURE() << "no ModelError";
      continue;
    }
    EXPECT_EQ(e.file, "bad.yaml");
    const int want_line = LineOf(c.text, c.line_marker);
    ASSERT_GT(want_line, 0) << "bad marker";
    EXPECT_EQ(e.line, want_line) << e.what;
    EXPECT_EQ(e.field, c.field) << e.what;
    for (const auto& fact : c.facts) EXPECT_THAT(e.message, HasSubstr(fact));
    // what() is "file:line: field: message", the form the CLI prints.
    const std::string prefix = "bad.yaml:" + std::to_string(e.line) + ": ";
    EXPECT_EQ(e.what.rfind(prefix, 0), 0u) << e.what;
  }
}

TEST(LoaderErrors, InitialVolumeBelowMinimumIsRejected) {
  // Like an initial volume above `max`: a vessel starting below `min` is already "emptied", and
  // the simulator's emptying root (which only sees downward crossings) would never report it.
  std::string text = Replace(kValid, "initial: 1, max: 5", "initial: 0.1, min: 0.2, max: 5");
  Caught e = Load(text);
  ASSERT_TRUE(e.thrown) << "a vessel with min 0.2 L loaded with initial volume 0.1 L";
  EXPECT_EQ(e.line, LineOf(text, "volume: {name: V"));
  EXPECT_EQ(e.field, "liquid.volume.initial");
}

TEST(LoaderErrors, MissingSectionsAndEmptyFile) {
  Caught empty = Load("");
  ASSERT_TRUE(empty.thrown);
  EXPECT_THAT(empty.message, HasSubstr("empty"));
  Caught no_states = Load("biotwin: 1\nmodel: {name: x}\n");
  ASSERT_TRUE(no_states.thrown);
  EXPECT_EQ(no_states.field, "states");
  Caught no_unit = Load("biotwin: 1\nmodel: {name: x}\nstates:\n  X: {initial: 1}\n");
  ASSERT_TRUE(no_unit.thrown);
  EXPECT_EQ(no_unit.line, 4);
  EXPECT_EQ(no_unit.field, "states.X.unit");
}

TEST(LoaderErrors, IntermediateErrorPointsAtTheIntermediatesLine) {
  // The balance is fine; the error is inside expression r, so the line is r's.
  std::string text =
      Replace(kValid, "r: {expr: \"mu*S/(S + Ks)\"", "r: {expr: \"mu*S/(S + Ks + mu)\"");
  Caught e = Load(text);
  ASSERT_TRUE(e.thrown);
  EXPECT_EQ(e.line, LineOf(text, "  r: {expr"));
  EXPECT_THAT(e.message, AllOf(HasSubstr("'r'"), HasSubstr("mismatch")));
}

// Unit conversions folded in at load time, checked on the RHS at a known point.
std::vector<double> RhsAt(const std::string& text, std::vector<double> x,
                          std::vector<double> u = {}) {
  auto m = LoadModelText(text, "units.yaml");
  auto ws = m->NewWorkspace();
  std::vector<double> p = m->info().ParameterValues(), f(m->num_states());
  m->Rhs(EvalPoint{0.0, x.data(), u.data(), p.data(), 0}, f.data(), *ws);
  return f;
}

TEST(LoaderUnits, ConversionsAreAppliedInTheRhs) {
  std::vector<double> f = RhsAt(R"yaml(biotwin: 1
model: {name: units}
time_unit: h
states:
  S: {unit: g/L, initial: 2}
  Y: {unit: g/L, initial: 0}
  D: {unit: g/L, initial: 0}
  W: {unit: mmol/L, initial: 0}
parameters:
  k: {value: 1, unit: 1/h}
  Smin: {value: 500, unit: mg/L}
  f: {value: 50, unit: "%"}
  tau: {value: 36, unit: s}
  kmin: {value: 0.5, unit: 1/min}
  M: {value: 180, unit: g/mol}
balances:
  S: "-k*(S - Smin)"
  Y: "k*exp(-f)*1 [g/L]"
  D: "(1 [g/L] - D)/tau"
  W: "kmin*S/M"
)yaml",
                                {2.0, 0.0, 0.25, 0.0});
  ASSERT_EQ(f.size(), 4u);
  // 500 mg/L = 0.5 g/L: dS/dt = -(2 - 0.5) g/L/h.
  EXPECT_NEAR(f[0], -1.5, 1e-14);
  // 50 % is the fraction 0.5 inside exp().
  EXPECT_NEAR(f[1], std::exp(-0.5), 1e-14);
  // tau = 36 s = 0.01 h: dD/dt = (1 - 0.25)/0.01 = 75 g/L/h.
  EXPECT_NEAR(f[2], 75.0, 1e-12);
  // 0.5/min * 2 g/L / 180 g/mol = 1/180 mol/L/min = 1000*60/180 mmol/L/h.
  EXPECT_NEAR(f[3], 0.5 * 60 * 2.0 / 180.0 * 1000.0, 1e-9);
}

TEST(LoaderUnits, QuantitiesWithUnitsInTheYamlAreConverted) {
  auto m = LoadModelText(R"yaml(biotwin: 1
model: {name: quantities}
states:
  S: {unit: g/L, initial: "250 mg/L"}
liquid:
  volume: {unit: mL, initial: "1.5 L", max: "2 L"}
parameters:
  k: {value: "3 1/min", unit: 1/h}
balances:
  S: "-k*S"
  V: "0"
events:
  - {name: e, at: "90 min", actions: [{withdraw: "0.1 L"}]}
)yaml",
                         "quantities.yaml");
  const ModelInfo& info = m->info();
  EXPECT_DOUBLE_EQ(info.states[0].initial, 0.25);
  EXPECT_DOUBLE_EQ(info.states[info.volume_state].initial, 1500.0);
  EXPECT_DOUBLE_EQ(info.volume_max, 2000.0);
  EXPECT_DOUBLE_EQ(info.parameters[0].value, 180.0);
  ASSERT_EQ(info.events.size(), 1u);
  EXPECT_DOUBLE_EQ(info.events[0].at, 1.5);
  // The withdraw volume is an action expression in the volume's unit (mL).
  auto ws = m->NewWorkspace();
  std::vector<double> x = info.InitialState(), p = info.ParameterValues(),
                      vals(m->num_action_values());
  m->ActionValues(EvalPoint{0.0, x.data(), nullptr, p.data(), 0}, vals.data(), *ws);
  ASSERT_EQ(vals.size(), 1u);
  EXPECT_DOUBLE_EQ(vals[0], 100.0);
}

}  // namespace
}  // namespace biotwin::model
