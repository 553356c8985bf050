// biotwin estimate: reconstruct a model's states from online and (delayed) lab measurements with
// an EKF, UKF or moving-horizon estimator and write the estimates with their sigmas.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "command.h"
#include "estimate/state_estimation.h"
#include "estimate/state_noise.h"
#include "io/run_table.h"
#include "model/format.h"
#include "model/model.h"
#include "model/units.h"
#include "sim/scenario.h"
#include "sim/validity.h"

namespace biotwin::cli {
namespace {

constexpr const char* kUsage =
    "usage: biotwin estimate MODEL --data ONLINE.csv [--lab LAB.csv] [--scenario FILE]\n"
    "                        [--method ekf|ukf|mhe] [--noise NOISE.yaml] --out EST.csv [--quiet]\n\n"
    "Estimates every state of MODEL from measured signals (states or outputs of the model, named\n"
    "by the CSV column headers, units in brackets and converted to the model's units).\n"
    "ONLINE.csv: first column time, one column per signal; a sample is used at the time of its\n"
    "row; empty cells are missing values. LAB.csv: columns 'sample_time [h]' (first) and\n"
    "'report_time [h]', then signals: each value is drawn at sample_time and becomes known at\n"
    "report_time. The MHE re-solves its window with such delayed samples; the EKF and UKF cannot\n"
    "revise the past and count them as skipped. The scenario gives the applied inputs and events\n"
    "(default: the model's defaults). NOISE.yaml gives measurement and process-noise sigmas, the\n"
    "prior, non-negative states and columns to ignore (docs/estimate.md); missing sigmas get the\n"
    "documented defaults, each reported on stderr.\n"
    "EST.csv: one row per measurement time: time, every state and its one-sigma uncertainty\n"
    "(NAME_sigma), and the model outputs of the estimate.\n"
    "Exit codes: 0 done, 1 estimation failed (EST.partial.csv written), 2 usage, 3 invalid input,\n"
    "4 I/O error.";

// Line numbers of the data rows of a CSV file (after the header; blank and '#' lines skipped).
std::vector<int> DataLines(const std::string& path) {
  std::ifstream in(path);
  std::vector<int> lines;
  std::string line;
  bool header = false;
  for (int no = 1; std::getline(in, line); ++no) {
    const size_t first = line.find_first_not_of(" \t\r");
    if (first == std::string::npos || line[first] == '#') continue;
    if (!header) {
      header = true;
      continue;
    }
    lines.push_back(no);
  }
  return lines;
}

int HeaderLine(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  for (int no = 1; std::getline(in, line); ++no) {
    const size_t first = line.find_first_not_of(" \t\r");
    if (first != std::string::npos && line[first] != '#') return no;
  }
  return 1;
}

model::Unit ParseColumnUnit(const std::string& path, const std::string& column, const std::string& unit) {
  try {
    return model::ParseUnit(unit == "-" ? "1" : unit);
  } catch (const model::UnitError& e) {
    throw io::FileError(path, HeaderLine(path), column, e.what());
  }
}

struct Signals {
  std::vector<std::string> names;
  int Index(const std::string& name) {
    auto it = std::find(names.begin(), names.end(), name);
    if (it != names.end()) return static_cast<int>(it - names.begin());
    names.push_back(name);
    return static_cast<int>(names.size()) - 1;
  }
};

struct Arrival {
  double t;
  std::vector<estimate::Observation> obs;
};

// Converts one data column to the signal's model unit; returns false for an ignored column.
bool ConvertColumn(const std::string& path, const model::ModelInfo& info, const estimate::NoiseSpec& noise,
                   io::Series& col) {
  if (std::find(noise.ignore.begin(), noise.ignore.end(), col.name) != noise.ignore.end()) return false;
  const model::Unit* target = nullptr;
  try {
    target = &estimate::SignalUnit(info, col.name);
  } catch (const std::invalid_argument& e) {
    throw io::FileError(path, HeaderLine(path), col.name,
                        std::string(e.what()) + "; list it under 'ignore:' in the noise file to skip it");
  }
  const model::Unit from = ParseColumnUnit(path, col.name, col.unit);
  try {
    for (double& v : col.values) {
      if (!std::isnan(v)) v = model::ConvertValue(v, from, *target);
    }
  } catch (const model::UnitError& e) {
    throw io::FileError(path, HeaderLine(path), col.name, e.what());
  }
  return true;
}

double TimeFactor(const std::string& path, const io::RunTable& table, const model::ModelInfo& info) {
  const model::Unit u = ParseColumnUnit(path, table.time_name, table.time_unit);
  try {
    return model::ConversionFactor(u, info.time_unit);
  } catch (const model::UnitError& e) {
    throw io::FileError(path, HeaderLine(path), table.time_name, e.what());
  }
}

// Reads ONLINE.csv and LAB.csv into arrivals (sorted, one per distinct arrival time).
std::vector<Arrival> ReadData(const std::string& online, const std::string& lab, const model::ModelInfo& info,
                              const estimate::NoiseSpec& noise, double t_begin, Signals* signals,
                              std::map<std::string, std::vector<double>>* values) {
  std::vector<Arrival> all;
  auto add = [&](double t, estimate::Observation o, const std::string& path, int line, const std::string& field) {
    if (t < t_begin - 1e-9 || o.sample_time < t_begin - 1e-9) {
      throw io::FileError(path, line, field, "time " + model::FormatNumber(o.sample_time) + " " + info.time_unit.text +
                                                 " is before the start of the scenario (" + model::FormatNumber(t_begin) + ")");
    }
    all.push_back({t, {o}});
  };
  {
    io::RunTable table = io::ReadCsv(online);
    const double f = TimeFactor(online, table, info);
    const std::vector<int> lines = DataLines(online);
    for (auto& col : table.columns) {
      if (!ConvertColumn(online, info, noise, col)) continue;
      const int s = signals->Index(col.name);
      for (size_t r = 0; r < table.time.size(); ++r) {
        if (std::isnan(col.values[r])) continue;
        const double t = table.time[r] * f;
        add(t, {s, col.values[r], t}, online, lines[r], col.name);
        (*values)[col.name].push_back(col.values[r]);
      }
    }
  }
  if (!lab.empty()) {
    io::RunTable table = io::ReadCsv(lab);
    const double f = TimeFactor(lab, table, info);
    const std::vector<int> lines = DataLines(lab);
    if (table.time_name != "sample_time") {
      throw io::FileError(lab, HeaderLine(lab), table.time_name, "the first column must be 'sample_time [UNIT]'");
    }
    const int rc = table.Find("report_time");
    if (rc < 0) throw io::FileError(lab, HeaderLine(lab), "report_time", "missing column 'report_time [UNIT]'");
    const double rf = ParseColumnUnit(lab, "report_time", table.columns[rc].unit).scale / info.time_unit.scale;
    for (size_t r = 0; r < table.time.size(); ++r) {
      const double rt = table.columns[rc].values[r] * rf;
      if (std::isnan(rt)) throw io::FileError(lab, lines[r], "report_time", "report time is missing");
      if (rt < table.time[r] * f - 1e-9) {
        throw io::FileError(lab, lines[r], "report_time", "reported before the sample was drawn");
      }
    }
    for (int c = 0; c < static_cast<int>(table.columns.size()); ++c) {
      if (c == rc) continue;
      auto& col = table.columns[c];
      if (!ConvertColumn(lab, info, noise, col)) continue;
      const int s = signals->Index(col.name);
      for (size_t r = 0; r < table.time.size(); ++r) {
        if (std::isnan(col.values[r])) continue;
        add(table.columns[rc].values[r] * rf, {s, col.values[r], table.time[r] * f}, lab, lines[r], col.name);
        (*values)[col.name].push_back(col.values[r]);
      }
    }
  }
  std::stable_sort(all.begin(), all.end(), [](const Arrival& a, const Arrival& b) { return a.t < b.t; });
  std::vector<Arrival> merged;
  for (auto& a : all) {
    if (!merged.empty() && std::fabs(merged.back().t - a.t) <= 1e-9 * std::max(1.0, std::fabs(a.t))) {
      merged.back().obs.push_back(a.obs[0]);
    } else {
      merged.push_back(std::move(a));
    }
  }
  return merged;
}

// Estimator options from the noise file, with the documented defaults for what it leaves out.
estimate::StateEstimationOptions MakeOptions(const model::ModelInfo& info, const estimate::NoiseSpec& noise,
                                             const Signals& signals,
                                             const std::map<std::string, std::vector<double>>& values,
                                             const std::vector<double>& x0, bool quiet) {
  estimate::StateEstimationOptions opt;
  auto note = [&](const std::string& text) {
    if (!quiet) std::fprintf(stderr, "note: %s\n", text.c_str());
  };
  for (const auto& name : signals.names) {
    auto it = noise.measurement_sigma.find(name);
    double sigma;
    if (it != noise.measurement_sigma.end()) {
      sigma = it->second;
    } else {
      double ss = 0.0;
      const auto& v = values.at(name);
      for (double x : v) ss += x * x;
      sigma = std::max(0.02 * std::sqrt(ss / v.size()), 1e-9);
      note("no measurement sigma for " + name + ": using 2 % of its RMS value, " + model::FormatNumber(sigma) + " " +
           estimate::SignalUnit(info, name).text);
    }
    opt.signals.push_back({name, sigma});
  }
  const size_t n = info.states.size();
  opt.process_sigma.assign(n, 0.0);
  for (size_t i = 0; i < n; ++i) {
    if (!std::isnan(noise.process_sigma[i])) {
      opt.process_sigma[i] = noise.process_sigma[i];
    } else {
      opt.process_sigma[i] = 0.01 * std::max(std::fabs(x0[i]), 1e-3);
      note("no process noise for " + info.states[i].name + ": using 1 % of its initial value, " +
           model::FormatNumber(opt.process_sigma[i]) + " " + info.states[i].unit.text + " per sqrt(" +
           info.time_unit.text + ")");
    }
  }
  opt.non_negative = noise.non_negative;
  if (noise.mhe_window > 0) opt.mhe_window = noise.mhe_window;
  if (!std::isnan(noise.ukf_alpha)) opt.ukf_alpha = noise.ukf_alpha;
  if (!std::isnan(noise.ukf_beta)) opt.ukf_beta = noise.ukf_beta;
  if (!std::isnan(noise.ukf_kappa)) opt.ukf_kappa = noise.ukf_kappa;
  return opt;
}

io::RunTable MakeTable(const model::ModelInfo& info) {
  io::RunTable table;
  table.time_unit = info.time_unit.text;
  for (const auto& s : info.states) {
    table.columns.push_back({s.name, s.unit.text, "estimate", "estimate of " + s.description, {}});
  }
  for (const auto& s : info.states) {
    table.columns.push_back({s.name + "_sigma", s.unit.text, "sigma", "one-sigma uncertainty of " + s.name, {}});
  }
  for (const auto& o : info.outputs) {
    table.columns.push_back({o.name, o.unit.text, "output", o.description + " (of the estimate)", {}});
  }
  return table;
}

void AppendRow(estimate::StateEstimator& est, const model::ModelInfo& info, std::vector<double>& y,
               io::RunTable* table) {
  const size_t n = info.states.size();
  table->time.push_back(est.time());
  for (size_t i = 0; i < n; ++i) {
    table->columns[i].values.push_back(est.state()[i]);
    table->columns[n + i].values.push_back(est.sigma(static_cast<int>(i)));
  }
  est.Outputs(y);
  for (size_t k = 0; k < y.size(); ++k) table->columns[2 * n + k].values.push_back(y[k]);
}

int RunEstimate(const std::vector<std::string>& args) {
  std::string model_path, data, lab, scenario_path, method_text = "ekf", noise_path, out;
  bool quiet = false;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    auto value = [&](std::string* dst) {
      if (i + 1 >= args.size()) {
        std::fprintf(stderr, "biotwin estimate: %s needs a value\n", a.c_str());
        return false;
      }
      *dst = args[++i];
      return true;
    };
    if (a == "--data") { if (!value(&data)) return kExitUsage; }
    else if (a == "--lab") { if (!value(&lab)) return kExitUsage; }
    else if (a == "--scenario") { if (!value(&scenario_path)) return kExitUsage; }
    else if (a == "--method") { if (!value(&method_text)) return kExitUsage; }
    else if (a == "--noise") { if (!value(&noise_path)) return kExitUsage; }
    else if (a == "--out") { if (!value(&out)) return kExitUsage; }
    else if (a == "--quiet") { quiet = true; }
    else if (!a.empty() && a[0] != '-' && model_path.empty()) { model_path = a; }
    else {
      std::fprintf(stderr, "biotwin estimate: unexpected argument '%s'\n%s\n", a.c_str(), kUsage);
      return kExitUsage;
    }
  }
  if (model_path.empty() || data.empty() || out.empty()) {
    std::fprintf(stderr, "%s\n", kUsage);
    return kExitUsage;
  }
  estimate::StateMethod method;
  try {
    method = estimate::ParseStateMethod(method_text);
  } catch (const std::invalid_argument& e) {
    std::fprintf(stderr, "biotwin estimate: --method: %s\n", e.what());
    return kExitUsage;
  }
  std::shared_ptr<const model::Model> m;
  sim::Scenario sc;
  std::vector<Arrival> arrivals;
  std::unique_ptr<estimate::StateEstimator> est;
  std::vector<double> x0, s0;
  try {
    m = model::LoadModelFile(model_path);
    const auto& info = m->info();
    sc = scenario_path.empty() ? sim::DefaultScenario(info, model::kNaN) : sim::LoadScenarioFile(scenario_path, info);
    estimate::NoiseSpec noise = noise_path.empty() ? estimate::LoadNoiseSpecText("", "(none)", info)
                                                   : estimate::LoadNoiseSpecFile(noise_path, info);
    Signals signals;
    std::map<std::string, std::vector<double>> values;
    arrivals = ReadData(data, lab, info, noise, sc.t_begin, &signals, &values);
    if (arrivals.empty()) throw io::FileError(data, 0, "", "no measurements");
    if (std::isnan(sc.t_end) || sc.t_end < arrivals.back().t) sc.t_end = arrivals.back().t;
    x0 = info.InitialState();
    for (const auto& [k, v] : sc.initial) x0[k] = v;
    s0.assign(x0.size(), 0.0);
    for (size_t i = 0; i < x0.size(); ++i) {
      if (!std::isnan(noise.initial_value[i])) x0[i] = noise.initial_value[i];
      s0[i] = std::isnan(noise.initial_sigma[i]) ? 0.1 * std::max(std::fabs(x0[i]), 1e-2) : noise.initial_sigma[i];
    }
    auto opt = MakeOptions(info, noise, signals, values, x0, quiet);
    opt.method = method;
    est = estimate::StateEstimator::Create(m, sc, opt);
  } catch (const model::ModelError& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return kExitInvalidInput;
  } catch (const io::FileError& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return e.line() == 0 && std::string(e.what()).find("cannot") != std::string::npos ? kExitIoError
                                                                                        : kExitInvalidInput;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return kExitInvalidInput;
  }
  const auto& info = m->info();
  const auto start = std::chrono::steady_clock::now();
  est->Reset(sc.t_begin, x0, s0);
  io::RunTable table = MakeTable(info);
  std::vector<double> y(m->num_outputs());
  AppendRow(*est, info, y, &table);
  bool ok = true;
  std::string failure;
  for (const auto& a : arrivals) {
    if (!est->Step(a.t, a.obs)) {
      ok = false;
      failure = "at t = " + model::FormatNumber(a.t) + " " + info.time_unit.text + ": " + est->summary().last_error;
      break;
    }
    if (a.t > table.time.back()) {
      AppendRow(*est, info, y, &table);
    } else {  // observations at the start time: replace the prior row
      table.time.pop_back();
      for (auto& c : table.columns) c.values.pop_back();
      AppendRow(*est, info, y, &table);
    }
  }
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const std::string partial = std::filesystem::path(out).replace_extension(".partial.csv").string();
  try {
    if (ok) {
      io::WriteCsv(table, out);
      std::filesystem::remove(partial);
    } else {
      std::filesystem::remove(out);
      io::WriteCsv(table, partial);
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return kExitIoError;
  }
  if (!ok) {
    std::fprintf(stderr, "error: estimation failed %s\n  estimates so far: %s\n", failure.c_str(), partial.c_str());
    return kExitRunFailed;
  }
  {  // the model's validity domain (a fitted model): estimated states, scenario inputs
    sim::ValidityMonitor validity(info);
    const size_t n = info.states.size();
    std::vector<double> x(n), u = info.DefaultInputs();
    for (size_t r = 0; r < table.time.size(); ++r) {
      const double t = table.time[r];
      for (size_t i = 0; i < n; ++i) x[i] = table.columns[i].values[r];
      for (const auto& [k, profile] : sc.inputs) u[k] = profile.Value(t);
      validity.Observe(t, x.data(), u.data());
    }
    for (const auto& w : validity.Warnings()) std::fprintf(stderr, "warning: %s\n", w.c_str());
  }
  const auto& s = est->summary();
  if (!quiet) {
    std::printf("estimated %s (%s) over %zu measurement times in %.3f s: %ld observations used (%ld delayed), "
                "%ld delayed samples skipped, %ld projections onto non-negative values\n",
                info.provenance.name.c_str(), estimate::StateMethodName(method), arrivals.size(), wall,
                s.observations_used, s.delayed_used, s.skipped_delayed, s.clipped);
    if (method == estimate::StateMethod::kMhe) {
      std::printf("MHE: %ld window solves (%ld stopped at the iteration limit), %ld Ceres iterations, %ld model "
                  "propagations\n", s.mhe_solves, s.mhe_unconverged, s.mhe_iterations, s.propagations);
    }
    if (s.skipped_delayed > 0 && method != estimate::StateMethod::kMhe) {
      std::printf("note: the %s cannot use samples reported after a later measurement time; use --method mhe\n",
                  estimate::StateMethodName(method));
    }
    std::printf("wrote %s\n", out.c_str());
  }
  return kExitOk;
}

}  // namespace

BIOTWIN_REGISTER_COMMAND(Command{"estimate", "estimate states from online and lab data (EKF, UKF, MHE)", kUsage,
                                 &RunEstimate});

}  // namespace biotwin::cli
