#include "control/nmpc_config.h"

#include <algorithm>
#include <cmath>
#include <filesystem>

#include "model/format.h"
#include "model/model.h"

namespace biotwin::control {
namespace {

// `state: plant` or `state: {estimator: ekf|ukf, noise: FILE, initial: {X: 1.5 g/L}}`.
void ReadStateSource(const model::YamlReader& r, const YAML::Node& node, const std::string& base, NmpcLoopSpec* spec) {
  const std::string f = "control.mpc.state";
  if (node.IsScalar()) {
    spec->state_source = r.String(node, f);
    if (spec->state_source != "plant") {
      r.Fail(node, f, "'" + spec->state_source + "' is not a state source: 'plant' (the true plant state) or a map {estimator: ekf|ukf, noise: FILE}");
    }
    return;
  }
  r.RequireMap(node, f);
  r.Entries(node, f, {"estimator", "noise", "initial"});
  EstimatorStateSpec e;
  e.file = r.file();
  e.line = model::YamlReader::Line(node);
  if (!node["estimator"]) r.Fail(node, f + ".estimator", "missing: ekf or ukf");
  e.method = r.String(node["estimator"], f + ".estimator");
  if (e.method == "mhe") {
    r.Fail(node["estimator"], f + ".estimator", "the MHE cannot run inside the closed loop yet (it re-solves a window over the input history): use ekf or ukf");
  }
  if (e.method != "ekf" && e.method != "ukf") r.Fail(node["estimator"], f + ".estimator", "unknown estimator '" + e.method + "': ekf or ukf");
  if (!node["noise"]) r.Fail(node, f + ".noise", "missing: the noise file (measurement and process sigmas, prior; docs/estimate.md)");
  std::filesystem::path noise = r.String(node["noise"], f + ".noise");
  if (noise.is_relative() && !base.empty()) noise = std::filesystem::path(base) / noise;
  if (!std::filesystem::is_regular_file(noise)) r.Fail(node["noise"], f + ".noise", "no such file: " + noise.string());
  e.noise_file = noise.string();
  const auto& info = spec->problem.model->info();
  if (node["initial"]) {
    for (const auto& [name, v] : r.Entries(node["initial"], f + ".initial")) {
      const int i = info.StateIndex(name);
      if (i < 0) r.Fail(v, f + ".initial." + name, "the NMPC's model (" + info.file + ") has no state '" + name + "'");
      e.initial[i] = r.Quantity(v, f + ".initial." + name, info.states[i].unit);
    }
  }
  spec->state_source = "estimator";
  spec->estimator = std::move(e);
}

}  // namespace

std::shared_ptr<const NmpcLoopSpec> ParseNmpcBlock(const model::YamlReader& r, const YAML::Node& node,
                                                   const model::ModelInfo& plant, double sample_time,
                                                   const ScheduleReader& read_schedule, const InputClaim& claim) {
  const std::string f = "control.mpc";
  r.RequireMap(node, f);
  r.Entries(node, f, {"model", "sample_time", "horizon", "move_blocking", "controls", "inputs", "parameters",
                      "objective", "path_constraints", "terminal_constraints", "solver", "max_solve_time",
                      "max_iterations", "feasibility_tolerance", "accept_feasible_iterate", "fallback", "state",
                      "start", "description"});
  auto spec = std::make_shared<NmpcLoopSpec>();
  const model::Unit& tu = plant.time_unit;
  const double period = node["sample_time"] ? r.Quantity(node["sample_time"], f + ".sample_time", tu) : sample_time;
  const double every = period / sample_time;
  if (!(period > 0) || std::fabs(every - std::round(every)) > 1e-9 * every) {
    r.Fail(node["sample_time"], f + ".sample_time", "must be a whole multiple of control.sample_time (" + model::FormatNumber(sample_time) + " " + tu.text + ")");
  }
  spec->every = static_cast<int>(std::lround(every));
  if (!node["horizon"]) r.Fail(node, f + ".horizon", "missing: the prediction horizon (e.g. 5 h)");
  const double horizon = r.Quantity(node["horizon"], f + ".horizon", tu);
  const double intervals = horizon / period;
  if (!(intervals >= 1) || std::fabs(intervals - std::round(intervals)) > 1e-9 * intervals) {
    r.Fail(node["horizon"], f + ".horizon", "must be a whole number of NMPC sample times (" + model::FormatNumber(period) + " " + tu.text + ")");
  }
  // The optimal-control problem: the same keys as a problem file (docs/optimize.md).
  YAML::Node ocp(YAML::NodeType::Map);
  for (const char* k : {"model", "move_blocking", "controls", "inputs", "parameters", "objective", "path_constraints",
                        "terminal_constraints", "solver"}) {
    if (node[k]) ocp[k] = node[k];
  }
  YAML::Node h(YAML::NodeType::Map);
  h["start"] = "0 " + tu.text;
  h["end"] = model::FormatNumber(horizon) + " " + tu.text;
  ocp["horizon"] = h;
  ocp["intervals"] = std::lround(intervals);
  const std::string base = std::filesystem::path(r.file()).parent_path().string();
  std::shared_ptr<const model::Model> plant_model;
  if (!node["model"]) {
    if (plant.file.empty()) r.Fail(node, f + ".model", "missing: the plant model is not a file; give the NMPC's model file");
    plant_model = model::LoadModelFile(plant.file);
  }
  spec->problem = ReadOcpProblem(r, ocp, base.empty() ? "." : base, plant_model);
  const auto& info = spec->problem.model->info();
  if (info.time_unit.text != tu.text) {
    r.Fail(node["model"], f + ".model", "the NMPC's model uses time unit " + info.time_unit.text + ", the plant " + tu.text);
  }
  // Plant inputs the NMPC drives, and their recipes.
  const YAML::Node fb = node["fallback"];
  if (!fb) r.Fail(node, f + ".fallback", "missing: the recipe for every control (applied when no feasible plan is left)");
  r.Entries(fb, f + ".fallback");
  for (const auto& c : spec->problem.controls) {
    const std::string fc = f + ".controls." + c.name;
    const int j = plant.InputIndex(c.name);
    if (j < 0) r.Fail(node["controls"], fc, "the plant model has no input '" + c.name + "'");
    if (info.inputs[c.input].unit.text != plant.inputs[j].unit.text) {
      r.Fail(node["controls"], fc, "unit " + info.inputs[c.input].unit.text + " differs from the plant input's " + plant.inputs[j].unit.text);
    }
    claim(j, node["controls"][c.name], fc);
    spec->plant_inputs.push_back(j);
    if (!fb[c.name]) r.Fail(fb, f + ".fallback." + c.name, "missing: the recipe for '" + c.name + "'");
    spec->fallback.push_back(read_schedule(fb[c.name], f + ".fallback." + c.name, plant.inputs[j].unit));
  }
  for (const auto& [name, v] : r.Entries(fb, f + ".fallback")) {
    if (info.InputIndex(name) < 0 || std::none_of(spec->problem.controls.begin(), spec->problem.controls.end(),
                                                  [&](const OcpControl& c) { return c.name == name; })) {
      r.Fail(v, f + ".fallback." + name, "'" + name + "' is not one of the NMPC's controls");
    }
  }
  for (int l = 0; l < static_cast<int>(info.inputs.size()); ++l) {
    const bool control = std::any_of(spec->problem.controls.begin(), spec->problem.controls.end(),
                                     [&](const OcpControl& c) { return c.input == l; });
    if (control || spec->problem.fixed_inputs.count(l)) continue;
    const int j = plant.InputIndex(info.inputs[l].name);
    if (j >= 0 && plant.inputs[j].unit.text == info.inputs[l].unit.text) spec->held_inputs.emplace_back(l, j);
  }
  if (node["start"]) spec->start = r.Quantity(node["start"], f + ".start", tu);
  NmpcOptions& o = spec->options;
  o.tolerance = spec->problem.solver.tolerance;
  if (node["max_solve_time"]) {
    o.max_solve_seconds = r.Quantity(node["max_solve_time"], f + ".max_solve_time", model::ParseUnit("s"));
    if (!(o.max_solve_seconds >= 0)) r.Fail(node["max_solve_time"], f + ".max_solve_time", "must not be negative");
  }
  if (node["max_iterations"]) {
    const double it = r.Number(node["max_iterations"], f + ".max_iterations");
    if (!(it >= 1 && it == std::floor(it))) r.Fail(node["max_iterations"], f + ".max_iterations", "must be a whole number >= 1");
    o.max_iterations = static_cast<int>(it);
  } else {
    o.max_iterations = 50;
  }
  if (node["feasibility_tolerance"]) {
    o.feasibility_tolerance = r.Number(node["feasibility_tolerance"], f + ".feasibility_tolerance");
    if (!(o.feasibility_tolerance > 0)) r.Fail(node["feasibility_tolerance"], f + ".feasibility_tolerance", "must be positive");
  }
  if (node["accept_feasible_iterate"]) o.accept_feasible_iterate = r.Bool(node["accept_feasible_iterate"], f + ".accept_feasible_iterate");
  if (node["state"]) ReadStateSource(r, node["state"], base, spec.get());
  return spec;
}

}  // namespace biotwin::control
