// The dossier of a fit (FIT.json's `dossier` object and the HTML report's dossier tables): model
// version and hash, data provenance with hashes, estimates with intervals, held-out validation,
// validity domain and known failure modes.
#include <chrono>
#include <cmath>
#include <ctime>

#include "cmd_fit_output.h"
#include "model/format.h"

namespace biotwin::cli {
namespace {

using nlohmann::json;

json Num(double v) { return std::isfinite(v) ? json(v) : json(nullptr); }
std::string Fmt(double v) { return model::FormatNumber(v); }

std::string NowUtc() {
  const std::time_t t = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

constexpr const char* kVerdictRule =
    "chi-square = sum ((model - measured)/sigma)^2 over the batch's points, n degrees of freedom (no parameter was "
    "fitted to these data); p = P(chi2_n >= chi-square); pass: p >= 0.01, warn: 0.001 <= p < 0.01, fail: p < 0.001 or "
    "the simulation failed. sigma: the declared error model, else the fit's sigma_hat = sqrt(J/(N - p))";

}  // namespace

json DossierJson(const estimate::FitProblem& problem, const estimate::FitResult& r, const FitDossier& dossier) {
  const auto& info = problem.model->info();
  json data = json::array();
  for (const auto& e : problem.experiments) {
    json signals = json::array();
    for (const auto& s : e.data.signals) signals.push_back({{"name", s.name}, {"unit", s.unit}, {"points", s.value.size()}});
    data.push_back({{"name", e.name}, {"file", e.data.file}, {"sha256", e.data.sha256},
                    {"scenario", e.scenario.file.empty() ? json(nullptr) : json(e.scenario.file)},
                    {"scenario_name", e.scenario.name},
                    {"scenario_sha256", e.scenario.content_hash.empty() ? json(nullptr) : json(e.scenario.content_hash)},
                    {"t_begin", e.scenario.t_begin}, {"t_end", e.scenario.t_end}, {"signals", signals}});
  }
  json estimates = json::array();
  for (const auto& p : r.parameters) {
    estimates.push_back({{"name", p.name}, {"unit", p.unit}, {"value", p.value}, {"standard_error", Num(p.se)},
                         {"ci95", {Num(p.ci_low), Num(p.ci_high)}}, {"at_bound", p.at_bound}});
  }
  json domain = json::array();
  for (const auto& d : r.domain) {
    domain.push_back({{"name", d.name}, {"kind", d.kind}, {"unit", d.unit}, {"min", Num(d.min)}, {"max", Num(d.max)}});
  }
  json validation = json::array();
  for (const auto& v : dossier.validation) {
    json signals = json::array();
    for (const auto& s : v.signals) {
      signals.push_back({{"name", s.name}, {"unit", s.unit}, {"points", s.n}, {"rmse", Num(s.rmse)}, {"bias", Num(s.bias)},
                         {"normalised_rmse", Num(s.nrmse)}, {"chi_square", Num(s.chi2)}, {"p_value", Num(s.p_value)},
                         {"sigma", s.sigma}});
    }
    json extrapolation = json::array();
    for (const auto& x : v.extrapolation) {
      extrapolation.push_back({{"name", x.name}, {"kind", x.is_input ? "input" : "state"}, {"unit", x.unit},
                               {"training_min", x.lower}, {"training_max", x.upper}, {"value", x.value}, {"time", x.time}});
    }
    validation.push_back({{"name", v.name}, {"file", v.file}, {"sha256", v.sha256},
                          {"scenario", v.scenario.empty() ? json(nullptr) : json(v.scenario)},
                          {"scenario_sha256", v.scenario_sha256.empty() ? json(nullptr) : json(v.scenario_sha256)},
                          {"simulated", v.simulated}, {"message", v.message}, {"points", v.n},
                          {"chi_square", Num(v.chi2)}, {"degrees_of_freedom", v.n}, {"p_value", Num(v.p_value)},
                          {"verdict", v.verdict}, {"signals", signals}, {"extrapolation", extrapolation}});
  }
  json failure_modes = json::array();
  for (const auto& f : dossier.failure_modes) {
    failure_modes.push_back({{"kind", f.kind}, {"subject", f.subject}, {"evidence", f.evidence}, {"consequence", f.consequence}});
  }
  const bool validated = !dossier.validation.empty();
  return {{"model", {{"name", info.provenance.name}, {"version", info.provenance.version},
                     {"file", info.file}, {"sha256", info.content_hash}}},
          {"time_unit", info.time_unit.text},
          {"data", data},
          {"estimates", estimates},
          {"validation_status", validated ? "validated on " + std::to_string(dossier.validation.size()) + " held-out batches"
                                          : "not validated on held-out batches"},
          {"validation", validation},
          {"validation_rule", kVerdictRule},
          {"validity_domain", domain},
          {"validity_domain_note", "min/max of every state and input along the fitted batches simulated at the optimum"},
          {"failure_modes", failure_modes},
          {"written_model", dossier.written_model.empty() ? json(nullptr) : json(dossier.written_model)},
          {"created_utc", NowUtc()}};
}

void AddDossierTables(const estimate::FitProblem& problem, const estimate::FitResult& r, const FitDossier& dossier,
                      io::ReportInfo* report) {
  io::ReportTable est{"Estimates", "95 % intervals from the Fisher information (see the profiles in the summary)",
                      {"parameter", "value", "standard error", "95 % interval", "unit", "note"}, {}, "No estimates (the fit did not converge)."};
  for (const auto& p : r.parameters) {
    est.rows.push_back({p.name, Fmt(p.value), Fmt(p.se), Fmt(p.ci_low) + " to " + Fmt(p.ci_high), p.unit, p.at_bound ? "at bound" : ""});
  }
  report->tables.push_back(est);
  io::ReportTable prov{"Data provenance", "every fitted and held-out data file with its SHA-256 and scenario",
                       {"role", "batch", "data file", "sha256", "scenario", "scenario sha256"}, {}};
  for (const auto& e : problem.experiments) {
    prov.rows.push_back({"fitted", e.name, e.data.file, e.data.sha256, e.scenario.file.empty() ? "(model defaults)" : e.scenario.file,
                         e.scenario.content_hash});
  }
  for (const auto& v : dossier.validation) {
    prov.rows.push_back({"held out", v.name, v.file, v.sha256, v.scenario.empty() ? "(model defaults)" : v.scenario, v.scenario_sha256});
  }
  report->tables.push_back(prov);
  io::ReportTable val{"Held-out validation", std::string("simulated at the estimates, not refitted. ") + kVerdictRule,
                      {"batch", "signal", "points", "RMSE", "bias", "normalised RMSE", "chi-square", "p", "verdict"}, {},
                      "Not validated on held-out batches (give --validate V.csv to validate)."};
  for (const auto& v : dossier.validation) {
    if (!v.simulated) {
      val.rows.push_back({v.name, "(all)", std::to_string(v.n), "", "", "", "", "", "fail: " + v.message});
      continue;
    }
    for (const auto& s : v.signals) {
      val.rows.push_back({v.name, s.name, std::to_string(s.n), Fmt(s.rmse) + " " + s.unit, Fmt(s.bias) + " " + s.unit,
                          Fmt(s.nrmse), Fmt(s.chi2), Fmt(s.p_value), ""});
    }
    val.rows.push_back({v.name, "(batch)", std::to_string(v.n), "", "", "", Fmt(v.chi2), Fmt(v.p_value), v.verdict});
  }
  report->tables.push_back(val);
  io::ReportTable dom{"Validity domain", "range of every state and input along the fitted batches simulated at the optimum",
                      {"variable", "kind", "min", "max", "unit"}, {}};
  for (const auto& d : r.domain) dom.rows.push_back({d.name, d.kind, Fmt(d.min), Fmt(d.max), d.unit});
  report->tables.push_back(dom);
  io::ReportTable fm{"Known failure modes", "computed from the fit's statistics and the held-out validation (docs/fit.md)",
                     {"kind", "subject", "evidence", "consequence"}, {}, "None found."};
  for (const auto& f : dossier.failure_modes) fm.rows.push_back({f.kind, f.subject, f.evidence, f.consequence});
  report->tables.push_back(fm);
}

}  // namespace biotwin::cli
