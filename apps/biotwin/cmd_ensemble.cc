// biotwin ensemble: many batches of one model, drawn from the scenario's `variation:` block
// (batch-to-batch spread, in-batch disturbances, batch length), run in parallel, summarised one
// row per batch with an HTML report of the distributions.
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "command.h"
#include "control/control.h"
#include "io/distribution_report.h"
#include "io/run_table.h"
#include "model/format.h"
#include "model/model.h"
#include "runtime/runtime.h"
#include "sim/ensemble.h"
#include "sim/scenario.h"
#include "sim/simulator.h"
#include "sim/validity.h"
#include "sim/variation.h"

namespace biotwin::cli {
namespace {

constexpr const char* kUsage =
    "usage: biotwin ensemble MODEL --scenario S -n N [--seed K] [--threads J] [--metrics a,b,...]\n"
    "                        --out SUMMARY.csv [--report SUMMARY.html] [--quiet]\n\n"
    "Runs N batches of MODEL through scenario S, each drawn from the scenario's 'variation:' block\n"
    "(initial values, parameters, filtered-noise disturbances, batch length; docs/scenario-\n"
    "format.md). Batch i uses seed K + i (default K = 1), so any batch can be rerun alone with\n"
    "-n 1 --seed K+i. Closed-loop scenarios (a 'control:' block) run in closed loop. Batches run\n"
    "on J threads (default: all cores) sharing the model.\n"
    "SUMMARY.csv has one row per batch: batch, seed, status (1 completed, 0 failed), batch length,\n"
    "the final value of every metric (--metrics, else the scenario's ensemble.metrics, else every\n"
    "model output; states or outputs), solver steps and wall time; failures are listed on stderr.\n"
    "--report writes statistics and histograms of every metric. Exit 1 if any batch failed.";

struct Metric {
  std::string name, unit;
  bool is_state = false;
  int index = -1;
};

std::vector<Metric> ParseMetrics(const std::string& text, const model::ModelInfo& info) {
  std::vector<Metric> out;
  if (text.empty()) {
    for (size_t i = 0; i < info.outputs.size(); ++i) {
      out.push_back({info.outputs[i].name, info.outputs[i].unit.text, false, static_cast<int>(i)});
    }
    return out;
  }
  size_t start = 0;
  while (start <= text.size()) {
    size_t comma = text.find(',', start);
    if (comma == std::string::npos) comma = text.size();
    std::string name = text.substr(start, comma - start);
    if (int s = info.StateIndex(name); s >= 0) {
      out.push_back({name, info.states[s].unit.text, true, s});
    } else if (int o = info.OutputIndex(name); o >= 0) {
      out.push_back({name, info.outputs[o].unit.text, false, o});
    } else {
      throw std::invalid_argument("--metrics: '" + name + "' is neither a state nor an output of the model");
    }
    start = comma + 1;
  }
  return out;
}

int RunEnsembleCommand(const std::vector<std::string>& args) {
  std::string model_path, scenario_path, out, report, metrics_text;
  long n = 0, threads = 0;
  unsigned long long seed = 1;
  bool quiet = false;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    auto value = [&](std::string* dst) {
      if (i + 1 >= args.size()) {
        std::fprintf(stderr, "biotwin ensemble: %s needs a value\n", a.c_str());
        return false;
      }
      *dst = args[++i];
      return true;
    };
    auto number = [&](auto* dst, long long lo) {
      std::string v;
      if (!value(&v)) return false;
      try {
        size_t used = 0;
        long long x = std::stoll(v, &used);
        if (used != v.size() || x < lo) throw 0;
        *dst = static_cast<std::remove_pointer_t<decltype(dst)>>(x);
        return true;
      } catch (...) {
        std::fprintf(stderr, "biotwin ensemble: %s needs a whole number >= %lld, not '%s'\n", a.c_str(), lo, v.c_str());
        return false;
      }
    };
    if (a == "--scenario") { if (!value(&scenario_path)) return kExitUsage; }
    else if (a == "--out") { if (!value(&out)) return kExitUsage; }
    else if (a == "--report") { if (!value(&report)) return kExitUsage; }
    else if (a == "--metrics") { if (!value(&metrics_text)) return kExitUsage; }
    else if (a == "-n") { if (!number(&n, 1)) return kExitUsage; }
    else if (a == "--seed") { if (!number(&seed, 0)) return kExitUsage; }
    else if (a == "--threads") { if (!number(&threads, 0)) return kExitUsage; }
    else if (a == "--quiet") { quiet = true; }
    else if (!a.empty() && a[0] != '-' && model_path.empty()) { model_path = a; }
    else {
      std::fprintf(stderr, "biotwin ensemble: unexpected argument '%s'\n%s\n", a.c_str(), kUsage);
      return kExitUsage;
    }
  }
  if (model_path.empty() || scenario_path.empty() || out.empty() || n < 1) {
    std::fprintf(stderr, "%s\n", kUsage);
    return kExitUsage;
  }
  std::shared_ptr<const model::Model> m;
  sim::Scenario nominal;
  sim::VariationSpec variation;
  std::optional<control::ControlSetup> control_setup;
  std::vector<Metric> metrics;
  try {
    m = model::LoadModelFile(model_path);
    nominal = sim::LoadScenarioFile(scenario_path, m->info());
    if (std::isnan(nominal.t_end)) throw std::invalid_argument("the scenario has no end time ('until:')");
    variation = sim::LoadVariationSpec(nominal.text, nominal.file, m->info());
    if (variation.empty()) {
      throw std::invalid_argument("the scenario has no 'variation:' block: every batch would be the same");
    }
    if (nominal.has_control) {
      control_setup = control::LoadScenarioControl(nominal, m->info());
      runtime::MakeStateSource(m->info(), nominal, *control_setup);  // checks an NMPC estimator block
    }
    if (metrics_text.empty()) {  // the scenario's ensemble.metrics, if it lists them
      YAML::Node root = YAML::Load(nominal.text);
      if (root["ensemble"] && root["ensemble"]["metrics"]) {
        for (const auto& v : root["ensemble"]["metrics"]) {
          metrics_text += (metrics_text.empty() ? "" : ",") + v.as<std::string>();
        }
      }
    }
    metrics = ParseMetrics(metrics_text, m->info());
  } catch (const model::ModelError& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return kExitInvalidInput;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return kExitUsage;
  }
  const auto& info = m->info();
  const size_t nm = metrics.size();

