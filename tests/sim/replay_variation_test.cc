// Replay files (name,value initial files and disturbance tables read as an outside simulator
// writes them), batch-to-batch variation draws and the parallel ensemble runner.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <numeric>
#include <string>
#include <vector>

#include "model/csv_table.h"
#include "model/model.h"
#include "sim/ensemble.h"
#include "sim/replay.h"
#include "sim/scenario.h"
#include "sim/variation.h"
#include "test_paths.h"

namespace biotwin::sim {
namespace {

constexpr const char* kModel = R"yaml(biotwin: 1
model: {name: replay_stub}
states:
  S: {unit: g/L, initial: 1}
  H: {unit: mol/L, initial: 3.16e-7}
  a0: {unit: g/L, initial: 0.1}
  a1: {unit: g/L, initial: 0.2}
parameters:
  mux: {value: 0.41, unit: 1/h, uncertainty: 0.025}
  PAA_c: {value: 530, unit: g/L}
  k0: {value: 0, unit: 1/h}
inputs:
  d_mu: {unit: 1/h}
  d_cs: {unit: g/L}
balances:
  S: "-mux*S + d_mu*S"
  H: "-k0*H"
  a0: "-k0*a0"
  a1: "-k0*a1"
)yaml";

std::string Write(const std::string& dir, const std::string& name, const std::string& text) {
  std::string p = dir + "/" + name;
  std::ofstream(p) << text;
  return p;
}

constexpr const char* kReplay = R"yaml(until: 10 h
replay:
  initial:
    x0.S: S
    x0.pH: {state: H, from: pH}
    x0.mux: {parameter: mux}
    PAA_c_mg_per_L: {parameter: PAA_c, unit: mg/L}
    T_batch_h: {horizon: h}
    h_sample_h: {sample_time: h}
    x0.X: ignore
  ignore: [stat_, Random_seed_ref]
  disturbances:
    d_mu_p_per_h: d_mu
    d_c_s_g_per_L: {input: d_cs, unit: g/L}
)yaml";

class ReplayTest : public ::testing::Test {
 protected:
  void SetUp() override {
    model_ = model::LoadModelText(kModel, "stub.yaml");
    dir_ = biotwin::testing::TempDir();
    scenario_ = LoadScenarioText(kReplay, "recipe.yaml", model_->info());
    spec_ = LoadReplaySpec(kReplay, "recipe.yaml", model_->info());
  }
  std::shared_ptr<const model::Model> model_;
  std::string dir_;
  Scenario scenario_;
  ReplaySpec spec_;
};

TEST_F(ReplayTest, InitialFileSetsStatesParametersAndHorizonWithUnits) {
  std::string p = Write(dir_, "x0.csv",
                        "name,value\nx0.S,0.95\nx0.pH,6.5\nx0.mux,0.39\nx0.X,0.37\n"
                        "PAA_c_mg_per_L,519808\nT_batch_h,2\nh_sample_h,0.2\nstat_total_kg,3741\n"
                        "Random_seed_ref,957\n");
  ReplayInitial ri = ApplyInitialFile(p, spec_, model_->info(), &scenario_);
  const auto& info = model_->info();
  EXPECT_DOUBLE_EQ(scenario_.initial.at(info.StateIndex("S")), 0.95);
  EXPECT_NEAR(scenario_.initial.at(info.StateIndex("H")), std::pow(10.0, -6.5), 1e-20);
  EXPECT_DOUBLE_EQ(scenario_.parameters.at(info.ParameterIndex("mux")), 0.39);
  EXPECT_NEAR(scenario_.parameters.at(info.ParameterIndex("PAA_c")), 519.808, 1e-9);
  EXPECT_DOUBLE_EQ(ri.horizon, 2.0);
  EXPECT_DOUBLE_EQ(ri.sample_time, 0.2);
  EXPECT_DOUBLE_EQ(scenario_.t_end, 2.0);
}

TEST_F(ReplayTest, UnknownNameIsNamedWithFileAndLine) {
  std::string p = Write(dir_, "x0.csv", "name,value\nx0.S,1\nx0.bogus,2\n");
  try {
    ApplyInitialFile(p, spec_, model_->info(), &scenario_);
    FAIL() << "expected an error";
  } catch (const model::ModelError& e) {
    EXPECT_EQ(e.line(), 3);
    EXPECT_EQ(e.field(), "x0.bogus");
    EXPECT_EQ(e.file(), p);
  }
}

