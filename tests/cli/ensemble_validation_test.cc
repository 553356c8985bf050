// `biotwin ensemble` on IndPenSim: batches drawn from the recipe's variation block, run in
// parallel; one row per batch; any batch reproduces alone from its seed and with any number of
// threads; the drawn spread shows in the results; bad input is refused.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "cli_fixture.h"
#include "io/distribution_report.h"
#include "test_paths.h"

namespace biotwin::cli {
namespace {

using cli_testing::Cli;
using cli_testing::CliResult;
using cli_testing::Csv;
using cli_testing::ParseCsv;
using cli_testing::ReadFile;
using ::testing::HasSubstr;

class EnsembleCli : public Cli {
 protected:
  Csv Ensemble(int n, int seed, int threads, const std::string& out) {
    CliResult r = Run({"ensemble", testing::SourcePath("models/indpensim.yaml"), "--scenario",
                       testing::SourcePath("examples/indpensim/recipe.yaml"), "-n", std::to_string(n), "--seed",
                       std::to_string(seed), "--threads", std::to_string(threads), "--metrics",
                       "P,P_total,X", "--out", Path(out + ".csv"), "--report", Path(out + ".html"), "--quiet"});
    EXPECT_EQ(r.code, 0) << r.err;
    return ParseCsv(ReadFile(Path(out + ".csv")));
  }
};

TEST_F(EnsembleCli, IndPenSimBatchesAreReproducibleFromTheirSeedsWithAnyThreadCount) {
  Csv all = Ensemble(4, 40, 2, "all");
  ASSERT_EQ(all.rows.size(), 4u);
  for (const char* h : {"batch [-]", "seed [-]", "completed [-]", "batch_length [h]", "P [g/L]", "P_total [kg]",
                        "X [g/L]", "steps [-]", "wall_time [s]"}) {
    EXPECT_NE(std::find(all.header.begin(), all.header.end(), h), all.header.end()) << h;
  }
  const int seed = all.Column("seed"), ok = all.Column("completed"), p = all.Column("P_total"),
            len = all.Column("batch_length");
  std::vector<double> totals, lengths;
  for (int i = 0; i < 4; ++i) {
    EXPECT_EQ(all.rows[i][seed], 40 + i);
    EXPECT_EQ(all.rows[i][ok], 1);
    totals.push_back(all.rows[i][p]);
    lengths.push_back(all.rows[i][len]);
    EXPECT_EQ(lengths.back(), std::round(lengths.back()));  // whole hours, as IndPenSim draws them
  }
  // The batches differ (parameters, disturbances and lengths are drawn) and stay plausible for a
  // 100 m3 penicillin batch (the nominal one produces 3376 kg).
  io::DistributionStats s = io::Describe(totals);
  EXPECT_GT(s.sd, 10.0);
  EXPECT_GT(s.min, 500.0);
  EXPECT_LT(s.max, 6000.0);
  // Batch 2 alone, on one thread, reproduces its row exactly.
  Csv one = Ensemble(1, 42, 1, "one");
  ASSERT_EQ(one.rows.size(), 1u);
  EXPECT_EQ(one.rows[0][one.Column("P_total")], all.rows[2][p]);
  EXPECT_EQ(one.rows[0][one.Column("batch_length")], all.rows[2][len]);
  EXPECT_THAT(ReadFile(Path("all.html")), HasSubstr("P_total [kg]"));
}

TEST_F(EnsembleCli, BadInputIsRefused) {
  const std::string model = testing::SourcePath("models/indpensim.yaml");
  const std::string recipe = testing::SourcePath("examples/indpensim/recipe.yaml");
  EXPECT_EQ(Run({"ensemble", model, "--scenario", recipe, "-n", "0", "--out", Path("x.csv")}).code, 2);
  CliResult r = Run({"ensemble", model, "--scenario", recipe, "-n", "2", "--metrics", "Q9", "--out", Path("x.csv")});
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.err, HasSubstr("'Q9' is neither a state nor an output"));
  // A scenario without a variation block would run the same batch N times.
  r = Run({"ensemble", testing::SourcePath("models/ecoli_anane2017.yaml"), "--scenario",
           testing::SourcePath("examples/ecoli_fedbatch/scenario.yaml"), "-n", "2", "--out", Path("x.csv")});
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.err, HasSubstr("no 'variation:' block"));
}

}  // namespace
}  // namespace biotwin::cli
