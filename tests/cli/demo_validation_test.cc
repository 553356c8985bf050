// `make demo` runs scripts/demo: the README's first command must keep working end to end (twin,
// controlled plant, estimator, audit verification, batch record export).
#include <gtest/gtest.h>

#include <cstdio>
#include <string>

#include "cli_fixture.h"
#include "test_paths.h"

namespace biotwin::cli {
namespace {

using cli_testing::Quote;
using cli_testing::ReadFile;
namespace fs = std::filesystem;

TEST(Demo, WritesEveryResultAndAVerifiedRecord) {
  const std::string dir = testing::TempDir() + "/demo";
  const std::string log = testing::TempDir() + "/demo.log";
  const std::string cmd = "cd " + Quote(testing::SourcePath("")) + " && bash scripts/demo " +
                          Quote(testing::CliPath()) + " " + Quote(dir) + " >" + Quote(log) + " 2>&1";
  ASSERT_EQ(std::system(cmd.c_str()), 0) << ReadFile(log);
  for (const char* f : {"ecoli_fedbatch.csv", "ecoli_fedbatch.html", "ecoli_fedbatch.json", "indpensim.csv",
                        "indpensim.html", "indpensim_nmpc.csv", "indpensim_nmpc.html", "ecoli_estimate.csv", "biotwin.db", "batch/batch-1.html",
                        "batch/batch-1.json"}) {
    EXPECT_TRUE(fs::exists(dir + "/" + f)) << f << "\n" << ReadFile(log);
  }
  EXPECT_NE(ReadFile(log).find("audit trail OK"), std::string::npos) << ReadFile(log);
  // The NMPC line compares total penicillin of the two IndPenSim runs (nominal batch: the
  // NMPC's feed makes more than the recipe's table, docs/indpensim.md).
  double nmpc_kg = 0, recipe_kg = 0;
  const std::string text = ReadFile(log);
  const size_t at = text.find("IndPenSim with NMPC of the sugar feed: P_total ");
  ASSERT_NE(at, std::string::npos) << text;
  ASSERT_EQ(std::sscanf(text.c_str() + at, "IndPenSim with NMPC of the sugar feed: P_total %lf kg vs %lf kg",
                        &nmpc_kg, &recipe_kg), 2) << text.substr(at, 200);
  EXPECT_GT(recipe_kg, 3000.0);
  EXPECT_GT(nmpc_kg, 1.05 * recipe_kg);
  fs::remove_all(dir);
}

}  // namespace
}  // namespace biotwin::cli
