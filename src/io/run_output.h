// Turns a simulation result into the files a run leaves behind: the CSV table, the JSON run
// summary and the HTML report.
#ifndef BIOTWIN_IO_RUN_OUTPUT_H_
#define BIOTWIN_IO_RUN_OUTPUT_H_

#include <string>

#include <nlohmann/json.hpp>

#include "io/html_report.h"
#include "io/run_table.h"
#include "model/model.h"
#include "sim/simulator.h"

namespace biotwin::io {

// States, outputs and inputs as columns with their units (groups "state", "output", "input").
RunTable ToRunTable(const model::ModelInfo& info, const sim::SimResult& result);

// The run summary: status, message, model provenance and hash, scenario, solver statistics,
// wall time, final values with units, events and warnings.
nlohmann::json RunSummaryJson(const model::ModelInfo& info, const sim::Scenario& scenario,
                              const sim::SimResult& result);

// Report metadata (title, summary rows, events, status) for RenderHtmlReport.
ReportInfo RunReportInfo(const model::ModelInfo& info, const sim::Scenario& scenario,
                         const sim::SimResult& result);

}  // namespace biotwin::io

#endif  // BIOTWIN_IO_RUN_OUTPUT_H_
