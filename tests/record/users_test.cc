// Users, passwords, lockout and sessions.
#include "record_fixture.h"

namespace biotwin::record::testing {
namespace {

ErrorCode CodeOf(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.code();
  }
  ADD_FAILURE() << "no error thrown";
  return ErrorCode::kInvalidArgument;
}

TEST_F(RecordTest, SEC_03_PasswordsAreStoredAsArgon2idHashesOnly) {
  MakeUser("op1", Role::kOperator);
  std::string hash;
  {
    auto q = store_->db().Prepare("SELECT password_hash FROM app_user WHERE username='op1'");
    ASSERT_TRUE(q->Step());
    hash = q->ColumnText(0);
  }
  EXPECT_EQ(hash.rfind("$argon2id$", 0), 0u) << hash;
  EXPECT_EQ(hash.find(kPassword), std::string::npos);
  // The password never appears anywhere in the database file (SEC-17).
  store_.reset();
  if (IsPostgresUri(path_)) {  // the same suite on PostgreSQL (postgres_test.cc): no file to read
    EXPECT_EQ(RawInt(path_, std::string("SELECT COUNT(*) FROM app_user u, audit_log a WHERE "
                                        "u::text LIKE '%") + kPassword + "%' OR a::text LIKE '%" + kPassword + "%'"), 0);
  } else {
    EXPECT_EQ(ReadFile(path_).find(kPassword), std::string::npos);
  }
}

TEST_F(RecordTest, SEC_04_SameErrorForUnknownUserAndWrongPassword) {
  MakeUser("op1", Role::kOperator);
  std::string unknown, wrong;
  try { store_->users().Authenticate("nobody", kPassword); } catch (const Error& e) { unknown = e.what(); }
  try { store_->users().Authenticate("op1", "wrong password"); } catch (const Error& e) { wrong = e.what(); }
  EXPECT_FALSE(unknown.empty());
  EXPECT_EQ(unknown, wrong);
}

TEST_F(RecordTest, P11_17_SEC_04_LockoutAfterRepeatedFailuresIsAudited) {
  Principal admin = Admin();
  MakeUser("op1", Role::kOperator);
  int max = store_->options().max_failed_logins;
  for (int i = 0; i < max; ++i) {
    EXPECT_EQ(CodeOf([&] { store_->users().Authenticate("op1", "bad password"); }),
              ErrorCode::kAuthenticationFailed);
  }
  EXPECT_TRUE(store_->users().Find("op1")->locked);
  // Even the right password is now refused.
  EXPECT_EQ(CodeOf([&] { store_->users().Authenticate("op1", kPassword); }), ErrorCode::kAccountLocked);
  auto trail = store_->audit().Entries(admin, AuditQuery::OfType("user"));
  int failures = 0, locks = 0;
  for (const auto& e : trail) {
    failures += e.action == "login_failed";
    if (e.action == "lock") {
      ++locks;
      EXPECT_NE(e.reason.find("SECURITY ALERT"), std::string::npos);
    }
  }
  EXPECT_EQ(failures, max);
  EXPECT_EQ(locks, 1);
  store_->users().Unlock(admin, "op1", "identity confirmed by phone");
  EXPECT_NO_THROW(store_->users().Authenticate("op1", kPassword));
}

TEST_F(RecordTest, P11_14_UserIdsAreNeverReused) {
  Principal admin = Admin();
  auto first = store_->users().Create(admin, "jdoe", "John Doe", Role::kOperator, kPassword, "hired");
  store_->users().Deactivate(admin, "jdoe", "left the company");
  EXPECT_EQ(CodeOf([&] { store_->users().Create(admin, "jdoe", "Jane Doe", Role::kOperator, kPassword, "hired"); }),
            ErrorCode::kAlreadyExists);
  EXPECT_EQ(CodeOf([&] { store_->users().Authenticate("jdoe", kPassword); }), ErrorCode::kAuthenticationFailed);
  // Deleting a user row is refused by the store, and numeric IDs are not recycled.
  EXPECT_NE(RawExec(path_, "DELETE FROM app_user WHERE username='jdoe'"), "");
  auto second = store_->users().Create(admin, "jdoe2", "Jane Doe", Role::kOperator, kPassword, "hired");
  EXPECT_GT(second.id, first.id);
}

TEST_F(RecordTest, SEC_06_SessionTimesOutAfterInactivity) {
  MakeUser("op1", Role::kOperator);
  std::string token = store_->users().Login("op1", kPassword);
  EXPECT_EQ(store_->users().Resolve(token).username(), "op1");
  now_ += 599;
  EXPECT_NO_THROW(store_->users().Resolve(token));  // activity refreshes the idle timer
  now_ += 599;
  EXPECT_NO_THROW(store_->users().Resolve(token));
  now_ += 601;
  EXPECT_EQ(CodeOf([&] { store_->users().Resolve(token); }), ErrorCode::kSessionExpired);
  now_ += 1;
  EXPECT_EQ(CodeOf([&] { store_->users().Resolve(token); }), ErrorCode::kSessionExpired);
}

TEST_F(RecordTest, SEC_15_TokenIsUselessAfterLogoutAndNotStoredInClear) {
  MakeUser("op1", Role::kOperator);
  std::string token = store_->users().Login("op1", kPassword);
  EXPECT_EQ(RawInt(path_, "SELECT COUNT(*) FROM app_session WHERE token_hash = '" + token + "'"), 0);
  store_->users().Logout(token);
  EXPECT_EQ(CodeOf([&] { store_->users().Resolve(token); }), ErrorCode::kSessionExpired);
  EXPECT_EQ(CodeOf([&] { store_->users().Resolve("forged-token"); }), ErrorCode::kSessionExpired);
}

TEST_F(RecordTest, P11_16_AdminResetForcesPasswordChange) {
  Principal admin = Admin();
  MakeUser("op1", Role::kOperator);
  store_->users().ResetPassword(admin, "op1", "temporary pw 9", "forgot password");
  EXPECT_EQ(CodeOf([&] { store_->users().Authenticate("op1", "temporary pw 9"); }), ErrorCode::kIllegalState);
  store_->users().ChangePassword("op1", "temporary pw 9", "my own secret 7");
  EXPECT_NO_THROW(store_->users().Authenticate("op1", "my own secret 7"));
}

TEST_F(RecordTest, A11_08_AccountChangesAreAuditedWithReason) {
  Principal admin = Admin();
  store_->users().Create(admin, "qa1", "Quinn QA", Role::kQa, kPassword, "new QA reviewer");
  store_->users().Deactivate(admin, "qa1", "moved to other site");
  auto trail = store_->audit().Entries(admin, AuditQuery::OfType("user"));
  ASSERT_GE(trail.size(), 3u);
  const auto& create = trail[trail.size() - 2];
  EXPECT_EQ(create.action, "create");
  EXPECT_NE(create.new_value->find("role=qa"), std::string::npos);
  EXPECT_EQ(create.reason, "new QA reviewer");
  EXPECT_EQ(trail.back().field, "active");
  EXPECT_EQ(trail.back().reason, "moved to other site");
}

TEST_F(RecordTest, SEC_03_WeakPasswordAndBadUserIdRejected) {
  Principal admin = Admin();
  EXPECT_EQ(CodeOf([&] { store_->users().Create(admin, "x1", "X", Role::kOperator, "short", "r"); }),
            ErrorCode::kInvalidArgument);
  EXPECT_EQ(CodeOf([&] { store_->users().Create(admin, "bad name", "X", Role::kOperator, kPassword, "r"); }),
            ErrorCode::kInvalidArgument);
  EXPECT_EQ(CodeOf([&] { store_->users().Create(admin, "sys", "X", Role::kSystem, kPassword, "r"); }),
            ErrorCode::kInvalidArgument);
  EXPECT_EQ(CodeOf([&] { store_->users().Bootstrap("admin2", "Second", kPassword); }), ErrorCode::kPermissionDenied);
}

}  // namespace
}  // namespace biotwin::record::testing
