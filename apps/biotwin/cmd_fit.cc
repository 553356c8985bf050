// biotwin fit: estimate model parameters from measured batches (weighted least squares with
// exact sensitivities, multi-start), with uncertainty, identifiability and a dossier in FIT.json.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "cmd_fit_output.h"
#include "command.h"
#include "estimate/estimate.h"
#include "io/run_table.h"
#include "model/content_hash.h"
#include "model/model.h"
#include "model/quantity.h"
#include "sim/scenario.h"
#include "sim/validity.h"

namespace biotwin::cli {
namespace {

constexpr const char* kUsage =
    "usage: biotwin fit MODEL --data D1.csv[,D2.csv...] --estimate p1,p2,... --out FIT.json\n"
    "                   [--scenario S1.yaml[,S2.yaml...]] [--spec FIT.yaml] [--report FIT.html]\n"
    "                   [--error NAME=A[UNIT][+B%]]... [--bounds NAME=LO:HI]... [--start NAME=V]...\n"
    "                   [--linear p1,...] [--starts N] [--seed S] [--max-iterations N]\n"
    "                   [--profile auto|all|none|p1,...] [--rtol R] [--atol A] [--threads N]\n"
    "                   [--ridge PATTERN=LAMBDA]... [--trace] [--quiet]\n"
    "                   [--validate V1.csv[,V2.csv...] [--validate-scenario S.yaml[,...]]]\n"
    "                   [--write-model FITTED.yaml]\n\n"
    "Fits the named parameters of MODEL to measured batches: each data CSV (first column time,\n"
    "units in every header, columns named like states or outputs, empty cells = missing) is one\n"
    "batch, run through its scenario (one per data file, or one for all; inputs, feeds, events\n"
    "and initial values). Minimises J = sum ((model - measured)/sigma)^2 with Ceres (trust\n"
    "region, bounds, log scale for positive parameters) and exact gradients from CVODES forward\n"
    "sensitivities. sigma per signal: --error X=0.1g/L+5% (sigma^2 = a^2 + (b*y)^2); signals\n"
    "without one get unit weights and sigma is estimated from the residuals. --starts N adds\n"
    "N-1 seeded Latin-hypercube starts within the bounds. FIT.json holds the status, objective,\n"
    "estimates with standard errors, 95 % intervals and correlations, profile likelihoods,\n"
    "residual diagnostics, the chi-square test and the dossier (model and data hashes, validity\n"
    "domain). A fit-spec YAML (docs/fit.md) can hold all of this; the command line wins.\n"
    "--threads N simulates up to N batches in parallel; --trace prints Ceres' iterations.\n"
    "--estimate accepts patterns ('mu_net.*': every weight of a network); --ridge mu_net.*=1e-3\n"
    "adds the L2 penalty 1e-3 * sum p^2 over the matching estimated parameters to J.\n"
    "--validate: held-out batches (same format as --data, scenarios from --validate-scenario,\n"
    "else the fitted batches' shared scenario or the model's defaults) simulated at the estimates, not\n"
    "refitted: RMSE, bias, normalised RMSE and a chi-square verdict per batch in the dossier,\n"
    "with the failure modes found (poor identifiability, correlations, residual trends, ...).\n"
    "--write-model writes a copy of MODEL with the fitted values (uncertainty = SE, source = the\n"
    "fit) and a validity: section; commands running it warn outside that domain.\n"
    "Exit codes: 0 converged, 1 not converged or failed (FIT.json says why, no estimates),\n"
    "2 usage, 3 invalid model/scenario/data/spec, 4 I/O error.";

std::vector<std::string> SplitList(const std::string& s) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= s.size()) {
    size_t comma = s.find(',', start);
    if (comma == std::string::npos) comma = s.size();
    std::string item = s.substr(start, comma - start);
    if (!item.empty()) out.push_back(item);
    start = comma + 1;
  }
  return out;
}