TEST_F(ReplayTest, MalformedInitialFilesAreRejected) {
  EXPECT_THROW(ApplyInitialFile(dir_ + "/missing.csv", spec_, model_->info(), &scenario_),
               model::ModelError);
  std::string p = Write(dir_, "bad.csv", "name,value\nx0.S,abc\n");
  EXPECT_THROW(ApplyInitialFile(p, spec_, model_->info(), &scenario_), model::ModelError);
  p = Write(dir_, "ph.csv", "name,value\nx0.pH,-1\n");
  EXPECT_THROW(ApplyInitialFile(p, spec_, model_->info(), &scenario_), model::ModelError);
  p = Write(dir_, "dup.csv", "name,value\nx0.S,1\nx0.S,2\n");
  EXPECT_THROW(ApplyInitialFile(p, spec_, model_->info(), &scenario_), model::ModelError);
  p = Write(dir_, "ragged.csv", "name,value\nx0.S,1,2\n");
  EXPECT_THROW(ApplyInitialFile(p, spec_, model_->info(), &scenario_), model::ModelError);
}

TEST_F(ReplayTest, DisturbanceRowsHoldOverTheirSampleAndDriveTheModel) {
  scenario_.t_end = 0.6;
  std::string p = Write(dir_, "d.csv",
                        "time_h,d_mu_p_per_h,d_c_s_g_per_L\n0,0.1,5\n0.2,0.2,6\n0.4,0.3,7\n");
  ApplyDisturbanceFile(p, spec_, model_->info(), 0.2, &scenario_);
  const InputProfile& d = scenario_.inputs.at(model_->info().InputIndex("d_mu"));
  EXPECT_DOUBLE_EQ(d.Value(0.0), 0.1);
  EXPECT_DOUBLE_EQ(d.Value(0.19), 0.1);
  EXPECT_DOUBLE_EQ(d.Value(0.2), 0.2);
  EXPECT_DOUBLE_EQ(d.Value(0.5), 0.3);
  // dS/dt = (d_mu - mux) S: ln S(0.6) = 0.2 * (0.1 + 0.2 + 0.3) - 0.41 * 0.6.
  scenario_.rtol = 1e-10;
  scenario_.atol = 1e-14;
  SimResult r = Simulator(model_, scenario_, {}).Run();
  ASSERT_TRUE(r.ok) << r.message;
  const double want = std::exp(0.2 * 0.6 - 0.41 * 0.6);
  EXPECT_NEAR(r.states.back()[0], want, 1e-7 * want);
}

TEST_F(ReplayTest, ShortOrIrregularDisturbanceFilesAreRejectedWithTheTime) {
  scenario_.t_end = 1.0;
  std::string p = Write(dir_, "short.csv", "time_h,d_mu_p_per_h,d_c_s_g_per_L\n0,0,0\n0.2,0,0\n");
  try {
    ApplyDisturbanceFile(p, spec_, model_->info(), 0.2, &scenario_);
    FAIL() << "expected an error";
  } catch (const model::ModelError& e) {
    EXPECT_NE(std::string(e.what()).find("until 0.4 h"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("until 1 h"), std::string::npos) << e.what();
    EXPECT_EQ(e.line(), 3);
  }
  p = Write(dir_, "gap.csv", "time_h,d_mu_p_per_h,d_c_s_g_per_L\n0,0,0\n0.4,0,0\n");
  EXPECT_THROW(ApplyDisturbanceFile(p, spec_, model_->info(), 0.2, &scenario_), model::ModelError);
  p = Write(dir_, "col.csv", "time_h,d_mu_p_per_h\n0,0\n");
  EXPECT_THROW(ApplyDisturbanceFile(p, spec_, model_->info(), 0.2, &scenario_), model::ModelError);
}

TEST(ReplaySpecTest, BadBlocksNameTheField) {
  auto m = model::LoadModelText(kModel, "stub.yaml");
  auto bad = [&](const std::string& text, const std::string& field) {
    try {
      LoadReplaySpec(text, "r.yaml", m->info());
      ADD_FAILURE() << "accepted: " << text;
    } catch (const model::ModelError& e) {
      EXPECT_NE(e.field().find(field), std::string::npos) << e.what();
    }
  };
  bad("replay:\n  initial:\n    x0.Q: Q\n", "replay.initial.x0.Q");
  bad("replay:\n  initial:\n    x0.S: {state: S, unit: h}\n", "replay.initial.x0.S");
  bad("replay:\n  disturbances:\n    d1: nope\n", "replay.disturbances.d1");
  bad("replay:\n  colour: red\n", "replay");
}

constexpr const char* kVariation = R"yaml(until: 10 h
variation:
  initial:
    S: 0.1 g/L
    H: {sd_pH: 0.1}
  groups:
    - {states: [a0, a1], sd: 0.05 g/L}
  parameters:
    mux: uncertainty
  disturbances:
    d_mu: {sigma: 0.03 1/h, gain: 0.005, pole: 0.995}
  sample_time: 0.2 h
  batch_length: {sd: 6 h, round_to: 1 h}
)yaml";

