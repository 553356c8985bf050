// Running the biotwin binary and reading its CSVs, for the state-estimation CLI tests.
#ifndef BIOTWIN_TESTS_ESTIMATE_STATE_CLI_SUPPORT_H_
#define BIOTWIN_TESTS_ESTIMATE_STATE_CLI_SUPPORT_H_

#include <gtest/gtest.h>

#include <sys/wait.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "test_paths.h"

namespace biotwin::estimate::cli_support {

struct CliRun {
  int code = -1;
  std::string out, err;
};

inline std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

inline std::string Quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

struct Table {
  std::vector<std::string> header;
  std::vector<std::vector<double>> rows;
  int Column(const std::string& h) const {
    for (size_t i = 0; i < header.size(); ++i) {
      if (header[i] == h) return static_cast<int>(i);
    }
    return -1;
  }
};

inline Table ReadTable(const std::string& path) {
  Table t;
  std::istringstream in(ReadFile(path));
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::vector<std::string> cells;
    std::stringstream ls(line);
    for (std::string c; std::getline(ls, c, ',');) cells.push_back(c);
    if (t.header.empty()) {
      t.header = cells;
      continue;
    }
    std::vector<double> row;
    for (const auto& c : cells) row.push_back(c.empty() ? NAN : std::stod(c));
    t.rows.push_back(row);
  }
  return t;
}

// RMSE of column h of `est` against `truth` at the estimate's times (truth on a finer grid that
// contains them).
inline double Rmse(const Table& est, const Table& truth, const std::string& h) {
  const int ce = est.Column(h), ct = truth.Column(h);
  EXPECT_GE(ce, 0) << h;
  EXPECT_GE(ct, 0) << h;
  double ss = 0;
  size_t j = 0, n = 0;
  for (const auto& row : est.rows) {
    while (j < truth.rows.size() && truth.rows[j][0] < row[0] - 1e-9) ++j;
    if (j == truth.rows.size() || std::fabs(truth.rows[j][0] - row[0]) > 1e-9) {
      ADD_FAILURE() << "truth has no row at t = " << row[0];
      return NAN;
    }
    ss += std::pow(row[ce] - truth.rows[j][ct], 2);
    ++n;
  }
  return std::sqrt(ss / n);
}

class CliFixture : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = testing::TempDir(); }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  CliRun Run(const std::vector<std::string>& args) {
    std::string cmd = "cd " + Quote(dir_) + " && " + Quote(testing::CliPath());
    for (const auto& a : args) cmd += " " + Quote(a);
    cmd += " >" + Quote(Path("stdout.txt")) + " 2>" + Quote(Path("stderr.txt")) + " </dev/null";
    CliRun r;
    const int status = std::system(cmd.c_str());
    r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    r.out = ReadFile(Path("stdout.txt"));
    r.err = ReadFile(Path("stderr.txt"));
    return r;
  }
  std::string Path(const std::string& name) const { return dir_ + "/" + name; }
  std::string Write(const std::string& name, const std::string& text) {
    std::ofstream(Path(name)) << text;
    return Path(name);
  }
  static std::string Ecoli() { return testing::SourcePath("models/ecoli_anane2017.yaml"); }
  static std::string Scenario() { return testing::SourcePath("examples/ecoli_fedbatch/scenario.yaml"); }
  static std::string Example(const std::string& f) { return testing::SourcePath("examples/ecoli_estimation/" + f); }

  std::string dir_;
};

}  // namespace biotwin::estimate::cli_support

#endif  // BIOTWIN_TESTS_ESTIMATE_STATE_CLI_SUPPORT_H_
