// The (role x action) permission matrix (P11-07, SEC-05), enumerated pair by pair against an
// independent table written here, plus a check that real entry points enforce it.
#include <map>

#include "record/recipe.h"
#include "record_fixture.h"

namespace biotwin::record::testing {
namespace {

// Expected grants, written independently of users_permissions.cc: role -> allowed actions.
const std::map<Role, std::set<std::string>>& Expected() {
  static const std::map<Role, std::set<std::string>> m = {
      {Role::kAdmin, {"user.manage", "user.unlock", "audit.read", "audit.verify", "audit.checkpoint", "store.backup"}},
      {Role::kEngineer, {"audit.read", "batch.create", "batch.record_data", "batch.edit", "batch.finish",
                         "batch.export", "deviation.record", "phase.command", "historian.write",
                         "historian.read", "sign.authored", "sign.reviewed", "recipe.author"}},
      {Role::kOperator, {"batch.record_data", "batch.finish", "deviation.record", "phase.command",
                         "historian.write", "historian.read", "sign.authored"}},
      {Role::kQa, {"audit.read", "audit.verify", "batch.export", "deviation.record", "historian.read",
                   "sign.reviewed", "sign.approved"}},
      {Role::kQp, {"audit.read", "audit.verify", "batch.export", "historian.read", "sign.released"}},
      {Role::kSystem, {"audit.read", "audit.verify", "audit.checkpoint", "store.backup", "batch.create", "batch.record_data",
                       "batch.finish", "batch.export", "deviation.record", "phase.command",
                       "historian.write", "historian.read"}},
  };
  return m;
}

TEST(PermissionMatrix, P11_07_SEC_05_EveryRoleActionPairMatchesTheExpectedTable) {
  int pairs = 0;
  for (Role role : kAllRoles) {
    for (int a = 0; a < kActionCount; ++a) {
      Action action = static_cast<Action>(a);
      bool expected = Expected().at(role).count(ActionName(action)) > 0;
      EXPECT_EQ(IsAllowed(role, action), expected) << RoleName(role) << " x " << ActionName(action);
      ++pairs;
    }
  }
  EXPECT_EQ(pairs, 6 * 20);
  // Every action in the expected table exists (no typo hides a missing grant).
  std::set<std::string> names;
  for (int a = 0; a < kActionCount; ++a) names.insert(ActionName(static_cast<Action>(a)));
  for (const auto& [role, actions] : Expected()) {
    for (const auto& a : actions) EXPECT_TRUE(names.count(a)) << a;
  }
}

TEST(PermissionMatrix, A11_10_DI_04_SeparationOfDuties) {
  // Only the QP releases; the administrator never creates or signs GMP data.
  for (Role role : kAllRoles) {
    EXPECT_EQ(IsAllowed(role, Action::kSignReleased), role == Role::kQp) << RoleName(role);
  }
  for (Action a : {Action::kBatchCreate, Action::kBatchRecordData, Action::kBatchEdit, Action::kSignAuthored,
                   Action::kSignReviewed, Action::kSignApproved, Action::kSignReleased, Action::kHistorianWrite,
                   Action::kRecipeAuthor}) {
    EXPECT_FALSE(IsAllowed(Role::kAdmin, a)) << ActionName(a);
  }
  for (int a = 0; a < kActionCount; ++a) {
    std::string name = ActionName(static_cast<Action>(a));
    if (name.rfind("sign.", 0) == 0) {
      EXPECT_FALSE(IsAllowed(Role::kSystem, static_cast<Action>(a))) << name;
    }
  }
}

class EntryPointTest : public RecordTest {
 protected:
  // Calls the real entry point guarded by `action` as `who`; true if it was not refused for
  // permission reasons (other errors, e.g. illegal state, still mean the check passed).
  bool Permitted(const Principal& who, Action action, int64_t batch, int64_t phase);
  int backups_ = 0;
};

bool EntryPointTest::Permitted(const Principal& who, Action action, int64_t batch, int64_t phase) {
  RecordStore& s = *store_;
  EntryPointTest& t = *this;
  try {
    switch (action) {
      case Action::kUserManage: s.users().List(who); break;
      case Action::kUserUnlock: s.users().Unlock(who, "admin", "check"); break;
      case Action::kAuditRead: s.audit().Entries(who, AuditQuery::After(0)); break;
      case Action::kAuditVerify: RequirePermission(who, Action::kAuditVerify); break;  // CLI gate
      case Action::kAuditCheckpoint: s.audit().CreateCheckpoint(who); break;
      case Action::kBackup: s.audit().Backup(who, t.dir_ + "/backup-" + std::to_string(t.backups_++) + ".db"); break;
      case Action::kBatchCreate: t.StartBatch(who); break;
      case Action::kBatchRecordData: s.batches().AppendEvent(who, batch, 1, "note", "x"); break;
      case Action::kBatchEdit: s.batches().CorrectInput(who, batch, "volume", "2.5", "check"); break;
      case Action::kBatchFinish: s.batches().Finish(who, t.StartBatch(Principal::System()), BatchStatus::kCompleted, "ok"); break;
      case Action::kBatchExport: ExportBatch(s, who, batch, t.dir_ + "/export"); break;
      case Action::kDeviationRecord: s.batches().RecordDeviation(who, batch, "minor", "x", "check"); break;
      case Action::kPhaseCommand: s.phases().Command(who, phase, PhaseCommand::kStart, "check"); break;
      case Action::kRecipeAuthor:
        Recipes(s).Save(who,
                        "recipe: r\nprocedure:\n  name: p\n  unit_procedures:\n    - name: u\n      unit: br1\n"
                        "      operations:\n        - name: o\n          phases:\n            - {name: x, type: t}\n",
                        "check.yaml", "check");
        break;
      case Action::kHistorianWrite: {
        Sample row{"T", "degC", 1, 37, kQualityGood, "probe"};
        s.historian().Ingest(who, std::span<const Sample>(&row, 1));
        break;
      }
      case Action::kHistorianRead: s.historian().Range(who, "T", 0, 10); break;
      case Action::kSignAuthored:
      case Action::kSignReviewed:
      case Action::kSignApproved:
      case Action::kSignReleased: {
        Meaning m = action == Action::kSignAuthored   ? Meaning::kAuthored
                    : action == Action::kSignReviewed ? Meaning::kReviewed
                    : action == Action::kSignApproved ? Meaning::kApproved
                                                      : Meaning::kReleased;
        s.signatures().Sign(who.username(), kPassword, "batch", std::to_string(batch), m);
        break;
      }
    }
  } catch (const Error& e) {
    // The system actor has no password, so the signing entry points refuse it at authentication.
    return e.code() != ErrorCode::kPermissionDenied && e.code() != ErrorCode::kAuthenticationFailed;
  }
  return true;
}

TEST_F(EntryPointTest, P11_04_P11_07_EveryEntryPointEnforcesTheMatrixForEveryRole) {
  std::map<Role, Principal> who;
  who.emplace(Role::kAdmin, Admin());
  who.emplace(Role::kEngineer, MakeUser("eng1", Role::kEngineer));
  who.emplace(Role::kOperator, MakeUser("op1", Role::kOperator));
  who.emplace(Role::kQa, MakeUser("qa1", Role::kQa));
  who.emplace(Role::kQp, MakeUser("qp1", Role::kQp));
  who.emplace(Role::kSystem, Principal::System("test"));
  Principal sys = Principal::System("test");
  for (Role role : kAllRoles) {
    for (int a = 0; a < kActionCount; ++a) {
      Action action = static_cast<Action>(a);
      int64_t batch = StartBatch(sys);
      int64_t phase = store_->phases().Create(sys, batch, "P1", "setup");
      bool permitted = Permitted(who.at(role), action, batch, phase);
      EXPECT_EQ(permitted, IsAllowed(role, action)) << RoleName(role) << " x " << ActionName(action);
    }
  }
}

}  // namespace
}  // namespace biotwin::record::testing
