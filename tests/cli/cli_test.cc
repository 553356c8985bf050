// The real `biotwin` binary: exit codes, messages, and the files `simulate` writes (CSV with
// units in every header, JSON summary, partial output on failure), run through the shell.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "cli_fixture.h"
#include "test_paths.h"

namespace biotwin::cli {
namespace {

namespace fs = std::filesystem;
using cli_testing::Cli;
using cli_testing::CliResult;
using cli_testing::Csv;
using cli_testing::Ecoli;
using cli_testing::ParseCsv;
using cli_testing::Quote;
using cli_testing::ReadFile;
using ::testing::HasSubstr;
using ::testing::Not;

TEST_F(Cli, CheckAcceptsEveryShippedModel) {
  int count = 0;
  for (const auto& entry : fs::directory_iterator(testing::SourcePath("models"))) {
    if (entry.path().extension() != ".yaml") continue;
    ++count;
    CliResult r = Run({"check", entry.path().string()});
    EXPECT_EQ(r.code, 0) << entry.path() << "\n" << r.err;
    EXPECT_THAT(r.out, HasSubstr("OK (units consistent)")) << entry.path();
    // The bundled models are compiled into the binary (docs/model-format.md).
    EXPECT_THAT(r.out, HasSubstr("evaluation: compiled")) << entry.path();
  }
  EXPECT_GE(count, 1);
}

TEST_F(Cli, CheckSaysWhenAModelRunsInterpreted) {
  const std::string model = Write("own.yaml", R"yaml(biotwin: 1
model: {name: own}
states:
  X: {unit: g/L, initial: 1}
parameters:
  mu: {value: 0.5, unit: 1/h}
balances:
  X: "mu*X"
)yaml");
  CliResult r = Run({"check", model});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("evaluation: interpreted"));
}

TEST_F(Cli, CheckListsTheSampleRules) {
  CliResult r = Run({"check", testing::SourcePath("models/indpensim.yaml")});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("sample rules (4, applied after every control interval"));
  EXPECT_THAT(r.out, HasSubstr("growth_damage when falling in 63 of the last 64 changes of mu_X_calc"));
  EXPECT_THAT(r.out, HasSubstr("interval_integrals reset mu_P_calc, mu_X_calc"));
}

TEST_F(Cli, CheckReportsUnitMismatchWithFileAndLine) {
  const std::string model = Write("mismatch.yaml", R"yaml(biotwin: 1
model: {name: mismatch}
states:
  X: {unit: g/L, initial: 1}
parameters:
  mu: {value: 0.5, unit: 1/h}
balances:
  X: "mu"
)yaml");
  CliResult r = Run({"check", model});
  EXPECT_EQ(r.code, 3);
  EXPECT_THAT(r.err, HasSubstr(model + ":8:"));
  EXPECT_THAT(r.err, HasSubstr("balances.X"));
  EXPECT_THAT(r.err, HasSubstr("s^-1"));
}

TEST_F(Cli, SimulateWritesCsvWithUnitsAndCompletedSummary) {
  const std::string out = Path("run.csv");
  CliResult r = Run({"simulate", Ecoli(), "--scenario",
                     testing::SourcePath("examples/ecoli_fedbatch/scenario.yaml"), "--until", "12h",
                     "--out", out, "--quiet"});
  ASSERT_EQ(r.code, 0) << r.err;
  Csv csv = ParseCsv(ReadFile(out));
  ASSERT_GE(csv.header.size(), 8u);
  EXPECT_EQ(csv.header[0], "t [h]");
  for (const auto& cell : csv.header) {
    EXPECT_THAT(cell, ::testing::MatchesRegex(".+ \\[[^]]+\\]")) << "header cell without a unit";
  }
  EXPECT_EQ(csv.header[csv.Column("X")], "X [g/L]");
  EXPECT_EQ(csv.header[csv.Column("V")], "V [L]");
  EXPECT_EQ(csv.header[csv.Column("F")], "F [L/h]");
  ASSERT_EQ(csv.rows.size(), 121u);  // 0, 0.1, ..., 12 h
  EXPECT_NEAR(csv.rows.back()[0], 12.0, 1e-9);
  for (const auto& row : csv.rows) ASSERT_EQ(row.size(), csv.header.size());
  // Sampling every 4 h from 4 h removes 10 mL at 4, 8 and 12 h; the feed 0.002 exp(0.05 (t - 9))
  // L/h from 9 h adds 0.04 (exp(0.15) - 1) L by 12 h. CSV cells carry 10 significant digits and
  // the run uses rtol 1e-6 on a 6 mL feed integral: 1e-6 L is ample but catches a lost sample.
  const int v = csv.Column("V");
  EXPECT_NEAR(csv.rows[80][v], 2.0 - 0.02, 1e-6);  // t = 8 h, after the second sample
  EXPECT_NEAR(csv.rows.back()[v], 2.0 - 0.03 + 0.04 * (std::exp(0.15) - 1.0), 1e-6);

  auto summary = nlohmann::json::parse(ReadFile(Path("run.json")));
  EXPECT_EQ(summary["status"], "completed");
  EXPECT_GT(summary["statistics"]["steps"].get<long>(), 0);
  EXPECT_GT(summary["statistics"]["rhs_evaluations"].get<long>(), 0);
  EXPECT_EQ(summary["statistics"]["events"].get<long>(), 3);
  EXPECT_EQ(summary["final"]["X"]["unit"], "g/L");
  EXPECT_NEAR(summary["final"]["X"]["value"].get<double>(), csv.rows.back()[csv.Column("X")],
              1e-6 * csv.rows.back()[csv.Column("X")]);
  EXPECT_FALSE(fs::exists(Path("run.partial.csv")));
}

