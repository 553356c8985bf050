// Self-contained HTML run reports: no network access needed to view them (inline SVG + JS).
#ifndef BIOTWIN_IO_HTML_REPORT_H_
#define BIOTWIN_IO_HTML_REPORT_H_

#include <cstddef>
#include <string>
#include <utility>
#include <vector>

#include "io/run_table.h"

namespace biotwin::io {

struct ReportEvent {
  double time = 0.0;
  std::string label;  // "feed start", "bolus glucose 20 mL"
};

// A titled table of text cells (e.g. a fit dossier's validation or failure-mode table).
struct ReportTable {
  std::string title;                          // "Held-out validation"
  std::string note;                           // a line under the title ("" for none)
  std::vector<std::string> header;            // column headings, with units
  std::vector<std::vector<std::string>> rows;  // cells; an empty table shows `empty_text`
  std::string empty_text = "None.";
};

struct ReportInfo {
  std::string title;                                          // "biotwin run: ecoli_anane2017"
  std::vector<std::pair<std::string, std::string>> summary;   // key/value rows shown in a table
  std::vector<ReportEvent> events;                            // drawn as vertical markers
  std::string status = "ok";                                  // "ok" or "failed: <reason>"
  std::vector<ReportTable> tables;                            // shown after the summary
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

// At most this many points per series are embedded in a report.
inline constexpr size_t kMaxReportPoints = 2000;

// Min/max-preserving decimation used for the embedded plot data: keeps the first and last point
// and, per time bucket, the minimum and maximum (plus one missing value if the bucket has a gap,
// so gaps stay visible). Output is in time order with at most `max_points` (>= 8) points; input
// with no more points than that is copied unchanged. Points with a non-finite time are dropped.
void DecimateMinMax(const std::vector<double>& t, const std::vector<double>& y,
                    size_t max_points, std::vector<double>* t_out, std::vector<double>* y_out);

}  // namespace biotwin::io

#endif  // BIOTWIN_IO_HTML_REPORT_H_
