// Robustness of the integrity tooling (P11-01, TEL-01, SEC-14): byte flips in the database file
// are detected or refused cleanly, and malformed checkpoint/key files give typed errors, never a
// crash. Deterministic (fixed seeds), so it replays identically in CI.
#include <filesystem>
#include <fstream>
#include <random>

#include "record_fixture.h"

namespace biotwin::record::testing {
namespace {

std::string Slurp(const std::string& p) { return ReadFile(p); }
void Spit(const std::string& p, const std::string& data) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out << data;
}

class RobustnessTest : public RecordTest {
 protected:
  void SetUp() override {
    RecordTest::SetUp();
    Principal sys = Principal::System("test");
    int64_t b = StartBatch(sys);
    for (int i = 0; i < 8; ++i) store_->batches().AppendEvent(sys, b, i, "note", "event " + std::to_string(i));
    hashes_ = {};
    for (const auto& e : store_->audit().EntriesUnchecked()) hashes_.push_back(e.entry_hash);
    store_.reset();
    options_.public_key = LoadPublicKey(path_ + ".audit-key.pub");
    options_.checkpoint_file = path_ + ".checkpoints";
  }
  std::vector<std::string> hashes_;
  VerifyOptions options_;
};

TEST_F(RobustnessTest, TEL_01_P11_01_OneByteFlipInAnyStoredEntryHashIsDetected) {
  std::string original = Slurp(path_);
  int flips = 0;
  for (const auto& h : hashes_) {
    for (size_t pos = original.find(h); pos != std::string::npos; pos = original.find(h, pos + 1)) {
      std::string copy = original;
      copy[pos + 10] = copy[pos + 10] == 'a' ? 'b' : 'a';
      std::string db = dir_ + "/flip.db";
      Spit(db, copy);
      try {
        auto s = VerifyAuditTrailFile(db, options_);
        EXPECT_FALSE(s.ok) << "flip in hash " << h.substr(0, 8) << " at " << pos;
      } catch (const Error& e) {
        EXPECT_EQ(e.code(), ErrorCode::kStorage);  // SQLite refused the page: also a detection
      }
      ++flips;
    }
  }
  EXPECT_GE(flips, static_cast<int>(hashes_.size()));
}

TEST_F(RobustnessTest, SEC_14_RandomByteFlipsNeverCrashTheVerifier) {
  std::string original = Slurp(path_);
  std::mt19937 rng(14);
  int detected = 0, refused = 0;
  for (int i = 0; i < 400; ++i) {
    std::string copy = original;
    size_t pos = std::uniform_int_distribution<size_t>(0, copy.size() - 1)(rng);
    copy[pos] = static_cast<char>(copy[pos] ^ (1 << (i % 8)));
    std::string db = dir_ + "/random.db";
    Spit(db, copy);
    try {
      auto s = VerifyAuditTrailFile(db, options_);
      detected += !s.ok;
      EXPECT_FALSE(s.Report().empty());
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ErrorCode::kStorage) << e.what();
      ++refused;
    }
  }
  RecordProperty("detected", detected);
  RecordProperty("refused", refused);
}

TEST_F(RobustnessTest, SEC_14_MalformedCheckpointFilesGiveTypedErrors) {
  std::string good = Slurp(path_ + ".checkpoints");
  ASSERT_FALSE(good.empty());
  std::mt19937 rng(7);
  const std::string junk = "{}[]\":,0123456789abcdef \n\t\\x";
  for (int i = 0; i < 500; ++i) {
    std::string mutated = good;
    int edits = 1 + i % 4;
    for (int k = 0; k < edits && !mutated.empty(); ++k) {
      size_t pos = std::uniform_int_distribution<size_t>(0, mutated.size() - 1)(rng);
      switch (rng() % 3) {
        case 0: mutated[pos] = junk[rng() % junk.size()]; break;
        case 1: mutated.erase(pos, 1 + rng() % 8); break;
        default: mutated.insert(pos, 1, junk[rng() % junk.size()]); break;
      }
    }
    std::string file = dir_ + "/cp-" + std::to_string(i);
    Spit(file, mutated);
    try {
      auto cps = ReadCheckpointFile(file);
      VerifyOptions o = options_;
      o.checkpoint_file = file;
      auto s = VerifyAuditTrailFile(path_, o);
      if (mutated == good) {
        EXPECT_TRUE(s.ok);
      }
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ErrorCode::kIntegrity) << e.what();
    }
    std::filesystem::remove(file);
  }
}

TEST_F(RobustnessTest, SEC_14_MalformedKeyFilesGiveTypedErrors) {
  std::string key_text = Slurp(path_ + ".audit-key.pub");
  for (const std::string& bad : {std::string(""), std::string("ed25519-public"), std::string("ed25519-public zz"),
                                 std::string("ed25519-secret ") + std::string(64, 'a'), key_text.substr(0, 30),
                                 std::string("ed25519-public ") + std::string(63, 'a')}) {
    std::string file = dir_ + "/bad.pub";
    Spit(file, bad);
    try {
      LoadPublicKey(file);
      ADD_FAILURE() << "accepted '" << bad << "'";
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ErrorCode::kCrypto) << e.what();
    }
  }
  EXPECT_THROW(LoadPublicKey(dir_ + "/does-not-exist"), Error);
}

}  // namespace
}  // namespace biotwin::record::testing
