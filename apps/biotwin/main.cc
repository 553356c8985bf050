// biotwin command-line entry point: dispatches to the registered subcommands.
#include <algorithm>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "command.h"

namespace biotwin::cli {

std::vector<Command>& CommandRegistry() {
  static std::vector<Command> registry;
  return registry;
}

namespace {

void PrintHelp() {
  std::printf("biotwin - model-driven bioprocess engine\n\nUsage: biotwin COMMAND [OPTIONS]\n\nCommands:\n");
  auto commands = CommandRegistry();
  std::sort(commands.begin(), commands.end(),
            [](const Command& a, const Command& b) { return a.name < b.name; });
  for (const auto& c : commands) std::printf("  %-18s %s\n", c.name.c_str(), c.summary.c_str());
  std::printf("\nRun 'biotwin COMMAND --help' for a command's options.\n");
}

}  // namespace
}  // namespace biotwin::cli

int main(int argc, char** argv) {
  using namespace biotwin::cli;
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty() || args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
    PrintHelp();
    return args.empty() ? kExitUsage : kExitOk;
  }
  if (args[0] == "--version") {
    std::printf("biotwin 0.1.0\n");
    return kExitOk;
  }
  // Longest match first so that two-word commands ("audit verify") win over one-word ones.
  const Command* best = nullptr;
  size_t best_words = 0;
  for (const auto& c : CommandRegistry()) {
    std::vector<std::string> words;
    size_t start = 0;
    while (start <= c.name.size()) {
      size_t space = c.name.find(' ', start);
      if (space == std::string::npos) space = c.name.size();
      words.push_back(c.name.substr(start, space - start));
      start = space + 1;
    }
    if (words.size() > args.size() || words.size() <= best_words) continue;
    if (std::equal(words.begin(), words.end(), args.begin())) {
      best = &c;
      best_words = words.size();
    }
  }
  if (best == nullptr) {
    std::fprintf(stderr, "biotwin: unknown command '%s' (see 'biotwin --help')\n", args[0].c_str());
    return kExitUsage;
  }
  std::vector<std::string> rest(args.begin() + best_words, args.end());
  if (!rest.empty() && (rest[0] == "--help" || rest[0] == "-h")) {
    std::printf("%s\n", best->usage.c_str());
    return kExitOk;
  }
  return best->run(rest);
}
