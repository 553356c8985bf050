// biotwin simulate: run a model through a scenario and write CSV, JSON summary and HTML report.
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "command.h"
#include "control/control.h"
#include "io/progress.h"
#include "io/reference_overlay.h"
#include "io/run_output.h"
#include "model/model.h"
#include "model/format.h"
#include "model/quantity.h"
#include "record/record.h"
#include "runtime/runtime.h"
#include "sim/replay.h"
#include "sim/scenario.h"
#include "sim/simulator.h"
#include "sim/validity.h"
#include "sim/variation.h"

namespace biotwin::cli {
namespace {

constexpr const char* kUsage =
    "usage: biotwin simulate MODEL [--scenario FILE] [--set NAME=VALUE[UNIT]]... [--until T[UNIT]]\n"
    "                        --out RUN.csv [--report RUN.html] [--summary RUN.json]\n"
    "                        [--sensitivities p1,p2,...] [--db FILE | --no-record] [--quiet]\n"
    "                        [--initial X0.csv] [--disturbances D.csv] [--fault N] [--seed K]\n"
    "                        [--reference REF.csv]\n\n"
    "Simulates MODEL (CVODES BDF with the exact Jacobian) through the scenario's input profiles\n"
    "and events. Writes RUN.csv (one row per output time, the unit in every header), the run\n"
    "summary RUN.json (status, solver statistics, wall time, final values; default: next to\n"
    "RUN.csv) and, with --report, an interactive HTML report. --set overrides a parameter value,\n"
    "a state's initial value or an input (constant), e.g. --set Si=250 or --set X=0.2g/L.\n"
    "--sensitivities adds d(state)/d(parameter) columns (forward sensitivities).\n"
    "A scenario with a 'control:' block runs in closed loop (docs/control.md): one row per\n"
    "control sample with the applied inputs, every sensor channel (measured:NAME) and every\n"
    "fault (fault:NAME, 1 while active); the output grid of the scenario is not used.\n"
    "On failure the partial trajectory goes to RUN.partial.csv, RUN.csv is not written, and\n"
    "the summary says \"failed\" with the time and state.\n"
    "Replaying a recorded batch (the scenario's 'replay:' block maps the names, docs/scenario-\n"
    "format.md): --initial reads a name,value file of initial values, parameters and batch length;\n"
    "--disturbances a per-sample disturbance table; --fault N selects the scenario's fault case N;\n"
    "--reference overlays a reference trajectory in the CSV/report and prints the RMS difference\n"
    "of every mapped signal relative to its peak (also in the summary).\n"
    "--seed K runs the batch the scenario's 'variation:' block draws for seed K (the batch\n"
    "'biotwin ensemble ... -n 1 --seed K' runs), with its full trajectory.\n"
    "Every run, completed or failed, is recorded as a batch (model version and hash, scenario\n"
    "snapshot, every series with its unit, events, status) in the audited record store\n"
    "biotwin.db (or --db FILE); --no-record skips this. If the record cannot be written the\n"
    "command fails (exit 4): results without their record are not silently accepted.\n"
    "Exit codes: 0 completed, 1 simulation failed, 2 usage, 3 invalid model/scenario, 4 I/O error.";

std::string ReplaceExtension(const std::string& path, const std::string& ext) {
  std::filesystem::path p(path);
  p.replace_extension(ext);
  return p.string();
}

// Records the run as a batch: model identity, scenario snapshot, every series with its unit
// (times in seconds from the start), events and the final status, each step audited.
int64_t RecordBatch(const std::string& db, const model::ModelInfo& info, const sim::Scenario& sc,
                    const io::RunTable& table, const sim::SimResult& result) {
  auto store = record::RecordStore::Open(db);
  auto sys = record::Principal::System("simulate");
  record::BatchStart start;
  start.name = info.provenance.name + " / " + sc.name;
  start.model_name = info.provenance.name;
  // A model file without a version is still identified exactly by its content hash.
  start.model_version = info.provenance.version.empty()
                            ? "unversioned (sha256 " + info.content_hash.substr(0, 12) + ")"
                            : info.provenance.version;
  start.model_hash = info.content_hash;
  start.recipe_snapshot = sc.text.empty() ? "(no scenario file: model defaults)" : sc.text;
  for (const auto& [k, v] : sc.parameters) {
    start.inputs.push_back({info.parameters[k].name, std::to_string(v), info.parameters[k].unit.text});
  }
  for (const auto& [k, v] : sc.initial) {
    start.inputs.push_back({info.states[k].name + "(0)", std::to_string(v), info.states[k].unit.text});
  }
  const int64_t id = store->batches().Start(sys, start);
  const double to_seconds = info.time_unit.scale;
  std::vector<double> t_s(table.time.size());
  for (size_t i = 0; i < t_s.size(); ++i) t_s[i] = (table.time[i] - sc.t_begin) * to_seconds;
  // Tags are the historian's channels, each with one unit for the whole store: a run's series
  // are named after their model ("indpensim/OTR"), so models with different units for the same
  // name share a store, and a reference overlay keeps its own tags.
  for (const auto& col : table.columns) {
    const bool ref = col.group == "reference";
    store->batches().AppendSeries(sys, id, info.provenance.name + (ref ? "/reference/" : "/") + col.name, col.unit,
                                  t_s, col.values, ref ? "reference" : "simulation");
  }
  for (const auto& e : result.events) {
    store->batches().AppendEvent(sys, id, (e.time - sc.t_begin) * to_seconds, e.name, e.description);
  }
  store->batches().Finish(sys, id, result.ok ? record::BatchStatus::kCompleted : record::BatchStatus::kFailed,
                          result.ok ? "completed" : result.message);
  return id;
}

// Closed loop: the sensor channels and the fault flags, one value per sample.
void AddClosedLoopColumns(const sim::SampledRunResult& r, io::RunTable* table) {
  for (int j = 0; j < r.n_measurements; ++j) {
    io::Series s;
    s.name = "measured:" + r.measurement_names[j];
    s.unit = r.measurement_units[j].empty() ? "-" : r.measurement_units[j];
    s.group = "measurement";
    for (size_t i = 0; i < r.rows(); ++i) s.values.push_back(r.measurements[i * r.n_measurements + j]);
    table->columns.push_back(std::move(s));
  }
  for (int j = 0; j < r.n_faults; ++j) {
    io::Series s;
    s.name = "fault:" + r.fault_names[j];
    s.unit = "-";
    s.group = "fault";
    for (size_t i = 0; i < r.rows(); ++i) s.values.push_back(r.faults[i * r.n_faults + j]);
    table->columns.push_back(std::move(s));
  }
}

int RunSimulate(const std::vector<std::string>& args) {
  std::string model_path, scenario_path, out, report, summary, until, sens;
  std::string initial_path, disturbance_path, fault_text, reference_path, seed_text;
  std::vector<std::string> sets;
  std::string db = "biotwin.db";
  bool quiet = false, record = true;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    auto value = [&](std::string* dst) {
      if (i + 1 >= args.size()) {
        std::fprintf(stderr, "biotwin simulate: %s needs a value\n", a.c_str());
        return false;
      }
      *dst = args[++i];
      return true;
    };
    std::string v;
    if (a == "--scenario") { if (!value(&scenario_path)) return kExitUsage; }
    else if (a == "--out") { if (!value(&out)) return kExitUsage; }
    else if (a == "--report") { if (!value(&report)) return kExitUsage; }
    else if (a == "--summary") { if (!value(&summary)) return kExitUsage; }
    else if (a == "--until") { if (!value(&until)) return kExitUsage; }
    else if (a == "--sensitivities") { if (!value(&sens)) return kExitUsage; }
    else if (a == "--set") { if (!value(&v)) return kExitUsage; sets.push_back(v); }
    else if (a == "--initial") { if (!value(&initial_path)) return kExitUsage; }
    else if (a == "--disturbances") { if (!value(&disturbance_path)) return kExitUsage; }
    else if (a == "--fault") { if (!value(&fault_text)) return kExitUsage; }
    else if (a == "--seed") { if (!value(&seed_text)) return kExitUsage; }
    else if (a == "--reference") { if (!value(&reference_path)) return kExitUsage; }
    else if (a == "--db") { if (!value(&db)) return kExitUsage; }
    else if (a == "--no-record") { record = false; }
    else if (a == "--quiet") { quiet = true; }
    else if (!a.empty() && a[0] != '-' && model_path.empty()) { model_path = a; }
    else {
      std::fprintf(stderr, "biotwin simulate: unexpected argument '%s'\n%s\n", a.c_str(), kUsage);
      return kExitUsage;
    }
  }
  if (model_path.empty() || out.empty()) {
    std::fprintf(stderr, "%s\n", kUsage);
    return kExitUsage;
  }
  if (summary.empty()) summary = ReplaceExtension(out, ".json");
  std::shared_ptr<const model::Model> m;
  sim::Scenario sc;
  sim::SimOptions opt;
  std::optional<control::ControlSetup> control_setup;
  sim::ReplaySpec replay;
  sim::ReplayInitial replay_initial;
  int fault_case = 0;
  if (!fault_text.empty()) {
    size_t used = 0;
    try {
      fault_case = std::stoi(fault_text, &used);
    } catch (...) {
      used = 0;
    }
    if (used != fault_text.size() || fault_case < 1) {
      std::fprintf(stderr, "biotwin simulate: --fault needs a fault case number (1, 2, ...), not '%s'\n",
                   fault_text.c_str());
      return kExitUsage;
    }
  }
  unsigned long long seed = 0;
  if (!seed_text.empty()) {
    size_t used = 0;
    try {
      seed = std::stoull(seed_text, &used);
    } catch (...) {
      used = 0;
    }
    if (used != seed_text.size() || seed_text[0] == '-') {
      std::fprintf(stderr, "biotwin simulate: --seed needs a whole number >= 0, not '%s'\n", seed_text.c_str());
      return kExitUsage;
    }
  }
  try {
    m = model::LoadModelFile(model_path);
    const auto& info = m->info();
    sc = scenario_path.empty() ? sim::DefaultScenario(info, model::kNaN)
                               : sim::LoadScenarioFile(scenario_path, info);
    if (!initial_path.empty() || !disturbance_path.empty() || !reference_path.empty()) {
      if (scenario_path.empty()) throw std::invalid_argument("--initial, --disturbances and --reference need a --scenario with a replay: block");
      replay = sim::LoadReplaySpec(sc.text, sc.file, info);
    }
    if (!initial_path.empty()) replay_initial = sim::ApplyInitialFile(initial_path, replay, info, &sc);
    if (!seed_text.empty()) {
      // The batch `biotwin ensemble --seed K -n 1` runs: the scenario's variation drawn for seed K.
      const sim::VariationSpec variation = sim::LoadVariationSpec(sc.text, sc.file, info);
      if (variation.empty()) throw std::invalid_argument("--seed: the scenario has no variation: block to draw from");
      const sim::Scenario nominal = sc;
      sim::ApplyDraw(sim::DrawBatch(variation, info, nominal, seed), &sc);
    }
    for (const auto& s : sets) sim::ApplySetting(s, info, &sc);
    if (!until.empty()) {
      try {
        sc.t_end = model::ParseQuantity(until, info.time_unit);
      } catch (const model::UnitError& e) {
        throw std::invalid_argument(std::string("--until: ") + e.what());
      }
    }
    if (std::isnan(sc.t_end)) throw std::invalid_argument("no end time: give --until T or 'until:' in the scenario");
    if (sc.has_control) {
      control_setup = control::LoadScenarioControl(sc, info);
      if (!sens.empty()) throw std::invalid_argument("--sensitivities is not available for closed-loop (control:) scenarios");
      if (fault_case != 0) control_setup->SelectFaultSet(fault_case);
    } else if (fault_case != 0) {
      throw std::invalid_argument("--fault: the scenario has no control: block with fault cases");
    }
    if (!disturbance_path.empty()) {
      double h = control_setup ? control_setup->spec.sample_time : replay_initial.sample_time;
      if (!(h > 0)) throw std::invalid_argument("--disturbances needs a sample time (a control: block or h_sample in --initial)");
      if (std::isfinite(replay_initial.sample_time) && std::abs(replay_initial.sample_time - h) > 1e-9 * h) {
        throw std::invalid_argument("--initial says the sample time is " + model::FormatNumber(replay_initial.sample_time) +
                                    " " + info.time_unit.text + " but the control block uses " + model::FormatNumber(h) +
                                    " " + info.time_unit.text);
      }
      sim::ApplyDisturbanceFile(disturbance_path, replay, info, h, &sc);
    }
    if (!(sc.t_end > sc.t_begin)) {
      throw std::invalid_argument("--until: the end time must be after the start time (" + std::to_string(sc.t_begin) + " " + info.time_unit.text + ")");
    }
    if (!sens.empty()) {
      size_t start = 0;
      while (start <= sens.size()) {
        size_t comma = sens.find(',', start);
        if (comma == std::string::npos) comma = sens.size();
        std::string name = sens.substr(start, comma - start);
        int k = info.ParameterIndex(name);
        if (k < 0) throw std::invalid_argument("--sensitivities: '" + name + "' is not a parameter");
        opt.sensitivity_parameters.push_back(k);
        start = comma + 1;
      }
    }
  } catch (const model::ModelError& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return kExitInvalidInput;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return kExitUsage;
  }
  const auto& info = m->info();
  io::Progress progress("simulate " + info.provenance.name, sc.t_begin, sc.t_end,
                        info.time_unit.text, quiet ? nullptr : stderr);
  if (!quiet) opt.on_progress = [&progress](double t) { progress.Update(t); };
  sim::SimResult result;
  sim::SampledRunResult closed;
  std::vector<control::ControlColumn> control_columns;  // e.g. the NMPC's status per sample
  if (control_setup) {
    sim::SampledRunOptions copt;
    copt.on_progress = opt.on_progress;
    try {  // the runtime builds the NMPC's estimator (noise file, sensors) before the run
      closed = runtime::RunClosedLoop(m, sc, *control_setup, copt, &control_columns);
    } catch (const model::ModelError& e) {
      std::fprintf(stderr, "error: %s\n", e.what());
      return kExitInvalidInput;
    }
    result = closed.ToSimResult();
  } else {
    sim::Simulator simulator(m, sc, opt);
    result = simulator.Run();
  }
  progress.Finish();
  const size_t run_warnings = result.warnings.size();  // the validity warnings go to stderr now
  sim::ReportValidity(info, &result);