TEST(Variation, DrawsHaveTheDeclaredMomentsAndAreReproducible) {
  auto m = model::LoadModelText(kModel, "stub.yaml");
  const auto& info = m->info();
  VariationSpec spec = LoadVariationSpec(kVariation, "v.yaml", info);
  Scenario nominal = LoadScenarioText("until: 230 h\n", "v.yaml", info);
  const int n = 4000;
  std::vector<double> s, ph, mux, a0, a1, len;
  for (int i = 0; i < n; ++i) {
    BatchDraw d = DrawBatch(spec, info, nominal, 100 + i);
    Scenario sc = nominal;
    ApplyDraw(d, &sc);
    s.push_back(sc.initial.at(info.StateIndex("S")));
    ph.push_back(-std::log10(sc.initial.at(info.StateIndex("H"))));
    mux.push_back(sc.parameters.at(info.ParameterIndex("mux")));
    a0.push_back(sc.initial.at(info.StateIndex("a0")));
    a1.push_back(sc.initial.at(info.StateIndex("a1")));
    len.push_back(sc.t_end);
  }
  auto mean = [](const std::vector<double>& v) {
    return std::accumulate(v.begin(), v.end(), 0.0) / v.size();
  };
  auto sd = [&](const std::vector<double>& v) {
    double m = mean(v), q = 0;
    for (double x : v) q += (x - m) * (x - m);
    return std::sqrt(q / (v.size() - 1));
  };
  // Sample mean within 4 standard errors, sample sd within 10 % (n = 4000: se(sd)/sd ~ 1.1 %).
  const double se = 1.0 / std::sqrt(static_cast<double>(n));
  EXPECT_NEAR(mean(s), 1.0, 4 * 0.1 * se);
  EXPECT_NEAR(sd(s), 0.1, 0.01);
  EXPECT_NEAR(mean(ph), 6.5, 4 * 0.1 * se);
  EXPECT_NEAR(sd(ph), 0.1, 0.01);
  EXPECT_NEAR(mean(mux), 0.41, 4 * 0.025 * se);
  EXPECT_NEAR(sd(mux), 0.025, 0.0025);
  std::vector<double> total(n);
  for (int i = 0; i < n; ++i) {
    total[i] = a0[i] + a1[i];
    EXPECT_NEAR(a1[i], 2.0 * a0[i], 1e-12);  // the split stays 1/3 : 2/3
  }
  EXPECT_NEAR(sd(total), 0.05, 0.005);
  for (double l : len) EXPECT_DOUBLE_EQ(l, std::round(l));
  EXPECT_NEAR(sd(len), 6.0, 0.7);  // rounding to 1 h adds 1/12 h^2 of variance
  // Same seed, same draw; adding nothing changes nothing.
  BatchDraw a = DrawBatch(spec, info, nominal, 7), b = DrawBatch(spec, info, nominal, 7);
  ASSERT_EQ(a.values.size(), b.values.size());
  for (size_t i = 0; i < a.values.size(); ++i) EXPECT_EQ(a.values[i].second, b.values[i].second);
}

