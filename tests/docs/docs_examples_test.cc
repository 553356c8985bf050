// Examples in docs/ are run: every "# docs-example:" model block loads, checks and simulates,
// the balances the page shows are the ones the compiler generates, and every
// "# docs-scenario:" block runs against the model it names.
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "model/model.h"
#include "sim/scenario.h"
#include "sim/simulator.h"
#include "test_paths.h"

namespace biotwin {
namespace {

struct Block {
  std::string lang, text;
};

std::vector<Block> CodeBlocks(const std::string& doc) {
  std::ifstream in(testing::SourcePath(doc));
  EXPECT_TRUE(in.good()) << doc;
  std::vector<Block> blocks;
  std::string line;
  bool inside = false;
  while (std::getline(in, line)) {
    if (line.rfind("```", 0) == 0) {
      if (!inside) blocks.push_back({line.substr(3), ""});
      inside = !inside;
      continue;
    }
    if (inside) blocks.back().text += line + "\n";
  }
  return blocks;
}

TEST(DocsExamples, ModelFormatWorkedExampleLoadsAndRuns) {
  auto blocks = CodeBlocks("docs/model-format.md");
  int examples = 0;
  for (size_t i = 0; i < blocks.size(); ++i) {
    if (blocks[i].text.rfind("# docs-example:", 0) != 0) continue;
    ++examples;
    auto m = model::LoadModelText(blocks[i].text, "docs/model-format.md");
    const auto& info = m->info();
    // Every balance line shown in the next plain block is exactly what the compiler generated.
    ASSERT_LT(i + 1, blocks.size());
    std::istringstream shown(blocks[i + 1].text);
    int balances = 0;
    for (std::string line; std::getline(shown, line);) {
      if (line.find("/dt = ") == std::string::npos) continue;
      ++balances;
      EXPECT_NE(std::find(info.balance_text.begin(), info.balance_text.end(), line),
                info.balance_text.end())
          << "the page shows a balance the compiler does not generate: " << line;
    }
    EXPECT_GE(balances, 3);
    sim::Scenario sc = sim::DefaultScenario(info, 12.0);
    sim::ApplySetting("F=20", info, &sc);
    sim::SimResult r = sim::Simulator(m, sc).Run();
    ASSERT_TRUE(r.ok) << r.message;
    // The sampling schedule (2, 4, ..., 10 h) and the glucose-low bolus both fire.
    int samples = std::count_if(r.events.begin(), r.events.end(),
                                [](const sim::EventRecord& e) { return e.name == "sample"; });
    EXPECT_EQ(samples, 5);
    EXPECT_TRUE(std::any_of(r.events.begin(), r.events.end(),
                            [](const sim::EventRecord& e) { return e.name == "glucose_low"; }));
  }
  EXPECT_EQ(examples, 1);
}

TEST(DocsExamples, ScenarioFormatExampleRunsAgainstItsModel) {
  int examples = 0;
  for (const auto& b : CodeBlocks("docs/scenario-format.md")) {
    if (b.text.rfind("# docs-scenario:", 0) != 0) continue;
    ++examples;
    std::string first = b.text.substr(0, b.text.find('\n'));
    std::string model_file = first.substr(first.find(" for ") + 5);
    auto m = model::LoadModelFile(testing::SourcePath(model_file));
    sim::Scenario sc = sim::LoadScenarioText(b.text, "docs/scenario-format.md", m->info());
    sim::SimResult r = sim::Simulator(m, sc).Run();
    ASSERT_TRUE(r.ok) << r.message;
    EXPECT_DOUBLE_EQ(r.time.back(), 40.0);
    EXPECT_EQ(r.events.size(), 10u);  // 9 samples + 1 antifoam bolus
  }
  EXPECT_EQ(examples, 1);
}

TEST(DocsExamples, ShippedExamplesRun) {
  auto m = model::LoadModelFile(testing::SourcePath("models/ecoli_anane2017.yaml"));
  sim::Scenario sc = sim::LoadScenarioFile(
      testing::SourcePath("examples/ecoli_fedbatch/scenario.yaml"), m->info());
  sim::SimResult r = sim::Simulator(m, sc).Run();
  ASSERT_TRUE(r.ok) << r.message;
  EXPECT_EQ(r.events.size(), 9u);
}

}  // namespace
}  // namespace biotwin
