// FIT.json and the HTML fit report of `biotwin fit` (cmd_fit.cc). The dossier of a fit is
// FIT.json's `dossier` object (cmd_fit_dossier.cc) and the HTML report, which shows it.
#ifndef BIOTWIN_APPS_BIOTWIN_CMD_FIT_OUTPUT_H_
#define BIOTWIN_APPS_BIOTWIN_CMD_FIT_OUTPUT_H_

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "estimate/fit.h"
#include "estimate/fit_dossier.h"
#include "io/html_report.h"

namespace biotwin::cli {

// What the dossier holds beyond the fit itself.
struct FitDossier {
  std::vector<estimate::BatchValidation> validation;  // held-out batches (empty: not validated)
  std::vector<estimate::FailureMode> failure_modes;
  std::vector<std::string> warnings;  // e.g. the start outside the model's validity domain
  std::string written_model;          // --write-model path ("" if none)
};

// Everything about the fit: status, objective (J = sum of squared weighted residuals),
// estimates with SE and 95 % intervals, correlation and covariance, profiles, residual
// diagnostics, chi-square test, every start, and the dossier (model version and hash, data and
// scenario hashes, estimates, held-out validation, validity domain, failure modes). A fit that
// did not converge carries no estimates.
nlohmann::json FitJson(const estimate::FitProblem& problem, const estimate::FitResult& result,
                       const FitDossier& dossier);

// Self-contained HTML report, the human-readable dossier: summary (model version and hash,
// data provenance, estimates with intervals), tables of estimates, held-out validation,
// validity domain and failure modes, and plots of model vs data (fitted and held-out batches)
// and of the weighted residuals.
void WriteFitReport(const estimate::FitProblem& problem, const estimate::FitResult& result,
                    const FitDossier& dossier, const std::string& path);

// cmd_fit_dossier.cc: the dossier object of FIT.json and its HTML tables.
nlohmann::json DossierJson(const estimate::FitProblem& problem, const estimate::FitResult& result,
                           const FitDossier& dossier);
void AddDossierTables(const estimate::FitProblem& problem, const estimate::FitResult& result,
                      const FitDossier& dossier, io::ReportInfo* report);

}  // namespace biotwin::cli

#endif  // BIOTWIN_APPS_BIOTWIN_CMD_FIT_OUTPUT_H_