TEST(Variation, DisturbanceIsFirstOrderFilteredNoiseFromZero) {
  auto m = model::LoadModelText(kModel, "stub.yaml");
  VariationSpec spec = LoadVariationSpec(kVariation, "v.yaml", m->info());
  spec.length_sd = 0.0;
  Scenario nominal = LoadScenarioText("until: 2000 h\n", "v.yaml", m->info());
  BatchDraw d = DrawBatch(spec, m->info(), nominal, 3);
  ASSERT_EQ(d.inputs.size(), 1u);
  const InputProfile& p = d.inputs[0].second;
  // Stationary sd of d_k = 0.995 d_{k-1} + 0.005 w_k: 0.005 sigma / sqrt(1 - 0.995^2).
  const double stat_sd = 0.005 * 0.03 / std::sqrt(1.0 - 0.995 * 0.995);
  std::vector<double> v;
  for (int k = 1000; k < 10000; ++k) v.push_back(p.Value(0.2 * k + 0.1));
  double mean = std::accumulate(v.begin(), v.end(), 0.0) / v.size(), q = 0.0;
  for (double x : v) q += (x - mean) * (x - mean);
  // 9000 samples with a 200-sample correlation time: ~45 independent ones, so 30 % on the sd.
  EXPECT_NEAR(std::sqrt(q / v.size()), stat_sd, 0.3 * stat_sd);
  // Lag-1 autocorrelation of an AR(1) process is its pole.
  double c1 = 0.0;
  for (size_t k = 1; k < v.size(); ++k) c1 += (v[k] - mean) * (v[k - 1] - mean);
  EXPECT_NEAR(c1 / q, 0.995, 0.01);
  EXPECT_LT(std::abs(p.Value(0.0)), 0.005 * 0.03 * 5);  // starts from (almost) zero
}

TEST(Variation, BadSpecsNameTheField) {
  auto m = model::LoadModelText(kModel, "stub.yaml");
  auto bad = [&](const std::string& text) {
    EXPECT_THROW(LoadVariationSpec(text, "v.yaml", m->info()), model::ModelError) << text;
  };
  bad("variation:\n  initial:\n    Q: 1\n");
  bad("variation:\n  initial:\n    S: -1\n");
  bad("variation:\n  parameters:\n    PAA_c: uncertainty\n");  // the model gives none
  bad("variation:\n  disturbances:\n    d_mu: {sigma: 1}\n");   // no sample_time
  bad("variation:\n  disturbances:\n    d_mu: {sigma: 1, pole: 1}\n  sample_time: 1\n");
  bad("variation:\n  groups:\n    - {states: [S, H], sd: 1}\n");  // different units
}

TEST(Ensemble, RunsEveryBatchOnceWithSeedsAndKeepsFailuresApart) {
  EnsembleOptions opt;
  opt.batches = 57;
  opt.seed = 1000;
  opt.threads = 3;
  int progress_calls = 0;
  opt.on_progress = [&](int done, int total) {
    ++progress_calls;
    EXPECT_LE(done, total);
  };
  EnsembleSummary s = RunEnsemble(opt, [](int i, uint64_t seed) {
    if (i == 13) throw std::runtime_error("solver failed at t = 3 h");
    BatchOutcome o;
    o.ok = true;
    o.status = "completed";
    o.metrics.emplace_back("value", static_cast<double>(seed) * 2.0);
    return o;
  });
  ASSERT_EQ(s.batches.size(), 57u);
  EXPECT_EQ(progress_calls, 57);
  EXPECT_EQ(s.failed, 1);
  EXPECT_EQ(s.threads, 3);
  for (int i = 0; i < 57; ++i) {
    EXPECT_EQ(s.batches[i].index, i);
    EXPECT_EQ(s.batches[i].seed, 1000u + i);
    if (i == 13) {
      EXPECT_FALSE(s.batches[i].ok);
      EXPECT_EQ(s.batches[i].status, "solver failed at t = 3 h");
    } else {
      EXPECT_DOUBLE_EQ(s.batches[i].metrics[0].second, 2.0 * (1000 + i));
    }
  }
  EXPECT_THROW(RunEnsemble({.batches = 0}, [](int, uint64_t) { return BatchOutcome{}; }),
               std::invalid_argument);
}

TEST(CsvTable, ReadsMissingCellsAndNamesBadCells) {
  std::string dir = biotwin::testing::TempDir();
  std::string p = Write(dir, "t.csv", "# comment\ntime [h],X [g/L]\n0,1\n1,\n2,NaN\n");
  model::CsvTable t = model::ReadCsvTable(p);
  ASSERT_EQ(t.rows.size(), 3u);
  EXPECT_EQ(t.Find("X"), 1);
  EXPECT_EQ(t.lines[0], 3);
  EXPECT_TRUE(std::isnan(t.rows[1][1]));
  EXPECT_TRUE(std::isnan(t.rows[2][1]));
  p = Write(dir, "b.csv", "time [h],X [g/L]\n0,1x\n");
  try {
    model::ReadCsvTable(p);
    FAIL();
  } catch (const model::ModelError& e) {
    EXPECT_EQ(e.line(), 2);
    EXPECT_EQ(e.field(), "X [g/L]");
  }
}

}  // namespace
}  // namespace biotwin::sim