  io::RunTable table = io::ToRunTable(info, result);
  if (control_setup) AddClosedLoopColumns(closed, &table);
  for (auto& c : control_columns) table.columns.push_back({c.name, c.unit, "controller", c.description, std::move(c.values)});
  std::vector<io::SignalAgreement> agreement;
  if (!reference_path.empty()) {
    try {
      agreement = io::AddReferenceOverlay(reference_path, replay, &table);
    } catch (const model::ModelError& e) {
      std::fprintf(stderr, "error: %s\n", e.what());
      return kExitInvalidInput;
    }
  }
  for (size_t k = 0; k < opt.sensitivity_parameters.size(); ++k) {
    const auto& par = info.parameters[opt.sensitivity_parameters[k]];
    for (size_t i = 0; i < info.states.size(); ++i) {
      io::Series s;
      s.name = "d" + info.states[i].name + "/d" + par.name;
      s.unit = "(" + info.states[i].unit.text + ")/(" + par.unit.text + ")";
      s.group = "sensitivity";
      for (const auto& row : result.sensitivities) s.values.push_back(row[k][i]);
      table.columns.push_back(std::move(s));
    }
  }
  try {
    if (result.ok) {
      io::WriteCsv(table, out);
      std::filesystem::remove(ReplaceExtension(out, ".partial.csv"));
    } else {
      std::filesystem::remove(out);  // never leave an older, complete-looking file behind
      io::WriteCsv(table, ReplaceExtension(out, ".partial.csv"));
    }
    nlohmann::json summary_json = io::RunSummaryJson(info, sc, result);
    if (fault_case != 0) summary_json["fault_case"] = fault_case;
    if (!seed_text.empty()) summary_json["seed"] = seed;
    if (!initial_path.empty()) summary_json["initial_file"] = initial_path;
    if (!disturbance_path.empty()) summary_json["disturbance_file"] = disturbance_path;
    if (!agreement.empty()) {
      nlohmann::json& ref = summary_json["reference"];
      ref["file"] = reference_path;
      for (const auto& a : agreement) {
        ref["signals"][a.name] = {{"unit", a.unit}, {"points", a.points}, {"rms", a.rms}, {"peak", a.peak},
                                  {"rms_over_peak", a.rms_over_peak}, {"final", a.final_run},
                                  {"final_reference", a.final_reference}, {"final_rel_diff", a.final_rel}};
      }
    }
    io::WriteFileAtomic(summary, summary_json.dump(2) + "\n");
    if (!report.empty()) io::WriteHtmlReport(table, io::RunReportInfo(info, sc, result), report);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return kExitIoError;
  }
  int64_t batch_id = -1;
  if (record) {
    try {
      batch_id = RecordBatch(db, info, sc, table, result);
    } catch (const std::exception& e) {
      std::fprintf(stderr, "error: could not record the run in %s: %s\n", db.c_str(), e.what());
      return kExitIoError;
    }
  }
  const auto& st = result.stats;
  if (!result.ok) {
    std::fprintf(stderr, "error: simulation failed: %s\n  partial trajectory: %s\n  summary: %s\n",
                 result.message.c_str(), ReplaceExtension(out, ".partial.csv").c_str(), summary.c_str());
    return kExitRunFailed;
  }
  if (!quiet) {
    std::printf("simulated %s to t = %g %s in %.3f ms (%ld steps, %ld RHS, %ld Jacobians, %ld events)\n",
                info.provenance.name.c_str(), result.t_reached, info.time_unit.text.c_str(),
                result.wall_seconds * 1e3, st.steps, st.rhs_evals, st.jac_evals, st.events);
    if (control_setup) {
      std::printf("closed loop: %ld control intervals of %g %s, %.1f us per interval (sensors, controller and actuators %.2f us)\n",
                  closed.intervals, control_setup->spec.sample_time, info.time_unit.text.c_str(),
                  closed.intervals > 0 ? closed.wall_seconds * 1e6 / closed.intervals : 0.0,
                  closed.intervals > 0 ? closed.controller_seconds * 1e6 / closed.intervals : 0.0);
    }
    if (!agreement.empty()) {
      std::printf("agreement with %s (RMS difference / peak of the reference; final value):\n", reference_path.c_str());
      for (const auto& a : agreement) {
        std::printf("  %-12s %8.3f %%   final %s vs %s %s (%.3f %%)\n", a.name.c_str(), 100.0 * a.rms_over_peak,
                    model::FormatNumber(a.final_run).c_str(), model::FormatNumber(a.final_reference).c_str(),
                    a.unit.c_str(), 100.0 * a.final_rel);
      }
    }
    std::printf("wrote %s, %s%s%s\n", out.c_str(), summary.c_str(), report.empty() ? "" : ", ",
                report.c_str());
    if (batch_id >= 0) std::printf("recorded as batch %lld in %s\n", static_cast<long long>(batch_id), db.c_str());
    for (size_t i = 0; i < run_warnings; ++i) std::printf("warning: %s\n", result.warnings[i].c_str());
  }
  return kExitOk;
}

}  // namespace

BIOTWIN_REGISTER_COMMAND(Command{"simulate", "simulate a model through a scenario", kUsage, &RunSimulate});

}  // namespace biotwin::cli
