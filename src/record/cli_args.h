// Small helpers shared by the record-layer CLI commands (apps/biotwin/cmd_audit.cc, cmd_batch.cc,
// cmd_user.cc, cmd_validate.cc): "--key value" parsing and password input that never appears on
// the command line (BIOTWIN_PASSWORD environment variable, else one line from stdin, no echo).
#ifndef BIOTWIN_RECORD_CLI_ARGS_H_
#define BIOTWIN_RECORD_CLI_ARGS_H_

#include <map>
#include <optional>
#include <memory>
#include <set>
#include <string>
#include <vector>

namespace biotwin::record {

class RecordStore;

struct CliArgs {
  std::map<std::string, std::string> values;  // "--db" -> "x.db"
  std::set<std::string> flags;                // "--csv"
  std::string error;                          // non-empty on a parse error

  std::optional<std::string> Get(const std::string& key) const {
    auto it = values.find(key);
    if (it == values.end()) return std::nullopt;
    return it->second;
  }
  bool Has(const std::string& flag) const { return flags.count(flag) > 0; }
};

// `with_value` lists options that take a value; `flag_names` options that do not.
CliArgs ParseCliArgs(const std::vector<std::string>& args, const std::set<std::string>& with_value,
                     const std::set<std::string>& flag_names = {});

// Reads a secret: from the environment variable `env` if set, else one line from stdin (echo off
// when stdin is a terminal, with `prompt` on stderr).
std::string ReadSecret(const std::string& env, const std::string& prompt);

// Opens an existing store for a command: a postgresql:// URI, or a SQLite file that must
// already exist (Error kIo "no database '...'" otherwise; never creates one by accident).
std::unique_ptr<RecordStore> OpenExistingStore(const std::string& db);

}  // namespace biotwin::record

#endif  // BIOTWIN_RECORD_CLI_ARGS_H_
