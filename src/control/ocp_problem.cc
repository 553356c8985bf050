#include "control/ocp_problem.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "model/format.h"
#include "model/quantity.h"
#include "model/yaml_util.h"

namespace biotwin::control {
namespace {

using model::ModelError;
using model::YamlReader;

// Splits "a <= b <= c" at top-level comparison operators; returns parts and operators.
void SplitComparison(const std::string& text, std::vector<std::string>* parts,
                     std::vector<std::string>* ops) {
  int depth = 0;
  size_t start = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '(' || c == '[') ++depth;
    if (c == ')' || c == ']') --depth;
    const bool eq = c == '=' && i + 1 < text.size() && text[i + 1] == '=';
    if (depth != 0 || (c != '<' && c != '>' && !eq)) continue;
    std::string op(1, c);
    if (i + 1 < text.size() && text[i + 1] == '=') op += '=';
    parts->push_back(text.substr(start, i - start));
    ops->push_back(op);
    i += op.size() - 1;
    start = i + 1;
  }
  parts->push_back(text.substr(start));
}

std::shared_ptr<const model::ExprNode> Parse(const YamlReader& r, const YAML::Node& node,
                                             const std::string& field, const std::string& text) {
  try {
    return std::shared_ptr<const model::ExprNode>(model::ParseExpression(text));
  } catch (const model::ExprSyntaxError& e) {
    r.Fail(node, field, std::string(e.what()) + " in '" + text + "' at character " +
                            std::to_string(e.offset() + 1));
  }
}

OcpConstraint ReadConstraint(const YamlReader& r, const YAML::Node& node, const std::string& field) {
  OcpConstraint c;
  c.text = r.ExprText(node, field);
  c.field = field;
  c.line = YamlReader::Line(node);
  std::vector<std::string> parts, ops;
  SplitComparison(c.text, &parts, &ops);
  auto is_less = [](const std::string& op) { return op[0] == '<'; };
  if (ops.empty()) {
    r.Fail(node, field, "'" + c.text + "' is not a constraint: write 'expr <= bound', 'expr >= bound', 'expr == value' or 'lo <= expr <= hi'");
  }
  const bool has_eq = std::find(ops.begin(), ops.end(), "==") != ops.end();
  if (has_eq && ops.size() > 1) r.Fail(node, field, "'" + c.text + "': an equality constraint has exactly one '=='");
  if (ops.size() > 2 || (ops.size() == 2 && is_less(ops[0]) != is_less(ops[1]))) {
    r.Fail(node, field, "'" + c.text + "': a constraint has one comparison or two in the same direction (lo <= expr <= hi)");
  }
  if (ops.size() == 1) {
    c.body = Parse(r, node, field, parts[0]);
    c.body_text = parts[0];
    auto bound = Parse(r, node, field, parts[1]);
    if (has_eq) {
      c.lower_expr = c.upper_expr = bound;
    } else {
      (is_less(ops[0]) ? c.upper_expr : c.lower_expr) = bound;
    }
  } else {
    c.body = Parse(r, node, field, parts[1]);
    c.body_text = parts[1];
    auto a = Parse(r, node, field, parts[0]);
    auto b = Parse(r, node, field, parts[2]);
    if (is_less(ops[0])) {
      c.lower_expr = a;
      c.upper_expr = b;
    } else {
      c.upper_expr = a;
      c.lower_expr = b;
    }
  }
  // Trim the body text for messages.
  auto& s = c.body_text;
  s.erase(0, s.find_first_not_of(" \t"));
  s.erase(s.find_last_not_of(" \t") + 1);
  return c;
}

std::vector<OcpConstraint> ReadConstraints(const YamlReader& r, const YAML::Node& node,
                                           const std::string& field) {
  r.RequireSequence(node, field);
  std::vector<OcpConstraint> out;
  for (size_t i = 0; i < node.size(); ++i) {
    out.push_back(ReadConstraint(r, node[i], field + "[" + std::to_string(i) + "]"));
  }
  return out;
}

