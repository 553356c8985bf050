#include "sim/ensemble.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <exception>
#include <mutex>
#include <stdexcept>
#include <thread>

#include "sim/allocator.h"

namespace biotwin::sim {

EnsembleSummary RunEnsemble(const EnsembleOptions& options,
                            const std::function<BatchOutcome(int, uint64_t)>& run_batch) {
  if (options.batches < 1) throw std::invalid_argument("an ensemble needs at least one batch");
  if (options.threads < 0) throw std::invalid_argument("the number of threads must be >= 0");
  int threads = options.threads;
  if (threads == 0) threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  threads = std::min(threads, options.batches);
  KeepFreedMemoryForReuse();

  EnsembleSummary summary;
  summary.threads = threads;
  summary.batches.resize(options.batches);
  std::atomic<int> next{0};
  int done = 0;
  std::mutex progress_mutex;
  const auto start = std::chrono::steady_clock::now();

  auto worker = [&]() {
    for (int i = next.fetch_add(1); i < options.batches; i = next.fetch_add(1)) {
      const uint64_t seed = options.seed + static_cast<uint64_t>(i);
      const auto t0 = std::chrono::steady_clock::now();
      BatchOutcome out;
      try {
        out = run_batch(i, seed);
      } catch (const std::exception& e) {
        out = BatchOutcome{};
        out.ok = false;
        out.status = e.what();
      }
      out.index = i;
      out.seed = seed;
      out.wall_seconds =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      summary.batches[i] = std::move(out);
      std::lock_guard<std::mutex> lock(progress_mutex);
      ++done;
      if (options.on_progress) options.on_progress(done, options.batches);
    }
  };
  std::vector<std::thread> pool;
  for (int t = 1; t < threads; ++t) pool.emplace_back(worker);
  worker();
  for (auto& t : pool) t.join();

  summary.wall_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  for (const auto& b : summary.batches) summary.failed += b.ok ? 0 : 1;
  return summary;
}

}  // namespace biotwin::sim
