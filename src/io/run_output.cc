#include "io/run_output.h"
#include "model/format.h"

#include <cmath>
#include <cstdio>

namespace biotwin::io {
namespace {

std::string UnitText(const model::Unit& u) { return u.text.empty() || u.text == "1" ? "-" : u.text; }

}  // namespace

RunTable ToRunTable(const model::ModelInfo& info, const sim::SimResult& result) {
  RunTable table;
  table.time_unit = UnitText(info.time_unit);
  table.time = result.time;
  auto add = [&](const std::string& name, const std::string& unit, const std::string& group,
                 const std::string& description, const auto& rows, size_t index) {
    Series s{name, unit, group, description, {}};
    s.values.reserve(rows.size());
    for (const auto& row : rows) s.values.push_back(row[index]);
    table.columns.push_back(std::move(s));
  };
  for (size_t i = 0; i < info.states.size(); ++i) {
    add(info.states[i].name, UnitText(info.states[i].unit), "state", info.states[i].description, result.states, i);
  }
  for (size_t i = 0; i < info.outputs.size(); ++i) {
    add(info.outputs[i].name, UnitText(info.outputs[i].unit), "output", info.outputs[i].description, result.outputs, i);
  }
  for (size_t i = 0; i < info.inputs.size(); ++i) {
    add(info.inputs[i].name, UnitText(info.inputs[i].unit), "input", info.inputs[i].description, result.inputs, i);
  }
  return table;
}

nlohmann::json RunSummaryJson(const model::ModelInfo& info, const sim::Scenario& scenario,
                              const sim::SimResult& result) {
  using nlohmann::json;
  json j;
  j["status"] = result.ok ? "completed" : "failed";
  if (!result.ok) j["message"] = result.message;
  const auto& p = info.provenance;
  j["model"] = {{"name", p.name}, {"version", p.version}, {"source", p.source}, {"doi", p.doi},
                {"file", info.file}, {"sha256", info.content_hash}};
  j["scenario"] = {{"name", scenario.name}, {"file", scenario.file}, {"sha256", scenario.content_hash},
                   {"t_begin", {{"value", scenario.t_begin}, {"unit", UnitText(info.time_unit)}}},
                   {"t_end", {{"value", scenario.t_end}, {"unit", UnitText(info.time_unit)}}}};
  json overrides = json::object();
  for (auto& [k, v] : scenario.parameters) {
    overrides[info.parameters[k].name] = {{"value", v}, {"unit", UnitText(info.parameters[k].unit)}};
  }
  j["scenario"]["parameter_overrides"] = overrides;
  const auto& s = result.stats;
  j["solver"] = {{"method", sim::IntegratorDescription(s.method)}, {"name", s.method},
                 {"rtol", scenario.rtol}, {"atol", scenario.atol}};
  j["statistics"] = {{"steps", s.steps}, {"rhs_evaluations", s.rhs_evals},
                     {"jacobian_evaluations", s.jac_evals}, {"newton_iterations", s.newton_iters},
                     {"newton_convergence_failures", s.newton_conv_fails},
                     {"error_test_failures", s.error_test_fails}, {"root_evaluations", s.root_evals},
                     {"lu_factorisations", s.lin_setups},
                     {"reinitialisations", s.reinits}, {"events", s.events},
                     {"input_clips", s.input_clips},
                     {"last_step", {{"value", s.last_step}, {"unit", UnitText(info.time_unit)}}}};
  j["wall_time"] = {{"value", result.wall_seconds}, {"unit", "s"}};
  j["t_reached"] = {{"value", result.t_reached}, {"unit", UnitText(info.time_unit)}};
  json finals = json::object();
  if (!result.states.empty()) {
    for (size_t i = 0; i < info.states.size(); ++i) {
      finals[info.states[i].name] = {{"value", result.states.back()[i]}, {"unit", UnitText(info.states[i].unit)}};
    }
    for (size_t i = 0; i < info.outputs.size(); ++i) {
      double v = result.outputs.back()[i];
      finals[info.outputs[i].name] = {{"value", std::isfinite(v) ? json(v) : json(nullptr)},
                                      {"unit", UnitText(info.outputs[i].unit)}};
    }
    j["final_time"] = {{"value", result.time.back()}, {"unit", UnitText(info.time_unit)}};
  }
  j["final"] = finals;
  json events = json::array();
  for (const auto& e : result.events) {
    events.push_back({{"time", e.time}, {"name", e.name}, {"description", e.description}});
  }
  j["events"] = events;
  j["warnings"] = result.warnings;
  return j;
}

ReportInfo RunReportInfo(const model::ModelInfo& info, const sim::Scenario& scenario,
                         const sim::SimResult& result) {
  ReportInfo r;
  const std::string tu = UnitText(info.time_unit);
  r.title = "biotwin run: " + info.provenance.name + " / " + scenario.name;
  r.status = result.ok ? "ok" : "failed: " + result.message;
  r.summary = {{"model", info.provenance.name + " " + info.provenance.version},
               {"model source", info.provenance.source},
               {"model sha256", info.content_hash},
               {"scenario", scenario.name + (scenario.file.empty() ? "" : " (" + scenario.file + ")")},
               {"horizon", model::FormatNumber(scenario.t_begin) + " to " + model::FormatNumber(scenario.t_end) + " " + tu},
               {"status", result.ok ? "completed" : "failed"},
               {"solver", "CVODES BDF, exact Jacobian, rtol " + model::FormatNumber(scenario.rtol)},
               {"steps", std::to_string(result.stats.steps)},
               {"wall time", model::FormatNumber(result.wall_seconds * 1000) + " ms"}};
  if (!result.states.empty()) {
    for (size_t i = 0; i < info.states.size(); ++i) {
      r.summary.push_back({"final " + info.states[i].name, model::FormatNumber(result.states.back()[i]) + " " + UnitText(info.states[i].unit)});
    }
  }
  for (const auto& w : result.warnings) r.summary.push_back({"warning", w});
  for (const auto& e : result.events) r.events.push_back({e.time, e.name + ": " + e.description});
  return r;
}

}  // namespace biotwin::io
