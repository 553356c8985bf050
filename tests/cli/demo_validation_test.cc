// `make demo` runs scripts/demo: the README's first command must keep working end to end (twin,
// controlled plant, estimator, audit verification, batch record export).
#include <gtest/gtest.h>

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
                        "indpensim.html", "ecoli_estimate.csv", "biotwin.db", "batch/batch-1.html",
                        "batch/batch-1.json"}) {
    EXPECT_TRUE(fs::exists(dir + "/" + f)) << f << "\n" << ReadFile(log);
  }
  EXPECT_NE(ReadFile(log).find("audit trail OK"), std::string::npos) << ReadFile(log);
  fs::remove_all(dir);
}

}  // namespace
}  // namespace biotwin::cli
