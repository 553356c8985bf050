// User accounts, passwords (Argon2id), lockout and sessions (Part 11 §11.10(d), §11.300,
// Annex 11 §12, SEC-03/04/06). User IDs are never reused: accounts are deactivated, never deleted,
// and a user name once taken stays taken. Every account change is audited with a reason.
#ifndef BIOTWIN_RECORD_USERS_H_
#define BIOTWIN_RECORD_USERS_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "record/users_permissions.h"

namespace biotwin::record {

class RecordStore;

struct UserInfo {
  int64_t id = 0;
  std::string username;
  std::string printed_name;
  Role role = Role::kOperator;
  bool active = true;
  bool locked = false;
  bool must_change_password = false;
  int failed_logins = 0;
  std::string created_utc;
};

// The same text for an unknown user and a wrong password (no authenticator feedback, SEC-04).
inline constexpr const char* kBadCredentials = "invalid user ID or password";

class Users {
 public:
  explicit Users(RecordStore& store) : store_(store) {}

  // Creates the first administrator of a store that has no users yet (audited as the system).
  UserInfo Bootstrap(std::string_view username, std::string_view printed_name,
                     std::string_view password);
  UserInfo Create(const Principal& admin, std::string_view username, std::string_view printed_name,
                  Role role, std::string_view password, std::string_view reason);
  void Deactivate(const Principal& admin, std::string_view username, std::string_view reason);
  void Unlock(const Principal& admin, std::string_view username, std::string_view reason);
  // Sets a temporary password; the user must change it before the next login (P11-16).
  void ResetPassword(const Principal& admin, std::string_view username,
                     std::string_view new_password, std::string_view reason);
  void ChangePassword(std::string_view username, std::string_view old_password,
                      std::string_view new_password);

  // Checks both components (ID + password). Failures are counted and audited; reaching
  // max_failed_logins locks the account and audits a security alert. Throws
  // kAuthenticationFailed, kAccountLocked, or kIllegalState when a password change is due.
  Principal Authenticate(std::string_view username, std::string_view password);
  // Authenticate + open a session; returns the session token (only its hash is stored).
  std::string Login(std::string_view username, std::string_view password);
  // The principal of a live session; refreshes its idle timer. Throws kSessionExpired.
  Principal Resolve(const std::string& token);
  void Logout(const std::string& token);

  std::optional<UserInfo> Find(std::string_view username);
  std::vector<UserInfo> List(const Principal& who);
  bool Empty();

 private:
  UserInfo MustFind(std::string_view username);
  RecordStore& store_;
};

}  // namespace biotwin::record

#endif  // BIOTWIN_RECORD_USERS_H_
