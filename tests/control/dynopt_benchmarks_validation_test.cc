// Published optimal-control benchmarks run through the CLI (`biotwin optimize`), checked against
// the expected values shipped with the examples (examples/benchmarks/*/expected.json, taken from
// ../shared/reference/benchmarks). The optimal feed profiles are then re-simulated with the
// engine's main simulator (not the shooting integrator) to confirm objective and constraints.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "model/model.h"
#include "sim/inputs.h"
#include "sim/simulator.h"
#include "test_paths.h"

namespace biotwin {
namespace {

using nlohmann::json;

json ReadJson(const std::string& path) {
  std::ifstream in(path);
  EXPECT_TRUE(in.good()) << path;
  return json::parse(in);
}

// Runs `biotwin optimize` on an example problem; returns OPT.json.
json Optimize(const std::string& example, const std::string& problem, int* exit_code) {
  const std::string dir = testing::TempDir();
  const std::string out = dir + "/opt.json";
  const std::string cmd = testing::CliPath() + " optimize " + testing::SourcePath("examples/benchmarks/" + example + "/" + problem) +
                          " --out " + out + " --report " + dir + "/opt.html --quiet > " + dir + "/log.txt 2>&1";
  const int rc = std::system(cmd.c_str());
  *exit_code = WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
  EXPECT_TRUE(std::filesystem::exists(dir + "/opt.html"));
  return ReadJson(out);
}

json Case(const std::string& example, const std::string& problem) {
  const json e = ReadJson(testing::SourcePath("examples/benchmarks/" + example + "/expected.json"));
  for (const auto& c : e["cases"]) {
    if (c["problem"] == problem) return c;
  }
  ADD_FAILURE() << "no expected values for " << problem;
  return json::object();
}

// Re-simulates the piecewise-constant control of OPT.json with sim::Simulator; returns the
// final state and the maximum of every state.
void Resimulate(const std::string& model_file, const json& opt, std::vector<double>* final_state,
                std::vector<double>* max_state) {
  auto model = model::LoadModelFile(model_file);
  sim::Scenario sc;
  std::vector<double> times = opt["grid"]["times"].get<std::vector<double>>();
  const std::vector<double> u = opt["controls"]["u"]["values"].get<std::vector<double>>();
  sc.t_end = times.back();
  times.pop_back();
  sc.inputs[model->info().InputIndex("u")] = sim::InputProfile::PiecewiseConstant(times, u);
  sc.rtol = 1e-10;
  sc.atol = 1e-12;
  sc.output_interval = sc.t_end / 2000;
  sim::Simulator simulator(model, sc);
  const sim::SimResult r = simulator.Run();
  ASSERT_TRUE(r.ok) << r.message;
  *final_state = r.states.back();
  max_state->assign(final_state->size(), -1e300);
  for (const auto& x : r.states) {
    for (size_t i = 0; i < x.size(); ++i) (*max_state)[i] = std::max((*max_state)[i], x[i]);
  }
}

TEST(DynoptBenchmarks, ParkRamirezTwentyIntervals) {
  int rc = 0;
  const json opt = Optimize("park_ramirez", "problem_n20.yaml", &rc);
  const json c = Case("park_ramirez", "problem_n20.yaml");
  ASSERT_EQ(rc, 0) << opt.dump(2);
  EXPECT_EQ(opt["status"], "solved");
  EXPECT_EQ(opt["intervals"], 20);
  EXPECT_EQ(opt["objective_unit"], "g");
  EXPECT_NEAR(opt["objective"].get<double>(), c["objective"].get<double>(), c["tolerance"].get<double>());
  std::vector<double> xf, xmax;
  Resimulate(testing::SourcePath("examples/benchmarks/park_ramirez/park_ramirez.yaml"), opt, &xf, &xmax);
  EXPECT_NEAR(xf[0] * xf[4], opt["objective"].get<double>(), 1e-5);  // J = x1*x5 at 15 h
}

TEST(DynoptBenchmarks, ParkRamirezShippedExampleReachesTheLiteratureOptimum) {
  int rc = 0;
  const json opt = Optimize("park_ramirez", "problem.yaml", &rc);
  const json c = Case("park_ramirez", "problem.yaml");
  ASSERT_EQ(rc, 0) << opt.dump(2);
  EXPECT_EQ(opt["intervals"], c["intervals"]);
  EXPECT_NEAR(opt["objective"].get<double>(), c["objective"].get<double>(), c["tolerance"].get<double>());
  // The N = 40 stage reproduces the independent N = 40 value.
  for (const auto& st : c["stages"]) {
    bool found = false;
    for (const auto& s : opt["stages"]) {
      if (s["intervals"] != st["intervals"]) continue;
      found = true;
      EXPECT_NEAR(s["objective"].get<double>(), st["objective"].get<double>(), st["tolerance"].get<double>());
    }
    EXPECT_TRUE(found) << st.dump();
  }
  std::vector<double> xf, xmax;
  Resimulate(testing::SourcePath("examples/benchmarks/park_ramirez/park_ramirez.yaml"), opt, &xf, &xmax);
  EXPECT_NEAR(xf[0] * xf[4], opt["objective"].get<double>(), 1e-4);
  for (double u : opt["controls"]["u"]["values"]) {
    EXPECT_GE(u, -1e-8);
    EXPECT_LE(u, 2.0 + 1e-8);
  }
}

TEST(DynoptBenchmarks, PenicillinAtTheReferenceFinalTime) {
  int rc = 0;
  const json opt = Optimize("penicillin_fedbatch", "problem_tf_fixed.yaml", &rc);
  const json c = Case("penicillin_fedbatch", "problem_tf_fixed.yaml");
  ASSERT_EQ(rc, 0) << opt.dump(2);
  // At least as good as the independent reference (which is a local optimum, README.md).
  const double J = opt["objective"].get<double>();
  EXPECT_GE(J, c["objective_min"].get<double>());
  EXPECT_LE(J, c["objective_max"].get<double>());
  EXPECT_NEAR(opt["final_time"]["value"].get<double>(), c["final_time"].get<double>(), 1e-9);
  std::vector<double> xf, xmax;
  Resimulate(testing::SourcePath("examples/benchmarks/penicillin_fedbatch/penicillin.yaml"), opt, &xf, &xmax);
  EXPECT_NEAR(xf[1] * xf[3], J, 1e-3);
  EXPECT_LE(xmax[0], 40 + 1e-6);
  EXPECT_LE(xmax[2], 25 + 1e-6);
  EXPECT_LE(xmax[3], 10 + 1e-5);
}

TEST(DynoptBenchmarks, PenicillinWithFreeFinalTime) {
  int rc = 0;
  const json opt = Optimize("penicillin_fedbatch", "problem.yaml", &rc);
  const json c = Case("penicillin_fedbatch", "problem.yaml");
  ASSERT_EQ(rc, 0) << opt.dump(2);
  const double J = opt["objective"].get<double>(), tf = opt["final_time"]["value"].get<double>();
  EXPECT_TRUE(opt["final_time"]["free"].get<bool>());
  EXPECT_GE(J, c["objective_min"].get<double>());
  EXPECT_LE(J, c["objective_max"].get<double>());
  EXPECT_GE(tf, c["final_time_min"].get<double>());
  EXPECT_LE(tf, c["final_time_max"].get<double>());
  // The optimum is genuine: the simulated profile meets every bound and gives the same J.
  std::vector<double> xf, xmax;
  Resimulate(testing::SourcePath("examples/benchmarks/penicillin_fedbatch/penicillin.yaml"), opt, &xf, &xmax);
  EXPECT_NEAR(xf[1] * xf[3], J, 1e-3);
  EXPECT_LE(xmax[0], 40 + 1e-6);
  EXPECT_LE(xmax[2], 25 + 1e-6);
  EXPECT_LE(xmax[3], 10 + 1e-5);
  EXPECT_NEAR(xf[3], 10.0, 1e-4);  // the volume bound is active at the end
}

}  // namespace
}  // namespace biotwin
