// OPT.json: the solution file of `biotwin optimize` (written atomically), and reading it back as
// a warm start.
#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "control/dynopt_solver.h"

namespace biotwin::control {
namespace {

using nlohmann::json;

json Number(double v) { return std::isfinite(v) ? json(v) : json(nullptr); }

json Numbers(const std::vector<double>& v) {
  json a = json::array();
  for (double x : v) a.push_back(Number(x));
  return a;
}

const char* ShapeName(ControlShape s) {
  return s == ControlShape::kPiecewiseConstant ? "piecewise_constant" : "piecewise_linear";
}

}  // namespace

bool WriteSolutionJson(const std::string& path, const OcpProblem& problem, const DynoptSolution& s,
                       std::string* error) {
  const auto& info = problem.model->info();
  json j;
  j["biotwin_optimize"] = 1;
  j["problem"] = {{"name", problem.name}, {"file", problem.file}, {"model", info.provenance.name},
                  {"model_version", info.provenance.version}, {"model_file", problem.model_file},
                  {"model_hash", info.content_hash}};
  j["status"] = StatusName(s.status);
  j["success"] = StatusIsSuccess(s.status);
  j["ipopt_status"] = s.ipopt_status;
  j["explanation"] = s.explanation;
  j["sense"] = problem.objective.maximize ? "maximize" : "minimize";
  j["objective"] = Number(s.objective);
  j["objective_unit"] = s.objective_unit;
  j["iterations"] = s.iterations;
  j["constraint_violation"] = Number(s.constraint_violation);
  j["continuity_defect"] = Number(s.continuity_defect);
  j["wall_seconds"] = s.wall_seconds;
  j["integrator_steps"] = s.integrator_steps;
  j["intervals"] = s.intervals;
  j["final_time"] = {{"value", Number(s.tf)}, {"unit", info.time_unit.text}, {"free", s.tf_free}};
  j["grid"] = {{"unit", info.time_unit.text}, {"times", Numbers(s.grid)}};
  j["warnings"] = s.warnings;
  json controls = json::object();
  for (size_t c = 0; c < s.controls.names.size(); ++c) {
    const auto& in = info.inputs[problem.controls[c].input];
    controls[s.controls.names[c]] = {{"unit", in.unit.text}, {"shape", ShapeName(s.controls.shapes[c])},
                                     {"values", Numbers(s.controls.values[c])}};
  }
  j["controls"] = controls;
  json states = json::object();
  for (size_t i = 0; i < info.states.size(); ++i) {
    std::vector<double> col;
    for (const auto& row : s.states) col.push_back(row[i]);
    states[info.states[i].name] = {{"unit", info.states[i].unit.text}, {"values", Numbers(col)}};
  }
  j["states"] = states;
  json viol = json::array();
  for (const auto& v : s.violations) {
    viol.push_back({{"constraint", v.text}, {"field", v.field}, {"line", v.line}, {"time", v.time},
                    {"value", Number(v.value)}, {"bound", Number(v.bound)}, {"amount", Number(v.amount)},
                    {"unit", v.unit}});
  }
  j["violations"] = viol;
  json stages = json::array();
  for (const auto& st : s.stages) {
    stages.push_back({{"intervals", st.intervals}, {"status", StatusName(st.status)}, {"ipopt_status", st.ipopt_status},
                      {"iterations", st.iterations}, {"objective", Number(st.objective)}, {"final_time", Number(st.tf)},
                      {"wall_seconds", st.seconds}});
  }
  j["stages"] = stages;
  if (!s.warm_start_from.empty()) j["warm_start_from"] = s.warm_start_from;
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp);
    if (!out) {
      *error = "cannot write " + tmp;
      return false;
    }
    out << j.dump(2) << "\n";
    if (!out.good()) {
      *error = "cannot write " + tmp;
      return false;
    }
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) {
    *error = "cannot write " + path + ": " + ec.message();
    return false;
  }
  return true;
}

ControlProfile ReadWarmStart(const std::string& path, const OcpProblem& problem, double* tf) {
  auto fail = [&](const std::string& field, const std::string& msg) -> void {
    throw model::ModelError(path, 0, field, msg);
  };
  std::ifstream in(path);
  if (!in) fail("", "cannot open the warm-start file");
  json j;
  try {
    j = json::parse(in);
  } catch (const json::exception& e) {
    fail("", std::string("not a valid JSON file: ") + e.what());
  }
  if (!j.contains("grid") || !j["grid"].contains("times") || !j.contains("controls")) {
    fail("", "not an OPT.json written by biotwin optimize (needs 'grid.times' and 'controls')");
  }
  const auto& info = problem.model->info();
  ControlProfile prof;
  try {
    const std::string unit = j["grid"].value("unit", info.time_unit.text);
    const double f = model::ConversionFactor(model::ParseUnit(unit), info.time_unit);
    for (const auto& t : j["grid"]["times"]) prof.grid.push_back(t.get<double>() * f);
    if (prof.grid.size() < 2) fail("grid.times", "needs at least two grid points");
    for (size_t k = 1; k < prof.grid.size(); ++k) {
      if (!(prof.grid[k] > prof.grid[k - 1])) fail("grid.times", "times must increase");
    }
    *tf = prof.grid.back();
    const size_t N = prof.grid.size() - 1;
    for (const auto& c : problem.controls) {
      if (!j["controls"].contains(c.name)) fail("controls", "has no control '" + c.name + "'");
      const auto& jc = j["controls"][c.name];
      const std::string shape = jc.value("shape", "piecewise_constant");
      const ControlShape s = shape == "piecewise_linear" ? ControlShape::kPiecewiseLinear : ControlShape::kPiecewiseConstant;
      const double cf = model::ConversionFactor(model::ParseUnit(jc.value("unit", info.inputs[c.input].unit.text)),
                                                info.inputs[c.input].unit);
      std::vector<double> v;
      for (const auto& x : jc["values"]) v.push_back(x.is_null() ? c.initial : x.get<double>() * cf);
      const size_t want = s == ControlShape::kPiecewiseConstant ? N : N + 1;
      if (v.size() != want) {
        fail("controls." + c.name + ".values", "has " + std::to_string(v.size()) + " values but the grid needs " + std::to_string(want));
      }
      prof.names.push_back(c.name);
      prof.shapes.push_back(s);
      prof.values.push_back(std::move(v));
    }
  } catch (const json::exception& e) {
    fail("", std::string("malformed: ") + e.what());
  } catch (const model::UnitError& e) {
    fail("", e.what());
  }
  return prof;
}

}  // namespace biotwin::control
