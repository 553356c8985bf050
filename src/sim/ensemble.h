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
// With glibc it first raises the allocator's mmap and trim thresholds for the process
// (KeepFreedMemoryForReuse): a batch's trajectories take about 1 MB, which glibc would otherwise
// map fresh, have the kernel zero page by page and unmap again for every batch. On IndPenSim's
// 230 h batches that was a fifth of the time (163 against 208 batches/s on 2 threads).
EnsembleSummary RunEnsemble(const EnsembleOptions& options,
                            const std::function<BatchOutcome(int index, uint64_t seed)>& run_batch);

// Raises glibc's M_MMAP_THRESHOLD to 64 MiB and M_TRIM_THRESHOLD to 256 MiB (once per process;
// a no-op elsewhere): freed blocks up to that size stay in the process for the next batch.
void KeepFreedMemoryForReuse();

}  // namespace biotwin::sim

#endif  // BIOTWIN_SIM_ENSEMBLE_H_
