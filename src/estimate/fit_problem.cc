#include "estimate/fit_problem.h"

#include <algorithm>
#include <cmath>
#include <set>

#include "model/format.h"

namespace biotwin::estimate {

bool FitProblem::SigmaKnown() const {
  for (const auto& e : experiments) {
    for (const auto& s : e.data.signals) {
      auto it = errors.find(s.name);
      if (it == errors.end() || !it->second.declared) return false;
    }
  }
  return !experiments.empty();
}

int FitProblem::NumData() const {
  int n = 0;
  for (const auto& e : experiments) {
    for (const auto& s : e.data.signals) n += static_cast<int>(s.value.size());
  }
  return n;
}

namespace {

// '*' matches any run of characters (including none); everything else matches itself.
bool GlobMatch(const char* pattern, const char* text) {
  if (*pattern == '\0') return *text == '\0';
  if (*pattern == '*') return GlobMatch(pattern + 1, text) || (*text != '\0' && GlobMatch(pattern, text + 1));
  return *text == *pattern && GlobMatch(pattern + 1, text + 1);
}

}  // namespace

std::vector<std::string> ExpandParameterPattern(const model::ModelInfo& info, const std::string& pattern,
                                                const std::string& where) {
  if (pattern.find('*') == std::string::npos) return {pattern};
  std::vector<std::string> out;
  for (const auto& p : info.parameters) {
    if (GlobMatch(pattern.c_str(), p.name.c_str())) out.push_back(p.name);
  }
  if (out.empty()) {
    throw FitInputError(where + ": '" + pattern + "' matches no parameter of model '" + info.provenance.name + "'");
  }
  return out;
}

void SetRidge(const std::map<std::string, double>& weights, FitProblem* problem) {
  problem->ridge.assign(problem->parameters.size(), 0.0);
  for (const auto& [pattern, lambda] : weights) {
    if (!(lambda >= 0) || !std::isfinite(lambda)) {
      throw FitInputError("ridge weight for '" + pattern + "' must be finite and >= 0, got " + model::FormatNumber(lambda));
    }
    bool any = false;
    for (size_t k = 0; k < problem->parameters.size(); ++k) {
      const std::string& name = problem->parameters[k].name;
      if (pattern.find('*') == std::string::npos ? name == pattern : GlobMatch(pattern.c_str(), name.c_str())) {
        problem->ridge[k] = lambda;
        any = true;
      }
    }
    if (!any) throw FitInputError("ridge: '" + pattern + "' matches no estimated parameter");
  }
}

std::vector<FreeParameter> MakeFreeParameters(
    const model::ModelInfo& info, const std::vector<std::string>& patterns,
    const std::map<std::string, std::pair<double, double>>& bounds,
    const std::map<std::string, double>& starts, const std::vector<std::string>& linear) {
  std::vector<std::string> names;
  for (const auto& p : patterns) {
    for (auto& n : ExpandParameterPattern(info, p, "--estimate")) names.push_back(std::move(n));
  }
  if (names.empty()) throw FitInputError("--estimate: no parameters to estimate");
  std::vector<FreeParameter> out;
  std::set<std::string> seen;
  for (const auto& name : names) {
    const int k = info.ParameterIndex(name);
    if (k < 0) {
      throw FitInputError("--estimate: '" + name + "' is not a parameter of model '" +
                          info.provenance.name + "'");
    }
    if (!seen.insert(name).second) throw FitInputError("--estimate: '" + name + "' is listed twice");
    const auto& pi = info.parameters[k];
    FreeParameter f;
    f.index = k;
    f.name = name;
    f.unit = pi.unit.text;
    f.start = pi.value;
    f.lower = pi.lower;
    f.upper = pi.upper;
    if (auto it = bounds.find(name); it != bounds.end()) {
      f.lower = it->second.first;
      f.upper = it->second.second;
    }
    if (auto it = starts.find(name); it != starts.end()) f.start = it->second;
    if (!(f.lower < f.upper)) {
      throw FitInputError("parameter '" + name + "': empty bounds [" + model::FormatNumber(f.lower) +
                          ", " + model::FormatNumber(f.upper) + "] " + f.unit);
    }
    if (!(f.start >= f.lower && f.start <= f.upper) || !std::isfinite(f.start)) {
      throw FitInputError("parameter '" + name + "': start " + model::FormatNumber(f.start) + " " +
                          f.unit + " is outside its bounds [" + model::FormatNumber(f.lower) +
                          ", " + model::FormatNumber(f.upper) + "]");
    }
    const bool want_linear = std::find(linear.begin(), linear.end(), name) != linear.end();
    f.log = !want_linear && f.lower >= 0 && f.start > 0;
    out.push_back(f);
  }
  for (const auto& [name, b] : bounds) {
    if (!seen.count(name)) throw FitInputError("bounds given for '" + name + "', which is not estimated");
  }
  for (const auto& [name, v] : starts) {
    if (!seen.count(name)) throw FitInputError("start given for '" + name + "', which is not estimated");
  }
  for (const auto& name : linear) {
    if (!seen.count(name)) throw FitInputError("--linear: '" + name + "' is not estimated");
  }
  return out;
}

void CheckProblem(FitProblem* problem) {
  const auto& info = problem->model->info();
  if (problem->experiments.empty()) throw FitInputError("no data: give --data FILE[,FILE...]");
  std::set<std::string> fitted;
  for (auto& e : problem->experiments) {
    const auto& times = e.data.times;
    auto& sc = e.scenario;
    if (times.front() < sc.t_begin - 1e-12 * std::max(1.0, std::fabs(sc.t_begin))) {
      throw FitInputError(e.data.file + ": data at t = " + model::FormatNumber(times.front()) + " " +
                          info.time_unit.text + " precede the start of scenario '" + sc.name +
                          "' (" + model::FormatNumber(sc.t_begin) + " " + info.time_unit.text + ")");
    }
    if (std::isnan(sc.t_end)) sc.t_end = std::max(times.back(), sc.t_begin);
    if (!(sc.t_end > sc.t_begin)) {
      throw FitInputError(e.data.file + ": every data point is at the start time; nothing to fit");
    }
    if (times.back() > sc.t_end + 1e-9 * std::max(1.0, std::fabs(sc.t_end))) {
      throw FitInputError(e.data.file + ": data at t = " + model::FormatNumber(times.back()) + " " +
                          info.time_unit.text + " lie after the end of scenario '" + sc.name +
                          "' (" + model::FormatNumber(sc.t_end) + " " + info.time_unit.text + ")");
    }
    for (const auto& s : e.data.signals) fitted.insert(s.name);
  }
  for (const auto& [name, em] : problem->errors) {
    if (!fitted.count(name)) {
      throw FitInputError("error model given for '" + name + "', which is not a column of any data file");
    }
  }
}

}  // namespace biotwin::estimate