  sim::EnsembleOptions opt;
  opt.batches = static_cast<int>(n);
  opt.seed = seed;
  opt.threads = static_cast<int>(threads);
  const auto start = std::chrono::steady_clock::now();
  auto last_print = start;
  if (!quiet) {
    opt.on_progress = [&](int done, int total) {
      auto now = std::chrono::steady_clock::now();
      if (done == total || now - last_print > std::chrono::seconds(1)) {
        last_print = now;
        std::fprintf(stderr, "\rensemble %s: %d / %d batches, %.1f s", info.provenance.name.c_str(), done, total,
                     std::chrono::duration<double>(now - start).count());
        if (done == total) std::fprintf(stderr, "\n");
      }
    };
  }
  std::vector<double> lengths(n, model::kNaN);
  std::vector<long> steps(n, 0);
  std::vector<sim::ValidityMonitor> validity(n, sim::ValidityMonitor(info));  // one per batch (thread-safe)
  sim::EnsembleSummary summary = sim::RunEnsemble(opt, [&](int i, uint64_t s) {
    sim::Scenario sc = nominal;
    sim::ApplyDraw(sim::DrawBatch(variation, info, nominal, s), &sc);
    lengths[i] = sc.t_end - sc.t_begin;
    sim::SimResult r;
    if (control_setup) {
      r = runtime::RunClosedLoop(m, sc, *control_setup).ToSimResult();
    } else {
      sim::SimOptions so;
      so.record_outputs = true;
      r = sim::Simulator(m, sc, so).Run();
    }
    steps[i] = r.stats.steps;
    validity[i].Observe(r);
    sim::BatchOutcome o;
    o.ok = r.ok;
    o.status = r.ok ? "completed" : r.message;
    if (!r.time.empty()) {
      for (const auto& mt : metrics) {
        o.metrics.emplace_back(mt.name, mt.is_state ? r.states.back()[mt.index] : r.outputs.back()[mt.index]);
      }
    }
    return o;
  });

