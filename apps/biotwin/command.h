// Subcommand registry for the biotwin CLI. Each subcommand lives in its own cmd_*.cc file and
// registers itself with BIOTWIN_REGISTER_COMMAND, so adding a command never touches main.cc.
#ifndef BIOTWIN_APPS_BIOTWIN_COMMAND_H_
#define BIOTWIN_APPS_BIOTWIN_COMMAND_H_

#include <string>
#include <vector>

namespace biotwin::cli {

// Exit codes shared by every subcommand (documented in docs/cli.md).
enum ExitCode : int {
  kExitOk = 0,
  kExitRunFailed = 1,    // the computation failed (solver failure, non-converged fit, ...)
  kExitUsage = 2,        // bad command line
  kExitInvalidInput = 3, // a model, scenario or data file is invalid (message names file:line)
  kExitIoError = 4,      // cannot read or write a file
  kExitVerifyFailed = 5, // an integrity check found a problem (audit verify, ...)
};

struct Command {
  std::string name;      // "simulate", or a two-word name such as "audit verify"
  std::string summary;   // one line for `biotwin --help`
  std::string usage;     // full usage text for `biotwin NAME --help`
  int (*run)(const std::vector<std::string>& args);  // args after the command name
};

std::vector<Command>& CommandRegistry();

struct CommandRegistrar {
  explicit CommandRegistrar(Command command) { CommandRegistry().push_back(std::move(command)); }
};

}  // namespace biotwin::cli

#define BIOTWIN_CONCAT_INNER(a, b) a##b
#define BIOTWIN_CONCAT(a, b) BIOTWIN_CONCAT_INNER(a, b)
#define BIOTWIN_REGISTER_COMMAND(...) \
  static ::biotwin::cli::CommandRegistrar BIOTWIN_CONCAT(biotwin_command_, __LINE__)(__VA_ARGS__)

#endif  // BIOTWIN_APPS_BIOTWIN_COMMAND_H_
