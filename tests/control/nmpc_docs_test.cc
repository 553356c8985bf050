// The NMPC example of docs/control.md: its model and scenario blocks are written to a temporary
// folder and run with `biotwin simulate`; the table must have the mpc columns, the plant (which
// differs from the NMPC's model) must settle near the set-point without crossing the constraint.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "io/run_table.h"
#include "test_paths.h"

namespace biotwin {
namespace {

TEST(NmpcDocs, TankExampleRunsWithTheCliAndRecordsTheNmpc) {
  ASSERT_TRUE(std::filesystem::exists(testing::CliPath())) << "build the biotwin target";
  std::ifstream in(testing::SourcePath("docs/control.md"));
  ASSERT_TRUE(in.good());
  const std::string dir = testing::TempDir() + "/nmpc_docs";
  std::filesystem::create_directories(dir);
  std::string line;
  std::ofstream out;
  int files = 0;
  bool inside = false;
  while (std::getline(in, line)) {
    if (line.rfind("```", 0) == 0) {
      if (inside && out.is_open()) out.close();
      inside = !inside;
      continue;
    }
    if (!inside) continue;
    for (const std::string tag : {"# docs-mpc-model: ", "# docs-mpc-scenario: "}) {
      if (line.rfind(tag, 0) == 0) {
        out.open(dir + "/" + line.substr(tag.size()));
        ++files;
      }
    }
    if (out.is_open()) out << line << "\n";
  }
  ASSERT_EQ(files, 2);
  const std::string cmd = "cd '" + dir + "' && '" + testing::CliPath() +
                          "' simulate tank.yaml --scenario tank_mpc.yaml --out run.csv --no-record --quiet >out.txt 2>err.txt";
  ASSERT_EQ(std::system(cmd.c_str()), 0) << std::ifstream(dir + "/err.txt").rdbuf();
  const io::RunTable t = io::ReadCsv(dir + "/run.csv");
  const int x = t.Find("x"), src = t.Find("mpc:source"), wall = t.Find("mpc:solve_time"), it = t.Find("mpc:iterations");
  ASSERT_GE(x, 0);
  ASSERT_GE(src, 0);
  ASSERT_GE(wall, 0);
  ASSERT_GE(it, 0);
  ASSERT_GE(t.Find("mpc:cpu_time"), 0);
  ASSERT_GE(t.Find("mpc:objective"), 0);
  EXPECT_EQ(t.columns[wall].unit, "ms");
  for (size_t k = 0; k + 1 < t.time.size(); ++k) {
    EXPECT_EQ(t.columns[src].values[k], 0.0) << "t = " << t.time[k];
    EXPECT_GT(t.columns[it].values[k], 0.0);
    EXPECT_LE(t.columns[x].values[k], 1.05 + 1e-3) << "t = " << t.time[k];
  }
  // The plant loses content faster (k = 0.6 1/h) than the model assumes (0.5 1/h); the NMPC
  // acts on the measured state each 0.1 h, so the offset stays small.
  EXPECT_NEAR(t.columns[x].values.back(), 1.0, 0.08);
}

}  // namespace
}  // namespace biotwin