TEST_F(Cli, SetOverridesAreUnitAwareAndChangeTheResult) {
  const std::string sc = testing::SourcePath("examples/ecoli_fedbatch/scenario.yaml");
  auto run = [&](const std::string& name, std::vector<std::string> extra) {
    std::vector<std::string> args = {"simulate", Ecoli(), "--scenario",        sc,       "--until",
                                     "16 h",     "--out", Path(name + ".csv"), "--quiet"};
    args.insert(args.end(), extra.begin(), extra.end());
    CliResult r = Run(args);
    EXPECT_EQ(r.code, 0) << name << ": " << r.err;
    return ReadFile(Path(name + ".csv"));
  };
  const std::string base = run("base", {});
  const std::string plain = run("plain", {"--set", "Si=250"});
  const std::string grams = run("grams", {"--set", "Si=250g/L"});
  const std::string milli = run("milli", {"--set", "Si=250000mg/L"});
  EXPECT_NE(base, plain);   // a lower feed concentration changes the fed-batch phase
  EXPECT_EQ(plain, grams);  // the same value in the parameter's unit: identical run
  EXPECT_EQ(grams, milli);
  Csv b = ParseCsv(base), p = ParseCsv(plain);
  const int x = b.Column("X");
  EXPECT_LT(p.rows.back()[x], b.rows.back()[x]);  // less glucose fed -> less biomass
  EXPECT_EQ(p.rows[90][x], b.rows[90][x]);        // identical before the feed starts (9 h)
  // A state's initial value with a unit: X=200 mg/L is 0.2 g/L at t = 0.
  run("x0", {"--set", "X=200 mg/L"});
  EXPECT_NEAR(ParseCsv(ReadFile(Path("x0.csv"))).rows[0][x], 0.2, 1e-12);
}

TEST_F(Cli, UntilAcceptsUnits) {
  CliResult r =
      Run({"simulate", Ecoli(), "--until", "90min", "--out", Path("short.csv"), "--quiet"});
  ASSERT_EQ(r.code, 0) << r.err;
  Csv csv = ParseCsv(ReadFile(Path("short.csv")));
  ASSERT_FALSE(csv.rows.empty());
  EXPECT_NEAR(csv.rows.back()[0], 1.5, 1e-12);
  auto summary = nlohmann::json::parse(ReadFile(Path("short.json")));
  EXPECT_NEAR(summary["t_reached"]["value"].get<double>(), 1.5, 1e-12);
}

TEST_F(Cli, VesselOverflowFailsWithPartialOutputAndNoCsv) {
  // F is clipped to its 0.5 L/h limit: 2 L + 0.5 L/h reaches the 5 L maximum at 6 h.
  const std::string out = Path("fail.csv");
  std::ofstream(out) << "stale\n";  // an older complete-looking file must not survive
  CliResult r =
      Run({"simulate", Ecoli(), "--set", "F=100 L/h", "--until", "10 h", "--out", out, "--quiet"});
  EXPECT_EQ(r.code, 1) << r.err;
  EXPECT_THAT(r.err, HasSubstr("overflow"));
  EXPECT_THAT(r.err, HasSubstr("t = 6 h"));
  EXPECT_FALSE(fs::exists(out));
  ASSERT_TRUE(fs::exists(Path("fail.partial.csv")));
  Csv csv = ParseCsv(ReadFile(Path("fail.partial.csv")));
  ASSERT_FALSE(csv.rows.empty());
  EXPECT_LE(csv.rows.back()[0], 6.0 + 1e-9);
  EXPECT_GT(csv.rows.back()[0], 5.5);
  auto summary = nlohmann::json::parse(ReadFile(Path("fail.json")));
  EXPECT_EQ(summary["status"], "failed");
  EXPECT_THAT(summary["message"].get<std::string>(), HasSubstr("overflow"));
  EXPECT_GT(summary["statistics"]["input_clips"].get<long>(), 0);
}

