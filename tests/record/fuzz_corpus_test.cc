// Replays the committed fuzz corpus (tests/record/fuzz/corpus) through the record readers on
// every test run (SEC-14): each input must be accepted or refused with a typed Error.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>

#include "record/fuzz/record_fuzz_targets.h"
#include "test_paths.h"

namespace biotwin::record {
namespace {

TEST(FuzzCorpus, SEC_14_OPC_10_CommittedCorpusReplaysCleanly) {
  std::string dir = biotwin::testing::SourcePath("tests/record/fuzz/corpus");
  int n = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (!entry.is_regular_file()) continue;
    std::ifstream in(entry.path(), std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    SCOPED_TRACE(entry.path().filename().string());
    EXPECT_NO_THROW(fuzz::FuzzOne(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()));
    ++n;
  }
  EXPECT_GE(n, 4);
}

TEST(FuzzCorpus, SEC_14_ValidSeedsAreAcceptedByTheirReaders) {
  std::string dir = biotwin::testing::SourcePath("tests/record/fuzz/corpus/");
  auto read = [&](const char* name) {
    std::ifstream in(dir + name, std::ios::binary);
    std::string b((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    return b.substr(1);
  };
  EXPECT_EQ(ParseCheckpoints(read("checkpoints-valid"), "seed").size(), 1u);
  EXPECT_EQ(ParsePublicKey(read("key-valid")).size(), 32u);
  EXPECT_THROW(ParseCheckpoints(read("checkpoints-torn"), "seed"), Error);
}

// Found by scripts/fuzz (UBSan): a float sequence number was converted to int64 (undefined
// behaviour for 4e51); it is now a malformed line like any other.
TEST(FuzzCorpus, SEC_14_FloatSequenceNumberIsAMalformedCheckpoint) {
  const std::string dir = biotwin::testing::SourcePath("tests/record/fuzz/corpus/");
  std::ifstream in(dir + "checkpoints-regression-float-seq", std::ios::binary);
  std::string b((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_THROW(ParseCheckpoints(b.substr(1), "seed"), Error);
}

}  // namespace
}  // namespace biotwin::record
