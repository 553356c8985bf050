// The C++ example of docs/estimate.md is this test's code between the docs-begin/docs-end
// markers (the page must show exactly these lines), run on a simulated truth: online DO and OUR
// every 0.5 h and one lab biomass drawn at 4 h, reported at 5 h.
#include <gtest/gtest.h>

#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <tuple>
#include <vector>

#include "estimate/state_estimation.h"
#include "model/model.h"
#include "sim/scenario.h"
#include "sim/simulator.h"
#include "test_paths.h"

namespace biotwin {
namespace {

std::string ReadText(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Lines between two markers (or of the ```cpp block), each stripped of leading spaces.
std::string Stripped(const std::string& text, const std::string& begin, const std::string& end) {
  const size_t a = text.find(begin);
  const size_t b = text.find(end, a == std::string::npos ? 0 : a + begin.size());
  if (a == std::string::npos || b == std::string::npos) return "(markers not found)";
  std::istringstream in(text.substr(a + begin.size(), b - a - begin.size()));
  std::string out;
  for (std::string line; std::getline(in, line);) {
    const size_t first = line.find_first_not_of(' ');
    if (first != std::string::npos) out += line.substr(first) + "\n";
  }
  return out;
}

TEST(StateApiExample, DocsExampleIsThisCodeAndTracksTheTruth) {
  const std::string here = ReadText(testing::SourcePath("tests/estimate/state_api_example_test.cc"));
  const std::string doc = ReadText(testing::SourcePath("docs/estimate.md"));
  const std::string shown = Stripped(doc, "```cpp\n#include \"estimate/state_estimation.h\"\n", "```");
  EXPECT_EQ(shown, Stripped(here, "// docs-" "begin\n", "// docs-" "end"));
  EXPECT_NE(shown.find("est->Step(t, obs)"), std::string::npos) << shown;

  ASSERT_EQ(chdir(testing::SourcePath("").c_str()), 0);  // the example's paths are repository-relative
  // The truth the readings come from.
  auto truth_model = model::LoadModelFile("models/ecoli_anane2017.yaml");
  auto sc = sim::LoadScenarioFile("examples/ecoli_fedbatch/scenario.yaml", truth_model->info());
  sc.t_end = 6.0;
  sc.output_interval = 0.5;
  const sim::SimResult truth = sim::Simulator(truth_model, sc).Run();
  ASSERT_TRUE(truth.ok) << truth.message;
  const int our_index = truth_model->info().OutputIndex("OUR");
  std::vector<std::tuple<double, double, double>> online;  // t [h], DOTm [%], OUR [mmol/(L*h)]
  for (size_t k = 1; k < truth.time.size(); ++k) {
    const double wiggle = (k % 2 == 0 ? 1.0 : -1.0);  // deterministic "noise"
    online.emplace_back(truth.time[k], truth.states[k][4] + 0.8 * wiggle, truth.outputs[k][our_index] * (1 + 0.02 * wiggle));
  }
  const double x_lab_4h = truth.states[8][0] * 1.03;
  ASSERT_DOUBLE_EQ(truth.time[8], 4.0);

  // docs-begin
  using namespace biotwin;
  auto model = model::LoadModelFile("models/ecoli_anane2017.yaml");
  auto scenario = sim::LoadScenarioFile("examples/ecoli_fedbatch/scenario.yaml", model->info());
  estimate::StateEstimationOptions opt;
  opt.method = estimate::StateMethod::kMhe;
  opt.signals = {{"DOTm", 1.0}, {"OUR", 1.0}, {"X", 0.15}};  // sigma in the signals' model units
  opt.process_sigma = {0.05, 0.01, 0.01, 2.0, 1.0, 0.0};      // X S A DOT DOTm V, per sqrt(h)
  opt.non_negative = {"S", "A", "DOT", "DOTm"};
  opt.mhe_window = 6;
  auto est = estimate::StateEstimator::Create(model, scenario, opt);
  std::vector<double> x0 = model->info().InitialState();
  x0[0] = 0.255;  // biomass guessed 50 % high
  est->Reset(0.0, x0, std::vector<double>{0.13, 0.5, 0.05, 5.0, 5.0, 0.01});
  std::vector<double> y(model->num_outputs());
  const int mu = model->info().OutputIndex("mu");
  std::vector<estimate::Observation> obs;
  obs.reserve(3);
  for (const auto& [t, dot, our] : online) {  // every 0.5 h
    obs.assign({{0, dot, t}, {1, our, t}});
    if (t == 5.0) obs.push_back({2, x_lab_4h, 4.0});  // biomass drawn at 4 h, reported at 5 h
    if (!est->Step(t, obs)) throw std::runtime_error(est->summary().last_error);
    est->Outputs(y);
    std::printf("%4.1f h  X %.3f +- %.3f g/L  mu %.3f 1/h\n", t, est->state()[0], est->sigma(0), y[mu]);
  }
  // docs-end

  EXPECT_EQ(est->summary().delayed_used, 1);
  const double x_true = truth.states.back()[0];
  EXPECT_NEAR(est->state()[0], x_true, 3 * est->sigma(0));
  EXPECT_LT(std::fabs(est->state()[0] - x_true), 0.1 * x_true);
  EXPECT_NEAR(y[mu], truth.outputs.back()[mu], 0.02);
}

}  // namespace
}  // namespace biotwin
