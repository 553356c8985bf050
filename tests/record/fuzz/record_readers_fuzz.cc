// libFuzzer target for the record layer's readers (not part of the CMake build). Build and run:
//   cd /work/main && clang++-14 -std=c++20 -g -O1 -fsanitize=fuzzer,address,undefined \
//     -Isrc -Itests tests/record/fuzz/record_readers_fuzz.cc src/record/*.cc \
//     -lsqlite3 -lsodium -o /tmp/record_readers_fuzz
//   /tmp/record_readers_fuzz -max_total_time=600 tests/record/fuzz/corpus
// New corpus entries it finds are replayed by tests/record/fuzz_corpus_test.cc.
#include <cstddef>
#include <cstdint>

#include "record/fuzz/record_fuzz_targets.h"  // tests/record/fuzz/

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  biotwin::record::fuzz::FuzzOne(data, size);
  return 0;
}