void ReadObjective(const YamlReader& r, const YAML::Node& node, OcpObjective* obj) {
  auto entries = r.Entries(node, "objective", {"minimize", "maximize", "minimise", "maximise"});
  if (entries.size() != 1) r.Fail(node, "objective", "give exactly one of 'minimize' or 'maximize'");
  auto& [key, v] = entries[0];
  obj->maximize = key[3] == 'i' && key[1] == 'a';  // maximize / maximise
  obj->line = YamlReader::Line(v);
  const std::string f = "objective." + key;
  if (v.IsScalar()) {
    obj->mayer_text = r.ExprText(v, f);
    obj->mayer = Parse(r, v, f, obj->mayer_text);
    return;
  }
  auto parts = r.Entries(v, f, {"final", "running", "least_squares"});
  for (auto& [k, e] : parts) {
    if (k == "least_squares") {
      if (obj->maximize) r.Fail(e, f + "." + k, "least squares can only be minimised");
      r.RequireSequence(e, f + "." + k);
      if (e.size() == 0) r.Fail(e, f + "." + k, "give at least one residual");
      for (size_t i = 0; i < e.size(); ++i) {
        const std::string fi = f + ".least_squares[" + std::to_string(i) + "]";
        const std::string text = r.ExprText(e[i], fi);
        obj->residual_texts.push_back(text);
        obj->residuals.push_back(Parse(r, e[i], fi, text));
      }
      continue;
    }
    const std::string text = r.ExprText(e, f + "." + k);
    if (k == "final") {
      obj->mayer_text = text;
      obj->mayer = Parse(r, e, f + "." + k, text);
    } else {
      obj->lagrange_text = text;
      obj->lagrange = Parse(r, e, f + "." + k, text);
    }
  }
  if (!obj->residuals.empty() && (obj->mayer || obj->lagrange)) {
    r.Fail(v, f, "'least_squares' stands alone: write the other terms as residuals too");
  }
  if (!obj->mayer && !obj->lagrange && obj->residuals.empty()) {
    r.Fail(v, f, "give 'final' (value at the final time) and/or 'running' (integrand), or 'least_squares'");
  }
}

void ReadSolver(const YamlReader& r, const YAML::Node& node, const model::Unit& time_unit,
                OcpSolverOptions* s) {
  auto entries = r.Entries(node, "solver", {"tolerance", "max_iterations", "max_time", "rtol", "atol",
                                            "mesh_refinements", "check_points", "print_level", "hessian",
                                            "regularization", "sensitivity_error_control", "max_steps",
                                            "integrator", "steps_per_interval"});
  for (auto& [k, v] : entries) {
    const std::string f = "solver." + k;
    if (k == "hessian") {
      const std::string h = r.String(v, f);
      if (h == "exact") s->hessian = HessianMethod::kExact;
      else if (h == "limited_memory") s->hessian = HessianMethod::kLimitedMemory;
      else if (h == "gauss_newton") s->hessian = HessianMethod::kGaussNewton;
      else r.Fail(v, f, "'" + h + "' is not a Hessian method: exact, limited_memory or gauss_newton");
      continue;
    }
    if (k == "sensitivity_error_control") {
      s->sens_error_control = r.Bool(v, f);
      continue;
    }
    if (k == "integrator") {
      const std::string m = r.String(v, f);
      if (m == "bdf") s->integrator = sim::ShootingMethod::kBdf;
      else if (m == "rk4") s->integrator = sim::ShootingMethod::kRk4;
      else r.Fail(v, f, "'" + m + "' is not an integrator: bdf (CVODES, error-controlled) or rk4 (fixed steps)");
      continue;
    }
    if (k == "steps_per_interval") {
      const double n = r.Number(v, f);
      if (!(n >= 1 && n <= 10000 && n == std::floor(n))) r.Fail(v, f, "must be a whole number from 1 to 10000");
      s->steps_per_interval = static_cast<int>(n);
      continue;
    }
    if (k == "regularization") {
      s->regularization = r.Number(v, f);
      if (!(s->regularization >= 0)) r.Fail(v, f, "must not be negative");
      continue;
    }
    if (k == "tolerance") s->tolerance = r.Number(v, f);
    if (k == "max_iterations") s->max_iterations = static_cast<int>(r.Number(v, f));
    if (k == "max_time") s->max_seconds = r.Quantity(v, f, model::ParseUnit("s"));
    if (k == "rtol") s->rtol = r.Number(v, f);
    if (k == "atol") s->atol = r.Number(v, f);
    if (k == "mesh_refinements") s->mesh_refinements = static_cast<int>(r.Number(v, f));
    if (k == "check_points") s->check_points = static_cast<int>(r.Number(v, f));
    if (k == "print_level") s->print_level = static_cast<int>(r.Number(v, f));
    if (k == "max_steps") s->max_steps = static_cast<long>(r.Number(v, f));
    const bool positive = k == "tolerance" || k == "rtol" || k == "atol" || k == "max_iterations" || k == "max_steps";
    if (positive && !(r.Number(v, f) > 0)) r.Fail(v, f, "must be positive");
    if (!positive && k != "max_time" && r.Number(v, f) < 0) r.Fail(v, f, "must not be negative");
    if (k == "mesh_refinements" && r.Number(v, f) > 6) r.Fail(v, f, "at most 6 refinements (64x the intervals)");
    if (k == "check_points" && r.Number(v, f) > 50) r.Fail(v, f, "at most 50 check points per interval");
  }
}

