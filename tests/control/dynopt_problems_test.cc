// Small optimal-control problems with analytic optima, constraint handling, free final time, and
// the errors a user gets for bad problem files.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>

#include "control/dynopt_solver.h"
#include "control/ocp_problem.h"
#include "model/model.h"
#include "test_paths.h"

namespace biotwin {
namespace {

// x' = u (an integrator), and a double integrator p' = v, v' = a.
constexpr const char* kIntegrator = R"yaml(
biotwin: 1
model: {name: integrator}
time_unit: h
states:
  x: {unit: g, initial: 0}
inputs:
  u: {unit: g/h, default: 0, limits: [-100, 100]}
balances:
  x: "u"
outputs:
  double_x: {expr: "2*x", unit: g}
)yaml";

constexpr const char* kDoubleIntegrator = R"yaml(
biotwin: 1
model: {name: double_integrator}
time_unit: h
states:
  p: {unit: m, initial: 0}
  v: {unit: m/h, initial: 0}
inputs:
  a: {unit: m/h^2, default: 0, limits: [-10, 10]}
balances:
  p: "v"
  v: "a"
)yaml";

class DynoptProblems : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing::TempDir();
    Write("integrator.yaml", kIntegrator);
    Write("double_integrator.yaml", kDoubleIntegrator);
  }
  void Write(const std::string& name, const std::string& text) {
    std::ofstream(std::filesystem::path(dir_) / name) << text;
  }
  control::OcpProblem Load(const std::string& text) {
    return control::LoadOcpProblemText(text, "problem.yaml", dir_);
  }
  // The message of the ModelError that loading/prechecking/compiling `text` raises.
  std::string ErrorOf(const std::string& text) {
    try {
      control::OcpProblem p = Load(text);
      control::PrecheckProblem(p);
    } catch (const model::ModelError& e) {
      return e.what();
    }
    return "(no error)";
  }
  std::string dir_;
};

// min int_0^1 u^2 dt s.t. x' = u, x(0) = 0, x(1) = 1: u* = 1, J* = 1 (any N: u constant).
TEST_F(DynoptProblems, MinimumEnergyTransferHasAnalyticOptimum) {
  auto p = Load(R"yaml(
model: integrator.yaml
horizon: {start: 0 h, end: 1 h}
intervals: 8
controls:
  u: {min: -5 g/h, max: 5 g/h, initial: 0}
objective:
  minimize: {running: "u^2"}
terminal_constraints:
  - "x == 1 [g]"
)yaml");
  auto s = control::SolveOcp(p);
  ASSERT_TRUE(control::StatusIsSuccess(s.status)) << s.explanation;
  EXPECT_NEAR(s.objective, 1.0, 1e-6);
  EXPECT_EQ(s.objective_unit, "(g/h)^2*h");  // the integral of u^2 over time
  for (double u : s.controls.values[0]) EXPECT_NEAR(u, 1.0, 1e-5);
  EXPECT_NEAR(s.states.back()[0], 1.0, 1e-7);
  EXPECT_LT(s.continuity_defect, 1e-7);
}

// Same with a Mayer penalty instead of the terminal constraint: min x(1)^2*k + int u^2 has the
// optimum u = k/(1+k) (here with the target 1: min (x(1)-1)^2 + int u^2 -> u = 1/2, J = 1/2).
TEST_F(DynoptProblems, MayerPlusLagrangeObjective) {
  auto p = Load(R"yaml(
model: integrator.yaml
horizon: {start: 0 h, end: 1 h}
intervals: 5
controls:
  u: {min: -5 g/h, max: 5 g/h, shape: piecewise_linear}
objective:
  minimize: {final: "(x - 1 [g])^2", running: "u^2*1 [h]"}
)yaml");
  auto s = control::SolveOcp(p);
  ASSERT_TRUE(control::StatusIsSuccess(s.status)) << s.explanation;
  EXPECT_NEAR(s.objective, 0.5, 1e-6);
  for (double u : s.controls.values[0]) EXPECT_NEAR(u, 0.5, 1e-4);
}

