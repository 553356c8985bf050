#include "io/html_report.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <map>

#include "io/report_assets.h"

namespace biotwin::io {
namespace {

// Number for display in tables (%.10g, locale independent).
std::string FormatNumber(double v) {
  if (std::isnan(v)) return "";
  char buf[64];
  auto res = std::to_chars(buf, buf + sizeof(buf), v, std::chars_format::general, 10);
  return std::string(buf, res.ptr);
}

// JSON number with 8 significant digits (plenty for plotting); non-finite -> null.
void AppendJsonNumber(std::string* out, double v) {
  if (!std::isfinite(v)) {
    *out += "null";
    return;
  }
  char buf[64];
  auto res = std::to_chars(buf, buf + sizeof(buf), v, std::chars_format::general, 8);
  out->append(buf, res.ptr);
}

// JSON string literal that is also safe inside a <script> element: '<', '>' and '&' are written
// as \u escapes, so "</script>" and "<!--" can never appear in the embedded data.
void AppendJsonString(std::string* out, const std::string& s) {
  static const char kHex[] = "0123456789abcdef";
  *out += '"';
  for (unsigned char c : s) {
    switch (c) {
      case '"': *out += "\\\""; break;
      case '\\': *out += "\\\\"; break;
      case '\n': *out += "\\n"; break;
      case '\r': *out += "\\r"; break;
      case '\t': *out += "\\t"; break;
      default:
        if (c < 0x20 || c == '<' || c == '>' || c == '&') {
          *out += "\\u00";
          *out += kHex[c >> 4];
          *out += kHex[c & 15];
        } else {
          *out += static_cast<char>(c);
        }
    }
  }
  *out += '"';
}

void AppendJsonArray(std::string* out, const std::vector<double>& values) {
  *out += '[';
  for (size_t i = 0; i < values.size(); ++i) {
    if (i > 0) *out += ',';
    AppendJsonNumber(out, values[i]);
  }
  *out += ']';
}

std::string UnitOrDash(const std::string& unit) { return unit.empty() ? "-" : unit; }

std::string GroupLabel(const std::string& group) { return group.empty() ? "series" : group; }

// One plot: all columns that share a name, shown in the section of its "home" group.
struct PlotSpec {
  std::string name;
  std::string unit;
  std::string home_group;
  std::vector<int> columns;
};

std::vector<PlotSpec> PlanPlots(const RunTable& table) {
  std::vector<PlotSpec> plots;
  std::map<std::string, size_t> by_name;
  for (size_t c = 0; c < table.columns.size(); ++c) {
    const Series& s = table.columns[c];
    auto it = by_name.find(s.name);
    if (it == by_name.end()) {
      it = by_name.emplace(s.name, plots.size()).first;
      plots.push_back({s.name, s.unit, s.group, {}});
    }
    plots[it->second].columns.push_back(static_cast<int>(c));
  }
  // A plot lives with its first non-reference series, so "reference" overlays join the plot of
  // the simulated quantity; a name that only has reference data stays in the reference group.
  for (PlotSpec& p : plots) {
    for (int c : p.columns) {
      if (table.columns[c].group != "reference") {
        p.home_group = table.columns[c].group;
        p.unit = table.columns[c].unit;
        break;
      }
    }
  }
  return plots;
}

std::string PlotTitle(const PlotSpec& p) { return p.name + " [" + UnitOrDash(p.unit) + "]"; }

std::string BuildJson(const RunTable& table, const ReportInfo& info,
                      const std::vector<PlotSpec>& plots) {
  double t_min = NAN, t_max = NAN;
  for (double t : table.time) {
    if (!std::isfinite(t)) continue;
    if (std::isnan(t_min) || t < t_min) t_min = t;
    if (std::isnan(t_max) || t > t_max) t_max = t;
  }
  std::string out = "{\"t_name\":";
  AppendJsonString(&out, table.time_name);
  out += ",\"t_unit\":";
  AppendJsonString(&out, table.time_unit);
  out += ",\"t_label\":";
  AppendJsonString(&out, table.time_name + " [" + UnitOrDash(table.time_unit) + "]");
  out += ",\"t_min\":";
  AppendJsonNumber(&out, t_min);
  out += ",\"t_max\":";
  AppendJsonNumber(&out, t_max);
  out += ",\"events\":[";
  for (size_t i = 0; i < info.events.size(); ++i) {
    if (i > 0) out += ',';
    out += "{\"t\":";
    AppendJsonNumber(&out, info.events[i].time);
    out += ",\"label\":";
    AppendJsonString(&out, info.events[i].label);
    out += '}';
  }
  out += "],\"plots\":[";
  std::vector<double> t_dec, y_dec;
  for (size_t p = 0; p < plots.size(); ++p) {
    if (p > 0) out += ',';
    out += "{\"title\":";
    AppendJsonString(&out, PlotTitle(plots[p]));
    out += ",\"name\":";
    AppendJsonString(&out, plots[p].name);
    out += ",\"series\":[";
    std::map<std::string, int> label_count;
    for (size_t k = 0; k < plots[p].columns.size(); ++k) {
      const Series& s = table.columns[plots[p].columns[k]];
      std::string label = GroupLabel(s.group);
      if (int n = ++label_count[label]; n > 1) label += " (" + std::to_string(n) + ")";
      if (s.unit != plots[p].unit) label += " [" + UnitOrDash(s.unit) + "]";
      DecimateMinMax(table.time, s.values, kMaxReportPoints, &t_dec, &y_dec);
      if (k > 0) out += ',';
      out += "{\"label\":";
      AppendJsonString(&out, label);
      out += ",\"unit\":";
      AppendJsonString(&out, s.unit);
      out += ",\"ref\":";
      out += s.group == "reference" ? "true" : "false";
      out += ",\"t\":";
      AppendJsonArray(&out, t_dec);
      out += ",\"y\":";
      AppendJsonArray(&out, y_dec);
      out += '}';
    }
    out += "]}";
  }
  out += "]}";
  return out;
}

void AppendSummary(std::string* html, const ReportInfo& info) {
  *html += "<div><h2>Summary</h2>\n<table class=\"summary\"><tbody>\n";
  bool has_status = false;
  for (const auto& [key, value] : info.summary) has_status = has_status || key == "status";
  if (!has_status) {
    *html += "<tr><td class=\"key\">status</td><td>" + HtmlEscape(info.status) + "</td></tr>\n";
  }
  for (const auto& [key, value] : info.summary) {
    *html += "<tr><td class=\"key\">" + HtmlEscape(key) + "</td><td>" + HtmlEscape(value) +
             "</td></tr>\n";
  }
  *html += "</tbody></table></div>\n";
}

void AppendTables(std::string* html, const ReportInfo& info) {
  for (const ReportTable& t : info.tables) {
    *html += "<div><h2>" + HtmlEscape(t.title) + "</h2>\n";
    if (!t.note.empty()) *html += "<p class=\"muted\">" + HtmlEscape(t.note) + "</p>\n";
    if (t.rows.empty()) {
      *html += "<p class=\"muted\">" + HtmlEscape(t.empty_text) + "</p></div>\n";
      continue;
    }
    *html += "<table class=\"events\"><thead><tr>";
    for (const auto& h : t.header) *html += "<th>" + HtmlEscape(h) + "</th>";
    *html += "</tr></thead><tbody>\n";
    for (const auto& row : t.rows) {
      *html += "<tr>";
      for (const auto& c : row) *html += "<td>" + HtmlEscape(c) + "</td>";
      *html += "</tr>\n";
    }
    *html += "</tbody></table></div>\n";
  }
}

void AppendEvents(std::string* html, const RunTable& table, const ReportInfo& info) {
  *html += "<div><h2>Events</h2>\n";
  if (info.events.empty()) {
    *html += "<p class=\"muted\">No events.</p></div>\n";
    return;
  }
  std::vector<ReportEvent> events = info.events;
  std::stable_sort(events.begin(), events.end(),
                   [](const ReportEvent& a, const ReportEvent& b) { return a.time < b.time; });
  *html += "<table class=\"events\"><thead><tr><th>" +
           HtmlEscape(table.time_name + " [" + UnitOrDash(table.time_unit) + "]") +
           "</th><th>event</th></tr></thead><tbody>\n";
  for (const ReportEvent& e : events) {
    *html += "<tr><td class=\"num\">" + HtmlEscape(FormatNumber(e.time)) + "</td><td>" +
             HtmlEscape(e.label) + "</td></tr>\n";
  }
  *html += "</tbody></table></div>\n";
}

void AppendPlots(std::string* html, const RunTable& table, const std::vector<PlotSpec>& plots) {
  if (plots.empty() || table.time.empty()) {
    *html += "<h2>Plots</h2>\n<p class=\"muted\">No time series in this run.</p>\n";
    return;
  }
  *html +=
      "<div class=\"toolbar\"><span class=\"muted\">Drag across a plot to zoom the time axis of "
      "all plots; double-click a plot to reset. Hover for values; click a legend entry to show "
      "or hide that series.</span><button type=\"button\" id=\"bt-reset\">Reset zoom</button>"
      "<span id=\"bt-range\" class=\"muted\"></span></div>\n"
      "<noscript><p class=\"banner\">The plots need JavaScript, which is disabled in this "
      "browser.</p></noscript>\n";
  std::vector<std::string> groups;  // sections in order of first appearance
  for (const PlotSpec& p : plots) {
    if (std::find(groups.begin(), groups.end(), p.home_group) == groups.end()) {
      groups.push_back(p.home_group);
    }
  }
  for (const std::string& group : groups) {
    *html += "<section class=\"group\"><h2>" + HtmlEscape(GroupLabel(group)) +
             "</h2>\n<div class=\"grid\">\n";
    for (size_t p = 0; p < plots.size(); ++p) {
      if (plots[p].home_group != group) continue;
      const std::string& description = table.columns[plots[p].columns.front()].description;
      *html += "<figure class=\"plot\" data-plot=\"" + std::to_string(p) +
               "\"><figcaption><span class=\"ptitle\"";
      if (!description.empty()) *html += " title=\"" + HtmlEscape(description) + "\"";
      *html += ">" + HtmlEscape(PlotTitle(plots[p])) +
               "</span><span class=\"legend\"></span></figcaption><div class=\"pbody\">"
               "<div class=\"chart-host\"></div><div class=\"tip\" hidden></div></div>"
               "</figure>\n";
    }
    *html += "</div></section>\n";
  }
}

}  // namespace

void DecimateMinMax(const std::vector<double>& t, const std::vector<double>& y,
                    size_t max_points, std::vector<double>* t_out, std::vector<double>* y_out) {
  t_out->clear();
  y_out->clear();
  std::vector<size_t> idx;  // points with a finite time
  const size_t count = std::min(t.size(), y.size());
  idx.reserve(count);
  for (size_t i = 0; i < count; ++i) {
    if (std::isfinite(t[i])) idx.push_back(i);
  }
  max_points = std::max<size_t>(max_points, 8);
  const size_t n = idx.size();
  auto emit = [&](size_t k) {
    t_out->push_back(t[idx[k]]);
    y_out->push_back(y[idx[k]]);
  };
  if (n <= max_points) {
    for (size_t k = 0; k < n; ++k) emit(k);
    return;
  }
  bool has_gap = false;
  for (size_t k = 0; k < n && !has_gap; ++k) has_gap = !std::isfinite(y[idx[k]]);
  const size_t per_bucket = has_gap ? 3 : 2;
  const size_t buckets = (max_points - 2) / per_bucket;
  const size_t interior = n - 2;  // points 1 .. n-2 are bucketed; first and last always kept
  emit(0);
  for (size_t b = 0; b < buckets; ++b) {
    const size_t begin = 1 + b * interior / buckets;
    const size_t end = 1 + (b + 1) * interior / buckets;
    size_t k_min = end, k_max = end, k_gap = end;
    for (size_t k = begin; k < end; ++k) {
      double v = y[idx[k]];
      if (!std::isfinite(v)) {
        if (k_gap == end) k_gap = k;
        continue;
      }
      if (k_min == end || v < y[idx[k_min]]) k_min = k;
      if (k_max == end || v > y[idx[k_max]]) k_max = k;
    }
    size_t picks[3] = {k_min, k_max, k_gap};
    std::sort(picks, picks + 3);
    for (size_t j = 0; j < 3; ++j) {
      if (picks[j] == end || (j > 0 && picks[j] == picks[j - 1])) continue;
      emit(picks[j]);
    }
  }
  emit(n - 1);
}

std::string HtmlEscape(const std::string& text) {
  std::string out;
  out.reserve(text.size() + text.size() / 8);
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string RenderHtmlReport(const RunTable& table, const ReportInfo& info) {
  const std::vector<PlotSpec> plots = PlanPlots(table);
  const std::string title = info.title.empty() ? std::string("biotwin run") : info.title;
  std::string html;
  html += "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
          "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
          "<meta name=\"generator\" content=\"biotwin\">\n<title>";
  html += HtmlEscape(title);
  html += "</title>\n<style>";
  html += kReportCss;
  html += "</style>\n</head>\n<body>\n<main>\n<h1>" + HtmlEscape(title) + "</h1>\n";
  if (info.status.rfind("failed", 0) == 0) {
    html += "<div class=\"banner\" role=\"alert\">Run " + HtmlEscape(info.status) + "</div>\n";
  }
  html += "<div class=\"tables\">\n";
  AppendSummary(&html, info);
  AppendTables(&html, info);
  AppendEvents(&html, table, info);
  html += "</div>\n";
  AppendPlots(&html, table, plots);
  html += "<footer>Generated by biotwin. This file is self-contained and works offline.</footer>\n"
          "</main>\n<script type=\"application/json\" id=\"bt-data\">";
  html += BuildJson(table, info, plots);
  html += "</script>\n<script>";
  html += kReportJs;
  html += "</script>\n</body>\n</html>\n";
  return html;
}

void WriteHtmlReport(const RunTable& table, const ReportInfo& info, const std::string& path) {
  WriteFileAtomic(path, RenderHtmlReport(table, info));
}

}  // namespace biotwin::io
