// Self-contained HTML run reports: no network access needed to view them (inline SVG + JS).
#ifndef BIOTWIN_IO_HTML_REPORT_H_
#define BIOTWIN_IO_HTML_REPORT_H_

#include <string>
#include <utility>
#include <vector>

#include "io/run_table.h"

namespace biotwin::io {

struct ReportEvent {
  double time = 0.0;
  std::string label;  // "feed start", "bolus glucose 20 mL"
};

struct ReportInfo {
  std::string title;                                          // "biotwin run: ecoli_anane2017"
  std::vector<std::pair<std::string, std::string>> summary;   // key/value rows shown in a table
  std::vector<ReportEvent> events;                            // drawn as vertical markers
  std::string status = "ok";                                  // "ok" or "failed: <reason>"
};

// Renders one interactive line plot per column of `table` (grouped by Series::group, then in
// column order), each titled "name [unit]" with a time axis "t [h]". Interactivity: hover shows a
// crosshair with the time and value; drag to zoom the time axis (shared across all plots);
// double-click resets; legend toggles for series that share a plot (e.g. "reference" overlays of
// the same name). A summary table and an events table precede the plots. Everything is inline.
// A failed status is shown as a red banner at the top. Returns the HTML text.
std::string RenderHtmlReport(const RunTable& table, const ReportInfo& info);

// RenderHtmlReport + WriteFileAtomic.
void WriteHtmlReport(const RunTable& table, const ReportInfo& info, const std::string& path);

// Escapes &, <, >, ", ' for HTML text and attributes.
std::string HtmlEscape(const std::string& text);

}  // namespace biotwin::io

#endif  // BIOTWIN_IO_HTML_REPORT_H_
