// Running the real `biotwin` binary from tests: a fixture with a private working directory (so
// the default record store ./biotwin.db is the test's own), and a small CSV reader for its output.
#ifndef BIOTWIN_TESTS_CLI_CLI_FIXTURE_H_
#define BIOTWIN_TESTS_CLI_CLI_FIXTURE_H_

#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "test_paths.h"

namespace biotwin::cli_testing {

namespace fs = std::filesystem;
namespace testing = ::biotwin::testing;

struct CliResult {
  int code = -1;
  std::string out, err;
};

inline std::string Quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) {
    if (c == '\'') {
      q.append("'\\''");
    } else {
      q.push_back(c);
    }
  }
  q.push_back('\'');
  return q;
}

inline std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class Cli : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing::TempDir();
    ASSERT_TRUE(fs::exists(testing::CliPath()))
        << "build the biotwin target: " << testing::CliPath();
  }
  void TearDown() override { fs::remove_all(dir_); }

  CliResult Run(const std::vector<std::string>& args) {
    // Runs inside the test's own directory, so the default record store (./biotwin.db) is
    // private to the test.
    std::string cmd = "cd " + Quote(dir_) + " && " + Quote(testing::CliPath());
    for (const auto& a : args) cmd.append(" ").append(Quote(a));
    const std::string out = dir_ + "/stdout.txt", err = dir_ + "/stderr.txt";
    cmd.append(" >").append(Quote(out)).append(" 2>").append(Quote(err)).append(" </dev/null");
    CliResult r;
    const int status = std::system(cmd.c_str());
    r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    r.out = ReadFile(out);
    r.err = ReadFile(err);
    return r;
  }
  std::string Path(const std::string& name) const { return dir_ + "/" + name; }
  std::string Write(const std::string& name, const std::string& text) {
    std::ofstream(Path(name)) << text;
    return Path(name);
  }

  std::string dir_;
};

inline std::string Ecoli() { return testing::SourcePath("models/ecoli_anane2017.yaml"); }

// CSV as header cells + numeric rows.
struct Csv {
  std::vector<std::string> header;
  std::vector<std::vector<double>> rows;
  int Column(const std::string& name) const {
    for (size_t i = 0; i < header.size(); ++i) {
      if (header[i].rfind(name + " [", 0) == 0) return static_cast<int>(i);
    }
    return -1;
  }
};

inline Csv ParseCsv(const std::string& text) {
  Csv csv;
  std::stringstream in(text);
  std::string line;
  std::getline(in, line);
  std::stringstream hs(line);
  for (std::string c; std::getline(hs, c, ',');) csv.header.push_back(c);
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    std::vector<double> row;
    std::stringstream ls(line);
    for (std::string c; std::getline(ls, c, ',');) row.push_back(std::strtod(c.c_str(), nullptr));
    csv.rows.push_back(std::move(row));
  }
  return csv;
}

}  // namespace biotwin::cli_testing

#endif  // BIOTWIN_TESTS_CLI_CLI_FIXTURE_H_
