#include "cmd_fit_output.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <set>

#include "io/html_report.h"
#include "io/run_table.h"
#include "model/format.h"

namespace biotwin::cli {
namespace {

using nlohmann::json;

json Num(double v) { return std::isfinite(v) ? json(v) : json(nullptr); }

std::string Fmt(double v, const char* f = "%.6g") {
  if (!std::isfinite(v)) return std::isnan(v) ? "n/a" : (v > 0 ? "inf" : "-inf");
  char buf[64];
  std::snprintf(buf, sizeof buf, f, v);
  return buf;
}

}  // namespace

json FitJson(const estimate::FitProblem& problem, const estimate::FitResult& r, const FitDossier& dossier) {
  const auto& info = problem.model->info();
  json j;
  j["biotwin_fit_result"] = 1;
  j["status"] = r.status;
  j["message"] = r.message;
  j["objective"] = Num(r.objective);
  j["objective_definition"] =
      "J = sum over all measured points of ((model - measured) / sigma)^2, no factor 1/2; "
      "sigma = 1 in the signal's unit where no error model is declared";
  j["num_data"] = r.num_data;
  j["num_parameters"] = r.num_parameters;
  j["degrees_of_freedom"] = r.dof;
  j["sigma_known"] = r.sigma_known;
  json starts = json::array();
  for (size_t i = 0; i < r.starts.size(); ++i) {
    const auto& s = r.starts[i];
    json st{{"status", s.status}, {"objective", Num(s.objective)}, {"iterations", s.iterations},
            {"message", s.message}};
    json start = json::object(), end = json::object();
    for (size_t k = 0; k < problem.parameters.size(); ++k) {
      start[problem.parameters[k].name] = Num(s.start[k]);
      if (k < s.end.size()) end[problem.parameters[k].name] = Num(s.end[k]);
    }
    st["start"] = start;
    st[s.status == "converged" ? "end" : "last_iterate"] = end;
    starts.push_back(st);
  }
  j["starts"] = starts;
  j["best_start"] = r.best_start;
  if (r.status == "converged") {
    json params = json::array();
    std::vector<std::string> names;
    for (const auto& p : r.parameters) {
      names.push_back(p.name);
      params.push_back({{"name", p.name}, {"unit", p.unit}, {"value", p.value}, {"start", p.start},
                        {"lower", Num(p.lower)}, {"upper", Num(p.upper)},
                        {"scale", p.log ? "log" : "linear"}, {"at_bound", p.at_bound},
                        {"standard_error", Num(p.se)},
                        {"relative_standard_error", Num(p.se / std::fabs(p.value))},
                        {"ci95", {Num(p.ci_low), Num(p.ci_high)}}});
    }
    j["parameters"] = params;
    json corr = json::array(), cov = json::array();
    for (size_t a = 0; a < r.correlation.size(); ++a) {
      json rc = json::array(), rv = json::array();
      for (size_t b = 0; b < r.correlation.size(); ++b) {
        rc.push_back(Num(r.correlation[a][b]));
        rv.push_back(Num(r.covariance[a][b]));
      }
      corr.push_back(rc);
      cov.push_back(rv);
    }
    j["correlation"] = {{"parameters", names}, {"matrix", corr}};
    j["covariance"] = {{"parameters", names}, {"matrix", cov},
                       {"note", "in parameter units; row/column order as 'parameters'"}};
    json weakest = json::object();
    for (size_t k = 0; k < r.fisher_weakest_direction.size() && k < names.size(); ++k) weakest[names[k]] = Num(r.fisher_weakest_direction[k]);
    j["fisher_information"] = {{"status", r.fisher_condition}, {"weakest_direction", weakest},
                               {"condition_number", Num(r.fisher_condition_number)},
                               {"interval_method", r.sigma_known ? "normal (sigma known)" : "Student t with N - p degrees of freedom, covariance scaled by J/(N - p)"}};
    j["residual_variance"] = Num(r.residual_variance);
    j["sigma_hat"] = Num(std::sqrt(r.residual_variance));
    j["chi_square"] = {{"statistic", Num(r.objective)}, {"degrees_of_freedom", r.dof},
                       {"p_value", Num(r.chi2_p_value)}, {"meaningful", r.sigma_known},
                       {"note", r.sigma_known ? "P(chi2 >= J) under the declared error models"
                                              : "no error model declared for every signal: J is in unit weights and the test does not apply"}};
    json profiles = json::array();
    for (const auto& p : r.profiles) {
      json pts = json::array();
      for (const auto& q : p.points) pts.push_back({{"value", q.value}, {"objective", Num(q.objective)}, {"ok", q.ok}});
      profiles.push_back({{"parameter", p.name}, {"unit", p.unit}, {"reason", p.reason},
                          {"threshold", Num(p.threshold)}, {"ci95", {Num(p.ci_low), Num(p.ci_high)}},
                          {"identifiable", p.identifiable}, {"points", pts}});
    }
    j["profiles"] = profiles;
    json diag = json::array();
    for (const auto& d : r.diagnostics) {
      diag.push_back({{"signal", d.name}, {"unit", d.unit}, {"points", d.n}, {"rms", Num(d.rms)},
                      {"weighted_rms", Num(d.weighted_rms)},
                      {"lag1_autocorrelation", Num(d.lag1_autocorrelation)},
                      {"runs", d.runs}, {"positive", d.positive}, {"negative", d.negative},
                      {"runs_expected", Num(d.runs_expected)}, {"runs_z", Num(d.runs_z)},
                      {"runs_p_value", Num(d.runs_p)}});
    }
    j["residual_diagnostics"] = diag;
  }
  json errors = json::object();
  for (const auto& e : problem.experiments) {
    for (const auto& s : e.data.signals) {
      auto it = problem.errors.find(s.name);
      errors[s.name] = it == problem.errors.end() ? estimate::ErrorModel{}.ToString(s.unit) : it->second.ToString(s.unit);
    }
  }
  j["error_models"] = errors;
  j["warnings"] = dossier.warnings;
  j["dossier"] = DossierJson(problem, r, dossier);
  j["solver"] = {{"method", "Ceres trust region (Levenberg-Marquardt, dense QR), exact Jacobian from CVODES forward sensitivities"},
                 {"simulations", r.simulations}, {"wall_seconds", r.wall_seconds},
                 {"rtol", Num(problem.rtol)}, {"atol", Num(problem.atol)}};
  // L2 regularisation (ridge): the weight of every penalised parameter; J includes the penalty.
  json ridge = json::object();
  for (size_t k = 0; k < problem.ridge.size() && k < problem.parameters.size(); ++k) {
    if (problem.ridge[k] > 0) ridge[problem.parameters[k].name] = problem.ridge[k];
  }
  j["solver"]["ridge"] = ridge;
  return j;
}

void WriteFitReport(const estimate::FitProblem& problem, const estimate::FitResult& r,
                    const FitDossier& dossier, const std::string& path) {
  const auto& info = problem.model->info();
  io::ReportInfo ri;
  ri.title = "biotwin fit: " + info.provenance.name;
  ri.status = r.status == "converged" ? "ok" : r.status + ": " + r.message;
  ri.summary.push_back({"status", r.status});
  ri.summary.push_back({"objective J", Fmt(r.objective) + " (sum of squared weighted residuals, " +
                                            std::to_string(r.num_data) + " points, " +
                                            std::to_string(r.num_parameters) + " parameters)"});
  if (r.status == "converged") {
    for (const auto& p : r.parameters) {
      ri.summary.push_back({p.name, Fmt(p.value) + " " + p.unit + " ± " + Fmt(p.se) + " (95 %: " +
                                        Fmt(p.ci_low) + " to " + Fmt(p.ci_high) + ")" +
                                        (p.at_bound ? " AT BOUND" : "")});
    }
    for (size_t a = 0; a < r.parameters.size(); ++a) {
      for (size_t b = a + 1; b < r.parameters.size(); ++b) {
        ri.summary.push_back({"corr(" + r.parameters[a].name + ", " + r.parameters[b].name + ")", Fmt(r.correlation[a][b], "%.3f")});
      }
    }
    ri.summary.push_back({"Fisher information", r.fisher_condition + " (condition number " + Fmt(r.fisher_condition_number, "%.3g") + ")"});
    ri.summary.push_back({"sigma estimate", r.sigma_known ? "declared error models"
                                                        : Fmt(std::sqrt(r.residual_variance)) + " (unit weights; sqrt(J/(N-p)))"});
    ri.summary.push_back({"chi-square", "J = " + Fmt(r.objective) + ", " + std::to_string(r.dof) + " dof, p = " +
                                            Fmt(r.chi2_p_value, "%.3g") + (r.sigma_known ? "" : " (not meaningful: sigma not declared)")});
    for (const auto& p : r.profiles) {
      ri.summary.push_back({"profile " + p.name, std::string(p.identifiable ? "identifiable" : "NOT identifiable within the grid") +
                                                     ", 95 %: " + Fmt(p.ci_low) + " to " + Fmt(p.ci_high) + " " + p.unit +
                                                     " (" + p.reason + ")"});
    }
    for (const auto& d : r.diagnostics) {
      ri.summary.push_back({"residuals " + d.name, "RMS " + Fmt(d.rms, "%.4g") + " " + d.unit + ", " + std::to_string(d.runs) +
                                                       " runs (expected " + Fmt(d.runs_expected, "%.3g") + ", p = " + Fmt(d.runs_p, "%.3g") +
                                                       "), lag-1 autocorrelation " + Fmt(d.lag1_autocorrelation, "%.3f")});
    }
  }
  ri.summary.push_back({"model", info.provenance.name + " " + info.provenance.version + " (sha256 " + info.content_hash + ")"});
  for (const auto& e : problem.experiments) ri.summary.push_back({e.name, e.data.file + " (sha256 " + e.data.sha256 + ")"});
  for (const auto& w : dossier.warnings) ri.summary.push_back({"warning", w});
  AddDossierTables(problem, r, dossier, &ri);
  for (size_t e = 0; e < r.experiments.size(); ++e) {
    for (const auto& ev : r.experiments[e].events) {
      const std::string prefix = r.experiments.size() > 1 ? "batch " + std::to_string(e + 1) + ": " : "";
      ri.events.push_back({ev.time, prefix + ev.name + (ev.description.empty() ? "" : " (" + ev.description + ")")});
    }
  }
  // One merged time axis; each batch's model curves and data are series with gaps elsewhere.
  io::RunTable table;
  table.time_unit = info.time_unit.text;
  std::set<double> grid;
  for (const auto& ef : r.experiments) grid.insert(ef.time.begin(), ef.time.end());
  for (const auto& e : problem.experiments) grid.insert(e.data.times.begin(), e.data.times.end());
  for (const auto& v : dossier.validation) {
    grid.insert(v.trajectory.time.begin(), v.trajectory.time.end());
    grid.insert(v.data.times.begin(), v.data.times.end());
  }
  table.time.assign(grid.begin(), grid.end());
  auto index_of = [&](double t) {
    return static_cast<size_t>(std::lower_bound(table.time.begin(), table.time.end(), t) - table.time.begin());
  };
  const int n = static_cast<int>(info.states.size());
  for (size_t e = 0; e < problem.experiments.size(); ++e) {
    const auto& exp = problem.experiments[e];
    const std::string label = problem.experiments.size() > 1 ? "model, batch " + std::to_string(e + 1) : "model";
    for (const auto& s : exp.data.signals) {
      io::Series model{s.name, s.unit, label, "", std::vector<double>(table.time.size(), model::kNaN)};
      if (e < r.experiments.size()) {
        const auto& ef = r.experiments[e];
        for (size_t t = 0; t < ef.time.size(); ++t) {
          const auto& row = s.kind == estimate::Signal::Kind::kState ? ef.states[t] : ef.outputs[t];
          if (static_cast<size_t>(s.index) < row.size()) model.values[index_of(ef.time[t])] = row[s.index];
        }
      }
      io::Series data{s.name, s.unit, "reference", exp.data.file, std::vector<double>(table.time.size(), model::kNaN)};
      for (size_t i = 0; i < s.time.size(); ++i) data.values[index_of(s.time[i])] = s.value[i];
      if (e < r.experiments.size()) table.columns.push_back(std::move(model));
      table.columns.push_back(std::move(data));
    }
  }
  (void)n;
  // Held-out batches: the model at the estimates (not refitted) against their data.
  for (size_t v = 0; v < dossier.validation.size(); ++v) {
    const auto& bv = dossier.validation[v];
    const auto& ef = bv.trajectory;
    for (const auto& name : bv.signals) {
      const int xs = info.StateIndex(name.name), ys = info.OutputIndex(name.name);
      io::Series model{name.name, name.unit, "held-out model, " + bv.name, "", std::vector<double>(table.time.size(), model::kNaN)};
      for (size_t t = 0; t < ef.time.size(); ++t) {
        const double y = xs >= 0 ? ef.states[t][xs] : (ys >= 0 && static_cast<size_t>(ys) < ef.outputs[t].size() ? ef.outputs[t][ys] : model::kNaN);
        model.values[index_of(ef.time[t])] = y;
      }
      if (!ef.time.empty()) table.columns.push_back(std::move(model));
    }
    for (const auto& s : bv.data.signals) {
      io::Series data{s.name, s.unit, "reference", "held-out " + bv.file, std::vector<double>(table.time.size(), model::kNaN)};
      for (size_t i = 0; i < s.time.size(); ++i) data.values[index_of(s.time[i])] = s.value[i];
      table.columns.push_back(std::move(data));
    }
  }
  if (r.status == "converged") {
    std::map<std::string, size_t> resid_col;
    for (size_t e = 0; e < r.experiments.size(); ++e) {
      const auto& exp = problem.experiments[e];
      size_t k = 0;
      for (const auto& s : exp.data.signals) {
        const std::string name = "residual " + s.name;
        io::Series res{name, "-", "residuals", "weighted residual (model - measured)/sigma",
                       std::vector<double>(table.time.size(), model::kNaN)};
        for (size_t i = 0; i < s.time.size(); ++i, ++k) res.values[index_of(s.time[i])] = r.experiments[e].residuals[k];
        table.columns.push_back(std::move(res));
      }
    }
  }
  io::WriteHtmlReport(table, ri, path);
}

}  // namespace biotwin::cli
