#include "sim/scenario.h"

#include "sim/replay.h"
#include "sim/variation.h"

#include <cmath>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "model/content_hash.h"
#include "model/csv_table.h"
#include "model/quantity.h"
#include "model/yaml_util.h"

namespace biotwin::sim {
namespace {

using model::ModelError;
using model::Unit;
using model::YamlReader;

std::vector<double> Numbers(const YamlReader& r, const YAML::Node& node, const std::string& field,
                            const Unit& unit) {
  r.RequireSequence(node, field);
  std::vector<double> out;
  for (size_t i = 0; i < node.size(); ++i) out.push_back(r.Quantity(node[i], field, unit));
  return out;
}

InputProfile ReadProfile(const YamlReader& r, const YAML::Node& node, const std::string& field,
                         const model::InputInfo& in, const model::ModelInfo& info,
                         const std::string& base_dir) {
  if (node.IsScalar()) return InputProfile::Constant(r.Quantity(node, field, in.unit));
  auto entries = r.Entries(node, field, {"constant", "piecewise_constant", "piecewise_linear",
                                         "exponential", "table"});
  if (entries.size() != 1) r.Fail(node, field, "give exactly one profile: constant, piecewise_constant, piecewise_linear, exponential or table");
  auto& [kind, v] = entries[0];
  std::string f = field + "." + kind;
  try {
    if (kind == "constant") return InputProfile::Constant(r.Quantity(v, f, in.unit));
    if (kind == "piecewise_constant" || kind == "piecewise_linear") {
      r.Entries(v, f, {"times", "values"});
      if (!v["times"] || !v["values"]) r.Fail(v, f, "needs 'times' and 'values'");
      auto times = Numbers(r, v["times"], f + ".times", info.time_unit);
      auto values = Numbers(r, v["values"], f + ".values", in.unit);
      if (times.size() != values.size()) r.Fail(v, f, "'times' has " + std::to_string(times.size()) + " entries but 'values' has " + std::to_string(values.size()));
      return kind == "piecewise_constant" ? InputProfile::PiecewiseConstant(times, values)
                                          : InputProfile::PiecewiseLinear(times, values);
    }
    if (kind == "exponential") {
      r.Entries(v, f, {"start", "initial", "rate", "max"});
      for (const char* k : {"start", "initial", "rate"}) {
        if (!v[k]) r.Fail(v, f + "." + k, std::string("missing '") + k + "'");
      }
      double start = r.Quantity(v["start"], f + ".start", info.time_unit);
      double initial = r.Quantity(v["initial"], f + ".initial", in.unit);
      double rate = r.Quantity(v["rate"], f + ".rate", model::ParseUnit("1") / info.time_unit);
      double max = v["max"] ? r.Quantity(v["max"], f + ".max", in.unit) : model::kInf;
      return InputProfile::Exponential(start, initial, rate, max);
    }
    // table: a CSV file with units in its headers; first column is time.
    r.Entries(v, f, {"file", "column", "interpolation"});
    if (!v["file"]) r.Fail(v, f + ".file", "missing 'file'");
    std::string path = r.String(v["file"], f + ".file");
    if (!path.empty() && path[0] != '/') path = base_dir + "/" + path;
    std::string column = v["column"] ? r.String(v["column"], f + ".column") : in.name;
    std::string interp = v["interpolation"] ? r.String(v["interpolation"], f + ".interpolation") : "linear";
    if (interp != "linear" && interp != "constant") r.Fail(v["interpolation"], f + ".interpolation", "expected linear or constant");
    if (!std::ifstream(path)) r.Fail(v["file"], f + ".file", "cannot open '" + path + "'");
    model::CsvTable t = model::ReadCsvTable(path);
    auto unit_of = [&](size_t c) {
      std::string name, unit;
      if (!model::SplitHeaderUnit(t.header[c], &name, &unit)) {
        throw ModelError(path, 1, t.header[c], "header cell needs a unit in brackets, e.g. 'F [L/h]'");
      }
      return model::ParseUnit(unit);
    };
    if (t.header.size() < 2) throw ModelError(path, 1, "", "a table needs a time column and at least one value column");
    const int col = t.Find(column);
    if (col < 1) throw ModelError(path, 1, column, "no column named '" + column + "'");
    const double tf = model::ConversionFactor(unit_of(0), info.time_unit);
    const double vf = model::ConversionFactor(unit_of(col), in.unit);
    std::vector<double> times, values;
    for (size_t i = 0; i < t.rows.size(); ++i) {
      const double tv = t.rows[i][0], vv = t.rows[i][col];
      if (!std::isfinite(tv)) throw ModelError(path, t.lines[i], t.header[0], "missing time");
      if (!std::isfinite(vv)) throw ModelError(path, t.lines[i], t.header[col], "missing value");
      if (!times.empty() && !(tv * tf > times.back())) throw ModelError(path, t.lines[i], t.header[0], "time must increase");
      times.push_back(tv * tf);
      values.push_back(vv * vf);
    }
    const int lineno = t.lines.empty() ? 1 : t.lines.back();
    if (times.empty()) throw ModelError(path, lineno, "", "the table has no data rows");
    return interp == "linear" ? InputProfile::PiecewiseLinear(times, values)
                              : InputProfile::PiecewiseConstant(times, values);
  } catch (const model::UnitError& e) {
    r.Fail(v, f, e.what());
  } catch (const std::invalid_argument& e) {
    r.Fail(v, f, e.what());
  }
}

Event ReadEvent(const YamlReader& r, const YAML::Node& e, size_t k, const model::ModelInfo& info) {
  std::string field = "events[" + std::to_string(k) + "]";
  r.Entries(e, field, {"name", "description", "at", "actions"});
  Event ev;
  ev.origin = "scenario";
  ev.name = e["name"] ? r.String(e["name"], field + ".name") : "recipe" + std::to_string(k + 1);
  field = "events." + ev.name;
  if (!e["at"]) r.Fail(e, field + ".at", "a scenario event needs 'at' (state-triggered events belong in the model)");
  const YAML::Node& at = e["at"];
  if (at.IsMap()) {
    r.Entries(at, field + ".at", {"start", "every", "until"});
    if (!at["start"]) r.Fail(at, field + ".at.start", "missing 'start'");
    ev.at = r.Quantity(at["start"], field + ".at.start", info.time_unit);
    if (at["every"]) {
      ev.every = r.Quantity(at["every"], field + ".at.every", info.time_unit);
      if (!(ev.every > 0)) r.Fail(at["every"], field + ".at.every", "period must be positive");
    }
    if (at["until"]) {
      ev.until = r.Quantity(at["until"], field + ".at.until", info.time_unit);
      if (ev.until < ev.at) r.Fail(at["until"], field + ".at.until", "'until' is before 'start'");
    }
  } else {
    ev.at = r.Quantity(at, field + ".at", info.time_unit);
  }
  if (!e["actions"]) r.Fail(e, field + ".actions", "an event needs 'actions'");
  r.RequireSequence(e["actions"], field + ".actions");
  using Kind = model::EventAction::Kind;
  for (size_t a = 0; a < e["actions"].size(); ++a) {
    const YAML::Node& act = e["actions"][a];
    std::string af = field + ".actions[" + std::to_string(a) + "]";
    for (auto& [kind, val] : r.Entries(act, af, {"bolus", "withdraw", "withdraw_to", "set", "phase"})) {
      bool vol = kind == "bolus" || kind == "withdraw" || kind == "withdraw_to";
      if (vol && info.volume_state < 0) r.Fail(val, af + "." + kind, "the model has no liquid volume");
      const Unit vunit = vol ? info.states[info.volume_state].unit : info.time_unit;
      Action x;
      x.target_name = kind;
      if (kind == "bolus") {
        x.kind = Kind::kBolus;
        r.Entries(val, af + ".bolus", {"volume", "composition"});
        if (!val["volume"]) r.Fail(val, af + ".bolus.volume", "missing 'volume'");
        x.value = r.Quantity(val["volume"], af + ".bolus.volume", vunit);
        if (val["composition"]) {
          for (auto& [s, c] : r.Entries(val["composition"], af + ".bolus.composition")) {
            int i = info.StateIndex(s);
            if (i < 0 || !info.states[i].diluted) r.Fail(c, af + ".bolus.composition." + s, "'" + s + "' is not a diluted (liquid concentration) state");
            x.composition.push_back({i, r.Quantity(c, af + ".bolus.composition." + s, info.states[i].unit)});
          }
        }
      } else if (kind == "withdraw" || kind == "withdraw_to") {
        x.kind = Kind::kWithdraw;
        x.withdraw_to_volume = kind == "withdraw_to";
        x.value = r.Quantity(val, af + "." + kind, vunit);
      } else if (kind == "phase") {
        x.kind = Kind::kPhase;
        std::string ph = r.String(val, af + ".phase");
        auto it = std::find(info.phases.begin(), info.phases.end(), ph);
        if (it == info.phases.end()) r.Fail(val, af + ".phase", "unknown phase '" + ph + "'");
        x.target = static_cast<int>(it - info.phases.begin());
        x.target_name = ph;
      } else {
        for (auto& [name, v] : r.Entries(val, af + ".set")) {
          Action s;
          s.target_name = name;
          if ((s.target = info.InputIndex(name)) >= 0) {
            s.kind = Kind::kSetInput;
            s.value = r.Quantity(v, af + ".set." + name, info.inputs[s.target].unit);
          } else if ((s.target = info.ParameterIndex(name)) >= 0) {
            s.kind = Kind::kSetParameter;
            s.value = r.Quantity(v, af + ".set." + name, info.parameters[s.target].unit);
          } else if ((s.target = info.StateIndex(name)) >= 0) {
            s.kind = Kind::kSetState;
            s.value = r.Quantity(v, af + ".set." + name, info.states[s.target].unit);
          } else {
            r.Fail(v, af + ".set." + name, "'" + name + "' is not an input, parameter or state of the model");
          }
          ev.actions.push_back(s);
        }
        continue;
      }
      ev.actions.push_back(x);
    }
  }
  return ev;
}

}  // namespace

Scenario DefaultScenario(const model::ModelInfo& info, double t_end) {
  Scenario s;
  s.name = "default";
  s.t_end = t_end;
  return s;
}

Scenario LoadScenarioText(const std::string& text, const std::string& file_name,
                          const model::ModelInfo& info) {
  YamlReader r(file_name);
  YAML::Node root = r.Parse(text);
  if (!root.IsMap()) throw ModelError(file_name, 1, "", "a scenario file must be a mapping");
  r.Entries(root, "", {"biotwin_scenario", "name", "description", "model", "start", "until",
                       "output_interval", "output_times", "solver", "parameters", "initial",
                       "inputs", "events", "replay", "variation", "control", "ensemble"});
  // Blocks read by their own modules; parsed here too so that a bad block fails at load time.
  if (root["replay"]) ParseReplaySpec(root["replay"], r, info);
  if (root["variation"]) ParseVariationSpec(root["variation"], r, info);
  if (root["ensemble"]) {  // read by `biotwin ensemble`: the per-batch summary's metrics
    r.Entries(root["ensemble"], "ensemble", {"metrics"});
    if (root["ensemble"]["metrics"]) {
      r.RequireSequence(root["ensemble"]["metrics"], "ensemble.metrics");
      for (const auto& v : root["ensemble"]["metrics"]) {
        std::string n = r.String(v, "ensemble.metrics");
        if (info.StateIndex(n) < 0 && info.OutputIndex(n) < 0) {
          r.Fail(v, "ensemble.metrics", "'" + n + "' is neither a state nor an output of the model");
        }
      }
    }
  }
  Scenario s;
  s.file = file_name;
  s.text = text;
  s.content_hash = model::Sha256Hex(text);
  s.name = root["name"] ? r.String(root["name"], "name") : file_name;
  if (root["start"]) s.t_begin = r.Quantity(root["start"], "start", info.time_unit);
  if (root["until"]) s.t_end = r.Quantity(root["until"], "until", info.time_unit);
  if (root["output_interval"]) {
    s.output_interval = r.Quantity(root["output_interval"], "output_interval", info.time_unit);
    if (!(s.output_interval > 0)) r.Fail(root["output_interval"], "output_interval", "must be positive");
  }
  if (root["output_times"]) {
    s.output_times = Numbers(r, root["output_times"], "output_times", info.time_unit);
    for (size_t i = 1; i < s.output_times.size(); ++i) {
      if (!(s.output_times[i] > s.output_times[i - 1])) {
        r.Fail(root["output_times"][i], "output_times", "times must increase strictly (entry " + std::to_string(i + 1) + ")");
      }
    }
  }
  if (root["until"] && !(s.t_end > s.t_begin)) r.Fail(root["until"], "until", "the end time must be after the start time");
  if (YAML::Node so = root["solver"]) {
    r.Entries(so, "solver", {"rtol", "atol", "max_steps", "method"});
    if (so["method"]) {
      s.method = r.String(so["method"], "solver.method");
      if (s.method != "bdf" && s.method != "rodas3" && s.method != "rodas4" && s.method != "ros34pw2") {
        r.Fail(so["method"], "solver.method", "must be bdf, rodas3, rodas4 or ros34pw2");
      }
    }
    if (so["rtol"]) s.rtol = r.Number(so["rtol"], "solver.rtol");
    if (so["atol"]) s.atol = r.Number(so["atol"], "solver.atol");
    if (so["max_steps"]) s.max_steps = static_cast<int>(r.Number(so["max_steps"], "solver.max_steps"));
    if (!(s.rtol > 0 && s.rtol < 1)) r.Fail(so["rtol"], "solver.rtol", "must be between 0 and 1");
    if (!(s.atol > 0)) r.Fail(so["atol"], "solver.atol", "must be positive");
  }
  if (YAML::Node ps = root["parameters"]) {
    for (auto& [name, v] : r.Entries(ps, "parameters")) {
      int k = info.ParameterIndex(name);
      if (k < 0) r.Fail(v, "parameters." + name, "'" + name + "' is not a parameter of model '" + info.provenance.name + "'");
      s.parameters[k] = r.Quantity(v, "parameters." + name, info.parameters[k].unit);
    }
  }
  if (YAML::Node in = root["initial"]) {
    for (auto& [name, v] : r.Entries(in, "initial")) {
      int k = info.StateIndex(name);
      if (k < 0) r.Fail(v, "initial." + name, "'" + name + "' is not a state of model '" + info.provenance.name + "'");
      s.initial[k] = r.Quantity(v, "initial." + name, info.states[k].unit);
      if (k == info.volume_state && (!(s.initial[k] > 0) || s.initial[k] < info.volume_min || s.initial[k] > info.volume_max)) {
        r.Fail(v, "initial." + name, "initial volume must be positive and within the vessel limits");
      }
    }
  }
  std::string base_dir = file_name.find('/') == std::string::npos ? "." : file_name.substr(0, file_name.rfind('/'));
  if (YAML::Node in = root["inputs"]) {
    for (auto& [name, v] : r.Entries(in, "inputs")) {
      int k = info.InputIndex(name);
      if (k < 0) r.Fail(v, "inputs." + name, "'" + name + "' is not an input of model '" + info.provenance.name + "'");
      s.inputs.emplace(k, ReadProfile(r, v, "inputs." + name, info.inputs[k], info, base_dir));
    }
  }
  // The control layer (src/control) parses this block itself, from `text`, with its lines.
  if (YAML::Node c = root["control"]) {
    if (!c.IsMap()) r.Fail(c, "control", "expected a mapping (sample_time, sensors, actuators, schedules, loops)");
    s.has_control = true;
  }
  if (YAML::Node ev = root["events"]) {
    r.RequireSequence(ev, "events");
    for (size_t k = 0; k < ev.size(); ++k) s.events.push_back(ReadEvent(r, ev[k], k, info));
  }
  return s;
}

Scenario LoadScenarioFile(const std::string& path, const model::ModelInfo& info) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw ModelError(path, 0, "", "cannot open scenario file");
  std::stringstream buffer;
  buffer << in.rdbuf();
  return LoadScenarioText(buffer.str(), path, info);
}

