// Stylesheet and script embedded verbatim into every HTML report (see html_report.h).
#ifndef BIOTWIN_IO_REPORT_ASSETS_H_
#define BIOTWIN_IO_REPORT_ASSETS_H_

namespace biotwin::io {

// CSS for the report page (goes inside <style>).
extern const char* const kReportCss;

// Plot script (goes inside <script>). Reads the JSON block with id "bt-data" and fills every
// <figure class="plot" data-plot="k"> with an SVG chart of plots[k].
extern const char* const kReportJs;

}  // namespace biotwin::io

#endif  // BIOTWIN_IO_REPORT_ASSETS_H_
