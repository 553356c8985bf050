// Ensembles: many independent batches of one model run in parallel on a fixed number of threads.
// The model is shared (immutable); each batch builds its own scenario and workspace. Batch i of
// an ensemble with base seed K uses seed K + i, so any single batch can be rerun on its own.
#ifndef BIOTWIN_SIM_ENSEMBLE_H_
#define BIOTWIN_SIM_ENSEMBLE_H_

#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

namespace biotwin::sim {

struct BatchOutcome {
  int index = 0;
  uint64_t seed = 0;
  bool ok = false;
  std::string status;  // "completed" or the failure message
  std::vector<std::pair<std::string, double>> metrics;  // name -> value (units by the caller)
  double wall_seconds = 0.0;
};

struct EnsembleOptions {
  int batches = 1;
  uint64_t seed = 1;
  int threads = 0;  // 0: all hardware threads
  // Called from worker threads (serialised by the ensemble) after each finished batch.
  std::function<void(int done, int total)> on_progress;
};

struct EnsembleSummary {
  std::vector<BatchOutcome> batches;  // in index order
  int threads = 1;
  double wall_seconds = 0.0;
  int failed = 0;
};

// Runs `run_batch(index, seed)` for every batch. An exception thrown by a batch marks that batch
// failed with its message; the other batches go on. Throws std::invalid_argument for
// batches < 1 or threads < 0.
//
// Sets the batch runners' allocator policy first (allocator.h: freed result arrays stay in the
// process for the next batch).
EnsembleSummary RunEnsemble(const EnsembleOptions& options,
                            const std::function<BatchOutcome(int index, uint64_t seed)>& run_batch);

}  // namespace biotwin::sim

#endif  // BIOTWIN_SIM_ENSEMBLE_H_
