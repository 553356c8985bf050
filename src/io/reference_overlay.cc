#include "io/reference_overlay.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "model/csv_table.h"
#include "model/model.h"

namespace biotwin::io {
namespace {

// Linear interpolation of (t, y) at x; NaN outside [t.front(), t.back()] or next to a gap.
double Interpolate(const std::vector<double>& t, const std::vector<double>& y, double x) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  if (t.empty() || x < t.front() - 1e-9 || x > t.back() + 1e-9) return nan;
  auto it = std::lower_bound(t.begin(), t.end(), x - 1e-9);
  size_t i = static_cast<size_t>(it - t.begin());
  if (i < t.size() && std::abs(t[i] - x) <= 1e-9) return y[i];
  if (i == 0 || i >= t.size()) return nan;
  const double w = (x - t[i - 1]) / (t[i] - t[i - 1]);
  return y[i - 1] + w * (y[i] - y[i - 1]);
}

}  // namespace

std::vector<SignalAgreement> AddReferenceOverlay(const std::string& path,
                                                 const sim::ReplaySpec& spec, RunTable* table) {
  if (spec.reference.empty()) {
    throw model::ModelError(path, 0, "replay.reference",
                            "the scenario maps no reference columns (add a replay.reference block)");
  }
  model::CsvTable ref = model::ReadCsvTable(path);
  if (ref.header.size() < 2 || ref.rows.empty()) {
    throw model::ModelError(path, 1, "", "expected a time column, signals and data rows");
  }
  std::vector<double> t;
  for (size_t i = 0; i < ref.rows.size(); ++i) {
    const double ti = ref.rows[i][0];
    if (!std::isfinite(ti) || (!t.empty() && !(ti > t.back()))) {
      throw model::ModelError(path, ref.lines[i], ref.header[0], "time must be present and increasing");
    }
    t.push_back(ti);
  }
  std::vector<SignalAgreement> out;
  for (const auto& c : spec.reference) {
    const int col = ref.Find(c.column);
    if (col < 1) throw model::ModelError(path, 1, c.column, "column missing from the reference file");
    const int mine = table->Find(c.name);
    if (mine < 0) throw model::ModelError(path, 1, c.column, "the run has no series '" + c.name + "'");
    std::vector<double> y(t.size()), tc(t);
    for (double& ti : tc) ti += c.time_shift;
    for (size_t i = 0; i < t.size(); ++i) {
      double v = ref.rows[i][col];
      if (c.from_ph && std::isfinite(v)) v = std::pow(10.0, -v);
      y[i] = v * c.factor;
    }
    Series s;
    s.name = table->columns[mine].name;
    s.unit = table->columns[mine].unit;
    s.group = "reference";
    s.description = "reference: " + c.column + " of " + path;
    SignalAgreement a;
    a.name = s.name;
    a.unit = s.unit;
    double sq = 0.0;
    for (size_t k = 0; k < table->time.size(); ++k) {
      const double r = Interpolate(tc, y, table->time[k]);
      s.values.push_back(r);
      const double v = table->columns[mine].values[k];
      if (!std::isfinite(r) || !std::isfinite(v)) continue;
      sq += (v - r) * (v - r);
      a.peak = std::max(a.peak, std::abs(r));
      a.final_run = v;
      a.final_reference = r;
      ++a.points;
    }
    if (a.points == 0) {
      throw model::ModelError(path, 1, c.column, "the reference does not overlap the run in time");
    }
    a.rms = std::sqrt(sq / a.points);
    a.rms_over_peak = a.peak > 0 ? a.rms / a.peak : 0.0;
    a.final_rel = a.final_reference != 0 ? std::abs(a.final_run - a.final_reference) / std::abs(a.final_reference) : 0.0;
    table->columns.push_back(std::move(s));
    out.push_back(a);
  }
  return out;
}

}  // namespace biotwin::io
