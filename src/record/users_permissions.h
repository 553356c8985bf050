// Roles, actions, the (role x action) permission matrix and the authenticated Principal.
// Every entry point of the record layer (API and CLI) calls RequirePermission() before it acts
// (Part 11 §11.10(d)(g), SEC-05). The matrix is data, listed in users_permissions.cc.
#ifndef BIOTWIN_RECORD_USERS_PERMISSIONS_H_
#define BIOTWIN_RECORD_USERS_PERMISSIONS_H_

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace biotwin::record {

enum class Role { kAdmin, kEngineer, kOperator, kQa, kQp, kSystem };
inline constexpr std::array<Role, 6> kAllRoles = {Role::kAdmin, Role::kEngineer, Role::kOperator,
                                                  Role::kQa,    Role::kQp,       Role::kSystem};

enum class Action {
  kUserManage,       // create / deactivate users, change roles, reset passwords
  kUserUnlock,       // unlock a locked account
  kAuditRead,        // read the audit trail
  kAuditVerify,      // run the integrity verifier
  kAuditCheckpoint,  // create and export signed checkpoints
  kBackup,           // take a verified backup of the store
  kBatchCreate,      // start a batch
  kBatchRecordData,  // append data, events, inputs to a batch
  kBatchEdit,        // correct a batch field after entry (with reason)
  kBatchFinish,      // finish a batch (completed / failed)
  kBatchExport,      // export JSON / HTML batch records
  kDeviationRecord,  // record a deviation
  kPhaseCommand,     // ISA-88 phase commands
  kRecipeAuthor,     // import / save a new master recipe version
  kHistorianWrite,   // ingest time series
  kHistorianRead,    // query time series
  kSignAuthored,     // e-signature meanings
  kSignReviewed,
  kSignApproved,
  kSignReleased,
};
inline constexpr int kActionCount = static_cast<int>(Action::kSignReleased) + 1;

const char* RoleName(Role role);  // "admin", "engineer", "operator", "qa", "qp", "system"
std::optional<Role> ParseRole(std::string_view name);
const char* ActionName(Action action);  // "user.manage", ...
bool IsAllowed(Role role, Action action);

// An authenticated actor. Only Users (after checking a password or a live session) and
// Principal::System() create one, so callers cannot make up a user name or a role.
class Principal {
 public:
  // The system itself (e.g. `biotwin simulate` recording a run). `component` is recorded as the
  // user name "system:<component>" so the trail stays attributable.
  static Principal System(std::string_view component = "");

  int64_t user_id() const { return user_id_; }
  const std::string& username() const { return username_; }
  const std::string& printed_name() const { return printed_name_; }
  Role role() const { return role_; }
  const std::string& session_id() const { return session_id_; }

 private:
  friend class Users;
  Principal(int64_t id, std::string username, std::string printed_name, Role role,
            std::string session_id)
      : user_id_(id), username_(std::move(username)), printed_name_(std::move(printed_name)),
        role_(role), session_id_(std::move(session_id)) {}
  int64_t user_id_;
  std::string username_;
  std::string printed_name_;
  Role role_;
  std::string session_id_;
};

// Throws Error(kPermissionDenied) naming the user, role and action when not allowed.
void RequirePermission(const Principal& who, Action action);

}  // namespace biotwin::record

#endif  // BIOTWIN_RECORD_USERS_PERMISSIONS_H_
