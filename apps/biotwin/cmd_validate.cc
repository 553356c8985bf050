// biotwin validate trace: requirements traceability matrix from test names (GAMP-01).
#include <cstdio>
#include <filesystem>

#include "command.h"
#include "record/cli_args.h"
#include "record/trace.h"

namespace biotwin::cli {
namespace {

namespace rec = biotwin::record;

int Trace(const std::vector<std::string>& args) {
  auto a = rec::ParseCliArgs(args, {"--tests", "--standards"}, {"--csv", "--fail-on-uncovered"});
  if (!a.error.empty()) {
    std::fprintf(stderr, "validate trace: %s\n", a.error.c_str());
    return kExitUsage;
  }
  std::string tests = a.Get("--tests").value_or("tests");
  if (!std::filesystem::is_directory(tests)) {
    std::fprintf(stderr, "validate trace: no test directory '%s' (use --tests DIR)\n", tests.c_str());
    return kExitIoError;
  }
  try {
    auto matrix = rec::BuildTraceMatrix(tests);
    std::set<std::string> defined;
    if (auto std_file = a.Get("--standards")) defined = rec::RequirementIdsInDocument(*std_file);
    bool csv = a.Has("--csv");
    if (csv) std::printf("requirement,test\n");
    for (const auto& [id, names] : matrix) {
      if (csv) {
        for (const auto& n : names) std::printf("%s,%s\n", id.c_str(), n.c_str());
        continue;
      }
      std::printf("%-8s %zu test(s)%s\n", id.c_str(), names.size(),
                  !defined.empty() && !defined.count(id) ? "  [not defined in the standards document]" : "");
      for (const auto& n : names) std::printf("         %s\n", n.c_str());
    }
    size_t uncovered = 0;
    if (!defined.empty()) {
      std::string list;
      for (const auto& id : defined) {
        if (!matrix.count(id)) {
          ++uncovered;
          list += " " + id;
        }
      }
      std::fprintf(csv ? stderr : stdout, "\n%zu of %zu defined requirements covered; uncovered:%s\n",
                   defined.size() - uncovered, defined.size(), list.c_str());
    }
    return a.Has("--fail-on-uncovered") && uncovered > 0 ? kExitVerifyFailed : kExitOk;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "validate trace: %s\n", e.what());
    return kExitIoError;
  }
}

BIOTWIN_REGISTER_COMMAND(Command{
    "validate trace", "print the requirement -> test traceability matrix",
    "biotwin validate trace [--tests DIR] [--standards FILE] [--csv] [--fail-on-uncovered]\n"
    "  Scans TEST/TEST_F/TEST_P names under DIR (default: tests) for requirement IDs written with\n"
    "  '_' for '-' (P11_05 -> P11-05). With --standards, also lists requirements without a test.",
    Trace});

}  // namespace
}  // namespace biotwin::cli
