// FIT.json and the HTML fit report of `biotwin fit` (cmd_fit.cc).
#ifndef BIOTWIN_APPS_BIOTWIN_CMD_FIT_OUTPUT_H_
#define BIOTWIN_APPS_BIOTWIN_CMD_FIT_OUTPUT_H_

#include <string>

#include <nlohmann/json.hpp>

#include "estimate/fit.h"

namespace biotwin::cli {

// Everything about the fit: status, objective (J = sum of squared weighted residuals),
// estimates with SE and 95 % intervals, correlation and covariance, profiles, residual
// diagnostics, chi-square test, every start, and the dossier (model version and hash, data and
// scenario hashes, validity domain). A fit that did not converge carries no estimates.
nlohmann::json FitJson(const estimate::FitProblem& problem, const estimate::FitResult& result);

// Self-contained HTML report: summary table (estimates, intervals, statistics, profiles) and
// plots of model vs data and of the weighted residuals for every signal and batch.
void WriteFitReport(const estimate::FitProblem& problem, const estimate::FitResult& result,
                    const std::string& path);

}  // namespace biotwin::cli

#endif  // BIOTWIN_APPS_BIOTWIN_CMD_FIT_OUTPUT_H_