std::pair<std::string, std::string> SplitAssignment(const std::string& s, const std::string& option) {
  const size_t eq = s.find('=');
  if (eq == std::string::npos || eq == 0) throw estimate::FitInputError(option + ": expected NAME=VALUE, got '" + s + "'");
  return {s.substr(0, eq), s.substr(eq + 1)};
}

std::string FileText(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// The CSV as a DataTable (io::ReadCsv checks units in headers, numbers and increasing time).
estimate::DataTable ReadData(const std::string& path) {
  const std::string text = FileText(path);
  io::RunTable t = io::ReadCsv(path);
  estimate::DataTable d;
  d.file = path;
  d.sha256 = model::Sha256Hex(text);
  std::istringstream lines(text);
  std::string line;
  for (int no = 1; std::getline(lines, line); ++no) {
    const size_t b = line.find_first_not_of(" \t\r");
    if (b == std::string::npos || line[b] == '#') continue;
    d.header_line = no;
    break;
  }
  d.time_name = t.time_name;
  d.time_unit = t.time_unit;
  d.time = t.time;
  for (auto& c : t.columns) d.columns.push_back({c.name, c.unit, std::move(c.values)});
  return d;
}

struct Args {
  std::string model, out, report, spec, write_model;
  std::vector<std::string> validate, validate_scenarios;
  std::vector<std::string> data, scenarios, estimate, linear, errors, bounds, starts_at, ridge;
  std::string profile;
  int starts = 0, max_iterations = 0, threads = 0;
  bool trace = false;
  long long seed = -1;
  double rtol = model::kNaN, atol = model::kNaN;
  bool quiet = false;
};

int ParseArgs(const std::vector<std::string>& args, Args* a) {
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    std::string v;
    auto value = [&]() {
      if (i + 1 >= args.size()) {
        std::fprintf(stderr, "biotwin fit: %s needs a value\n", arg.c_str());
        return false;
      }
      v = args[++i];
      return true;
    };
    auto number = [&](double* dst) {
      char* end = nullptr;
      *dst = std::strtod(v.c_str(), &end);
      if (v.empty() || *end != '\0' || !std::isfinite(*dst) || *dst <= 0) {
        std::fprintf(stderr, "biotwin fit: %s expects a positive number, got '%s'\n", arg.c_str(), v.c_str());
        return false;
      }
      return true;
    };
    auto integer = [&](long long* dst) {
      double d = 0;
      if (!number(&d) || d != std::floor(d)) {
        std::fprintf(stderr, "biotwin fit: %s expects a positive integer\n", arg.c_str());
        return false;
      }
      *dst = static_cast<long long>(d);
      return true;
    };
    long long n = 0;
    if (arg == "--quiet") { a->quiet = true; continue; }
    if (arg == "--trace") { a->trace = true; continue; }
    if (!arg.empty() && arg[0] != '-') {
      if (!a->model.empty()) {
        std::fprintf(stderr, "biotwin fit: unexpected argument '%s'\n%s\n", arg.c_str(), kUsage);
        return kExitUsage;
      }
      a->model = arg;
      continue;
    }
    static const std::vector<std::string> kWithValue = {
        "--data", "--scenario", "--estimate", "--out", "--report", "--spec", "--error", "--bounds", "--start",
        "--linear", "--starts", "--seed", "--max-iterations", "--profile", "--rtol", "--atol", "--threads",
        "--ridge", "--validate", "--validate-scenario", "--write-model"};
    if (std::find(kWithValue.begin(), kWithValue.end(), arg) == kWithValue.end()) {
      std::fprintf(stderr, "biotwin fit: unknown option '%s'\n%s\n", arg.c_str(), kUsage);
      return kExitUsage;
    }
    if (!value()) return kExitUsage;
    if (arg == "--data") { for (auto& s : SplitList(v)) a->data.push_back(s); }
    else if (arg == "--scenario") { for (auto& s : SplitList(v)) a->scenarios.push_back(s); }
    else if (arg == "--estimate") { for (auto& s : SplitList(v)) a->estimate.push_back(s); }
    else if (arg == "--linear") { for (auto& s : SplitList(v)) a->linear.push_back(s); }
    else if (arg == "--validate") { for (auto& s : SplitList(v)) a->validate.push_back(s); }
    else if (arg == "--validate-scenario") { for (auto& s : SplitList(v)) a->validate_scenarios.push_back(s); }
    else if (arg == "--write-model") a->write_model = v;
    else if (arg == "--out") a->out = v;
    else if (arg == "--report") a->report = v;
    else if (arg == "--spec") a->spec = v;
    else if (arg == "--error") a->errors.push_back(v);
    else if (arg == "--bounds") a->bounds.push_back(v);
    else if (arg == "--start") a->starts_at.push_back(v);
    else if (arg == "--ridge") a->ridge.push_back(v);
    else if (arg == "--profile") a->profile = v;
    else if (arg == "--starts") { if (!integer(&n)) return kExitUsage; a->starts = static_cast<int>(n); }
    else if (arg == "--seed") { if (!integer(&n)) return kExitUsage; a->seed = n; }
    else if (arg == "--threads") { if (!integer(&n)) return kExitUsage; a->threads = static_cast<int>(n); }
    else if (arg == "--max-iterations") { if (!integer(&n)) return kExitUsage; a->max_iterations = static_cast<int>(n); }
    else if (arg == "--rtol") { if (!number(&a->rtol)) return kExitUsage; }
    else if (arg == "--atol") { if (!number(&a->atol)) return kExitUsage; }
  }
  if (a->model.empty() || a->out.empty() || (a->spec.empty() && (a->data.empty() || a->estimate.empty()))) {
    std::fprintf(stderr, "biotwin fit: MODEL, --out and (--data and --estimate, or --spec) are required\n%s\n", kUsage);
    return kExitUsage;
  }
  return kExitOk;
}