// An active control bound and an active path constraint on a model output.
TEST_F(DynoptProblems, BoundsAndPathConstraintsAreRespected) {
  auto p = Load(R"yaml(
model: integrator.yaml
horizon: {start: 0 h, end: 2 h}
intervals: 10
controls:
  u: {min: -1 g/h, max: 0.8 g/h}
objective:
  maximize: "x"
path_constraints:
  - "double_x <= 2 [g]"
)yaml");
  auto s = control::SolveOcp(p);
  ASSERT_TRUE(control::StatusIsSuccess(s.status)) << s.explanation;
  // u = 0.8 until x reaches 1 g (at 1.25 h), then the output bound 2x <= 2 g caps x at 1 g.
  // Many profiles reach x = 1 g without crossing it; the optimum value is unique.
  EXPECT_NEAR(s.objective, 1.0, 1e-6);
  for (const auto& row : s.states) EXPECT_LE(row[0], 1.0 + 1e-6);
}

// Minimum time to move a double integrator from rest at 0 to rest at 1 m with |a| <= 1 m/h^2:
// bang-bang, t* = 2 h (exactly representable with an even number of intervals).
TEST_F(DynoptProblems, MinimumTimeWithFreeFinalTime) {
  auto p = Load(R"yaml(
model: double_integrator.yaml
horizon: {start: 0 h, end: {free: true, guess: 3 h, min: 0.5 h, max: 10 h}}
intervals: 10
controls:
  a: {min: -1 m/h^2, max: 1 m/h^2, initial: 0}
objective:
  minimize: "t"
terminal_constraints:
  - "p == 1 [m]"
  - "v == 0"
)yaml");
  auto s = control::SolveOcp(p);
  ASSERT_TRUE(control::StatusIsSuccess(s.status)) << s.explanation;
  EXPECT_NEAR(s.tf, 2.0, 1e-5);
  EXPECT_NEAR(s.objective, 2.0, 1e-5);
  EXPECT_EQ(s.objective_unit, "h");
  for (int k = 0; k < 5; ++k) EXPECT_NEAR(s.controls.values[0][k], 1.0, 1e-4);
  for (int k = 5; k < 10; ++k) EXPECT_NEAR(s.controls.values[0][k], -1.0, 1e-4);
}

TEST_F(DynoptProblems, InfeasibleTerminalConstraintIsReportedWithTheViolation) {
  auto p = Load(R"yaml(
model: integrator.yaml
horizon: {start: 0 h, end: 1 h}
intervals: 4
controls:
  u: {min: 0 g/h, max: 0.5 g/h}
objective:
  minimize: {running: "u^2"}
terminal_constraints:
  - "x >= 1 [g]"
)yaml");
  auto s = control::SolveOcp(p);
  EXPECT_FALSE(control::StatusIsSuccess(s.status));
  EXPECT_EQ(s.status, control::NlpStatus::kInfeasible) << control::StatusName(s.status);
  EXPECT_NE(s.explanation.find("cannot all be satisfied"), std::string::npos) << s.explanation;
  ASSERT_EQ(s.violations.size(), 1u);
  EXPECT_EQ(s.violations[0].field, "terminal_constraints[0]");
  // The best the feed can do is 0.5 g; IPOPT stops near the least-infeasible point.
  EXPECT_NEAR(s.violations[0].value, 0.5, 0.05);
  EXPECT_NEAR(s.violations[0].amount, 1.0 - s.violations[0].value, 1e-9);
  EXPECT_EQ(s.violations[0].unit, "g");
}

// Maximising the distance travelled with a free final time and no maximum: unbounded. The solve
// fails (exit 1 in the CLI) and the explanation points at the missing bound.
TEST_F(DynoptProblems, UnboundedObjectiveFailsWithAHint) {
  auto p = Load(R"yaml(
model: double_integrator.yaml
horizon: {start: 0 h, end: {free: true, guess: 2 h, min: 1 h}}
intervals: 4
controls:
  a: {min: -1 m/h^2, max: 1 m/h^2, initial: 0.5}
objective:
  maximize: "p"
solver: {max_iterations: 60}
)yaml");
  auto s = control::SolveOcp(p);
  EXPECT_FALSE(control::StatusIsSuccess(s.status)) << control::StatusName(s.status) << " " << s.objective;
  EXPECT_NE(s.explanation.find("no maximum (horizon.end.max)"), std::string::npos) << s.explanation;
}