void ReadHorizon(const YamlReader& r, const YAML::Node& node, const model::Unit& tu, OcpProblem* p) {
  p->line_time = YamlReader::Line(node);
  r.Entries(node, "horizon", {"start", "end"});
  if (node["start"]) p->t0 = r.Quantity(node["start"], "horizon.start", tu);
  if (!node["end"]) r.Fail(node, "horizon.end", "missing: give a time, or {free: true, guess: T, min: T1, max: T2}");
  const YAML::Node end = node["end"];
  if (end.IsScalar()) {
    p->tf = r.Quantity(end, "horizon.end", tu);
  } else {
    r.Entries(end, "horizon.end", {"free", "guess", "min", "max"});
    p->tf_free = !end["free"] || r.Bool(end["free"], "horizon.end.free");
    if (!end["guess"]) r.Fail(end, "horizon.end.guess", "missing: a free final time needs an initial guess");
    p->tf = r.Quantity(end["guess"], "horizon.end.guess", tu);
    p->tf_min = end["min"] ? r.Quantity(end["min"], "horizon.end.min", tu) : p->t0;
    p->tf_max = end["max"] ? r.Quantity(end["max"], "horizon.end.max", tu) : model::kInf;
    if (!(p->tf_min <= p->tf_max)) r.Fail(end, "horizon.end", "min " + model::FormatNumber(p->tf_min) + " is above max " + model::FormatNumber(p->tf_max) + " " + tu.text);
    if (p->tf < p->tf_min || p->tf > p->tf_max) r.Fail(end["guess"], "horizon.end.guess", "the guess " + model::FormatNumber(p->tf) + " " + tu.text + " lies outside [min, max]");
    if (!(p->tf_min > p->t0)) p->tf_min = p->t0 + 1e-6 * std::max(1.0, p->tf - p->t0);
  }
  if (!(p->tf > p->t0)) r.Fail(end, "horizon.end", "the final time must come after the start (" + model::FormatNumber(p->t0) + " " + tu.text + ")");
}