// One experiment per data file, with its scenario (one for all, one per file, or none: the
// model's defaults).
std::vector<estimate::Experiment> MakeExperiments(const std::vector<std::string>& data, const std::vector<std::string>& scen,
                                                  const model::ModelInfo& info, const std::string& label) {
  std::vector<estimate::Experiment> out;
  for (size_t i = 0; i < data.size(); ++i) {
    estimate::Experiment ex;
    ex.data = estimate::MatchData(ReadData(data[i]), info);
    const std::string sp = scen.empty() ? "" : scen[scen.size() == 1 ? 0 : i];
    ex.scenario = sp.empty() ? sim::DefaultScenario(info, model::kNaN) : sim::LoadScenarioFile(sp, info);
    ex.name = label + std::to_string(i + 1) + " (" + std::filesystem::path(data[i]).filename().string() + ")";
    out.push_back(std::move(ex));
  }
  return out;
}

// The held-out experiments of --validate, checked like the fitted ones (horizons; error models
// of signals only measured in held-out data are not needed).
std::vector<estimate::Experiment> HeldOutExperiments(const Args& a, const estimate::FitProblem& problem) {
  if (a.validate.empty()) {
    if (!a.validate_scenarios.empty()) throw estimate::FitInputError("--validate-scenario needs --validate");
    return {};
  }
  const auto& info = problem.model->info();
  // Scenarios: --validate-scenario, else the fitted batches' scenario when they share one.
  std::vector<std::string> scen = a.validate_scenarios;
  if (scen.empty()) {
    std::set<std::string> used;
    for (const auto& e : problem.experiments) used.insert(e.scenario.file);
    if (used.size() > 1) {
      throw estimate::FitInputError("--validate: the fitted batches have different scenarios; give --validate-scenario for the held-out batches");
    }
    if (!used.empty() && !used.begin()->empty()) scen.push_back(*used.begin());
  }
  if (!scen.empty() && scen.size() != 1 && scen.size() != a.validate.size()) {
    throw estimate::FitInputError("--validate-scenario: give one scenario for all held-out files or one per file (" +
                                  std::to_string(a.validate.size()) + " files, " + std::to_string(scen.size()) + " scenarios)");
  }
  estimate::FitProblem check;
  check.model = problem.model;
  check.experiments = MakeExperiments(a.validate, scen, info, "held-out ");
  estimate::CheckProblem(&check);
  return check.experiments;
}