TEST_F(DynoptProblems, WarmStartAndMeshRefinementReuseTheSolution) {
  const std::string text = R"yaml(
model: integrator.yaml
horizon: {start: 0 h, end: 1 h}
intervals: 4
controls:
  u: {min: -5 g/h, max: 5 g/h, initial: 0}
objective:
  minimize: {running: "u^2"}
terminal_constraints:
  - "x == 1 [g]"
solver: {mesh_refinements: 2}
)yaml";
  auto p = Load(text);
  auto s = control::SolveOcp(p);
  ASSERT_TRUE(control::StatusIsSuccess(s.status)) << s.explanation;
  ASSERT_EQ(s.stages.size(), 3u);
  EXPECT_EQ(s.stages[2].intervals, 16);
  EXPECT_EQ(s.intervals, 16);
  const std::string json = (std::filesystem::path(dir_) / "opt.json").string();
  std::string err;
  ASSERT_TRUE(control::WriteSolutionJson(json, p, s, &err)) << err;
  control::DynoptOptions opt;
  opt.warm_start = json;
  opt.mesh_refinements = 0;
  opt.intervals = 6;
  auto w = control::SolveOcp(p, opt);
  ASSERT_TRUE(control::StatusIsSuccess(w.status)) << w.explanation;
  EXPECT_NEAR(w.objective, 1.0, 1e-6);
  EXPECT_LE(w.iterations, s.stages[0].iterations);  // starts at the optimum
  EXPECT_EQ(w.warm_start_from, json);
}

TEST_F(DynoptProblems, BadProblemFilesNameFileLineAndField) {
  const std::string head = "model: integrator.yaml\nhorizon: {start: 0 h, end: 1 h}\n";
  EXPECT_NE(ErrorOf(head + "controls:\n  feed: {min: 0, max: 1}\nobjective: {maximize: x}\n")
                .find("problem.yaml:4: controls.feed: the model 'integrator' has no input 'feed' (inputs: u)"),
            std::string::npos);
  EXPECT_NE(ErrorOf(head + "controls:\n  u: {min: 2, max: 1}\nobjective: {maximize: x}\n").find("controls.u: min 2 is above max 1 g/h"),
            std::string::npos);
  EXPECT_NE(ErrorOf(head + "controls:\n  u: {min: 0, max: 500}\nobjective: {maximize: x}\n").find("exceed the actuator limits"),
            std::string::npos);
  EXPECT_NE(ErrorOf(head + "controls:\n  u: {min: 0, max: 1}\nobjective: {maximize: x}\npath_constraints:\n  - \"x >= 1 [g]\"\n")
                .find("problem.yaml:7: path_constraints[0]: 'x >= 1 [g]' is violated at the start"),
            std::string::npos);
  EXPECT_NE(ErrorOf(head + "controls:\n  u: {min: 0, max: 1}\nobjective: {maximize: x}\npath_constraints:\n  - \"x <= 1 [L]\"\n")
                .find("problem.yaml:7: path_constraints[0]:"),
            std::string::npos);
  EXPECT_NE(ErrorOf(head + "controls:\n  u: {min: 0, max: 1}\nobjective: {maximize: y}\n").find("problem.yaml:5: objective: unknown symbol 'y'"),
            std::string::npos);
  EXPECT_NE(ErrorOf(head + "controls:\n  u: {min: 0, max: 1}\nobjective: {maximize: x}\npath_constraints:\n  - \"3 <= x <= 2\"\n")
                .find("inconsistent bounds"),
            std::string::npos);
  EXPECT_NE(ErrorOf(head + "controls:\n  u: {min: 0, max: 1}\nobjective: {maximize: x}\nterminal_constraints:\n  - \"x\"\n")
                .find("is not a constraint"),
            std::string::npos);
  EXPECT_NE(ErrorOf("model: integrator.yaml\nhorizon: {start: 0 h, end: {free: true, guess: 5 h, min: 1 h, max: 2 h}}\n"
                    "controls:\n  u: {min: 0, max: 1}\nobjective: {maximize: x}\n")
                .find("horizon.end.guess"),
            std::string::npos);
  EXPECT_NE(ErrorOf(head + "controls:\n  u: {min: 0, max: 1}\nobjective: {maximize: x}\nsolver: {max_steps: 0}\n")
                .find("problem.yaml:6: solver.max_steps: must be positive"),
            std::string::npos);
  EXPECT_NE(ErrorOf("model: nowhere.yaml\nhorizon: {end: 1 h}\ncontrols: {u: {min: 0, max: 1}}\nobjective: {maximize: x}\n")
                .find("problem.yaml:1: model: cannot find the model file"),
            std::string::npos);
}

}  // namespace
}  // namespace biotwin
