// Validity domains: the model loader reads `validity:` (bad entries name file, line and field),
// and every command that runs a model warns once per variable that leaves the domain - and
// stays silent inside it: simulate, ensemble, estimate and optimize.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <nlohmann/json.hpp>
#include <string>

#include "cli_fixture.h"
#include "model/model.h"
#include "sim/validity.h"

namespace biotwin::cli_testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

// x' = -k x + F: x(t) = exp(-0.1 t) without feed; the domain allows x in [0.3, 2] g/L, F in
// [0, 0.2] g/(L*h).
constexpr const char* kModel = R"yaml(biotwin: 1
model: {name: leak, version: 1.0.0}
time_unit: h
states:
  x: {unit: g/L, initial: 1}
parameters:
  k: {value: 0.1, unit: 1/h, source: test}
inputs:
  F: {unit: g/(L*h), default: 0, limits: [0, 1]}
balances:
  x: "-k*x + F"
outputs:
  x_out: {expr: "x", unit: g/L}
validity:
  fit: "fit abc (FIT.json)"
  states:
    x: [0.3, 2]
  inputs:
    F: [0, 0.2]
)yaml";

std::string Replace(std::string text, const std::string& from, const std::string& to) {
  const size_t pos = text.find(from);
  EXPECT_NE(pos, std::string::npos) << from;
  if (pos != std::string::npos) text.replace(pos, from.size(), to);
  return text;
}

int Count(const std::string& text, const std::string& what) {
  int n = 0;
  for (size_t pos = text.find(what); pos != std::string::npos; pos = text.find(what, pos + 1)) ++n;
  return n;
}

TEST(ValidityLoader, ReadsTheSection) {
  auto m = model::LoadModelText(kModel, "leak.yaml");
  const auto& v = m->info().validity;
  ASSERT_EQ(v.bounds.size(), 2u);
  EXPECT_EQ(v.fit, "fit abc (FIT.json)");
  EXPECT_EQ(v.bounds[0].name, "x");
  EXPECT_FALSE(v.bounds[0].is_input);
  EXPECT_EQ(v.bounds[0].lower, 0.3);
  EXPECT_EQ(v.bounds[0].upper, 2.0);
  EXPECT_TRUE(v.bounds[1].is_input);
  EXPECT_EQ(v.bounds[1].line, 19);
}

TEST(ValidityLoader, BadEntriesNameFileLineAndField) {
  struct Case {
    std::string from, to, where, message;
  };
  const std::vector<Case> cases = {
      {"    x: [0.3, 2]", "    y: [0.3, 2]", "leak.yaml:17: validity.states.y", "'y' is not a state"},
      {"    F: [0, 0.2]", "    G: [0, 0.2]", "leak.yaml:19: validity.inputs.G", "'G' is not an input"},
      {"    x: [0.3, 2]", "    x: [2, 0.3]", "leak.yaml:17: validity.states.x", "exceeds upper bound"},
      {"    x: [0.3, 2]", "    x: [0.3, null]", "leak.yaml:17: validity.states.x", "finite"},
      {"    x: [0.3, 2]", "    x: 0.3", "leak.yaml:17: validity.states.x", "expected [lower, upper]"},
      {"    x: [0.3, 2]", "    x: [0.3, two]", "leak.yaml:17: validity.states.x", ""},
      {"  fit: \"fit abc (FIT.json)\"", "  fits: abc", "leak.yaml:15: validity", "fits"},
      {"  fit: \"fit abc (FIT.json)\"", "  dossier_sha256: 12ab", "leak.yaml:15: validity.dossier_sha256", "SHA-256"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.to);
    try {
      model::LoadModelText(Replace(kModel, c.from, c.to), "leak.yaml");
      ADD_FAILURE() << "no error";
    } catch (const model::ModelError& e) {
      EXPECT_THAT(std::string(e.what()), HasSubstr(c.where));
      EXPECT_THAT(std::string(e.what()), HasSubstr(c.message));
    }
  }
}

TEST(ValidityMonitor, ReportsTheFarthestExcursionOncePerVariable) {
  auto m = model::LoadModelText(kModel, "leak.yaml");
  sim::ValidityMonitor monitor(m->info());
  const double u0 = 0.1, u1 = 0.5;
  double x = 1.9;
  monitor.Observe(0.0, &x, &u0);
  x = 2.01;  // within the 1 % tolerance (0.02 g/L)
  monitor.Observe(1.0, &x, &u0);
  x = 2.5;
  monitor.Observe(2.0, &x, &u1);
  x = 3.0;
  monitor.Observe(3.0, &x, &u0);
  x = 2.2;
  monitor.Observe(4.0, &x, &u0);
  const auto ex = monitor.Excursions();
  ASSERT_EQ(ex.size(), 2u);
  EXPECT_EQ(ex[0].value, 3.0);
  EXPECT_EQ(ex[0].time, 3.0);
  EXPECT_EQ(ex[0].message,
            "leak.yaml: state x left the validity domain [0.3, 2] g/L of fit abc (FIT.json): reached 3 g/L at t = 3 h");
  EXPECT_EQ(ex[1].message,
            "leak.yaml: input F left the validity domain [0, 0.2] g/(L*h) of fit abc (FIT.json): reached 0.5 g/(L*h) at t = 2 h");
}

