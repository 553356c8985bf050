// The worked example of docs/optimize.md: its model and problem blocks are written to a
// temporary folder and solved with the CLI; the printed problem size and objective line must be
// the ones the page shows.
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include "test_paths.h"

namespace biotwin {
namespace {

TEST(DynoptDocs, WorkedExampleRunsAndPrintsWhatThePageShows) {
  std::ifstream in(testing::SourcePath("docs/optimize.md"));
  ASSERT_TRUE(in.good());
  const std::string dir = testing::TempDir();
  std::string line, file, shown, problem;
  bool inside = false, output = false;
  int files = 0;
  std::ofstream out;
  while (std::getline(in, line)) {
    if (line.rfind("```", 0) == 0) {
      if (inside) {
        out.close();
        file.clear();
        output = false;
      }
      inside = !inside;
      continue;
    }
    if (!inside) continue;
    const std::string tags[] = {"# docs-optimize-model: ", "# docs-optimize-problem: "};
    for (const auto& tag : tags) {
      if (line.rfind(tag, 0) == 0) {
        file = line.substr(tag.size());
        out.open(dir + "/" + file);
        ++files;
        if (tag == tags[1]) problem = file;
      }
    }
    if (line.rfind("$ biotwin optimize", 0) == 0) output = true;
    if (!file.empty()) out << line << "\n";
    if (output) shown += line + "\n";
  }
  ASSERT_EQ(files, 2);
  ASSERT_FALSE(shown.empty());
  const std::string cmd = "cd " + dir + " && " + testing::CliPath() + " optimize " + problem +
                          " --out opt.json --report opt.html > log.txt 2>&1";
  ASSERT_EQ(std::system(cmd.c_str()), 0);
  std::ifstream log(dir + "/log.txt");
  std::stringstream ss;
  ss << log.rdbuf();
  const std::string printed = ss.str();
  // Lines that do not depend on the machine must match exactly.
  std::istringstream page(shown);
  int compared = 0;
  while (std::getline(page, line)) {
    const bool stable = line.rfind("objective (maximised)", 0) == 0 || line.find("variables") != std::string::npos ||
                        line.find(": solved — ") != std::string::npos;
    if (!stable) continue;
    ++compared;
    EXPECT_NE(printed.find(line), std::string::npos) << "the page shows '" << line << "' but the command printed:\n" << printed;
  }
  EXPECT_EQ(compared, 3);
}

}  // namespace
}  // namespace biotwin
