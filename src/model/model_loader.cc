// Reads a YAML model file (docs/model-format.md), checks names and units, generates the
// liquid-phase dilution and gas-transfer terms, and compiles everything onto AD tapes.
#include "model/model_loader.h"

#include <fstream>
#include <sstream>

#include "model/content_hash.h"

namespace biotwin::model::internal {

Source Loader::ParseExpr(const YAML::Node& node, const std::string& field) const {
  Source s;
  s.text = yaml_.ExprText(node, field);
  s.line = YamlReader::Line(node);
  s.field = field;
  try {
    s.expr = std::shared_ptr<const ExprNode>(ParseExpression(s.text).release());
  } catch (const ExprSyntaxError& e) {
    Fail(s.line, field,
         "syntax error in '" + s.text + "' at column " + std::to_string(e.offset() + 1) + ": " +
             e.what());
  }
  return s;
}

void Loader::Claim(const std::string& name, const YAML::Node& where, const std::string& field) {
  if (!IsIdentifier(name)) {
    yaml_.Fail(where, field, "'" + name + "' is not a valid name (letters, digits, '_'; not starting with a digit)");
  }
  if (kReserved.count(name)) {
    yaml_.Fail(where, field, "'" + name + "' is reserved (time, phase and function names)");
  }
  auto it = owner_.find(name);
  if (it != owner_.end()) {
    yaml_.Fail(where, field, "duplicate name '" + name + "' (already declared in " + it->second + ")");
  }
  owner_[name] = field;
}

Typed Loader::EmitTyped(const Source& src, Tape& tape) {
  try {
    return compiler_.Compile(*src.expr, tape);
  } catch (const CompileError& e) {
    // An error inside a named intermediate points at that intermediate's own line.
    std::string msg = e.what();
    const std::string prefix = "in expression '";
    if (msg.rfind(prefix, 0) == 0) {
      std::string name = msg.substr(prefix.size(), msg.find('\'', prefix.size()) - prefix.size());
      auto it = expr_lines_.find(name);
      if (it != expr_lines_.end()) Fail(it->second.line, it->second.field, msg);
    }
    Fail(src.line, src.field, msg + " (in '" + src.text + "')");
  }
}

int Loader::Emit(const Source& src, const Unit& target, Tape& tape, const std::string& what) {
  Typed value = EmitTyped(src, tape);
  try {
    return compiler_.ConvertTo(value, target, tape, what + " '" + src.text + "'");
  } catch (const CompileError& e) {
    Fail(src.line, src.field, e.what());
  }
}

void Loader::ReadHeader(const YAML::Node& root) {
  if (!root.IsMap()) Fail(1, "", "a model file must be a mapping with 'model', 'states', ... sections");
  yaml_.Entries(root, "", {"biotwin", "model", "time_unit", "states", "parameters", "inputs",
                           "expressions", "networks", "reactions", "balances", "liquid", "gas_transfer",
                           "outputs", "phases", "events", "sample_rules", "validity"});
  if (root["biotwin"]) {
    double v = yaml_.Number(root["biotwin"], "biotwin");
    if (v != 1) yaml_.Fail(root["biotwin"], "biotwin", "unsupported format version (this biotwin reads version 1)");
  }
  YAML::Node m = root["model"];
  if (!m) Fail(1, "model", "missing 'model' section (name, version, source, ...)");
  for (auto& [key, value] : yaml_.Entries(m, "model", {"name", "version", "author", "source", "doi",
                                                       "description", "license"})) {
    std::string v = yaml_.String(value, "model." + key);
    Provenance& p = info_.provenance;
    if (key == "name") p.name = v;
    if (key == "version") p.version = v;
    if (key == "author") p.author = v;
    if (key == "source") p.source = v;
    if (key == "doi") p.doi = v;
    if (key == "description") p.description = v;
    if (key == "license") p.license = v;
  }
  if (info_.provenance.name.empty()) yaml_.Fail(m, "model.name", "missing model name");
  info_.time_unit = ParseUnit("h");
  if (root["time_unit"]) {
    info_.time_unit = yaml_.UnitOf(root["time_unit"], "time_unit");
    if (info_.time_unit.dimension != ParseUnit("s").dimension) {
      yaml_.Fail(root["time_unit"], "time_unit", "'" + info_.time_unit.text + "' is not a unit of time");
    }
  }
  if (YAML::Node ph = root["phases"]) {
    yaml_.RequireSequence(ph, "phases");
    for (size_t i = 0; i < ph.size(); ++i) {
      std::string name = yaml_.String(ph[i], "phases");
      Claim(name, ph[i], "phases");
      info_.phases.push_back(name);
    }
  }
}

void Loader::ReadStates(const YAML::Node& node) {
  if (!node) Fail(1, "states", "missing 'states' section");
  for (auto& [name, s] : yaml_.Entries(node, "states")) {
    std::string field = "states." + name;
    Claim(name, s, field);
    StateInfo st;
    st.name = name;
    st.line = YamlReader::Line(s);
    for (auto& [key, v] : yaml_.Entries(s, field, {"unit", "initial", "description", "diluted",
                                                   "non_negative", "abs_tol"})) {
      if (key == "description") st.description = yaml_.String(v, field + ".description");
      if (key == "diluted") st.diluted = yaml_.Bool(v, field + ".diluted");
      if (key == "non_negative") st.non_negative = yaml_.Bool(v, field + ".non_negative");
    }
    if (!s["unit"]) yaml_.Fail(s, field + ".unit", "state '" + name + "' needs a unit");
    st.unit = yaml_.UnitOf(s["unit"], field + ".unit");
    if (st.unit.IsAffine()) yaml_.Fail(s["unit"], field + ".unit", "use K, not an offset scale, for temperature states");
    if (!s["initial"]) yaml_.Fail(s, field + ".initial", "state '" + name + "' needs an initial value");
    st.initial = yaml_.Quantity(s["initial"], field + ".initial", st.unit);
    if (s["abs_tol"]) st.abs_tol = yaml_.Quantity(s["abs_tol"], field + ".abs_tol", st.unit);
    if (st.non_negative && st.initial < 0) {
      yaml_.Fail(s["initial"], field + ".initial", "initial value " + s["initial"].Scalar() + " is negative but the state is non-negative");
    }
    info_.states.push_back(st);
  }
}

void Loader::ReadLiquid(const YAML::Node& node) {
  if (!node) return;
  yaml_.Entries(node, "liquid", {"volume", "feeds", "withdrawals", "evaporation"});
  YAML::Node v = node["volume"];
  if (!v) yaml_.Fail(node, "liquid.volume", "the liquid phase needs a 'volume' entry");
  std::string field = "liquid.volume";
  StateInfo st;
  st.name = "V";
  st.diluted = false;
  st.non_negative = true;
  st.line = volume_line_ = YamlReader::Line(v);
  for (auto& [key, val] : yaml_.Entries(v, field, {"name", "unit", "initial", "min", "max", "description"})) {
    if (key == "name") st.name = yaml_.String(val, field + ".name");
    if (key == "description") st.description = yaml_.String(val, field + ".description");
  }
  st.unit = v["unit"] ? yaml_.UnitOf(v["unit"], field + ".unit") : ParseUnit("L");
  if (st.unit.dimension != ParseUnit("L").dimension) {
    yaml_.Fail(v["unit"], field + ".unit", "'" + st.unit.text + "' is not a unit of volume");
  }
  if (!v["initial"]) yaml_.Fail(v, field + ".initial", "the liquid volume needs an initial value");
  st.initial = yaml_.Quantity(v["initial"], field + ".initial", st.unit);
  if (st.initial <= 0) {
    yaml_.Fail(v["initial"], field + ".initial", "initial volume must be positive, got " + v["initial"].Scalar());
  }
  if (v["max"]) info_.volume_max = yaml_.Quantity(v["max"], field + ".max", st.unit);
  if (v["min"]) info_.volume_min = yaml_.Quantity(v["min"], field + ".min", st.unit);
  if (st.initial < info_.volume_min) {
    yaml_.Fail(v["initial"], field + ".initial", "initial volume is below the vessel minimum " + v["min"].Scalar());
  }
  if (st.initial > info_.volume_max) {
    yaml_.Fail(v["initial"], field + ".initial", "initial volume exceeds the vessel maximum " + v["max"].Scalar());
  }
  Claim(st.name, v, field);
  info_.volume_state = static_cast<int>(info_.states.size());
  info_.states.push_back(st);
}

void Loader::ReadParameters(const YAML::Node& node) {
  if (!node) return;
  for (auto& [name, p] : yaml_.Entries(node, "parameters")) {
    std::string field = "parameters." + name;
    Claim(name, p, field);
    ParameterInfo par;
    par.name = name;
    par.line = YamlReader::Line(p);
    yaml_.Entries(p, field, {"value", "unit", "bounds", "uncertainty", "source", "description"});
    if (!p["value"]) yaml_.Fail(p, field + ".value", "parameter '" + name + "' needs a value");
    if (!p["unit"]) yaml_.Fail(p, field + ".unit", "parameter '" + name + "' needs a unit ('-' if dimensionless)");
    par.unit = yaml_.UnitOf(p["unit"], field + ".unit");
    par.value = yaml_.Quantity(p["value"], field + ".value", par.unit);
    if (p["bounds"]) {
      auto [lo, hi] = yaml_.Range(p["bounds"], field + ".bounds");
      par.lower = lo;
      par.upper = hi;
      if (par.value < lo || par.value > hi) {
        yaml_.Fail(p["value"], field + ".value", "value " + p["value"].Scalar() + " is outside its bounds");
      }
    }
    if (p["uncertainty"]) {
      par.uncertainty = yaml_.Quantity(p["uncertainty"], field + ".uncertainty", par.unit);
      if (par.uncertainty < 0) yaml_.Fail(p["uncertainty"], field + ".uncertainty", "uncertainty must be >= 0");
    }
    if (p["source"]) par.source = yaml_.String(p["source"], field + ".source");
    if (p["description"]) par.description = yaml_.String(p["description"], field + ".description");
    info_.parameters.push_back(par);
  }
}

void Loader::ReadInputs(const YAML::Node& node) {
  if (!node) return;
  for (auto& [name, in] : yaml_.Entries(node, "inputs")) {
    std::string field = "inputs." + name;
    Claim(name, in, field);
    InputInfo u;
    u.name = name;
    u.line = YamlReader::Line(in);
    yaml_.Entries(in, field, {"unit", "default", "limits", "description"});
    if (!in["unit"]) yaml_.Fail(in, field + ".unit", "input '" + name + "' needs a unit");
    u.unit = yaml_.UnitOf(in["unit"], field + ".unit");
    if (in["default"]) u.default_value = yaml_.Quantity(in["default"], field + ".default", u.unit);
    if (in["limits"]) {
      auto [lo, hi] = yaml_.Range(in["limits"], field + ".limits");
      u.lower = lo;
      u.upper = hi;
      if (u.default_value < lo || u.default_value > hi) {
        yaml_.Fail(in["default"] ? in["default"] : in, field + ".default", "default value is outside the input's limits");
      }
    }
    if (in["description"]) u.description = yaml_.String(in["description"], field + ".description");
    info_.inputs.push_back(u);
  }
}

void Loader::ReadExpressions(const YAML::Node& node) {
  if (!node) return;
  for (auto& [name, e] : yaml_.Entries(node, "expressions")) {
    std::string field = "expressions." + name;
    Claim(name, e, field);
    Source src;
    Unit declared;
    bool has_unit = false;
    if (e.IsMap()) {
      yaml_.Entries(e, field, {"expr", "unit", "description"});
      if (!e["expr"]) yaml_.Fail(e, field + ".expr", "missing 'expr'");
      src = ParseExpr(e["expr"], field);
      if (e["unit"]) {
        declared = yaml_.UnitOf(e["unit"], field + ".unit");
        has_unit = true;
      }
    } else {
      src = ParseExpr(e, field);
    }
    compiler_.DeclareIntermediate(name, src.expr, src.text, has_unit ? &declared : nullptr);
    expr_lines_[name] = src;
  }
}

}  // namespace biotwin::model::internal
