// biotwin optimize: dynamic optimisation of a model's inputs (direct multiple shooting + IPOPT).
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "command.h"
#include "control/dynopt_solver.h"
#include "control/ocp_problem.h"
#include "io/html_report.h"
#include "model/format.h"
#include "sim/validity.h"

namespace biotwin::cli {
namespace {

constexpr const char* kUsage =
    "usage: biotwin optimize PROBLEM.yaml --out OPT.json [--report OPT.html] [--intervals N]\n"
    "                        [--refine K] [--warm-start OPT.json] [--verbose] [--quiet]\n\n"
    "Finds the input profiles of a model that maximise or minimise an objective subject to\n"
    "bounds, path and terminal constraints (problem format: docs/optimize.md). Method: direct\n"
    "multiple shooting with exact CVODES sensitivities, solved by IPOPT. --intervals overrides\n"
    "the number of control intervals N, --refine K solves on N, 2N, ... 2^K N intervals (each from\n"
    "the previous solution), --warm-start starts from a previous OPT.json. Writes OPT.json\n"
    "(status, objective with unit, iterations, constraint violation, timing, control profiles and\n"
    "states on the grid) and, with --report, an HTML report. A failed solve still writes OPT.json\n"
    "with status and the violated constraints, and exits 1.\n"
    "Exit codes: 0 solved, 1 not solved, 2 usage, 3 invalid problem/model, 4 I/O error.";

void WriteReport(const std::string& path, const control::OcpProblem& p, const control::DynoptSolution& s) {
  const auto& info = p.model->info();
  io::RunTable t;
  t.time_unit = info.time_unit.text;
  t.time = s.grid;
  for (size_t c = 0; c < s.controls.names.size(); ++c) {
    io::Series col{s.controls.names[c], info.inputs[p.controls[c].input].unit.text, "control", "optimal control", {}};
    for (double tk : s.grid) col.values.push_back(s.controls.Evaluate(static_cast<int>(c), tk));
    t.columns.push_back(std::move(col));
  }
  for (size_t i = 0; i < info.states.size(); ++i) {
    io::Series col{info.states[i].name, info.states[i].unit.text, "state", info.states[i].description, {}};
    for (const auto& row : s.states) col.values.push_back(row[i]);
    t.columns.push_back(std::move(col));
  }
  io::ReportInfo r;
  r.title = "biotwin optimize: " + p.name;
  r.status = control::StatusIsSuccess(s.status) ? "ok" : std::string("failed: ") + s.explanation;
  r.summary = {{"model", info.provenance.name + " " + info.provenance.version},
               {"status", control::StatusName(s.status)},
               {"objective", model::FormatNumber(s.objective) + " " + s.objective_unit},
               {"final time", model::FormatNumber(s.tf) + " " + info.time_unit.text + (s.tf_free ? " (free)" : "")},
               {"intervals", std::to_string(s.intervals)},
               {"iterations", std::to_string(s.iterations)},
               {"constraint violation", model::FormatNumber(s.constraint_violation)},
               {"wall time", model::FormatNumber(s.wall_seconds) + " s"}};
  for (const auto& w : s.warnings) r.summary.push_back({"warning", w});
  io::WriteHtmlReport(t, r, path);
}

int RunOptimize(const std::vector<std::string>& args) {
  std::string problem_path, out, report, warm;
  int intervals = 0, refine = -1;
  bool verbose = false, quiet = false;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    auto value = [&](std::string* dst) {
      if (i + 1 >= args.size()) {
        std::fprintf(stderr, "biotwin optimize: %s needs a value\n", a.c_str());
        return false;
      }
      *dst = args[++i];
      return true;
    };
    auto count = [&](int* dst, int lo, int hi) {
      std::string v;
      if (!value(&v)) return false;
      char* end = nullptr;
      const long n = std::strtol(v.c_str(), &end, 10);
      if (v.empty() || *end != '\0' || n < lo || n > hi) {
        std::fprintf(stderr, "biotwin optimize: %s needs a whole number from %d to %d (got '%s')\n", a.c_str(), lo, hi, v.c_str());
        return false;
      }
      *dst = static_cast<int>(n);
      return true;
    };
    if (a == "--out") { if (!value(&out)) return kExitUsage; }
    else if (a == "--report") { if (!value(&report)) return kExitUsage; }
    else if (a == "--warm-start") { if (!value(&warm)) return kExitUsage; }
    else if (a == "--intervals") { if (!count(&intervals, 1, 5000)) return kExitUsage; }
    else if (a == "--refine") { if (!count(&refine, 0, 6)) return kExitUsage; }
    else if (a == "--verbose") { verbose = true; }
    else if (a == "--quiet") { quiet = true; }
    else if (!a.empty() && a[0] != '-' && problem_path.empty()) { problem_path = a; }
    else {
      std::fprintf(stderr, "biotwin optimize: unexpected argument '%s'\n%s\n", a.c_str(), kUsage);
      return kExitUsage;
    }
  }
  if (problem_path.empty() || out.empty()) {
    std::fprintf(stderr, "%s\n", kUsage);
    return kExitUsage;
  }
  control::OcpProblem problem;
  control::DynoptSolution sol;
  try {
    problem = control::LoadOcpProblem(problem_path);
    control::PrecheckProblem(problem);
    control::DynoptOptions opt;
    opt.intervals = intervals;
    opt.mesh_refinements = refine;
    opt.warm_start = warm;
    if (verbose) opt.print_level = 5;
    if (!quiet) opt.log = [](const std::string& s) { std::printf("%s\n", s.c_str()); std::fflush(stdout); };
    sol = control::SolveOcp(problem, opt);
  } catch (const model::ModelError& e) {
    std::fprintf(stderr, "%s\n", e.what());
    return kExitInvalidInput;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "biotwin optimize: %s\n", e.what());
    return kExitInvalidInput;
  }
  {  // the model's validity domain (a fitted model): states at the grid, controls on it
    const auto& info = problem.model->info();
    sim::ValidityMonitor validity(info);
    for (size_t k = 0; k < sol.grid.size() && k < sol.states.size(); ++k) {
      validity.Observe(sol.grid[k], sol.states[k].data(), nullptr);
      for (size_t c = 0; c < sol.controls.names.size(); ++c) {
        validity.ObserveVariable(true, problem.controls[c].input, sol.grid[k], sol.controls.Evaluate(static_cast<int>(c), sol.grid[k]));
      }
    }
    for (auto& w : validity.Warnings()) {
      std::fprintf(stderr, "warning: %s\n", w.c_str());
      sol.warnings.push_back(std::move(w));
    }
  }
  std::string err;
  if (!control::WriteSolutionJson(out, problem, sol, &err)) {
    std::fprintf(stderr, "biotwin optimize: %s\n", err.c_str());
    return kExitIoError;
  }
  if (!report.empty()) {
    try {
      WriteReport(report, problem, sol);
    } catch (const std::exception& e) {
      std::fprintf(stderr, "biotwin optimize: cannot write the report: %s\n", e.what());
      return kExitIoError;
    }
  }
  const auto& tu = problem.model->info().time_unit.text;
  const bool ok = control::StatusIsSuccess(sol.status);
  FILE* f = ok ? stdout : stderr;
  if (!quiet || !ok) {
    std::fprintf(f, "%s: %s — %s\n", problem.name.c_str(), control::StatusName(sol.status), sol.explanation.c_str());
    std::fprintf(f, "objective (%s) = %s %s; final time %s %s%s; %d intervals; %d iterations\n",
                 problem.objective.maximize ? "maximised" : "minimised", model::FormatNumber(sol.objective).c_str(),
                 sol.objective_unit.c_str(), model::FormatNumber(sol.tf).c_str(), tu.c_str(), sol.tf_free ? " (free)" : "",
                 sol.intervals, sol.iterations);
    std::fprintf(f, "constraint violation %s (max, in constraint units); continuity defect %s (relative); %s s wall; %ld integrator steps\n",
                 model::FormatNumber(sol.constraint_violation).c_str(), model::FormatNumber(sol.continuity_defect).c_str(),
                 model::FormatNumber(sol.wall_seconds).c_str(), sol.integrator_steps);
    for (const auto& v : sol.violations) {
      std::fprintf(f, "  violated: %s:%d: %s: '%s' at t = %s %s: value %s %s, bound %s %s (off by %s %s)\n", problem.file.c_str(),
                   v.line, v.field.c_str(), v.text.c_str(), model::FormatNumber(v.time).c_str(), tu.c_str(),
                   model::FormatNumber(v.value).c_str(), v.unit.c_str(), model::FormatNumber(v.bound).c_str(), v.unit.c_str(),
                   model::FormatNumber(v.amount).c_str(), v.unit.c_str());
    }
    std::fprintf(f, "wrote %s%s%s\n", out.c_str(), report.empty() ? "" : ", ", report.c_str());
  }
  return ok ? kExitOk : kExitRunFailed;
}

}  // namespace

BIOTWIN_REGISTER_COMMAND(Command{"optimize", "optimise input profiles (dynamic optimisation, IPOPT)", kUsage, &RunOptimize});

}  // namespace biotwin::cli
