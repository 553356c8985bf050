// libFuzzer target over the model, scenario, CSV and recipe parsers (not part of the CMake
// build: it needs clang). scripts/fuzz builds and runs it; new corpus entries it keeps in
// tests/fuzz/corpus are replayed by corpus_replay_test.cc on every `make test`.
#include <cstddef>
#include <cstdint>

#include "fuzz/parser_fuzz_targets.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  biotwin::fuzz::FuzzParsers(data, size);
  return 0;
}