TEST_F(Cli, BlowUpFailsWithExitCodeOne) {
  const std::string model = Write("blowup.yaml", R"yaml(biotwin: 1
model: {name: blowup}
states:
  X: {unit: g/L, initial: 1}
parameters:
  k: {value: 1, unit: L/g/h}
balances:
  X: "k*X*X"
)yaml");
  // X = 1/(1 - t) explodes at t = 1 h.
  CliResult r = Run({"simulate", model, "--until", "2 h", "--out", Path("boom.csv"), "--quiet"});
  EXPECT_EQ(r.code, 1) << r.err;
  EXPECT_THAT(r.err, HasSubstr("simulation failed"));
  EXPECT_THAT(r.err, HasSubstr("state 'X'"));  // docs/cli.md: the message names time and state
  EXPECT_THAT(r.err, ::testing::ContainsRegex("t = 0\\.99[0-9]* h"));
  EXPECT_FALSE(fs::exists(Path("boom.csv")));
  EXPECT_TRUE(fs::exists(Path("boom.partial.csv")));
  auto summary = nlohmann::json::parse(ReadFile(Path("boom.json")));
  EXPECT_EQ(summary["status"], "failed");
  EXPECT_LT(summary["t_reached"]["value"].get<double>(), 1.0 + 1e-6);
}

TEST_F(Cli, UsageAndInputErrorsHaveDistinctExitCodes) {
  CliResult unknown_set =
      Run({"simulate", Ecoli(), "--until", "1h", "--set", "Nope=3", "--out", Path("a.csv")});
  EXPECT_EQ(unknown_set.code, 2);
  EXPECT_THAT(unknown_set.err, HasSubstr("'Nope' is not a parameter, input or state"));
  EXPECT_FALSE(fs::exists(Path("a.csv")));

  CliResult bad_unit =
      Run({"simulate", Ecoli(), "--until", "1h", "--set", "Si=3 h", "--out", Path("b.csv")});
  EXPECT_EQ(bad_unit.code, 2);
  EXPECT_THAT(bad_unit.err, HasSubstr("Si"));

  CliResult missing =
      Run({"simulate", Path("nowhere.yaml"), "--until", "1h", "--out", Path("c.csv")});
  EXPECT_EQ(missing.code, 3);
  EXPECT_THAT(missing.err, HasSubstr("nowhere.yaml"));

  CliResult missing_check = Run({"check", Path("nowhere.yaml")});
  EXPECT_EQ(missing_check.code, 3);

  CliResult no_until = Run({"simulate", Ecoli(), "--out", Path("d.csv")});
  EXPECT_EQ(no_until.code, 2);
  EXPECT_THAT(no_until.err, HasSubstr("--until"));

  CliResult command = Run({"simulat"});
  EXPECT_EQ(command.code, 2);
  EXPECT_THAT(command.err, HasSubstr("unknown command 'simulat'"));

  CliResult no_args = Run({});
  EXPECT_EQ(no_args.code, 2);
  EXPECT_EQ(Run({"--version"}).code, 0);
  CliResult help = Run({"simulate", "--help"});
  EXPECT_EQ(help.code, 0);
  EXPECT_THAT(help.out, HasSubstr("Exit codes"));
}

TEST_F(Cli, SensitivityColumnsAndIoErrors) {
  CliResult r = Run({"simulate", Ecoli(), "--until", "2h", "--sensitivities", "qSmax,Ks", "--out",
                     Path("sens.csv"), "--quiet"});
  ASSERT_EQ(r.code, 0) << r.err;
  Csv csv = ParseCsv(ReadFile(Path("sens.csv")));
  const int col = csv.Column("dX/dqSmax");
  ASSERT_GE(col, 0);
  EXPECT_EQ(csv.header[col], "dX/dqSmax [(g/L)/(g/g/h)]");
  EXPECT_GE(csv.Column("dS/dKs"), 0);
  EXPECT_EQ(csv.rows[0][col], 0.0);    // sensitivities start at zero
  EXPECT_GT(csv.rows.back()[col], 0);  // faster uptake -> more biomass

  CliResult bad_sens = Run({"simulate", Ecoli(), "--until", "2h", "--sensitivities", "qSmax,nope",
                            "--out", Path("s2.csv")});
  EXPECT_EQ(bad_sens.code, 2);
  EXPECT_THAT(bad_sens.err, HasSubstr("'nope'"));

  CliResult io =
      Run({"simulate", Ecoli(), "--until", "1h", "--out", Path("no/such/dir/run.csv"), "--quiet"});
  EXPECT_EQ(io.code, 4) << io.err;
}

