// Electronic signatures: manifestation, binding to content, copy detection, second person.
#include "record_fixture.h"

namespace biotwin::record::testing {
namespace {

class SignatureTest : public RecordTest {
 protected:
  void SetUp() override {
    RecordTest::SetUp();
    eng_ = MakeUser("eng1", Role::kEngineer, "Erin Engineer");
    eng2_ = MakeUser("eng2", Role::kEngineer, "Eli Engineer");
    op_ = MakeUser("op1", Role::kOperator, "Olga Operator");
    qa_ = MakeUser("qa1", Role::kQa, "Quinn Assurance");
    qp_ = MakeUser("qp1", Role::kQp, "Pat Qualified");
    batch_ = StartBatch(Principal::System("test"));
    id_ = std::to_string(batch_);
  }
  SignatureRecord Sign(const std::string& user, Meaning m, const std::string& pw = kPassword) {
    return store_->signatures().Sign(user, pw, "batch", id_, m);
  }
  ErrorCode CodeOf(const std::function<void()>& f) {
    try {
      f();
    } catch (const Error& e) {
      return e.code();
    }
    ADD_FAILURE() << "no error";
    return ErrorCode::kInvalidArgument;
  }
  Principal eng_ = Principal::System(), eng2_ = Principal::System(), op_ = Principal::System(),
            qa_ = Principal::System(), qp_ = Principal::System();
  int64_t batch_ = 0;
  std::string id_;
};

TEST_F(SignatureTest, P11_12_A11_09_ManifestationHasPrintedNameMeaningAndUtc) {
  auto s = Sign("op1", Meaning::kAuthored);
  EXPECT_EQ(s.printed_name, "Olga Operator");
  EXPECT_EQ(s.Manifestation(), "Olga Operator (op1) - authored - " + s.utc);
  EXPECT_EQ(s.utc.back(), 'Z');
  auto checks = store_->signatures().Check("batch", id_);
  ASSERT_EQ(checks.size(), 1u);
  EXPECT_EQ(checks[0].status, SignatureStatus::kValid);
  // Every rendering shows the three items: the HTML and JSON exports.
  auto [json, html] = ExportBatch(*store_, qa_, batch_, dir_ + "/out");
  std::string h = ReadFile(html), j = ReadFile(json);
  for (const std::string& needle : {std::string("Olga Operator"), std::string("authored"), s.utc}) {
    EXPECT_NE(h.find(needle), std::string::npos) << needle;
    EXPECT_NE(j.find(needle), std::string::npos) << needle;
  }
}

TEST_F(SignatureTest, P11_15_EverySigningNeedsIdAndPassword) {
  EXPECT_EQ(CodeOf([&] { Sign("op1", Meaning::kAuthored, "wrong password"); }), ErrorCode::kAuthenticationFailed);
  EXPECT_EQ(CodeOf([&] { Sign("op1", Meaning::kAuthored, ""); }), ErrorCode::kAuthenticationFailed);
  EXPECT_TRUE(store_->signatures().For("batch", id_).empty());
}

TEST_F(SignatureTest, P11_13_EditAfterSigningIsDetected) {
  Sign("op1", Meaning::kAuthored);
  store_->batches().AppendEvent(eng_, batch_, 5, "note", "late entry after signature");
  auto checks = store_->signatures().Check("batch", id_);
  EXPECT_EQ(checks[0].status, SignatureStatus::kRecordChanged);
  // A review on top of an invalidated signature is refused until the record is re-signed.
  EXPECT_EQ(CodeOf([&] { Sign("eng2", Meaning::kReviewed); }), ErrorCode::kIllegalState);
  // Direct database edits of the signed content are detected too.
  Sign("op1", Meaning::kAuthored);
  ASSERT_EQ(RawExec(path_, "UPDATE batch_input SET value='9.9' WHERE name='volume'"), "");
  for (const auto& c : store_->signatures().Check("batch", id_)) EXPECT_EQ(c.status, SignatureStatus::kRecordChanged);
}

TEST_F(SignatureTest, P11_13_CopiedSignatureIsDetected) {
  Sign("op1", Meaning::kAuthored);
  int64_t other = StartBatch(Principal::System("test"), "B-002");
  // Copy the signature row onto the other batch, even with that batch's current content hash.
  std::string other_hash = store_->signatures().ContentHash("batch", std::to_string(other));
  ASSERT_EQ(RawExec(path_, "INSERT INTO esignature(record_type, record_id, content_hash, user_id, username, "
                           "printed_name, meaning, utc, binding_hash, system_signature) SELECT record_type, '" +
                               std::to_string(other) + "', '" + other_hash + "', user_id, username, printed_name, "
                               "meaning, utc, binding_hash, system_signature FROM esignature WHERE record_id = '" + id_ + "'"),
            "");
  auto checks = store_->signatures().Check("batch", std::to_string(other));
  ASSERT_EQ(checks.size(), 1u);
  EXPECT_EQ(checks[0].status, SignatureStatus::kTampered);
  // Also with a recomputed binding hash: the store's Ed25519 signature over it no longer fits.
  auto sig = checks[0].signature;
  std::string forged = Sha256Hex(CanonicalSignature(sig));
  ASSERT_EQ(RawExec(path_, "UPDATE esignature SET binding_hash='" + forged + "' WHERE record_id='" +
                               std::to_string(other) + "'"), "");
  EXPECT_EQ(store_->signatures().Check("batch", std::to_string(other))[0].status, SignatureStatus::kTampered);
}

TEST_F(SignatureTest, P11_12_EditedManifestationIsDetected) {
  Sign("op1", Meaning::kAuthored);
  ASSERT_EQ(RawExec(path_, "UPDATE esignature SET printed_name='Someone Else'"), "");
  EXPECT_EQ(store_->signatures().Check("batch", id_)[0].status, SignatureStatus::kTampered);
  ASSERT_EQ(RawExec(path_, "UPDATE esignature SET printed_name='Olga Operator', meaning='approved'"), "");
  EXPECT_EQ(store_->signatures().Check("batch", id_)[0].status, SignatureStatus::kTampered);
}

TEST_F(SignatureTest, A11_03_P11_06_SecondPersonAndOrderAreEnforced) {
  // Order: review before authorship, approval before review, release before approval: refused.
  EXPECT_EQ(CodeOf([&] { Sign("eng2", Meaning::kReviewed); }), ErrorCode::kIllegalState);
  Sign("eng1", Meaning::kAuthored);
  EXPECT_EQ(CodeOf([&] { Sign("qa1", Meaning::kApproved); }), ErrorCode::kIllegalState);
  // The author cannot review their own record.
  EXPECT_EQ(CodeOf([&] { Sign("eng1", Meaning::kReviewed); }), ErrorCode::kSecondPersonRequired);
  Sign("eng2", Meaning::kReviewed);
  EXPECT_EQ(CodeOf([&] { Sign("qp1", Meaning::kReleased); }), ErrorCode::kIllegalState);
  Sign("qa1", Meaning::kApproved);
  Sign("qp1", Meaning::kReleased);
  auto checks = store_->signatures().Check("batch", id_);
  ASSERT_EQ(checks.size(), 4u);
  for (const auto& c : checks) EXPECT_EQ(c.status, SignatureStatus::kValid);
}

TEST_F(SignatureTest, A11_10_OnlyQpReleasesAndRolesLimitMeanings) {
  Sign("eng1", Meaning::kAuthored);
  Sign("eng2", Meaning::kReviewed);
  EXPECT_EQ(CodeOf([&] { Sign("op1", Meaning::kApproved); }), ErrorCode::kPermissionDenied);
  Sign("qa1", Meaning::kApproved);
  EXPECT_EQ(CodeOf([&] { Sign("qa1", Meaning::kReleased); }), ErrorCode::kPermissionDenied);
  EXPECT_EQ(CodeOf([&] { Sign("admin", Meaning::kReleased); }), ErrorCode::kPermissionDenied);
  Sign("qp1", Meaning::kReleased);
}

TEST_F(SignatureTest, P11_05_SigningIsAudited) {
  int64_t before = AuditCount();
  auto s = Sign("op1", Meaning::kAuthored);
  EXPECT_EQ(AuditCount(), before + 1);
  auto e = store_->audit().Entries(qa_).back();
  EXPECT_EQ(e.action, "sign");
  EXPECT_EQ(e.username, "op1");
  EXPECT_NE(e.new_value->find(s.binding_hash), std::string::npos);
}

}  // namespace
}  // namespace biotwin::record::testing
