// Electronic batch record: the simulate-facing API, immutability after finish, exports.
#include <nlohmann/json.hpp>

#include "record_fixture.h"

namespace biotwin::record::testing {
namespace {

class BatchTest : public RecordTest {
 protected:
  Principal sys_ = Principal::System("simulate");
};

TEST_F(BatchTest, S88_05_SimulateStyleRunIsRecordedCompletely) {
  int64_t b = StartBatch(sys_, "run-1");
  std::vector<double> t = {0, 3600, 7200}, x = {0.3, 0.6, 1.2};
  store_->batches().AppendSeries(sys_, b, "X", "g/L", t, x);
  store_->batches().AppendEvent(sys_, b, 3600, "feed", "bolus 50 mL");
  std::vector<Sample> rows = {{"S", "g/L", 0, 20, kQualityGood, "simulation"},
                              {"P", "g/L", 0, 0.1, kQualityGood, "simulation"},
                              {"S", "g/L", 3600, 18, kQualityGood, "simulation"}};
  int64_t audit_before = AuditCount();
  store_->batches().AppendSamples(sys_, b, rows);  // several tags, one transaction
  EXPECT_EQ(AuditCount(), audit_before + 1);
  EXPECT_EQ(store_->historian().BatchSeries(b, "S").size(), 2u);
  store_->batches().Finish(sys_, b, BatchStatus::kCompleted, "reached end time");
  BatchRecord r = store_->batches().Load(b);
  EXPECT_EQ(r.header.name, "run-1");
  EXPECT_EQ(r.header.status, BatchStatus::kCompleted);
  EXPECT_EQ(r.header.status_message, "reached end time");
  EXPECT_EQ(r.header.created_by, "system:simulate");
  EXPECT_EQ(r.header.model_version, "1.0.0");
  EXPECT_EQ(r.header.recipe_hash, Sha256Hex(r.header.recipe_snapshot));
  ASSERT_TRUE(r.header.finished_utc);
  ASSERT_EQ(r.events.size(), 1u);
  EXPECT_EQ(r.events[0].kind, "feed");
  auto series = store_->historian().BatchSeries(b, "X");
  ASSERT_EQ(series.size(), 3u);
  EXPECT_EQ(series[2].value, 1.2);
  EXPECT_TRUE(VerifyAuditTrail(store_->db()).ok);
}

TEST_F(BatchTest, S88_03_RecipeSnapshotIsFrozenAndFinishedBatchTakesNoData) {
  int64_t b = StartBatch(sys_);
  std::string hash = store_->batches().Load(b).header.recipe_hash;
  store_->batches().Finish(sys_, b, BatchStatus::kFailed, "solver diverged at t=12 h");
  EXPECT_EQ(store_->batches().Load(b).header.recipe_hash, hash);
  std::vector<double> t = {1}, v = {2};
  EXPECT_THROW(store_->batches().AppendSeries(sys_, b, "X", "g/L", t, v), Error);
  EXPECT_THROW(store_->batches().AppendEvent(sys_, b, 1, "late", "x"), Error);
  EXPECT_THROW(store_->batches().Finish(sys_, b, BatchStatus::kCompleted, "again"), Error);
  EXPECT_EQ(store_->batches().Load(b).header.status, BatchStatus::kFailed);
}

TEST_F(BatchTest, P11_10_ModelIdentityIsRequired) {
  BatchStart s;
  s.name = "no-model";
  EXPECT_THROW(store_->batches().Start(sys_, s), Error);
}

TEST_F(BatchTest, ALC_Cm_NonFiniteValuesAreStoredAsBadQuality) {
  int64_t b = StartBatch(sys_);
  std::vector<double> t = {0, 1}, v = {1.0, std::nan("")};
  store_->batches().AppendSeries(sys_, b, "S", "g/L", t, v);
  auto s = store_->historian().BatchSeries(b, "S");
  ASSERT_EQ(s.size(), 2u);
  EXPECT_EQ(s[1].quality, kQualityBad);
}

TEST_F(BatchTest, P11_02_A11_05_ExportHasEveryValueSignatureAndModifiedMarker) {
  Principal eng = MakeUser("eng1", Role::kEngineer, "Erin Engineer");
  Principal qa = MakeUser("qa1", Role::kQa, "Quinn Assurance");
  int64_t b = StartBatch(sys_);
  std::vector<double> t = {0, 60, 120}, x = {0.5, 0.75, 1.0};
  store_->batches().AppendSeries(sys_, b, "X", "g/L", t, x);
  store_->batches().AppendEvent(sys_, b, 60, "feed", "bolus <50 mL>");
  store_->batches().RecordDeviation(qa, b, "minor", "pH excursion 7.3 for 5 min", "observed on trend");
  store_->batches().CorrectInput(eng, b, "volume", "2.05", "calibrated scale reading");
  store_->batches().Finish(sys_, b, BatchStatus::kCompleted, "ok");
  auto sig = store_->signatures().Sign("eng1", kPassword, "batch", std::to_string(b), Meaning::kAuthored);
  auto [json_path, html_path] = ExportBatch(*store_, qa, b, dir_ + "/export");

  auto j = nlohmann::json::parse(ReadFile(json_path));
  EXPECT_EQ(j["batch"]["id"], b);
  EXPECT_EQ(j["batch"]["content_sha256"], store_->batches().ContentHash(b));
  EXPECT_EQ(j["model"]["name"], "cho-fedbatch");
  EXPECT_EQ(j["series"][0]["tag"], "X");
  EXPECT_EQ(j["series"][0]["unit"], "g/L");
  EXPECT_EQ(j["series"][0]["value"][2], 1.0);
  EXPECT_EQ(j["events"][0]["message"], "bolus <50 mL>");
  EXPECT_EQ(j["deviations"][0]["severity"], "minor");
  bool volume_marked = false;
  for (const auto& in : j["inputs"]) {
    if (in["name"] == "volume") {
      volume_marked = in["modified_after_entry"].get<bool>();
      EXPECT_EQ(in["value"], "2.05");
      EXPECT_FALSE(in["audit_seqs"].empty());
    } else {
      EXPECT_FALSE(in["modified_after_entry"].get<bool>());
    }
  }
  EXPECT_TRUE(volume_marked);
  EXPECT_EQ(j["signatures"][0]["printed_name"], "Erin Engineer");
  EXPECT_EQ(j["signatures"][0]["meaning"], "authored");
  EXPECT_EQ(j["signatures"][0]["utc"], sig.utc);
  EXPECT_EQ(j["signatures"][0]["status"], "valid");
  // The old value stays visible in the trail part of the export.
  bool old_value_kept = false;
  for (const auto& e : j["audit_trail"]) old_value_kept |= e["old"] == "2.0 [L]" && e["new"] == "2.05 [L]";
  EXPECT_TRUE(old_value_kept);

  std::string html = ReadFile(html_path);
  for (const std::string& needle :
       {std::string("modified after entry"), std::string("Erin Engineer"), std::string("authored"), sig.utc,
        std::string("bolus &lt;50 mL&gt;"), std::string("pH excursion 7.3 for 5 min"), std::string("<svg"),
        std::string("calibrated scale reading"), std::string("2.05"), std::string("cho-fedbatch")}) {
    EXPECT_NE(html.find(needle), std::string::npos) << needle;
  }
  // The export itself is audited (DI-01).
  EXPECT_EQ(store_->audit().Entries(qa).back().action, "export");
}

TEST_F(BatchTest, P11_07_OperatorCannotCorrectEntriesAndReasonIsRequired) {
  Principal op = MakeUser("op1", Role::kOperator);
  Principal eng = MakeUser("eng1", Role::kEngineer);
  int64_t b = StartBatch(sys_);
  EXPECT_THROW(store_->batches().CorrectInput(op, b, "volume", "3", "fix"), Error);
  EXPECT_THROW(store_->batches().CorrectInput(eng, b, "volume", "3", " "), Error);
  EXPECT_THROW(store_->batches().CorrectInput(eng, b, "no-such-input", "3", "fix"), Error);
  EXPECT_EQ(store_->batches().Load(b).inputs[1].value, "2.0");
}

}  // namespace
}  // namespace biotwin::record::testing
