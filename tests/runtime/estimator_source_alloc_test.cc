// The NMPC's estimator runs at every control sample: after the first samples,
// EstimatorStateSource::InputsApplied, Sample and State must not allocate (the run's history is
// reserved up front). Counted by interposing malloc in this test binary, as in
// tests/estimate/state_alloc_test.cc; a push past the reserved history is the check that the
// counter works.
#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
#include <cstddef>
#include <filesystem>
#include <fstream>
#include <vector>

#include "control/control_config.h"
#include "model/model.h"
#include "runtime/runtime.h"
#include "sim/scenario.h"
#include "tank_model.h"
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

namespace biotwin {
namespace {

constexpr const char* kScenario = R"yaml(
biotwin_scenario: 1
name: tank_alloc
until: 2 h
control:
  sample_time: 0.1 h
  sensors:
    level: {signal: x}
  mpc:
    horizon: 1 h
    controls:
      u: {min: 0 g/h, max: 2 g/h}
    objective:
      minimize: {least_squares: ["(x - 1 [g])/(0.1 [g])"]}
    fallback:
      u: 0.3 g/h
    state: {estimator: ekf, noise: noise.yaml}
)yaml";

TEST(EstimatorSourceAlloc, SamplesDoNotAllocate) {
  const std::string dir = testing::TempDir() + "/estimator_source_alloc";
  std::filesystem::create_directories(dir);
  std::ofstream(dir + "/tank.yaml") << testing::TankModelYaml("0.2");
  std::ofstream(dir + "/noise.yaml") << "measurements: {x: 1 mg}\nprocess: {x: 1 mg}\n";
  auto m = model::LoadModelFile(dir + "/tank.yaml");
  sim::Scenario sc = sim::LoadScenarioText(kScenario, dir + "/scenario.yaml", m->info());
  control::ControlSetup setup = control::LoadScenarioControl(sc, m->info());
  auto source = runtime::MakeStateSource(m->info(), sc, setup);
  ASSERT_NE(source, nullptr);
  double u = 1.0, y = 0.2, x = 0.0;
  std::string why;
  why.reserve(256);
  auto sample = [&](int k) {
    source->InputsApplied(&u);
    const double t = 0.1 * k;
    y = 2.0 + (y - 2.0) * std::exp(-0.05);
    source->Sample(t, &y);
    return source->State(t, &y, &x, &why);
  };
  for (int k = 0; k < 3; ++k) ASSERT_TRUE(sample(k)) << why;
  g_mallocs = 0;
  g_counting = true;
  bool ok = true;
  for (int k = 3; k < 21; ++k) ok = ok && sample(k);  // 21 samples: 0 ... 2 h
  g_counting = false;
  ASSERT_TRUE(ok) << why;
  EXPECT_EQ(g_mallocs.load(), 0);
  // Past the reserved history (t_end + 1 sample) the history grows: the counter sees it.
  g_counting = true;
  for (int k = 21; k < 40; ++k) sample(k);
  g_counting = false;
  EXPECT_GT(g_mallocs.load(), 0);
}

}  // namespace
}  // namespace biotwin