void ReadControls(const YamlReader& r, const YAML::Node& node, OcpProblem* p) {
  const auto& info = p->model->info();
  auto entries = r.Entries(node, "controls");
  if (entries.empty()) r.Fail(node, "controls", "at least one control (a model input) is needed");
  for (auto& [name, v] : entries) {
    const std::string f = "controls." + name;
    OcpControl c;
    c.name = name;
    c.line = YamlReader::Line(v);
    c.input = info.InputIndex(name);
    if (c.input < 0) {
      std::string known;
      for (const auto& in : info.inputs) known += (known.empty() ? "" : ", ") + in.name;
      r.Fail(v, f, "the model '" + info.provenance.name + "' has no input '" + name + "' (inputs: " + (known.empty() ? "none" : known) + ")");
    }
    const auto& in = info.inputs[c.input];
    r.Entries(v, f, {"min", "max", "initial", "shape"});
    c.lower = v["min"] ? r.Quantity(v["min"], f + ".min", in.unit) : in.lower;
    c.upper = v["max"] ? r.Quantity(v["max"], f + ".max", in.unit) : in.upper;
    if (!std::isfinite(c.lower) || !std::isfinite(c.upper)) {
      r.Fail(v, f, "needs finite bounds 'min' and 'max' (the model input has limits [" + model::FormatNumber(in.lower) + ", " + model::FormatNumber(in.upper) + "] " + in.unit.text + ")");
    }
    if (!(c.lower <= c.upper)) r.Fail(v, f, "min " + model::FormatNumber(c.lower) + " is above max " + model::FormatNumber(c.upper) + " " + in.unit.text);
    if (c.lower < in.lower || c.upper > in.upper) {
      r.Fail(v, f, "bounds [" + model::FormatNumber(c.lower) + ", " + model::FormatNumber(c.upper) + "] " + in.unit.text + " exceed the actuator limits of the model input [" + model::FormatNumber(in.lower) + ", " + model::FormatNumber(in.upper) + "] " + in.unit.text);
    }
    c.initial = v["initial"] ? r.Quantity(v["initial"], f + ".initial", in.unit) : 0.5 * (c.lower + c.upper);
    if (c.initial < c.lower || c.initial > c.upper) r.Fail(v["initial"], f + ".initial", "the initial guess " + model::FormatNumber(c.initial) + " " + in.unit.text + " lies outside [min, max]");
    if (v["shape"]) {
      const std::string s = r.String(v["shape"], f + ".shape");
      if (s == "piecewise_constant") c.shape = ControlShape::kPiecewiseConstant;
      else if (s == "piecewise_linear") c.shape = ControlShape::kPiecewiseLinear;
      else r.Fail(v["shape"], f + ".shape", "'" + s + "' is not a shape: piecewise_constant or piecewise_linear");
    }
    p->controls.push_back(c);
  }
}

template <typename Find, typename UnitOf>
void ReadOverrides(const YamlReader& r, const YAML::Node& node, const std::string& field,
                   const std::string& what, Find find, UnitOf unit_of, std::map<int, double>* out) {
  for (auto& [name, v] : r.Entries(node, field)) {
    const int k = find(name);
    if (k < 0) r.Fail(v, field + "." + name, "the model has no " + what + " '" + name + "'");
    (*out)[k] = r.Quantity(v, field + "." + name, unit_of(k));
  }
}

}  // namespace

OcpProblem LoadOcpProblemText(const std::string& text, const std::string& file_name,
                              const std::string& base_dir) {
  YamlReader r(file_name);
  YAML::Node root = r.Parse(text);
  r.RequireMap(root, "(top level)");
  r.Entries(root, "(top level)", {"biotwin_problem", "name", "description", "model", "horizon", "intervals",
                                  "controls", "inputs", "initial_state", "parameters", "objective",
                                  "path_constraints", "terminal_constraints", "solver", "warm_start",
                                  "move_blocking"});
  OcpProblem p = ReadOcpProblem(r, root, base_dir, nullptr);
  p.text = text;
  return p;
}