void ApplySetting(const std::string& assignment, const model::ModelInfo& info, Scenario* s) {
  size_t eq = assignment.find('=');
  if (eq == std::string::npos || eq == 0) {
    throw std::invalid_argument("--set expects NAME=VALUE, got '" + assignment + "'");
  }
  std::string name = assignment.substr(0, eq);
  std::string value = assignment.substr(eq + 1);
  auto convert = [&](const Unit& target) {
    try {
      return model::ParseQuantity(value, target);
    } catch (const model::UnitError& e) {
      throw std::invalid_argument("--set " + name + ": " + e.what());
    }
  };
  if (int k = info.ParameterIndex(name); k >= 0) {
    s->parameters[k] = convert(info.parameters[k].unit);
  } else if (int k = info.InputIndex(name); k >= 0) {
    s->inputs.insert_or_assign(k, InputProfile::Constant(convert(info.inputs[k].unit)));
  } else if (int k = info.StateIndex(name); k >= 0) {
    s->initial[k] = convert(info.states[k].unit);
    if (k == info.volume_state && (!(s->initial[k] > 0) || s->initial[k] < info.volume_min ||
                                   s->initial[k] > info.volume_max)) {
      throw std::invalid_argument("--set " + name + ": the initial volume must be positive and within the vessel limits");
    }
  } else {
    throw std::invalid_argument("--set: '" + name + "' is not a parameter, input or state of model '" +
                                info.provenance.name + "'");
  }
}

}  // namespace biotwin::sim
