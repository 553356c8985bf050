// Traceability matrix extraction (GAMP-01).
#include "record/trace.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "test_paths.h"

namespace biotwin::record {
namespace {

TEST(Trace, GAMP_01_IdsAreExtractedFromTestNames) {
  EXPECT_EQ(RequirementIdsIn("P11_05_EveryChangeWritesOneEntry"), std::vector<std::string>{"P11-05"});
  EXPECT_EQ(RequirementIdsIn("TEL_01__P11_01_tamper_byte_flip"), (std::vector<std::string>{"TEL-01", "P11-01"}));
  EXPECT_EQ(RequirementIdsIn("ALC_Cm_ALC_A_Something"), (std::vector<std::string>{"ALC-Cm", "ALC-A"}));
  EXPECT_EQ(RequirementIdsIn("Check_SEC_04_and_A11_10"), (std::vector<std::string>{"SEC-04", "A11-10"}));
  EXPECT_TRUE(RequirementIdsIn("NoRequirementHere").empty());
  EXPECT_TRUE(RequirementIdsIn("P11_5_tooShort").empty());
  EXPECT_TRUE(RequirementIdsIn("XP11_05").empty());
}

TEST(Trace, GAMP_01_MatrixFromThisRepositoryCoversTheRecordLayer) {
  auto m = BuildTraceMatrix(biotwin::testing::SourcePath("tests"));
  ASSERT_TRUE(m.count("P11-05"));
  EXPECT_TRUE(m["P11-05"].count("RecordTest.P11_05_EveryChangeWritesOneEntryWithWhoWhatWhenWhy"));
  EXPECT_TRUE(m.count("S88-01"));
  EXPECT_TRUE(m["GAMP-01"].count("Trace.GAMP_01_IdsAreExtractedFromTestNames"));
}

TEST(Trace, GAMP_01_IdsDefinedInStandardsDocument) {
  std::string path = biotwin::testing::ReferencePath("standards.md");
  if (!std::filesystem::exists(path)) GTEST_SKIP() << "no " << path;
  auto ids = RequirementIdsInDocument(path);
  for (const char* id : {"P11-01", "P11-17", "A11-06", "DI-01", "S88-01", "SEC-09", "DUR-01", "TEL-01", "ALC-Cm"}) {
    EXPECT_TRUE(ids.count(id)) << id;
  }
}

}  // namespace
}  // namespace biotwin::record