OcpProblem ReadOcpProblem(const YamlReader& r, const YAML::Node& root, const std::string& base_dir,
                          std::shared_ptr<const model::Model> model) {
  OcpProblem p;
  p.file = r.file();
  if (root["biotwin_problem"] && r.Number(root["biotwin_problem"], "biotwin_problem") != 1) {
    r.Fail(root["biotwin_problem"], "biotwin_problem", "unsupported format version (this biotwin reads 1)");
  }
  p.name = root["name"] ? r.String(root["name"], "name") : std::filesystem::path(r.file()).stem().string();
  if (root["description"]) p.description = r.String(root["description"], "description");
  if (model && !root["model"]) {
    p.model = std::move(model);
    p.model_file = p.model->info().file;
  } else {
    if (!root["model"]) r.Fail(root, "model", "missing: the model file to optimise");
    p.model_file = r.String(root["model"], "model");
    std::filesystem::path mp(p.model_file);
    if (mp.is_relative()) mp = std::filesystem::path(base_dir) / mp;
    p.model_file = mp.lexically_normal().string();
    if (!std::filesystem::exists(mp)) r.Fail(root["model"], "model", "cannot find the model file " + p.model_file);
    p.model = model::LoadModelFile(p.model_file);
  }
  const auto& info = p.model->info();
  for (const auto& e : info.events) {
    r.Fail(root["model"], "model", "the model has an event ('" + e.name + "', " + info.file + ":" + std::to_string(e.line) +
                                       "); optimize does not handle discrete events yet — remove it or model it as a control");
  }
  if (!root["horizon"]) r.Fail(root, "horizon", "missing: {start: 0 h, end: 15 h} or end: {free: true, guess: ...}");
  ReadHorizon(r, root["horizon"], info.time_unit, &p);
  if (root["intervals"]) {
    p.line_intervals = YamlReader::Line(root["intervals"]);
    const double n = r.Number(root["intervals"], "intervals");
    if (!(n >= 1 && n <= 5000 && n == std::floor(n))) r.Fail(root["intervals"], "intervals", "must be a whole number from 1 to 5000");
    p.intervals = static_cast<int>(n);
  }
  if (!root["controls"]) r.Fail(root, "controls", "missing: the model inputs to optimise");
  ReadControls(r, root["controls"], &p);
  if (const YAML::Node mb = root["move_blocking"]) {
    r.RequireSequence(mb, "move_blocking");
    int total = 0;
    for (size_t i = 0; i < mb.size(); ++i) {
      const std::string f = "move_blocking[" + std::to_string(i) + "]";
      const double b = r.Number(mb[i], f);
      if (!(b >= 1 && b == std::floor(b))) r.Fail(mb[i], f, "a block is a whole number of intervals (>= 1)");
      p.move_blocks.push_back(static_cast<int>(b));
      total += static_cast<int>(b);
    }
    if (total != p.intervals) {
      r.Fail(mb, "move_blocking", "the blocks cover " + std::to_string(total) + " intervals; they must add up to intervals = " + std::to_string(p.intervals));
    }
    for (const auto& c : p.controls) {
      if (c.shape != ControlShape::kPiecewiseConstant) r.Fail(mb, "move_blocking", "move blocking needs piecewise-constant controls ('" + c.name + "' is piecewise linear)");
    }
  }
  if (root["inputs"]) {
    ReadOverrides(r, root["inputs"], "inputs", "input", [&](const std::string& n) { return info.InputIndex(n); },
                  [&](int k) { return info.inputs[k].unit; }, &p.fixed_inputs);
    for (const auto& c : p.controls) {
      if (p.fixed_inputs.count(c.input)) r.Fail(root["inputs"], "inputs." + c.name, "is a control; it cannot also be held fixed");
    }
  }
  if (root["initial_state"]) {
    ReadOverrides(r, root["initial_state"], "initial_state", "state", [&](const std::string& n) { return info.StateIndex(n); },
                  [&](int k) { return info.states[k].unit; }, &p.initial_state);
  }
  if (root["parameters"]) {
    ReadOverrides(r, root["parameters"], "parameters", "parameter", [&](const std::string& n) { return info.ParameterIndex(n); },
                  [&](int k) { return info.parameters[k].unit; }, &p.parameters);
  }
  if (!root["objective"]) r.Fail(root, "objective", "missing: {maximize: EXPR} or {minimize: {final: EXPR, running: EXPR}}");
  ReadObjective(r, root["objective"], &p.objective);
  if (root["path_constraints"]) p.path = ReadConstraints(r, root["path_constraints"], "path_constraints");
  if (root["terminal_constraints"]) p.terminal = ReadConstraints(r, root["terminal_constraints"], "terminal_constraints");
  if (root["solver"]) ReadSolver(r, root["solver"], info.time_unit, &p.solver);
  if (p.solver.hessian == HessianMethod::kGaussNewton && p.objective.residuals.empty() && !(p.solver.regularization > 0)) {
    r.Fail(root["solver"], "solver.regularization",
           "the Gauss-Newton Hessian of an objective that is not least squares is only the regularisation: give "
           "solver.regularization > 0 (or use hessian: limited_memory)");
  }
  if (root["warm_start"]) {
    std::filesystem::path w(r.String(root["warm_start"], "warm_start"));
    if (w.is_relative()) w = std::filesystem::path(base_dir) / w;
    if (!std::filesystem::exists(w)) r.Fail(root["warm_start"], "warm_start", "cannot find " + w.string());
    p.warm_start = w.lexically_normal().string();
  }
  return p;
}

OcpProblem LoadOcpProblem(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw ModelError(path, 0, "", "cannot open the problem file");
  std::stringstream ss;
  ss << in.rdbuf();
  return LoadOcpProblemText(ss.str(), path, std::filesystem::path(path).parent_path().string());
}

}  // namespace biotwin::control
