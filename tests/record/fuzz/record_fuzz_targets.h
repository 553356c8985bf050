// One fuzz entry point for the record layer's readers of outside data (SEC-14, OPC-10 "audit-file
// reader"): the first byte picks the reader, the rest is its input. Used by the libFuzzer binary
// (record_readers_fuzz.cc) and replayed over the committed corpus by fuzz_corpus_test.cc.
// Every reader must either succeed or throw biotwin::record::Error; anything else is a bug.
#ifndef BIOTWIN_TESTS_RECORD_FUZZ_RECORD_FUZZ_TARGETS_H_
#define BIOTWIN_TESTS_RECORD_FUZZ_RECORD_FUZZ_TARGETS_H_

#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

#include "record/audit.h"
#include "record/audit_verify.h"
#include "record/cli_args.h"
#include "record/crypto.h"
#include "record/error.h"
#include "record/trace.h"

namespace biotwin::record::fuzz {

enum Target : uint8_t { kCheckpointFile = 0, kDatabaseFile = 1, kKeyFile = 2, kText = 3, kTargetCount = 4 };

inline void FuzzOne(const uint8_t* data, size_t size) {
  if (size == 0) return;
  Target target = static_cast<Target>(data[0] % kTargetCount);
  std::string_view payload(reinterpret_cast<const char*>(data + 1), size - 1);
  try {
    switch (target) {
      case kCheckpointFile:
        ParseCheckpoints(payload, "fuzz");
        break;
      case kDatabaseFile: {
        static const std::string path = "/tmp/biotwin-fuzz-" + std::to_string(::getpid()) + ".db";
        std::FILE* f = std::fopen(path.c_str(), "wb");
        if (!f) return;
        std::fwrite(payload.data(), 1, payload.size(), f);
        std::fclose(f);
        struct Cleanup {
          ~Cleanup() {
            for (const char* suffix : {"", "-wal", "-shm", "-journal"}) ::unlink((path + suffix).c_str());
          }
        } cleanup;
        ::unlink((path + "-wal").c_str());
        ::unlink((path + "-shm").c_str());
        VerifySummary s = VerifyAuditTrailFile(path);
        (void)s.Report();
        break;
      }
      case kKeyFile:
        ParsePublicKey(payload);
        break;
      case kText: {
        (void)RequirementIdsIn(payload);
        std::vector<std::string> words;
        size_t start = 0;
        while (start <= payload.size() && words.size() < 64) {
          size_t sp = payload.find(' ', start);
          if (sp == std::string_view::npos) sp = payload.size();
          words.emplace_back(payload.substr(start, sp - start));
          start = sp + 1;
        }
        (void)ParseCliArgs(words, {"--db", "--user"}, {"--csv"});
        try {
          (void)FromHex(payload);
        } catch (const Error&) {
        }
        break;
      }
      default:
        break;
    }
  } catch (const Error&) {
    // A typed, explained refusal is the expected outcome for bad input.
  }
}

}  // namespace biotwin::record::fuzz

#endif  // BIOTWIN_TESTS_RECORD_FUZZ_RECORD_FUZZ_TARGETS_H_
