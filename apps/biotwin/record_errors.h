// One mapping from record-layer errors to CLI exit codes (docs/cli.md), used by every record
// command so that the same failure always ends with the same code:
//   3 invalid input  - malformed argument, missing reason, nothing with that name/number
//   4 I/O            - a file could not be read or written
//   5 verify failed  - stored data does not verify
//   1 refused/failed - authentication, permission, lockout, state, four-eyes, storage, crypto
#ifndef BIOTWIN_APPS_BIOTWIN_RECORD_ERRORS_H_
#define BIOTWIN_APPS_BIOTWIN_RECORD_ERRORS_H_

#include <cstdio>

#include "command.h"
#include "record/error.h"

namespace biotwin::cli {

inline int ExitCodeFor(const record::Error& e) {
  switch (e.code()) {
    case record::ErrorCode::kInvalidArgument:
    case record::ErrorCode::kReasonRequired:
    case record::ErrorCode::kNotFound:
      return kExitInvalidInput;
    case record::ErrorCode::kIo:
      return kExitIoError;
    case record::ErrorCode::kIntegrity:
      return kExitVerifyFailed;
    default:
      return kExitRunFailed;
  }
}

// Prints "CMD: message" on stderr and returns the exit code for `e`.
inline int ReportRecordError(const char* command, const record::Error& e) {
  std::fprintf(stderr, "%s: %s\n", command, e.what());
  return ExitCodeFor(e);
}

}  // namespace biotwin::cli

#endif  // BIOTWIN_APPS_BIOTWIN_RECORD_ERRORS_H_