TEST_F(Cli, VanishinglySmallEventPeriodDoesNotHang) {
  // every: 1e-17 h cannot advance t = 1 h in double precision (1 + 1e-17 == 1): the run must be
  // rejected or fail, not loop forever. Guarded by a 2 s timeout and a 1 GB memory cap.
  const std::string model = Write("tiny.yaml", R"yaml(biotwin: 1
model: {name: tiny}
states:
  C: {unit: g/L, initial: 1}
liquid:
  volume: {name: V, unit: L, initial: 1}
balances:
  C: "0"
  V: "0"
events:
  - {name: e, at: {start: 1 h, every: 1e-17 h, until: 2 h}, actions: [{set: {C: 2}}]}
)yaml");
  const std::string cmd = "cd " + Quote(dir_) + " && ulimit -v 1000000; timeout 2 " + Quote(testing::CliPath()) +
                          " simulate " + Quote(model) + " --until 2h --out " +
                          Quote(Path("tiny.csv")) + " --quiet >/dev/null 2>" +
                          Quote(Path("tiny.err"));
  const int status = std::system(cmd.c_str());
  const int code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  EXPECT_NE(code, 124) << "biotwin simulate did not finish within 2 s";
  EXPECT_TRUE(code == 1 || code == 3) << "exit code " << code << ": " << ReadFile(Path("tiny.err"));
}

TEST_F(Cli, CheckValidatesAScenarioAgainstTheModel) {
  const std::string sc = testing::SourcePath("examples/ecoli_fedbatch/scenario.yaml");
  CliResult ok = Run({"check", Ecoli(), "--scenario", sc});
  EXPECT_EQ(ok.code, 0) << ok.err;
  EXPECT_THAT(ok.out, HasSubstr("scenario ecoli_fedbatch_demo: OK"));
  const std::string bad = Write("bad_scenario.yaml", "until: 10 h\ninputs:\n  Fx: 0.1\n");
  CliResult r = Run({"check", Ecoli(), "--scenario", bad});
  EXPECT_EQ(r.code, 3);
  EXPECT_THAT(r.err, HasSubstr(bad + ":3:"));
  EXPECT_THAT(r.err, HasSubstr("'Fx' is not an input"));
}

TEST_F(Cli, SimulateWritesAnHtmlReportWhenAsked) {
  CliResult r = Run({"simulate", Ecoli(), "--until", "1h", "--out", Path("rep.csv"), "--report",
                     Path("rep.html"), "--summary", Path("custom.json"), "--quiet"});
  ASSERT_EQ(r.code, 0) << r.err;
  const std::string html = ReadFile(Path("rep.html"));
  EXPECT_THAT(html, HasSubstr("<html"));
  EXPECT_THAT(html, HasSubstr("ecoli_anane2017"));
  EXPECT_TRUE(fs::exists(Path("custom.json")));
  EXPECT_FALSE(fs::exists(Path("rep.json")));  // --summary replaces the default location
}

// Issue 4 item 5: simulate records every run, completed or failed, as an audited batch in
// ./biotwin.db by default; the audit trail verifies afterwards.
TEST_F(Cli, SimulateRecordsCompletedAndFailedRunsAsBatches) {
  CliResult ok = Run({"simulate", Ecoli(), "--until", "2h", "--out", Path("ok.csv"), "--quiet"});
  ASSERT_EQ(ok.code, 0) << ok.err;
  CliResult bad = Run({"simulate", Ecoli(), "--set", "F=100 L/h", "--until", "10 h", "--out",
                       Path("bad.csv"), "--quiet"});
  ASSERT_EQ(bad.code, 1) << bad.err;
  CliResult list = Run({"batch", "list", "--db", Path("biotwin.db")});
  ASSERT_EQ(list.code, 0) << list.err;
  EXPECT_NE(list.out.find("completed"), std::string::npos) << list.out;
  EXPECT_NE(list.out.find("failed"), std::string::npos) << list.out;
  // A second model whose outputs share names but not units (OTR in mg/L/h, not %/h) records
  // into the same store: series are tagged per model.
  CliResult other = Run({"simulate", testing::SourcePath("models/indpensim.yaml"), "--until", "1h", "--out",
                         Path("ip.csv"), "--quiet"});
  ASSERT_EQ(other.code, 0) << other.err;
  CliResult verify = Run({"audit", "verify", "--db", Path("biotwin.db")});
  EXPECT_EQ(verify.code, 0) << verify.out << verify.err;
  // --no-record leaves no store behind.
  CliResult none = Run({"simulate", Ecoli(), "--until", "1h", "--out", Path("n.csv"), "--quiet",
                        "--no-record", "--db", Path("other.db")});
  ASSERT_EQ(none.code, 0) << none.err;
  EXPECT_FALSE(fs::exists(Path("other.db")));
}

}  // namespace
}  // namespace biotwin::cli
