// The `control:` block: the worked example of docs/control.md runs and holds its set-point,
// IndPenSim's recipe (examples/indpensim/recipe.yaml) parses against a stand-in model and follows
// the code's tables, and bad blocks are rejected naming file, line and field.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <sstream>
#include <string>

#include "control/control.h"
#include "model/model.h"
#include "sim/scenario.h"
#include "test_paths.h"

namespace biotwin::control {
namespace {

using ::testing::HasSubstr;

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  EXPECT_TRUE(in.good()) << path;
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

TEST(ControlConfig, DocsWorkedExampleRunsAndHoldsTheSetPoint) {
  const std::string doc = ReadFile(testing::SourcePath("docs/control.md"));
  const std::string marker = "# control-example: ";
  const size_t at = doc.find(marker);
  ASSERT_NE(at, std::string::npos);
  const size_t end = doc.find("```", at);
  const std::string block = doc.substr(at, end - at);
  const std::string model_path = block.substr(marker.size(), block.find('\n') - marker.size());
  auto m = model::LoadModelFile(testing::SourcePath(model_path));
  sim::Scenario sc = sim::LoadScenarioText(block, "control.md", m->info());
  ASSERT_TRUE(sc.has_control);
  ControlSetup setup = LoadScenarioControl(sc, m->info());
  sim::SampledRunResult r = RunClosedLoop(m, sc, setup);
  ASSERT_TRUE(r.ok) << r.message;
  const auto& info = m->info();
  const int dot = info.StateIndex("DOT"), f = info.InputIndex("F");
  ASSERT_EQ(r.measurement_names, (std::vector<std::string>{"DO", "X_lab"}));
  int lab_reports = 0;
  for (size_t k = 0; k < r.rows(); ++k) {
    const double t = r.time[k];
    if (t >= 20) {
      EXPECT_NEAR(r.states[k * r.n_states + dot], 30.0, 5.0) << "t = " << t;
    }
    if (t < 6 - 1e-9) {
      EXPECT_EQ(r.inputs[k * r.n_inputs + f], 0.0) << "manual phase, t = " << t;
    }
    EXPECT_LE(r.inputs[k * r.n_inputs + f], 0.05);
    if (k > 0 && k + 1 < r.rows()) {  // rate limit 0.1 L/h/h: 0.005 L/h per sample
      EXPECT_LE(std::fabs(r.inputs[k * r.n_inputs + f] - r.inputs[(k - 1) * r.n_inputs + f]), 0.005 + 1e-12);
    }
    if (t > 25 - 1e-9 && t < 25.5 - 1e-9 && k > 0) {  // pump stuck
      EXPECT_EQ(r.inputs[k * r.n_inputs + f], r.inputs[(k - 1) * r.n_inputs + f]);
    }
    const double lab = r.measurements[k * r.n_measurements + 1];
    if (!std::isnan(lab)) {
      ++lab_reports;
      EXPECT_NEAR(std::fmod(t - 4.5 + 1e-9, 4.0), 0.0, 1e-6) << "reported 0.5 h after each 4-hourly draw, t = " << t;
    }
  }
  EXPECT_EQ(lab_reports, 9);  // draws at 4, 8, ..., 36 h
}

constexpr const char* kStandIn = R"yaml(biotwin: 1
model: {name: indpensim_stand_in}
time_unit: h
states:
  H: {unit: mol/L, initial: 3.1623e-7}
  T: {unit: K, initial: 298}
parameters:
  kH: {value: 1e-9, unit: mol/L/L}
  kT: {value: 1e-3, unit: K/L}
  c1: {value: 1, unit: mol/L}
inputs:
  Fs: {unit: L/h}
  Foil: {unit: L/h}
  Fg: {unit: m^3/min}
  RPM: {unit: 1/min}
  Fpaa: {unit: L/h}
  Fa: {unit: L/h}
  Fb: {unit: L/h}
  Fc: {unit: L/h}
  Fh: {unit: L/h}
  Fw: {unit: L/h}
  pressure: {unit: bar}
  Fdischarge: {unit: L/h}
  NH3_shots: {unit: kg}
outputs:
  pH: {expr: "-log10(H/c1)", unit: "1"}
balances:
  H: "kH*(Fa - Fb + 0.05*Fs)"
  T: "kT*(Fh - Fc + 0.02*Fs)"
)yaml";

TEST(ControlConfig, IndPenSimRecipeParsesAndFollowsTheCodesTables) {
  auto m = model::LoadModelFile(testing::SourcePath("models/indpensim.yaml"));
  const std::string path = testing::SourcePath("examples/indpensim/recipe.yaml");
  std::string text = ReadFile(path);
  sim::Scenario sc = sim::LoadScenarioText(text, path, m->info());
  sc.t_end = 24;
  ControlSetup setup = LoadScenarioControl(sc, m->info());
  EXPECT_EQ(setup.spec.sample_index_origin, 1);
  EXPECT_EQ(setup.spec.loops.size(), 2u);
  EXPECT_EQ(setup.spec.schedules.size(), 9u);
  sim::SampledRunResult r = RunClosedLoop(m, sc, setup);
  ASSERT_TRUE(r.ok) << r.message;
  const auto& info = m->info();
  auto input = [&](const char* name, double t) {
    const size_t k = static_cast<size_t>(std::lround(t / 0.2));
    return r.inputs[k * r.n_inputs + info.InputIndex(name)];
  };
  EXPECT_EQ(input("Fs", 0.0), 8);    // MATLAB sample 1
  EXPECT_EQ(input("Fs", 2.8), 8);    // sample 15
  EXPECT_EQ(input("Fs", 3.0), 15);   // sample 16
  EXPECT_EQ(input("Fs", 23.8), 150);
  EXPECT_EQ(input("pressure", 12.2), 0.6);  // sample 62 ≤ 62.5
  EXPECT_EQ(input("pressure", 12.4), 0.7);  // sample 63
  EXPECT_EQ(input("Fpaa", 4.8), 5);  // sample 25
  EXPECT_EQ(input("Fpaa", 5.0), 0);
  EXPECT_EQ(input("RPM", 10), 100);
  // The loops act: the culture's acid load is neutralised by base and its heat removed by
  // cooling water; the outputs stay within their limits and floors.
  double fb_max = 0, fc_max = 0;
  for (size_t k = 0; k + 1 < r.rows(); ++k) {
    const double fb = r.inputs[k * r.n_inputs + info.InputIndex("Fb")];
    const double fc = r.inputs[k * r.n_inputs + info.InputIndex("Fc")];
    const double fh = r.inputs[k * r.n_inputs + info.InputIndex("Fh")];
    EXPECT_GE(fc, 1e-4);
    EXPECT_GE(fh, 1e-4);
    EXPECT_LE(fb, 225);
    fb_max = std::max(fb_max, fb);
    fc_max = std::max(fc_max, fc);
  }
  EXPECT_GT(fb_max, 0.0);
  EXPECT_GT(fc_max, 1e-3);
  // Fault cases: 1-8 defined, inactive unless selected; case 6 (all actuator faults) acts in
  // the code's sample windows.
  EXPECT_EQ(setup.FaultSets(), (std::vector<int>{1, 2, 3, 4, 5, 6, 7, 8}));
  EXPECT_EQ(r.fault_names.size(), 0u);
  EXPECT_THROW(setup.SelectFaultSet(9), std::invalid_argument);
  sim::Scenario sf = sc;
  sf.t_end = 40;
  ControlSetup fs = setup;
  fs.SelectFaultSet(6);
  EXPECT_EQ(fs.actuators.size(), 5u);
  sim::SampledRunResult rf = RunClosedLoop(m, sf, fs);
  ASSERT_TRUE(rf.ok) << rf.message;
  ASSERT_EQ(rf.rows(), 201u);
  auto finput = [&](const char* name, int matlab_k) {
    return rf.inputs[(matlab_k - 1) * rf.n_inputs + info.InputIndex(name)];
  };
  EXPECT_EQ(finput("Fg", 99), 42);
  EXPECT_EQ(finput("Fg", 100), 20);
  EXPECT_EQ(finput("Fg", 120), 20);
  EXPECT_EQ(finput("Fg", 121), 55);
  EXPECT_EQ(finput("Fs", 100), 2);
  EXPECT_EQ(finput("Fs", 150), 2);  // the window 100-150 is inclusive
  EXPECT_EQ(finput("Fs", 151), 37);
  EXPECT_EQ(rf.fault_names.size(), 11u);  // the actuator faults; the sensor drifts are cases 7, 8
  ControlSetup f7 = setup;
  f7.SelectFaultSet(7);
  sim::SampledRunResult r7 = RunClosedLoop(m, sf, f7);
  ASSERT_TRUE(r7.ok) << r7.message;
  EXPECT_EQ(r7.fault_names, (std::vector<std::string>{"fault7_T_sensor_drift"}));
}

struct BadCase {
  const char* block;
  const char* expect;  // "file:line: field"
};

TEST(ControlConfig, BadBlocksAreRejectedWithFileLineAndField) {
  auto m = model::LoadModelText(kStandIn, "indpensim_stand_in.yaml");
  const BadCase cases[] = {
      {"control:\n  sensors: {}\n", "bad.yaml:2: control.sample_time"},
      {"control:\n  sample_time: -1 h\n", "bad.yaml:2: control.sample_time"},
      {"control:\n  sample_time: 0.2 h\n  sensors:\n    p: {signal: nope}\n", "bad.yaml:4: control.sensors.p.signal"},
      {"control:\n  sample_time: 0.2 h\n  sensors:\n    p: {signal: pH, delay: 0.3 h}\n", "bad.yaml:4: control.sensors.p"},
      {"control:\n  sample_time: 0.2 h\n  sensors:\n    p: {signal: T, faults: [{bias: 1}]}\n", "control.sensors.p.faults[0]"},
      {"control:\n  sample_time: 0.2 h\n  schedules:\n    Fs: {until: {samples: [2, 1], values: [1, 2]}}\n", "bad.yaml:4: control.schedules.Fs.until"},
      {"control:\n  sample_time: 0.2 h\n  schedules:\n    Fz: 3\n", "bad.yaml:4: control.schedules.Fz"},
      {"control:\n  sample_time: 0.2 h\n  schedules:\n    Fs: 3 K\n", "bad.yaml:4: control.schedules.Fs"},
      {"control:\n  sample_time: 0.2 h\n  loops:\n    - {measurement: T, setpoint: 298, output: Fc, pid: {kp: 1, ti: 0}}\n", "bad.yaml:4: control.loops[0].pid.ti"},
      {"control:\n  sample_time: 0.2 h\n  loops:\n    - {measurement: T, setpoint: 298, output: Fc, pid: {kp: 1, form: pi}}\n", "bad.yaml:4: control.loops[0].pid.form"},
      {"control:\n  sample_time: 0.2 h\n  loops:\n    - {measurement: T, setpoint: 298, output: Fc}\n", "bad.yaml:4: control.loops[0].pid"},
      {"control:\n  sample_time: 0.2 h\n  loops:\n    - {name: a, measurement: T, setpoint: {loop: b}, output: Fc, pid: {kp: 1}}\n", "bad.yaml:4: control.loops[0].setpoint.loop"},
      {"control:\n  sample_time: 0.2 h\n  schedules: {Fc: 1}\n  loops:\n    - {measurement: T, setpoint: 298, output: Fc, pid: {kp: 1}}\n", "bad.yaml:5: control.loops[0].output: input 'Fc' is already driven by control.schedules.Fc"},
      {"control:\n  sample_time: 0.2 h\n  loops:\n    - measurement: T\n      setpoint: 298\n      split_range:\n        above: {output: Fh, pid: {kp: 1}}\n        below: {output: Fh, pid: {kp: 1}}\n", "bad.yaml:8: control.loops[0].split_range.below.output: input 'Fh' is already driven"},
      {"control:\n  sample_time: 0.2 h\n  actuators:\n    Fs: {faults: [{override: 1, samples: [5, 2]}]}\n", "bad.yaml:4: control.actuators.Fs.faults[0].samples"},
      {"control:\n  sample_time: 0.2 h\n  unknown_key: 1\n", "bad.yaml:3: control.unknown_key"},
  };
  for (const auto& c : cases) {
    const std::string text = std::string("until: 10 h\n") + c.block;
    // Lines in the cases count from the "control:" line; shift by the "until" line.
    std::string expect = c.expect;
    const size_t colon = expect.find(':');
    if (colon != std::string::npos && expect.rfind("bad.yaml", 0) == 0) {
      const size_t colon2 = expect.find(':', colon + 1);
      const int line = std::stoi(expect.substr(colon + 1, colon2 - colon - 1)) + 1;
      expect = "bad.yaml:" + std::to_string(line) + expect.substr(colon2);
    }
    try {
      sim::Scenario sc = sim::LoadScenarioText(text, "bad.yaml", m->info());
      LoadScenarioControl(sc, m->info());
      ADD_FAILURE() << "accepted:\n" << text;
    } catch (const model::ModelError& e) {
      EXPECT_THAT(e.what(), HasSubstr(expect)) << text;
    }
  }
}

}  // namespace
}  // namespace biotwin::control