// Builds the problem from the spec (if any) and the command line (which wins).
void BuildProblem(const Args& a, estimate::FitProblem* problem, estimate::FitOptions* options) {
  const auto& info = problem->model->info();
  estimate::FitSpec spec;
  if (!a.spec.empty()) spec = estimate::LoadFitSpecFile(a.spec, info);
  *options = spec.options;
  if (a.starts > 0) options->starts = a.starts;
  if (a.seed > 0) options->seed = static_cast<uint64_t>(a.seed);
  if (a.max_iterations > 0) options->max_iterations = a.max_iterations;
  if (!a.profile.empty()) options->profile = SplitList(a.profile);
  if (a.threads > 0) options->threads = a.threads;
  options->trace = a.trace;
  problem->rtol = std::isnan(a.rtol) ? spec.rtol : a.rtol;
  problem->atol = std::isnan(a.atol) ? spec.atol : a.atol;
  std::vector<std::string> names;
  for (const auto& p : a.estimate.empty() ? spec.estimate : a.estimate) {
    for (auto& n : estimate::ExpandParameterPattern(info, p, "--estimate")) names.push_back(std::move(n));
  }
  auto bounds = spec.bounds;
  auto starts = spec.starts;
  std::vector<std::string> linear = a.linear.empty() ? spec.linear : a.linear;
  if (!a.estimate.empty()) {  // the command line's list replaces the spec's: keep only its names
    for (auto it = bounds.begin(); it != bounds.end();) it = std::find(names.begin(), names.end(), it->first) == names.end() ? bounds.erase(it) : std::next(it);
    for (auto it = starts.begin(); it != starts.end();) it = std::find(names.begin(), names.end(), it->first) == names.end() ? starts.erase(it) : std::next(it);
  }
  for (const auto& b : a.bounds) {
    auto [name, range] = SplitAssignment(b, "--bounds");
    const int k = info.ParameterIndex(name);
    if (k < 0) throw estimate::FitInputError("--bounds: '" + name + "' is not a parameter");
    const size_t colon = range.find(':');
    if (colon == std::string::npos) throw estimate::FitInputError("--bounds " + b + ": expected NAME=LO:HI");
    try {
      bounds[name] = {model::ParseQuantity(range.substr(0, colon), info.parameters[k].unit),
                      model::ParseQuantity(range.substr(colon + 1), info.parameters[k].unit)};
    } catch (const model::UnitError& e) {
      throw estimate::FitInputError("--bounds " + b + ": " + e.what());
    }
  }
  for (const auto& s : a.starts_at) {
    auto [name, text] = SplitAssignment(s, "--start");
    const int k = info.ParameterIndex(name);
    if (k < 0) throw estimate::FitInputError("--start: '" + name + "' is not a parameter");
    try {
      starts[name] = model::ParseQuantity(text, info.parameters[k].unit);
    } catch (const model::UnitError& e) {
      throw estimate::FitInputError("--start " + s + ": " + e.what());
    }
  }
  problem->parameters = estimate::MakeFreeParameters(info, names, bounds, starts, linear);
  auto ridge = spec.ridge;
  for (const auto& r : a.ridge) {
    auto [pattern, text] = SplitAssignment(r, "--ridge");
    char* end = nullptr;
    const double lambda = std::strtod(text.c_str(), &end);
    if (text.empty() || *end != '\0') throw estimate::FitInputError("--ridge " + r + ": expected PATTERN=LAMBDA (a number >= 0)");
    ridge[pattern] = lambda;
  }
  estimate::SetRidge(ridge, problem);
  problem->errors = spec.errors;
  for (const auto& e : a.errors) {
    auto [name, text] = SplitAssignment(e, "--error");
    problem->errors[name] = estimate::ParseErrorModel(text, estimate::SignalUnit(info, name, "--error"), "--error " + e);
  }
  // Experiments: data files with their scenarios.
  std::vector<std::string> data = a.data, scen = a.scenarios;
  if (data.empty()) {
    for (const auto& ex : spec.experiments) {
      data.push_back(ex.data);
      scen.push_back(ex.scenario);
    }
    bool any = false;
    for (const auto& s : scen) any = any || !s.empty();
    if (!any) scen.clear();
    if (!a.scenarios.empty()) scen = a.scenarios;
  }
  if (data.empty()) throw estimate::FitInputError("no data: give --data FILE[,FILE...] or 'experiments:' in the spec");
  if (!scen.empty() && scen.size() != 1 && scen.size() != data.size()) {
    throw estimate::FitInputError("--scenario: give one scenario for all data files or one per data file (" +
                                  std::to_string(data.size()) + " data files, " + std::to_string(scen.size()) + " scenarios)");
  }
  problem->experiments = MakeExperiments(data, scen, info, "batch ");
  estimate::CheckProblem(problem);
}

