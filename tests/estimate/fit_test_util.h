// Helpers for the fit tests: run the real biotwin binary, read files, write small CSVs.
#ifndef BIOTWIN_TESTS_ESTIMATE_FIT_TEST_UTIL_H_
#define BIOTWIN_TESTS_ESTIMATE_FIT_TEST_UTIL_H_

#include <sys/wait.h>

#include <cmath>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "test_paths.h"

namespace biotwin::testing {

struct FitCliResult {
  int code = -1;
  std::string out, err;
};

inline std::string ReadText(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

inline void WriteText(const std::string& path, const std::string& text) {
  std::ofstream(path) << text;
}

inline std::string ShellQuote(const std::string& s) {
  std::string q = "'";
  for (char c : s) {
    if (c == '\'') q.append("'\\''");
    else q.push_back(c);
  }
  return q + "'";
}

// Runs `biotwin ARGS` in `dir` and captures exit code, stdout and stderr.
inline FitCliResult RunBiotwin(const std::vector<std::string>& args, const std::string& dir) {
  std::string cmd = "cd " + ShellQuote(dir) + " && " + ShellQuote(CliPath());
  for (const auto& a : args) cmd += " " + ShellQuote(a);
  cmd += " >" + ShellQuote(dir + "/stdout.txt") + " 2>" + ShellQuote(dir + "/stderr.txt");
  const int status = std::system(cmd.c_str());
  FitCliResult r;
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.out = ReadText(dir + "/stdout.txt");
  r.err = ReadText(dir + "/stderr.txt");
  return r;
}

// |a - b| small enough that both round to the same `digits` significant digits (tolerance of
// half a unit in the last kept digit of the reference).
inline bool AgreeToDigits(double value, double reference, int digits) {
  const double unit = std::pow(10.0, std::floor(std::log10(std::fabs(reference))) - (digits - 1));
  return std::fabs(value - reference) <= 0.5 * unit;
}

}  // namespace biotwin::testing

#endif  // BIOTWIN_TESTS_ESTIMATE_FIT_TEST_UTIL_H_
