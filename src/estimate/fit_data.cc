#include "estimate/fit_data.h"

#include <algorithm>
#include <cmath>
#include <set>

#include "model/units.h"

namespace biotwin::estimate {
namespace {

[[noreturn]] void Fail(const DataTable& t, int line, int column, const std::string& field,
                       const std::string& what) {
  std::string msg = t.file + ":" + std::to_string(line);
  if (column > 0) msg += ":" + std::to_string(column);
  msg += ": ";
  if (!field.empty()) msg += "column '" + field + "': ";
  throw FitInputError(msg + what);
}

model::Unit ParseColumnUnit(const DataTable& t, int column, const std::string& field,
                            const std::string& text) {
  try {
    return model::ParseUnit(text == "-" ? "1" : text);
  } catch (const model::UnitError& e) {
    Fail(t, t.header_line, column, field, std::string("unknown unit: ") + e.what());
  }
}

}  // namespace

Measurements MatchData(const DataTable& table, const model::ModelInfo& info) {
  Measurements m;
  m.file = table.file;
  m.sha256 = table.sha256;
  const model::Unit tu = ParseColumnUnit(table, 1, table.time_name, table.time_unit);
  if (!model::Compatible(tu, info.time_unit)) {
    Fail(table, table.header_line, 1, table.time_name,
         "unit '" + table.time_unit + "' is not a time (the model's time unit is " +
             info.time_unit.text + ")");
  }
  if (table.time.empty()) Fail(table, table.header_line, 0, "", "no data rows");
  const double tf = model::ConversionFactor(tu, info.time_unit);
  std::vector<double> time(table.time.size());
  for (size_t r = 0; r < time.size(); ++r) {
    if (!std::isfinite(table.time[r])) {
      Fail(table, table.header_line + 1 + static_cast<int>(r), 1, table.time_name,
           "time must be a finite number");
    }
    time[r] = table.time[r] * tf;
  }
  std::set<std::string> seen;
  std::set<double> all_times;
  for (size_t c = 0; c < table.columns.size(); ++c) {
    const DataColumn& col = table.columns[c];
    const int column = static_cast<int>(c) + 2;
    if (!seen.insert(col.name).second) {
      Fail(table, table.header_line, column, col.name, "appears twice");
    }
    Signal s;
    s.name = col.name;
    model::Unit target;
    if (int k = info.StateIndex(col.name); k >= 0) {
      s.kind = Signal::Kind::kState;
      s.index = k;
      target = info.states[k].unit;
    } else if (int k = info.OutputIndex(col.name); k >= 0) {
      s.kind = Signal::Kind::kOutput;
      s.index = k;
      target = info.outputs[k].unit;
    } else {
      std::string names;
      for (const auto& st : info.states) names += (names.empty() ? "" : ", ") + st.name;
      for (const auto& o : info.outputs) names += ", " + o.name;
      Fail(table, table.header_line, column, col.name,
           "is neither a state nor an output of model '" + info.provenance.name +
               "' (states and outputs: " + names + ")");
    }
    s.unit = target.text;
    const model::Unit from = ParseColumnUnit(table, column, col.name, col.unit);
    if (!model::Compatible(from, target)) {
      Fail(table, table.header_line, column, col.name,
           "unit '" + col.unit + "' (" + from.dimension.ToString() + ") cannot be converted to '" +
               target.text + "' (" + target.dimension.ToString() + "), the unit of " +
               (s.kind == Signal::Kind::kState ? "state " : "output ") + col.name);
    }
    for (size_t r = 0; r < col.values.size() && r < time.size(); ++r) {
      const double v = col.values[r];
      if (std::isnan(v)) continue;
      if (!std::isfinite(v)) {
        Fail(table, table.header_line + 1 + static_cast<int>(r), column, col.name,
             "value is infinite");
      }
      s.time.push_back(time[r]);
      s.value.push_back(model::ConvertValue(v, from, target));
      all_times.insert(time[r]);
    }
    if (s.value.empty()) {
      Fail(table, table.header_line, column, col.name,
           "has no values (every cell is empty or NaN); remove the column or fill it");
    }
    m.signals.push_back(std::move(s));
  }
  if (m.signals.empty()) {
    Fail(table, table.header_line, 0, "", "no measured columns besides time");
  }
  m.times.assign(all_times.begin(), all_times.end());
  return m;
}

}  // namespace biotwin::estimate
