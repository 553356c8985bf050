#include "record/cli_args.h"
#include "record/error.h"
#include "record/record_store.h"
#include <filesystem>

#include <termios.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <iostream>

namespace biotwin::record {

CliArgs ParseCliArgs(const std::vector<std::string>& args, const std::set<std::string>& with_value,
                     const std::set<std::string>& flag_names) {
  CliArgs out;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (with_value.count(a)) {
      if (i + 1 >= args.size()) {
        out.error = "option " + a + " needs a value";
        return out;
      }
      out.values[a] = args[++i];
    } else if (flag_names.count(a)) {
      out.flags.insert(a);
    } else {
      out.error = "unknown argument '" + a + "'";
      return out;
    }
  }
  return out;
}

std::string ReadSecret(const std::string& env, const std::string& prompt) {
  if (const char* v = std::getenv(env.c_str())) return v;
  bool tty = ::isatty(STDIN_FILENO);
  termios old{};
  if (tty) {
    std::fprintf(stderr, "%s", prompt.c_str());
    tcgetattr(STDIN_FILENO, &old);
    termios quiet = old;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    tcsetattr(STDIN_FILENO, TCSANOW, &quiet);
  }
  std::string line;
  std::getline(std::cin, line);
  if (tty) {
    tcsetattr(STDIN_FILENO, TCSANOW, &old);
    std::fprintf(stderr, "\n");
  }
  return line;
}

std::unique_ptr<RecordStore> OpenExistingStore(const std::string& db) {
  if (!IsPostgresUri(db) && !std::filesystem::exists(db)) {
    throw Error(ErrorCode::kIo, "no database '" + db + "'");
  }
  StoreOptions o;
  o.sqlite.create_if_missing = false;
  return RecordStore::Open(db, o);
}

}  // namespace biotwin::record
