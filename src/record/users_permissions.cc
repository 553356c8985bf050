#include "record/users_permissions.h"

#include "record/error.h"

namespace biotwin::record {

namespace {

// The permission matrix. Separation of duties (DI-04): the administrator manages accounts and
// the integrity tooling but never creates or signs GMP data; the QP is the only releaser
// (Annex 11 §15); QA approves; the system actor records runs but never signs.
struct Grant {
  Action action;
  bool admin, engineer, op, qa, qp, system;
};
constexpr Grant kMatrix[] = {
    //                        admin  eng    oper   qa     qp     system
    {Action::kUserManage,      true,  false, false, false, false, false},
    {Action::kUserUnlock,      true,  false, false, false, false, false},
    {Action::kAuditRead,       true,  true,  false, true,  true,  true},
    {Action::kAuditVerify,     true,  false, false, true,  true,  true},
    {Action::kAuditCheckpoint, true,  false, false, false, false, true},
    {Action::kBackup,          true,  false, false, false, false, true},
    {Action::kBatchCreate,     false, true,  false, false, false, true},
    {Action::kBatchRecordData, false, true,  true,  false, false, true},
    {Action::kBatchEdit,       false, true,  false, false, false, false},
    {Action::kBatchFinish,     false, true,  true,  false, false, true},
    {Action::kBatchExport,     false, true,  false, true,  true,  true},
    {Action::kDeviationRecord, false, true,  true,  true,  false, true},
    {Action::kPhaseCommand,    false, true,  true,  false, false, true},
    {Action::kRecipeAuthor,    false, true,  false, false, false, false},
    {Action::kHistorianWrite,  false, true,  true,  false, false, true},
    {Action::kHistorianRead,   false, true,  true,  true,  true,  true},
    {Action::kSignAuthored,    false, true,  true,  false, false, false},
    {Action::kSignReviewed,    false, true,  false, true,  false, false},
    {Action::kSignApproved,    false, false, false, true,  false, false},
    {Action::kSignReleased,    false, false, false, false, true,  false},
};
static_assert(sizeof(kMatrix) / sizeof(kMatrix[0]) == kActionCount, "one row per action");

}  // namespace

const char* RoleName(Role role) {
  switch (role) {
    case Role::kAdmin: return "admin";
    case Role::kEngineer: return "engineer";
    case Role::kOperator: return "operator";
    case Role::kQa: return "qa";
    case Role::kQp: return "qp";
    case Role::kSystem: return "system";
  }
  return "?";
}

std::optional<Role> ParseRole(std::string_view name) {
  for (Role r : kAllRoles) {
    if (name == RoleName(r)) return r;
  }
  return std::nullopt;
}

const char* ActionName(Action action) {
  switch (action) {
    case Action::kUserManage: return "user.manage";
    case Action::kUserUnlock: return "user.unlock";
    case Action::kAuditRead: return "audit.read";
    case Action::kAuditVerify: return "audit.verify";
    case Action::kAuditCheckpoint: return "audit.checkpoint";
    case Action::kBackup: return "store.backup";
    case Action::kBatchCreate: return "batch.create";
    case Action::kBatchRecordData: return "batch.record_data";
    case Action::kBatchEdit: return "batch.edit";
    case Action::kBatchFinish: return "batch.finish";
    case Action::kBatchExport: return "batch.export";
    case Action::kDeviationRecord: return "deviation.record";
    case Action::kPhaseCommand: return "phase.command";
    case Action::kRecipeAuthor: return "recipe.author";
    case Action::kHistorianWrite: return "historian.write";
    case Action::kHistorianRead: return "historian.read";
    case Action::kSignAuthored: return "sign.authored";
    case Action::kSignReviewed: return "sign.reviewed";
    case Action::kSignApproved: return "sign.approved";
    case Action::kSignReleased: return "sign.released";
  }
  return "?";
}

bool IsAllowed(Role role, Action action) {
  for (const Grant& g : kMatrix) {
    if (g.action != action) continue;
    switch (role) {
      case Role::kAdmin: return g.admin;
      case Role::kEngineer: return g.engineer;
      case Role::kOperator: return g.op;
      case Role::kQa: return g.qa;
      case Role::kQp: return g.qp;
      case Role::kSystem: return g.system;
    }
  }
  return false;  // fail closed: unknown action
}

Principal Principal::System(std::string_view component) {
  std::string name = component.empty() ? "system" : "system:" + std::string(component);
  return Principal(0, name, "biotwin system", Role::kSystem, "");
}

void RequirePermission(const Principal& who, Action action) {
  if (!IsAllowed(who.role(), action)) {
    throw Error(ErrorCode::kPermissionDenied, "user '" + who.username() + "' (role " +
                                                  RoleName(who.role()) + ") may not perform " +
                                                  ActionName(action));
  }
}

}  // namespace biotwin::record
