// `biotwin simulate --seed K`: the batch `biotwin ensemble -n 1 --seed K` runs, with its whole
// trajectory (the fit data of models/indpensim_reduced.yaml are made this way); refused without
// a variation block or with a malformed seed.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "cli_fixture.h"
#include "test_paths.h"

namespace biotwin::cli {
namespace {

using cli_testing::Cli;
using cli_testing::CliResult;
using cli_testing::Csv;
using cli_testing::ParseCsv;
using cli_testing::ReadFile;
using ::testing::HasSubstr;

TEST_F(Cli, SimulateSeedRunsTheEnsembleBatchOfThatSeed) {
  const std::string model = testing::SourcePath("models/indpensim.yaml");
  const std::string recipe = testing::SourcePath("examples/indpensim/recipe.yaml");
  CliResult r = Run({"ensemble", model, "--scenario", recipe, "-n", "1", "--seed", "7", "--threads", "1",
                     "--metrics", "P_total,V", "--out", Path("ens.csv"), "--quiet"});
  ASSERT_EQ(r.code, 0) << r.err;
  const Csv ens = ParseCsv(ReadFile(Path("ens.csv")));
  r = Run({"simulate", model, "--scenario", recipe, "--seed", "7", "--out", Path("s7.csv"), "--no-record", "--quiet"});
  ASSERT_EQ(r.code, 0) << r.err;
  const Csv s7 = ParseCsv(ReadFile(Path("s7.csv")));
  const auto& last = s7.rows.back();
  EXPECT_EQ(last[s7.Column("t")], ens.rows[0][ens.Column("batch_length")]);
  EXPECT_NEAR(last[s7.Column("P_total")], ens.rows[0][ens.Column("P_total")], 1e-6 * ens.rows[0][ens.Column("P_total")]);
  EXPECT_NEAR(last[s7.Column("V")], ens.rows[0][ens.Column("V")], 1e-6 * ens.rows[0][ens.Column("V")]);
  EXPECT_THAT(ReadFile(Path("s7.json")), HasSubstr("\"seed\": 7"));
  // Another seed is another batch.
  r = Run({"simulate", model, "--scenario", recipe, "--seed", "8", "--until", "50h", "--out", Path("s8.csv"),
           "--no-record", "--quiet"});
  ASSERT_EQ(r.code, 0) << r.err;
  const Csv s8 = ParseCsv(ReadFile(Path("s8.csv")));
  EXPECT_NE(s8.rows[250][s8.Column("X")], s7.rows[250][s7.Column("X")]);

  r = Run({"simulate", model, "--scenario", recipe, "--seed", "-1", "--out", Path("x.csv"), "--no-record"});
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.err, HasSubstr("--seed needs a whole number"));
  r = Run({"simulate", testing::SourcePath("models/ecoli_anane2017.yaml"), "--scenario",
           testing::SourcePath("examples/ecoli_fedbatch/scenario.yaml"), "--seed", "3", "--out", Path("x.csv"),
           "--no-record"});
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.err, HasSubstr("no variation: block"));
}

}  // namespace
}  // namespace biotwin::cli