// The `validity:` examples of docs/model-format.md and docs/fit.md load (appended to a model
// with the states and inputs they name).
TEST(ValidityLoader, DocsExamplesLoad) {
  for (const char* doc : {"docs/model-format.md", "docs/fit.md"}) {
    const std::string text = ReadFile(testing::SourcePath(doc));
    const size_t begin = text.find("```yaml\nvalidity:\n");
    ASSERT_NE(begin, std::string::npos) << doc;
    const size_t end = text.find("```", begin + 8);
    const std::string block = text.substr(begin + 8, end - begin - 8);
    const std::string model = R"(biotwin: 1
model: {name: docs}
states:
  X: {unit: g/L, initial: 1}
  x: {unit: g/L, initial: 1}
parameters:
  k: {value: 1, unit: 1/h, source: test}
inputs:
  F: {unit: L/h, default: 0}
balances:
  X: "-k*X"
  x: "-k*x"
)";
    auto m = model::LoadModelText(model + block, doc);
    EXPECT_EQ(m->info().validity.bounds.size(), 2u) << doc;
    EXPECT_EQ(m->info().validity.dossier.size(), 64u) << doc;
  }
}

class ValidityCli : public Cli {
 protected:
  void SetUp() override {
    Cli::SetUp();
    model_ = Write("leak.yaml", kModel);
  }
  std::string model_;
};

TEST_F(ValidityCli, SimulateWarnsOutsideAndNotInside) {
  auto inside = Run({"simulate", model_, "--until", "10", "--out", Path("in.csv")});
  ASSERT_EQ(inside.code, 0) << inside.err;
  EXPECT_THAT(inside.err, Not(HasSubstr("validity")));
  // F = 0.5 g/(L*h) exceeds 0.2; without feed x(30 h) = exp(-3) = 0.0498 g/L < 0.3 g/L.
  auto outside = Run({"simulate", model_, "--until", "30", "--set", "F=0.5", "--out", Path("out.csv"), "--quiet"});
  ASSERT_EQ(outside.code, 0) << outside.err;
  // F = 0.5 drives x towards 5 g/L: both leave, one warning each.
  EXPECT_EQ(Count(outside.err, "left the validity domain"), 2) << outside.err;
  EXPECT_THAT(outside.err, HasSubstr("warning: " + model_ + ": state x left the validity domain [0.3, 2] g/L"));
  EXPECT_THAT(outside.err, HasSubstr("warning: " + model_ + ": input F left the validity domain [0, 0.2] g/(L*h)"));
  auto low = Run({"simulate", model_, "--until", "30", "--out", Path("low.csv")});
  ASSERT_EQ(low.code, 0) << low.err;
  EXPECT_EQ(Count(low.err, "left the validity domain"), 1) << low.err;
  EXPECT_THAT(low.err, HasSubstr("state x left the validity domain [0.3, 2] g/L of fit abc (FIT.json): reached 0.04978"));
  EXPECT_THAT(low.err, HasSubstr("at t = 30 h"));
  EXPECT_THAT(low.out, Not(HasSubstr("left the validity domain")));  // stderr only, once
  const auto summary = nlohmann::json::parse(ReadFile(Path("low.json")));
  ASSERT_EQ(summary["warnings"].size(), 1u);
  EXPECT_THAT(summary["warnings"][0].get<std::string>(), HasSubstr("state x left the validity domain"));
}

TEST_F(ValidityCli, ClosedLoopSimulateWarnsToo) {
  const std::string scen = R"(biotwin_scenario: 1
name: leak_pid
until: 20 h
control:
  sample_time: 0.5 h
  sensors:
    xm: {signal: x}
  loops:
    - {name: xc, measurement: xm, setpoint: SP, output: F, pid: {kp: 1, ti: 2 h, action: reverse, limits: [0, FMAX]}}
)";
  Write("in.yaml", Replace(Replace(scen, "SP", "1.5"), "FMAX", "0.2"));
  Write("out.yaml", Replace(Replace(scen, "SP", "3"), "FMAX", "1"));
  auto inside = Run({"simulate", model_, "--scenario", Path("in.yaml"), "--out", Path("in.csv"), "--no-record", "--quiet"});
  ASSERT_EQ(inside.code, 0) << inside.err;
  EXPECT_THAT(inside.err, Not(HasSubstr("validity")));
  // Holding x at 3 g/L needs F = k x = 0.3 g/(L*h): both leave the domain.
  auto outside = Run({"simulate", model_, "--scenario", Path("out.yaml"), "--out", Path("out.csv"), "--no-record", "--quiet"});
  ASSERT_EQ(outside.code, 0) << outside.err;
  EXPECT_EQ(Count(outside.err, "left the validity domain"), 2) << outside.err;
}

