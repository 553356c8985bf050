// The EKF and UKF run inside the control loop: after the first steps, Step and Outputs must not
// allocate. Counted by interposing malloc in this test binary (glibc: the executable's malloc
// replaces libc's for every library, and forwards to __libc_malloc); operator new and Eigen's
// aligned allocations both end in malloc. The MHE, which builds a Ceres problem per step, is the
// check that the counter works.
#include <gtest/gtest.h>

#include <atomic>
#include <cstddef>
#include <vector>

#include "estimate/state_estimation.h"
#include "model/model.h"
#include "sim/scenario.h"
#include "test_paths.h"

extern "C" void* __libc_malloc(std::size_t size);

namespace {
std::atomic<bool> g_counting{false};
std::atomic<long> g_mallocs{0};
}  // namespace

extern "C" void* malloc(std::size_t size) {
  if (g_counting.load(std::memory_order_relaxed)) g_mallocs.fetch_add(1, std::memory_order_relaxed);
  return __libc_malloc(size);
}

namespace biotwin::estimate {
namespace {

long AllocationsPerSteps(StateMethod method, int steps) {
  auto m = model::LoadModelFile(testing::SourcePath("models/ecoli_anane2017.yaml"));
  auto sc = sim::LoadScenarioFile(testing::SourcePath("examples/ecoli_fedbatch/scenario.yaml"), m->info());
  StateEstimationOptions opt;
  opt.method = method;
  opt.signals = {{"DOTm", 1.0}, {"OUR", 1.0}};  // a state and an output (finite-difference row)
  opt.process_sigma = {0.05, 0.01, 0.01, 2.0, 1.0, 0.0};
  opt.non_negative = {"S", "A"};
  opt.mhe_window = 4;
  auto est = StateEstimator::Create(m, sc, opt);
  est->Reset(0.0, m->info().InitialState(), std::vector<double>(m->num_states(), 0.1));
  std::vector<Observation> obs(2);
  std::vector<double> y(m->num_outputs());
  long count = 0;
  // 8 to 12 h crosses the start of the exponential feed (9 h) and the 4-hourly sample (12 h).
  for (int k = 1; k <= steps; ++k) {
    const double t = 0.2 * k;
    obs[0] = {0, 90.0 - k * 0.5, t};
    obs[1] = {1, 2.0 + 0.2 * k, t};
    if (k == 5) {
      g_mallocs = 0;
      g_counting = true;
    }
    EXPECT_TRUE(est->Step(t, obs)) << est->summary().last_error;
    est->Outputs(y);
  }
  g_counting = false;
  count = g_mallocs;
  return count;
}

TEST(StateAllocation, EkfStepsDoNotAllocate) { EXPECT_EQ(AllocationsPerSteps(StateMethod::kEkf, 60), 0); }

TEST(StateAllocation, UkfStepsDoNotAllocate) { EXPECT_EQ(AllocationsPerSteps(StateMethod::kUkf, 60), 0); }

TEST(StateAllocation, TheCounterSeesTheMheAllocate) { EXPECT_GT(AllocationsPerSteps(StateMethod::kMhe, 8), 100); }

}  // namespace
}  // namespace biotwin::estimate