// The model's validity domain (a model written by an earlier fit) along the fitted batches
// simulated at the start values.
std::vector<std::string> StartValidityWarnings(const estimate::FitProblem& problem) {
  const auto& info = problem.model->info();
  if (info.validity.empty()) return {};
  const estimate::FitResiduals residuals(problem);
  std::vector<double> p;
  for (const auto& f : problem.parameters) p.push_back(f.start);
  sim::ValidityMonitor all(info);
  for (int e = 0; e < residuals.num_experiments(); ++e) {
    sim::ValidityMonitor one(info);
    one.Observe(sim::Simulator(problem.model, residuals.ScenarioAt(e, p.data(), false)).Run());
    all.Merge(one, problem.experiments[e].name + " at the start values");
  }
  auto warnings = all.Warnings();
  for (const auto& w : warnings) std::fprintf(stderr, "warning: %s\n", w.c_str());
  return warnings;
}

// --write-model: MODEL with the fitted values and the validity domain of this fit.
void WriteFittedModel(const Args& a, const estimate::FitProblem& problem, const estimate::FitResult& result,
                      const std::string& fit_sha256, const std::string& created) {
  const auto& info = problem.model->info();
  model::ValidityDomain validity = estimate::DomainAsValidity(info, result);
  validity.fit = "fit " + fit_sha256.substr(0, 12) + " (" + std::filesystem::path(a.out).filename().string() + ", " + created + ")";
  validity.dossier = fit_sha256;
  validity.created = created;
  const std::string source = "fit " + fit_sha256 + ", " + created;
  const std::string text = estimate::WriteFittedModelText(FileText(a.model), a.model, info, result, source, validity);
  try {
    model::LoadModelText(text, a.write_model);  // what is written must load
  } catch (const model::ModelError& e) {
    throw estimate::FitInputError(std::string("--write-model: the written model does not load: ") + e.what());
  }
  io::WriteFileAtomic(a.write_model, text);
}

