// Fuzz entry for every parser of outside input: model files, scenario files, CSV data tables and
// ISA-88 master recipes. The first byte picks the parser; the rest is the input. Each input must
// be accepted or refused with that parser's typed error — anything else (another exception, a
// crash, a hang, a sanitizer report) is a bug. Used by parsers_fuzz.cc (libFuzzer) and replayed
// from tests/fuzz/corpus by corpus_replay_test.cc on every test run.
#ifndef BIOTWIN_TESTS_FUZZ_PARSER_FUZZ_TARGETS_H_
#define BIOTWIN_TESTS_FUZZ_PARSER_FUZZ_TARGETS_H_

#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>

#include "io/run_table.h"
#include "model/model.h"
#include "record/error.h"
#include "record/recipe.h"
#include "sim/scenario.h"

namespace biotwin::fuzz {

enum ParserKind : uint8_t { kModel = 0, kScenario = 1, kCsv = 2, kRecipe = 3, kNumKinds = 4 };

// A small model the scenario inputs are checked against.
inline const model::ModelInfo& ScenarioHost() {
  static const std::shared_ptr<const model::Model> host = model::LoadModelText(R"yaml(
model: {name: host}
states:
  X: {unit: g/L, initial: 0.1}
  S: {unit: g/L, initial: 5}
liquid:
  volume: {name: V, unit: L, initial: 1, max: 2}
  feeds: [{name: f, rate: F, composition: {S: Sf}}]
parameters:
  mu: {value: 0.3, unit: 1/h}
  Sf: {value: 100, unit: g/L}
inputs:
  F: {unit: L/h, limits: [0, 1]}
balances:
  X: "mu*X*S/(S + 0.1 [g/L])"
  S: "-2*mu*X*S/(S + 0.1 [g/L])"
)yaml", "host.yaml");
  return host->info();
}

// Returns normally for accepted and cleanly refused inputs; lets anything else escape.
inline void FuzzParsers(const uint8_t* data, size_t size) {
  if (size == 0) return;
  const ParserKind kind = static_cast<ParserKind>(data[0] % kNumKinds);
  const std::string text(reinterpret_cast<const char*>(data + 1), size - 1);
  switch (kind) {
    case kModel:
      try {
        model::LoadModelText(text, "fuzz.yaml");
      } catch (const model::ModelError&) {
      }
      return;
    case kScenario:
      try {
        sim::LoadScenarioText(text, "fuzz-scenario.yaml", ScenarioHost());
      } catch (const model::ModelError&) {
      }
      return;
    case kCsv: {
      char path[] = "/tmp/biotwin-fuzz-csv-XXXXXX";
      const int fd = mkstemp(path);
      if (fd < 0) return;
      const bool written = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
      ::close(fd);
      try {
        if (written) io::ReadCsv(path);
      } catch (const io::FileError&) {
      }
      std::remove(path);
      return;
    }
    case kRecipe:
      try {
        record::ParseRecipe(text, "fuzz-recipe.yaml");
      } catch (const record::Error&) {
      }
      return;
    default:
      return;
  }
}

}  // namespace biotwin::fuzz

#endif  // BIOTWIN_TESTS_FUZZ_PARSER_FUZZ_TARGETS_H_
