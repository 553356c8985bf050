// Historian: batched ingest, exact round trip, units, quality, range and aggregate queries.
#include <cmath>
#include <cstring>
#include <limits>

#include "record_fixture.h"

namespace biotwin::record::testing {
namespace {

class HistorianTest : public RecordTest {
 protected:
  Principal sys_ = Principal::System("test");
  std::vector<Sample> Rows(const std::string& tag, const std::string& unit, int n, double t0 = 0) {
    std::vector<Sample> rows;
    for (int i = 0; i < n; ++i) rows.push_back({tag, unit, t0 + i, std::sin(i * 0.1) * 10 + 0.1, kQualityGood, "probe-1"});
    return rows;
  }
};

TEST_F(HistorianTest, ALC_Ac_ALC_Cm_RoundTripIsBitExactAndCountInEqualsCountOut) {
  auto rows = Rows("pH", "1", 1000);
  rows[10].quality = kQualityBad;  // Bad and Uncertain values are stored, not dropped
  rows[11].quality = kQualityUncertain;
  rows[12].value = 0.1 + 0.2;  // no silent rounding
  auto s = store_->historian().Ingest(sys_, rows);
  EXPECT_EQ(s.rows, 1000);
  auto back = store_->historian().Range(sys_, "pH", -1, 1e9);
  ASSERT_EQ(back.size(), rows.size());
  for (size_t i = 0; i < rows.size(); ++i) {
    EXPECT_EQ(std::memcmp(&back[i].value, &rows[i].value, sizeof(double)), 0) << i;
    EXPECT_EQ(back[i].t, rows[i].t);
    EXPECT_EQ(back[i].quality, rows[i].quality);
    EXPECT_EQ(back[i].source, "probe-1");
  }
}

TEST_F(HistorianTest, P11_05_OneAuditEntryPerIngestWithDigest) {
  int64_t before = AuditCount();
  auto s = store_->historian().Ingest(sys_, Rows("DO", "%", 500));
  EXPECT_EQ(AuditCount(), before + 1);
  auto e = store_->audit().Entries(sys_).back();
  EXPECT_EQ(e.object_type, "historian");
  EXPECT_NE(e.new_value->find("rows=500"), std::string::npos);
  EXPECT_NE(e.new_value->find(s.digest), std::string::npos);
  EXPECT_EQ(s.digest.size(), 64u);
}

TEST_F(HistorianTest, ALC_L_UnitOfATagIsFixedAndNeverDropped) {
  store_->historian().Ingest(sys_, Rows("T", "degC", 10));
  EXPECT_EQ(store_->historian().UnitOf("T").value_or(""), "degC");
  try {
    store_->historian().Ingest(sys_, Rows("T", "K", 10, 100));
    FAIL() << "unit change accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kInvalidArgument);
  }
  EXPECT_EQ(store_->historian().Range(sys_, "T", 0, 1e9).size(), 10u);  // all-or-nothing
}

TEST_F(HistorianTest, ALC_Cm_FailedBatchIsAllOrNothing) {
  auto rows = Rows("F", "mL/h", 300);
  rows[250].tag = "";  // invalid row late in the batch
  EXPECT_THROW(store_->historian().Ingest(sys_, rows), Error);
  EXPECT_TRUE(store_->historian().Range(sys_, "F", -1, 1e9).empty());
  rows[250].tag = "F";
  EXPECT_EQ(store_->historian().Ingest(sys_, rows).rows, 300);
  EXPECT_EQ(store_->historian().Range(sys_, "F", -1, 1e9).size(), 300u);
}

TEST_F(HistorianTest, AggregatesPerBucket) {
  std::vector<Sample> rows;
  for (int i = 0; i < 100; ++i) rows.push_back({"X", "g/L", static_cast<double>(i), static_cast<double>(i), kQualityGood, "sim"});
  rows[5].quality = kQualityBad;
  rows[5].value = 1e6;  // excluded from aggregates by default
  store_->historian().Ingest(sys_, rows);
  auto b = store_->historian().Aggregate(sys_, "X", 0, 100, {.bucket_seconds = 10});
  ASSERT_EQ(b.size(), 10u);
  EXPECT_EQ(b[0].count, 9);
  EXPECT_EQ(b[0].min, 0);
  EXPECT_EQ(b[0].max, 9);
  EXPECT_DOUBLE_EQ(b[0].mean, (45.0 - 5.0) / 9.0);
  EXPECT_EQ(b[9].t_start, 90);
  EXPECT_EQ(b[9].count, 10);
  EXPECT_DOUBLE_EQ(b[9].mean, 94.5);
  auto with_bad = store_->historian().Aggregate(sys_, "X", 0, 100, {.bucket_seconds = 10, .include_non_good = true});
  EXPECT_EQ(with_bad[0].count, 10);
  EXPECT_EQ(with_bad[0].max, 1e6);
  auto range = store_->historian().Range(sys_, "X", 20, 30);
  ASSERT_EQ(range.size(), 10u);
  EXPECT_EQ(range.front().t, 20);
  EXPECT_EQ(range.back().t, 29);
}

TEST_F(HistorianTest, P11_07_ReadAndWriteNeedPermission) {
  Principal admin = Admin();
  EXPECT_THROW(store_->historian().Ingest(admin, Rows("X", "g/L", 3)), Error);
  EXPECT_THROW(store_->historian().Range(admin, "X", 0, 1), Error);
}

TEST_F(HistorianTest, LargeBatchIngestKeepsEveryRow) {
  auto rows = Rows("big", "1", 100000);
  auto t0 = std::chrono::steady_clock::now();
  store_->historian().Ingest(sys_, rows);
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  EXPECT_EQ(store_->historian().Aggregate(sys_, "big", 0, 1e9, {.bucket_seconds = 1e9})[0].count, 100000);
  RecordProperty("rows_per_second", static_cast<int>(100000 / secs));
  // No time limit here: the rate is measured by `make bench` (bench_historian), not asserted.
}

}  // namespace
}  // namespace biotwin::record::testing