  io::RunTable table;
  table.time_name = "batch";
  table.time_unit = "-";
  auto column = [&](const std::string& name, const std::string& unit) -> std::vector<double>& {
    io::Series s;
    s.name = name;
    s.unit = unit;
    table.columns.push_back(std::move(s));
    return table.columns.back().values;
  };
  column("seed", "-");
  column("completed", "-");
  column("batch_length", info.time_unit.text);
  for (const auto& mt : metrics) column(mt.name, mt.unit);
  column("steps", "-");
  column("wall_time", "s");
  io::DistributionReport dr;
  dr.title = "biotwin ensemble: " + info.provenance.name + " / " + nominal.name;
  for (const auto& mt : metrics) dr.metrics.push_back({mt.name, mt.unit, {}});
  dr.metrics.push_back({"batch length", info.time_unit.text, {}});
  for (const auto& b : summary.batches) {
    table.time.push_back(b.index);
    size_t c = 0;
    table.columns[c++].values.push_back(static_cast<double>(b.seed));
    table.columns[c++].values.push_back(b.ok ? 1.0 : 0.0);
    table.columns[c++].values.push_back(lengths[b.index]);
    for (size_t k = 0; k < nm; ++k) {
      const double v = k < b.metrics.size() ? b.metrics[k].second : model::kNaN;
      table.columns[c++].values.push_back(v);
      if (b.ok) dr.metrics[k].values.push_back(v);
    }
    table.columns[c++].values.push_back(static_cast<double>(steps[b.index]));
    table.columns[c++].values.push_back(b.wall_seconds);
    if (b.ok) {
      dr.metrics[nm].values.push_back(lengths[b.index]);
    } else {
      dr.failures.emplace_back("batch " + std::to_string(b.index) + " (seed " + std::to_string(b.seed) + ")",
                               b.status);
    }
  }
  sim::ValidityMonitor all_validity(info);
  for (const auto& b : summary.batches) {
    all_validity.Merge(validity[b.index], "batch " + std::to_string(b.index) + ", seed " + std::to_string(b.seed));
  }
  const std::vector<std::string> validity_warnings = all_validity.Warnings();
  const double per_batch = summary.wall_seconds / n;
  dr.summary = {{"model", info.provenance.name + " " + info.provenance.version + " (sha256 " + info.content_hash + ")"},
                {"scenario", nominal.name + " (" + nominal.file + ")"},
                {"batches", std::to_string(n) + " (" + std::to_string(summary.failed) + " failed)"},
                {"seeds", std::to_string(seed) + " to " + std::to_string(seed + n - 1)},
                {"threads", std::to_string(summary.threads)},
                {"wall time", model::FormatNumber(summary.wall_seconds) + " s (" +
                                  model::FormatNumber(per_batch * 1e3) + " ms per batch)"}};
  for (const auto& w : validity_warnings) dr.summary.push_back({"warning", w});
  try {
    io::WriteCsv(table, out);
    if (!report.empty()) io::WriteFileAtomic(report, io::RenderDistributionReport(dr));
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return kExitIoError;
  }
  for (const auto& w : validity_warnings) std::fprintf(stderr, "warning: %s\n", w.c_str());
  for (const auto& [label, why] : dr.failures) std::fprintf(stderr, "failed: %s: %s\n", label.c_str(), why.c_str());
  if (!quiet) {
    std::printf("ensemble of %ld batches on %d threads in %.2f s (%.1f batches/s); %d failed\n", n, summary.threads,
                summary.wall_seconds, n / summary.wall_seconds, summary.failed);
    for (size_t k = 0; k < dr.metrics.size() && k < 4; ++k) {
      io::DistributionStats s = io::Describe(dr.metrics[k].values);
      if (s.n == 0) continue;
      std::printf("  %-14s mean %s, sd %s, 5-95 %% %s to %s %s\n", dr.metrics[k].name.c_str(),
                  model::FormatNumber(s.mean).c_str(), model::FormatNumber(s.sd).c_str(),
                  model::FormatNumber(s.p5).c_str(), model::FormatNumber(s.p95).c_str(), dr.metrics[k].unit.c_str());
    }
    std::printf("wrote %s%s%s\n", out.c_str(), report.empty() ? "" : ", ", report.c_str());
  }
  return summary.failed > 0 ? kExitRunFailed : kExitOk;
}

}  // namespace

BIOTWIN_REGISTER_COMMAND(Command{"ensemble", "run many randomised batches in parallel (Monte Carlo)", kUsage,
                                 &RunEnsembleCommand});

}  // namespace biotwin::cli
