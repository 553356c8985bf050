// Replays the committed parser fuzz corpus (tests/fuzz/corpus) on every test run: every input is
// accepted or refused with the parser's typed error (SEC-14), and the valid seeds are accepted.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>

#include "fuzz/parser_fuzz_targets.h"
#include "test_paths.h"

namespace biotwin::fuzz {
namespace {

std::string ReadBytes(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

TEST(ParserFuzzCorpus, SEC_14_EveryCorpusInputIsAcceptedOrCleanlyRefused) {
  std::map<int, int> per_kind;
  for (const auto& entry :
       std::filesystem::directory_iterator(biotwin::testing::SourcePath("tests/fuzz/corpus"))) {
    if (!entry.is_regular_file()) continue;
    const std::string bytes = ReadBytes(entry.path());
    SCOPED_TRACE(entry.path().filename().string());
    EXPECT_NO_THROW(FuzzParsers(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()));
    if (!bytes.empty()) ++per_kind[static_cast<uint8_t>(bytes[0]) % kNumKinds];
  }
  // Every parser has inputs in the corpus.
  for (int k = 0; k < kNumKinds; ++k) EXPECT_GE(per_kind[k], 3) << "parser kind " << k;
}

TEST(ParserFuzzCorpus, SEC_14_ValidSeedsParse) {
  const std::string dir = biotwin::testing::SourcePath("tests/fuzz/corpus/");
  EXPECT_NO_THROW(model::LoadModelText(ReadBytes(dir + "seed-model-ecoli").substr(1), "seed"));
  EXPECT_NO_THROW(
      sim::LoadScenarioText(ReadBytes(dir + "seed-scenario").substr(1), "seed", ScenarioHost()));
  EXPECT_NO_THROW(record::ParseRecipe(ReadBytes(dir + "seed-recipe").substr(1), "seed"));
}

}  // namespace
}  // namespace biotwin::fuzz
