// The "NMPC on an estimated state" example of docs/control.md: the tank model of the NMPC example,
// the noise file and the scenario are written to a temporary folder and run with `biotwin
// simulate`. The table must carry the estimate (est:x); the EKF, started 0.3 g off, must pull the
// estimate onto the plant and the NMPC must bring the plant near its set-point.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "io/run_table.h"
#include "test_paths.h"

namespace biotwin {
namespace {

TEST(EstimatedNmpcDocs, TankExampleRunsWithTheCliAndRecordsTheEstimate) {
  ASSERT_TRUE(std::filesystem::exists(testing::CliPath())) << "build the biotwin target";
  std::ifstream in(testing::SourcePath("docs/control.md"));
  ASSERT_TRUE(in.good());
  const std::string dir = testing::TempDir() + "/estimated_nmpc_docs";
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
    for (const std::string tag : {"# docs-mpc-model: ", "# docs-mpc-est-noise: ", "# docs-mpc-est-scenario: "}) {
      if (line.rfind(tag, 0) == 0) {
        out.open(dir + "/" + line.substr(tag.size()));
        ++files;
      }
    }
    if (out.is_open()) out << line << "\n";
  }
  ASSERT_EQ(files, 3);
  const std::string cmd = "cd '" + dir + "' && '" + testing::CliPath() +
                          "' simulate tank.yaml --scenario tank_mpc_est.yaml --out run.csv --no-record --quiet >out.txt 2>err.txt";
  ASSERT_EQ(std::system(cmd.c_str()), 0) << std::ifstream(dir + "/err.txt").rdbuf();
  const io::RunTable t = io::ReadCsv(dir + "/run.csv");
  const int x = t.Find("x"), est = t.Find("est:x"), src = t.Find("mpc:source");
  ASSERT_GE(x, 0);
  ASSERT_GE(est, 0);
  ASSERT_GE(src, 0);
  EXPECT_EQ(t.columns[est].unit, "g");
  // The prior is 0.3 g above the empty tank (sigma 0.3 g); the first level reading (sd 0.01 g),
  // assimilated at t = 0, pulls the estimate onto the plant, and it stays there.
  for (size_t k = 0; k + 1 < t.time.size(); ++k) {
    EXPECT_NEAR(t.columns[est].values[k], t.columns[x].values[k], 0.03) << "t = " << t.time[k];
    EXPECT_EQ(t.columns[src].values[k], 0.0) << "t = " << t.time[k];
  }
  EXPECT_NEAR(t.columns[x].values.back(), 1.0, 0.1);
  // A bad estimator name fails as invalid input (exit 3) naming the file, line and field
  // (line 22: the file starts with the docs tag line).
  std::string text;
  {
    std::ifstream s(dir + "/tank_mpc_est.yaml");
    text.assign(std::istreambuf_iterator<char>(s), {});
  }
  text.replace(text.find("estimator: ekf"), 14, "estimator: kf");
  std::ofstream(dir + "/bad.yaml") << text;
  const std::string bad = "cd '" + dir + "' && '" + testing::CliPath() +
                          "' simulate tank.yaml --scenario bad.yaml --out bad.csv --no-record --quiet >out.txt 2>err.txt";
  const int rc = std::system(bad.c_str());
  EXPECT_EQ(WEXITSTATUS(rc), 3);
  std::string err;
  {
    std::ifstream e(dir + "/err.txt");
    err.assign(std::istreambuf_iterator<char>(e), {});
  }
  EXPECT_NE(err.find("bad.yaml:22: control.mpc.state.estimator"), std::string::npos) << err;
}

}  // namespace
}  // namespace biotwin