TEST_F(ValidityCli, CheckListsTheDomain) {
  auto r = Run({"check", model_});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("validity domain (fit abc (FIT.json); runs leaving it are warned about):"));
  EXPECT_THAT(r.out, HasSubstr("[0.3, 2] g/L"));
  EXPECT_THAT(r.out, HasSubstr("[0, 0.2] g/(L*h)"));
}

TEST_F(ValidityCli, SimulateWithoutValiditySectionBehavesAsBefore) {
  const std::string plain = Write("plain.yaml", std::string(kModel).substr(0, std::string(kModel).find("validity:")));
  auto r = Run({"simulate", plain, "--until", "30", "--out", Path("p.csv"), "--quiet"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.err, "");
}

TEST_F(ValidityCli, EnsembleWarnsOncePerVariable) {
  const std::string scen = R"(biotwin_scenario: 1
name: leak
until: UNTIL h
output_interval: 1 h
variation:
  initial:
    x: 0.05 g/L
)";
  Write("short.yaml", Replace(scen, "UNTIL", "5"));
  Write("long.yaml", Replace(scen, "UNTIL", "30"));
  auto inside = Run({"ensemble", model_, "--scenario", Path("short.yaml"), "-n", "4", "--threads", "1", "--out",
                     Path("s.csv"), "--quiet"});
  ASSERT_EQ(inside.code, 0) << inside.err;
  EXPECT_THAT(inside.err, Not(HasSubstr("validity")));
  auto outside = Run({"ensemble", model_, "--scenario", Path("long.yaml"), "-n", "4", "--threads", "2", "--out",
                      Path("l.csv"), "--report", Path("l.html"), "--quiet"});
  ASSERT_EQ(outside.code, 0) << outside.err;
  EXPECT_EQ(Count(outside.err, "left the validity domain"), 1) << outside.err;
  EXPECT_THAT(outside.err, HasSubstr("state x left the validity domain"));
  EXPECT_THAT(outside.err, HasSubstr("(4 runs left it)"));
  EXPECT_THAT(ReadFile(Path("l.html")), HasSubstr("left the validity domain"));
}

TEST_F(ValidityCli, EstimateWarnsWhenTheEstimatesLeave) {
  auto data = [&](const std::string& name, double until) {
    std::string csv = "t [h],x_out [g/L]\n";
    for (double t = 1; t <= until + 1e-9; t += 1) csv += std::to_string(t) + "," + std::to_string(std::exp(-0.1 * t)) + "\n";
    return Write(name, csv);
  };
  const std::string noise = Write("noise.yaml", "measurements:\n  x_out: 0.01 g/L\nprocess:\n  x: 0.001 g/L\n");
  auto inside = Run({"estimate", model_, "--data", data("in.csv", 8), "--noise", noise, "--out", Path("e1.csv"), "--quiet"});
  ASSERT_EQ(inside.code, 0) << inside.err;
  EXPECT_THAT(inside.err, Not(HasSubstr("validity")));
  auto outside = Run({"estimate", model_, "--data", data("out.csv", 25), "--noise", noise, "--out", Path("e2.csv"), "--quiet"});
  ASSERT_EQ(outside.code, 0) << outside.err;
  EXPECT_EQ(Count(outside.err, "left the validity domain"), 1) << outside.err;
  EXPECT_THAT(outside.err, HasSubstr("state x left the validity domain [0.3, 2] g/L"));
}

TEST_F(ValidityCli, OptimizeWarnsForControlsAndStatesOutside) {
  const std::string problem = R"(biotwin_problem: 1
name: leak_max
model: leak.yaml
horizon: {start: 0 h, end: 5 h}
intervals: 5
controls:
  F: {min: 0 g/(L*h), max: FMAX g/(L*h), initial: 0.1 g/(L*h)}
objective:
  maximize: "x_out"
)";
  Write("in.yaml", Replace(problem, "FMAX", "0.2"));
  Write("out.yaml", Replace(problem, "FMAX", "0.5"));
  auto inside = Run({"optimize", Path("in.yaml"), "--out", Path("in.json"), "--quiet"});
  ASSERT_EQ(inside.code, 0) << inside.err;
  EXPECT_THAT(inside.err, Not(HasSubstr("validity")));
  // F = 0.5: x(5 h) = 5 - 4 exp(-0.5) = 2.57 g/L > 2 g/L, F > 0.2.
  auto outside = Run({"optimize", Path("out.yaml"), "--out", Path("out.json"), "--report", Path("out.html"), "--quiet"});
  ASSERT_EQ(outside.code, 0) << outside.err;
  EXPECT_EQ(Count(outside.err, "left the validity domain"), 2) << outside.err;
  EXPECT_THAT(outside.err, HasSubstr("state x left the validity domain [0.3, 2] g/L"));
  EXPECT_THAT(outside.err, HasSubstr("input F left the validity domain [0, 0.2] g/(L*h)"));
  const auto j = nlohmann::json::parse(ReadFile(Path("out.json")));
  EXPECT_EQ(j["warnings"].size(), 2u);
  EXPECT_THAT(ReadFile(Path("out.html")), HasSubstr("left the validity domain"));
}

}  // namespace
}  // namespace biotwin::cli_testing