int RunFit(const std::vector<std::string>& args) {
  Args a;
  if (int rc = ParseArgs(args, &a); rc != kExitOk) return rc;
  estimate::FitProblem problem;
  estimate::FitOptions options;
  try {
    problem.model = model::LoadModelFile(a.model);
    BuildProblem(a, &problem, &options);
  } catch (const model::ModelError& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return kExitInvalidInput;
  } catch (const io::FileError& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return kExitInvalidInput;
  } catch (const estimate::FitInputError& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return kExitInvalidInput;
  } catch (const std::invalid_argument& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return kExitInvalidInput;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return kExitIoError;
  }
  FitDossier dossier;
  dossier.written_model = a.write_model;
  std::vector<estimate::Experiment> held_out;
  estimate::FitResult result;
  try {
    held_out = HeldOutExperiments(a, problem);
    dossier.warnings = StartValidityWarnings(problem);
    result = estimate::Fit(problem, options);
    dossier.validation = estimate::ValidateHeldOut(problem, result, held_out);
  } catch (const model::ModelError& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return kExitInvalidInput;
  } catch (const io::FileError& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return kExitInvalidInput;
  } catch (const std::invalid_argument& e) {  // FitInputError and scenario errors
    std::fprintf(stderr, "error: %s\n", e.what());
    return kExitInvalidInput;
  }
  dossier.failure_modes = estimate::FindFailureModes(problem, result, dossier.validation);
  std::string fit_json;
  try {
    nlohmann::json j = FitJson(problem, result, dossier);
    fit_json = j.dump(2) + "\n";
    io::WriteFileAtomic(a.out, fit_json);
    if (!a.report.empty()) WriteFitReport(problem, result, dossier, a.report);
    if (!a.write_model.empty() && result.status == "converged") {
      WriteFittedModel(a, problem, result, model::Sha256Hex(fit_json), j["dossier"]["created_utc"].get<std::string>());
    }
  } catch (const estimate::FitInputError& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return kExitInvalidInput;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return kExitIoError;
  }
  if (result.status != "converged") {
    std::fprintf(stderr, "error: the fit did not converge (%s): %s\n  details: %s\n", result.status.c_str(),
                 result.message.c_str(), a.out.c_str());
    return kExitRunFailed;
  }
  if (!a.quiet) {
    std::printf("fitted %zu parameters of %s to %d points in %zu batches: J = %.6g (%s, %ld simulations, %.3f s)\n",
                result.parameters.size(), problem.model->info().provenance.name.c_str(), result.num_data,
                problem.experiments.size(), result.objective, result.sigma_known ? "declared sigma" : "unit weights",
                result.simulations, result.wall_seconds);
    for (const auto& p : result.parameters) {
      std::printf("  %-10s = %-12.6g %s  SE %.3g  95%% [%.6g, %.6g]%s\n", p.name.c_str(), p.value, p.unit.c_str(), p.se,
                  p.ci_low, p.ci_high, p.at_bound ? "  (at bound)" : "");
    }
    for (const auto& p : result.profiles) {
      std::printf("  profile %s: %s, 95%% [%.6g, %.6g] %s\n", p.name.c_str(),
                  p.identifiable ? "identifiable" : "not identifiable within the grid", p.ci_low, p.ci_high, p.unit.c_str());
    }
    for (const auto& v : dossier.validation) {
      std::printf("  %s: %s, chi-square %.4g on %d points, p = %.3g\n", v.name.c_str(), v.verdict.c_str(), v.chi2, v.n,
                  v.p_value);
    }
    if (dossier.validation.empty()) std::printf("  not validated on held-out batches (--validate)\n");
    std::string kinds;
    for (const auto& f : dossier.failure_modes) kinds += (kinds.empty() ? "" : ", ") + f.kind + " " + f.subject;
    std::printf("  failure modes: %s\n", kinds.empty() ? "none found" : kinds.c_str());
    std::printf("wrote %s%s%s%s%s\n", a.out.c_str(), a.report.empty() ? "" : ", ", a.report.c_str(),
                a.write_model.empty() ? "" : ", ", a.write_model.c_str());
  }
  return kExitOk;
}

}  // namespace

BIOTWIN_REGISTER_COMMAND(Command{"fit", "estimate model parameters from measured batches", kUsage, &RunFit});

}  // namespace biotwin::cli
