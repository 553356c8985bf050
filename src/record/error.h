// Typed, explained errors of the record layer. Every failure that refuses a GMP action throws
// Error with a code the caller can branch on and a message a person can act on. Operations are
// transactional: when an Error escapes, nothing of the operation (data or audit) was committed.
#ifndef BIOTWIN_RECORD_ERROR_H_
#define BIOTWIN_RECORD_ERROR_H_

#include <stdexcept>
#include <string>

namespace biotwin::record {

enum class ErrorCode {
  kInvalidArgument,       // malformed input (empty name, unknown enum text, ...)
  kReasonRequired,        // a GMP change without a reason (Annex 11 §9)
  kPermissionDenied,      // the role may not perform the action (Part 11 §11.10(g))
  kAuthenticationFailed,  // wrong user ID or password (same text for both, SEC-04)
  kAccountLocked,         // too many failures, or deactivated
  kSessionExpired,        // idle timeout or logged out
  kNotFound,              // no such batch / user / phase / ...
  kAlreadyExists,         // user ID taken (IDs are never reused)
  kIllegalState,          // command not legal in the current state (Part 11 §11.10(f))
  kSecondPersonRequired,  // four-eyes rule violated
  kStorage,               // the database refused or failed (fail closed)
  kIo,                    // a file could not be read or written
  kIntegrity,             // stored data does not verify
  kCrypto,                // key missing or a libsodium call failed
};

const char* ErrorCodeName(ErrorCode code);

class Error : public std::runtime_error {
 public:
  Error(ErrorCode code, const std::string& message)
      : std::runtime_error(std::string(ErrorCodeName(code)) + ": " + message), code_(code) {}
  ErrorCode code() const { return code_; }

 private:
  ErrorCode code_;
};

}  // namespace biotwin::record

#endif  // BIOTWIN_RECORD_ERROR_H_
