// `biotwin simulate` with a `control:` scenario: one CSV row per control sample with the applied
// inputs, sensor channels and fault flags; invalid blocks exit 3; sensitivities are refused.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <sys/wait.h>

#include "test_paths.h"

namespace biotwin {
namespace {

int RunCli(const std::string& dir, const std::string& args) {
  const std::string cmd = "cd '" + dir + "' && '" + testing::CliPath() + "' " + args + " >out.txt 2>err.txt";
  const int status = std::system(cmd.c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

std::string Slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

constexpr const char* kScenario = R"(until: 10 h
control:
  sample_time: 0.1 h
  sensors:
    DO: {signal: DOTm, delay: 0.1 h}
  actuators:
    F: {faults: [{name: pump_off, override: 0, time: [8 h, 9 h]}]}
  loops:
    - {name: DO, measurement: DO, setpoint: 60, output: F, pid: {kp: 0.0005, ti: 1 h, action: direct, limits: [0, 0.05]}}
)";

TEST(CliClosedLoop, WritesOneRowPerSampleWithMeasurementsAndFaults) {
  ASSERT_TRUE(std::filesystem::exists(testing::CliPath())) << "build the biotwin target";
  const std::string dir = testing::TempDir();
  std::ofstream(dir + "/s.yaml") << kScenario;
  const std::string model = testing::SourcePath("models/ecoli_anane2017.yaml");
  ASSERT_EQ(RunCli(dir, "simulate '" + model + "' --scenario s.yaml --out run.csv --no-record"), 0)
      << Slurp(dir + "/err.txt");
  std::ifstream csv(dir + "/run.csv");
  std::string header, line;
  std::getline(csv, header);
  EXPECT_NE(header.find("F [L/h]"), std::string::npos) << header;
  EXPECT_NE(header.find("measured:DO [%]"), std::string::npos) << header;
  EXPECT_NE(header.find("fault:pump_off [-]"), std::string::npos) << header;
  int rows = 0;
  while (std::getline(csv, line)) ++rows;
  EXPECT_EQ(rows, 101);  // 0, 0.1, ..., 10 h
  EXPECT_NE(Slurp(dir + "/out.txt").find("us per interval"), std::string::npos);
  EXPECT_EQ(RunCli(dir, "simulate '" + model + "' --scenario s.yaml --out run.csv --no-record --sensitivities kLa"), 2);
  std::ofstream(dir + "/bad.yaml") << "until: 10 h\ncontrol:\n  sample_time: 0.1 h\n  loops:\n    - {measurement: nope, setpoint: 1, output: F, pid: {kp: 1}}\n";
  EXPECT_EQ(RunCli(dir, "simulate '" + model + "' --scenario bad.yaml --out run.csv --no-record"), 3);
  EXPECT_NE(Slurp(dir + "/err.txt").find("bad.yaml:5: control.loops[0].measurement"), std::string::npos)
      << Slurp(dir + "/err.txt");
}

}  // namespace
}  // namespace biotwin
