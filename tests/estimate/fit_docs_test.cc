// docs/fit.md's worked example is run: the spec block ("# docs-fit-spec:") is written beside
// copies of the gas-oil model and data, the page's `biotwin fit` command is run, and every line
// of the page's printed output block must appear in what the command prints.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <sstream>

#include "fit_test_util.h"

namespace biotwin::estimate {
namespace {

using biotwin::testing::ReadText;
using biotwin::testing::SourcePath;

struct Block {
  std::string lang, text;
};

std::vector<Block> Blocks(const std::string& doc) {
  std::istringstream in(ReadText(doc));
  std::vector<Block> blocks;
  bool inside = false;
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("```", 0) == 0) {
      if (!inside) blocks.push_back({line.substr(3), ""});
      inside = !inside;
      continue;
    }
    if (inside) blocks.back().text += line + "\n";
  }
  return blocks;
}

std::vector<std::string> Tokens(std::string line) {
  for (char& c : line) {
    if (c == '[' || c == ']' || c == ',') c = ' ';
  }
  std::istringstream in(line);
  std::vector<std::string> out;
  for (std::string t; in >> t;) out.push_back(t);
  return out;
}

bool SameLine(const std::string& shown, const std::string& printed) {
  const auto a = Tokens(shown), b = Tokens(printed);
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char* ea = nullptr;
    char* eb = nullptr;
    const double va = std::strtod(a[i].c_str(), &ea), vb = std::strtod(b[i].c_str(), &eb);
    const bool na = *ea == '\0' && ea != a[i].c_str(), nb = *eb == '\0' && eb != b[i].c_str();
    if (na && nb) {
      if (std::fabs(va - vb) > 1e-4 * std::max(std::fabs(va), std::fabs(vb))) return false;
    } else if (a[i] != b[i]) {
      return false;
    }
  }
  return true;
}

TEST(FitDocs, WorkedExampleRunsAndPrintsWhatThePageShows) {
  const auto blocks = Blocks(SourcePath("docs/fit.md"));
  const Block* spec = nullptr;
  const Block* command = nullptr;
  const Block* output = nullptr;
  for (const auto& b : blocks) {
    if (b.lang == "yaml" && b.text.rfind("# docs-fit-spec:", 0) == 0) spec = &b;
    if (b.lang == "sh" && b.text.rfind("biotwin fit", 0) == 0) command = &b;
    if (b.lang == "text" && spec != nullptr && command != nullptr && output == nullptr) output = &b;
  }
  ASSERT_NE(spec, nullptr);
  ASSERT_NE(command, nullptr);
  ASSERT_NE(output, nullptr);
  const std::string dir = biotwin::testing::TempDir();
  namespace fs = std::filesystem;
  fs::copy_file(SourcePath("examples/benchmarks/gasoil/gasoil.yaml"), dir + "/gasoil.yaml");
  fs::copy_file(SourcePath("examples/benchmarks/gasoil/data.csv"), dir + "/data.csv");
  biotwin::testing::WriteText(dir + "/fit.yaml", spec->text);
  std::istringstream words(command->text);
  std::vector<std::string> args;
  std::string w;
  words >> w;  // "biotwin"
  while (words >> w) args.push_back(w);
  auto r = biotwin::testing::RunBiotwin(args, dir);
  ASSERT_EQ(r.code, 0) << r.err;
  // Every shown line must match a printed line token by token (numbers to 1e-4 relative, so
  // the last printed digit may differ between platforms).
  std::vector<std::string> printed;
  std::istringstream out(r.out);
  for (std::string line; std::getline(out, line);) printed.push_back(line);
  std::istringstream shown(output->text);
  int lines = 0;
  for (std::string line; std::getline(shown, line);) {
    if (line.empty()) continue;
    ++lines;
    bool found = false;
    for (const auto& p : printed) found = found || SameLine(line, p);
    EXPECT_TRUE(found) << "docs/fit.md shows a line the command does not print: " << line << "\nprinted:\n" << r.out;
  }
  EXPECT_EQ(lines, 4);
  EXPECT_TRUE(fs::exists(dir + "/FIT.html"));
}

}  // namespace
}  // namespace biotwin::estimate
