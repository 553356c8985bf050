#include "sim/replay.h"

#include <cmath>
#include <cstdlib>
#include <set>

#include "model/csv_table.h"
#include "model/format.h"

namespace biotwin::sim {
namespace {

using model::ModelError;

double Factor(const model::YamlReader& r, const YAML::Node& node, const std::string& field,
              const model::Unit& target) {
  if (!node["unit"]) return 1.0;
  model::Unit from = r.UnitOf(node["unit"], field + ".unit");
  try {
    return model::ConversionFactor(from, target);
  } catch (const model::UnitError& e) {
    r.Fail(node["unit"], field + ".unit", e.what());
  }
}

ReplayTarget ParseTarget(const YAML::Node& v, const std::string& f, const model::YamlReader& r,
                         const model::ModelInfo& info) {
  ReplayTarget t;
  if (v.IsScalar()) {
    std::string name = r.String(v, f);
    if (name == "ignore") return t;
    if ((t.index = info.StateIndex(name)) >= 0) {
      t.kind = ReplayTarget::Kind::kState;
    } else if ((t.index = info.ParameterIndex(name)) >= 0) {
      t.kind = ReplayTarget::Kind::kParameter;
    } else {
      r.Fail(v, f, "'" + name + "' is neither a state nor a parameter of the model");
    }
    return t;
  }
  r.Entries(v, f, {"state", "parameter", "horizon", "sample_time", "unit", "from"});
  int kinds = (v["state"] ? 1 : 0) + (v["parameter"] ? 1 : 0) + (v["horizon"] ? 1 : 0) +
              (v["sample_time"] ? 1 : 0);
  if (kinds != 1) r.Fail(v, f, "give exactly one of state, parameter, horizon, sample_time");
  if (v["state"]) {
    std::string name = r.String(v["state"], f + ".state");
    t.index = info.StateIndex(name);
    if (t.index < 0) r.Fail(v["state"], f + ".state", "no state named '" + name + "'");
    t.kind = ReplayTarget::Kind::kState;
    if (v["from"]) {
      std::string from = r.String(v["from"], f + ".from");
      if (from != "pH") r.Fail(v["from"], f + ".from", "only 'pH' is supported (state = 10^-pH)");
      t.from_ph = true;
      t.factor = model::ConversionFactor(model::ParseUnit("mol/L"), info.states[t.index].unit);
    } else {
      t.factor = Factor(r, v, f, info.states[t.index].unit);
    }
  } else if (v["parameter"]) {
    std::string name = r.String(v["parameter"], f + ".parameter");
    t.index = info.ParameterIndex(name);
    if (t.index < 0) r.Fail(v["parameter"], f + ".parameter", "no parameter named '" + name + "'");
    t.kind = ReplayTarget::Kind::kParameter;
    t.factor = Factor(r, v, f, info.parameters[t.index].unit);
  } else {
    const YAML::Node& u = v["horizon"] ? v["horizon"] : v["sample_time"];
    t.kind = v["horizon"] ? ReplayTarget::Kind::kHorizon : ReplayTarget::Kind::kSampleTime;
    model::Unit from = r.UnitOf(u, f + (v["horizon"] ? ".horizon" : ".sample_time"));
    try {
      t.factor = model::ConversionFactor(from, info.time_unit);
    } catch (const model::UnitError& e) {
      r.Fail(u, f, e.what());
    }
  }
  return t;
}

}  // namespace

ReplaySpec ParseReplaySpec(const YAML::Node& node, const model::YamlReader& r,
                           const model::ModelInfo& info) {
  ReplaySpec spec;
  r.Entries(node, "replay", {"initial", "ignore", "disturbances", "reference"});
  if (node["initial"]) {
    for (const auto& [name, v] : r.Entries(node["initial"], "replay.initial")) {
      spec.initial.emplace_back(name, ParseTarget(v, "replay.initial." + name, r, info));
    }
  }
  if (node["ignore"]) {
    r.RequireSequence(node["ignore"], "replay.ignore");
    for (const auto& v : node["ignore"]) spec.ignore_prefixes.push_back(r.String(v, "replay.ignore"));
  }
  if (node["disturbances"]) {
    for (const auto& [column, v] : r.Entries(node["disturbances"], "replay.disturbances")) {
      std::string f = "replay.disturbances." + column;
      ReplaySpec::Column c;
      c.column = column;
      std::string input;
      if (v.IsScalar()) {
        input = r.String(v, f);
      } else {
        r.Entries(v, f, {"input", "unit"});
        if (!v["input"]) r.Fail(v, f, "missing 'input'");
        input = r.String(v["input"], f + ".input");
      }
      c.input = info.InputIndex(input);
      if (c.input < 0) r.Fail(v, f, "no input named '" + input + "' in the model");
      if (!v.IsScalar()) c.factor = Factor(r, v, f, info.inputs[c.input].unit);
      spec.disturbances.push_back(c);
    }
  }
  if (node["reference"]) {
    for (const auto& [column, v] : r.Entries(node["reference"], "replay.reference")) {
      std::string f = "replay.reference." + column;
      ReplaySpec::ReferenceColumn c;
      c.column = column;
      if (v.IsScalar()) {
        c.name = r.String(v, f);
      } else {
        r.Entries(v, f, {"name", "unit", "time_shift"});
        if (!v["name"]) r.Fail(v, f, "missing 'name'");
        c.name = r.String(v["name"], f + ".name");
        if (v["time_shift"]) c.time_shift = r.Quantity(v["time_shift"], f + ".time_shift", info.time_unit);
      }
      const model::Unit* unit = nullptr;
      if (int i = info.StateIndex(c.name); i >= 0) unit = &info.states[i].unit;
      else if (int o = info.OutputIndex(c.name); o >= 0) unit = &info.outputs[o].unit;
      else if (int u = info.InputIndex(c.name); u >= 0) unit = &info.inputs[u].unit;
      else r.Fail(v, f, "'" + c.name + "' is not a state, output or input of the model");
      if (!v.IsScalar()) c.factor = Factor(r, v, f, *unit);
      spec.reference.push_back(c);
    }
  }
  return spec;
}

ReplaySpec LoadReplaySpec(const std::string& text, const std::string& file,
                          const model::ModelInfo& info) {
  model::YamlReader r(file);
  YAML::Node root = r.Parse(text);
  if (!root.IsMap() || !root["replay"]) return {};
  return ParseReplaySpec(root["replay"], r, info);
}

ReplayInitial ApplyInitialFile(const std::string& path, const ReplaySpec& spec,
                               const model::ModelInfo& info, Scenario* scenario) {
  model::CsvReadOptions opt;
  opt.keep_text = true;
  opt.numeric_from_column = 2;  // values are parsed below, so that errors can name the row's name
  model::CsvTable t = model::ReadCsvTable(path, opt);
  if (t.header.size() != 2) {
    throw ModelError(path, 1, "", "expected two columns 'name,value', found " +
                                      std::to_string(t.header.size()));
  }
  ReplayInitial out;
  std::set<std::string> seen;
  for (size_t i = 0; i < t.rows.size(); ++i) {
    const std::string& name = t.text[i][0];
    const int line = t.lines[i];
    if (!seen.insert(name).second) throw ModelError(path, line, name, "appears twice");
    bool ignored = false;
    for (const auto& p : spec.ignore_prefixes) ignored |= name.rfind(p, 0) == 0;
    if (ignored) continue;
    const ReplayTarget* target = nullptr;
    for (const auto& [n, tg] : spec.initial) {
      if (n == name) target = &tg;
    }
    if (!target) {
      throw ModelError(path, line, name,
                       "unknown name: the scenario's replay.initial block does not map it "
                       "(map it or list it under replay.ignore)");
    }
    if (target->kind == ReplayTarget::Kind::kIgnore) continue;
    const std::string& cell = t.text[i][1];
    char* end = nullptr;
    double v = std::strtod(cell.c_str(), &end);
    if (cell.empty() || cell == "nan" || cell == "NaN" || cell == "NA") throw ModelError(path, line, name, "missing value");
    if (end == cell.c_str() || *end != '\0') throw ModelError(path, line, name, "not a number: '" + cell + "'");
    if (!std::isfinite(v)) throw ModelError(path, line, name, "value must be finite");
    switch (target->kind) {
      case ReplayTarget::Kind::kState:
        if (target->from_ph) {
          if (v <= 0.0 || v >= 14.0) throw ModelError(path, line, name, "pH outside (0, 14)");
          v = std::pow(10.0, -v);
        }
        scenario->initial[target->index] = v * target->factor;
        break;
      case ReplayTarget::Kind::kParameter:
        scenario->parameters[target->index] = v * target->factor;
        break;
      case ReplayTarget::Kind::kHorizon:
        if (!(v > 0.0)) throw ModelError(path, line, name, "batch length must be positive");
        out.horizon = v * target->factor;
        scenario->t_end = scenario->t_begin + out.horizon;
        break;
      case ReplayTarget::Kind::kSampleTime:
        if (!(v > 0.0)) throw ModelError(path, line, name, "sample time must be positive");
        out.sample_time = v * target->factor;
        break;
      case ReplayTarget::Kind::kIgnore:
        break;
    }
    ++out.values_applied;
  }
  if (out.values_applied == 0) throw ModelError(path, 0, "", "no values in the file");
  return out;
}

void ApplyDisturbanceFile(const std::string& path, const ReplaySpec& spec,
                          const model::ModelInfo& info, double sample_time, Scenario* scenario) {
  if (spec.disturbances.empty()) {
    throw ModelError(scenario->file, 0, "replay.disturbances",
                     "the scenario maps no disturbance columns, so '" + path + "' cannot be read");
  }
  model::CsvTable t = model::ReadCsvTable(path);
  if (t.header.size() < 2) throw ModelError(path, 1, "", "expected a time column and signals");
  if (t.rows.empty()) throw ModelError(path, 1, "", "the file has no data rows");
  std::vector<int> cols;
  for (const auto& d : spec.disturbances) {
    int c = t.Find(d.column);
    if (c < 1) throw ModelError(path, 1, d.column, "column missing from the disturbance file");
    cols.push_back(c);
  }
  const double t0 = scenario->t_begin, t_end = scenario->t_end;
  std::vector<double> times;
  for (size_t i = 0; i < t.rows.size(); ++i) {
    double ti = t.rows[i][0];
    if (!std::isfinite(ti)) throw ModelError(path, t.lines[i], t.header[0], "missing time");
    double expect = t0 + sample_time * static_cast<double>(i);
    if (std::abs(ti - expect) > 1e-6 * std::max(1.0, std::abs(expect))) {
      throw ModelError(path, t.lines[i], t.header[0],
                       "expected time " + model::FormatNumber(expect) + " " +
                           info.time_unit.text + " (rows every " +
                           model::FormatNumber(sample_time) + " " + info.time_unit.text +
                           " from " + model::FormatNumber(t0) + "), found " +
                           model::FormatNumber(ti));
    }
    times.push_back(ti);
  }
  if (std::isfinite(t_end) && times.back() + sample_time < t_end - 1e-9) {
    throw ModelError(path, t.lines.back(), t.header[0],
                     "the file ends at " + model::FormatNumber(times.back()) + " " +
                         info.time_unit.text + " and so covers the batch only until " +
                         model::FormatNumber(times.back() + sample_time) + " " +
                         info.time_unit.text + ", but the batch runs until " +
                         model::FormatNumber(t_end) + " " + info.time_unit.text);
  }
  for (size_t k = 0; k < spec.disturbances.size(); ++k) {
    std::vector<double> values;
    for (size_t i = 0; i < t.rows.size(); ++i) {
      double v = t.rows[i][cols[k]];
      if (!std::isfinite(v)) {
        throw ModelError(path, t.lines[i], t.header[cols[k]], "missing value");
      }
      values.push_back(v * spec.disturbances[k].factor);
    }
    scenario->inputs[spec.disturbances[k].input] = InputProfile::PiecewiseConstant(times, values);
  }
}

}  // namespace biotwin::sim
