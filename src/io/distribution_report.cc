#include "io/distribution_report.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "io/html_report.h"
#include "io/report_assets.h"

namespace biotwin::io {
namespace {

std::string Num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.4g", v);
  return buf;
}

double Percentile(const std::vector<double>& sorted, double q) {
  if (sorted.size() == 1) return sorted[0];
  double pos = q * static_cast<double>(sorted.size() - 1);
  size_t i = static_cast<size_t>(pos);
  if (i + 1 >= sorted.size()) return sorted.back();
  return sorted[i] + (pos - static_cast<double>(i)) * (sorted[i + 1] - sorted[i]);
}

// Histogram with about sqrt(n) bins (5..40), drawn as SVG bars with axis labels and the mean.
std::string Histogram(const MetricSamples& m, const DistributionStats& s) {
  std::vector<double> v;
  for (double x : m.values) {
    if (std::isfinite(x)) v.push_back(x);
  }
  const int bins = std::clamp(static_cast<int>(std::sqrt(static_cast<double>(v.size()))), 5, 40);
  double lo = s.min, hi = s.max;
  if (hi <= lo) {
    lo -= 0.5 * std::max(1e-12, std::abs(lo));
    hi += 0.5 * std::max(1e-12, std::abs(hi));
  }
  std::vector<int> count(bins, 0);
  for (double x : v) {
    int b = static_cast<int>((x - lo) / (hi - lo) * bins);
    count[std::clamp(b, 0, bins - 1)]++;
  }
  const int peak = std::max(1, *std::max_element(count.begin(), count.end()));
  const double W = 560, H = 220, L = 50, B = 40, T = 10, R = 10;
  const double pw = W - L - R, ph = H - T - B;
  std::string svg = "<svg viewBox=\"0 0 560 220\" width=\"560\" height=\"220\" role=\"img\" "
                    "aria-label=\"histogram of " + HtmlEscape(m.name) + "\">";
  for (int b = 0; b < bins; ++b) {
    double x = L + pw * b / bins, w = pw / bins, h = ph * count[b] / peak;
    svg += "<rect x=\"" + Num(x + 0.5) + "\" y=\"" + Num(T + ph - h) + "\" width=\"" +
           Num(std::max(0.5, w - 1)) + "\" height=\"" + Num(h) +
           "\" fill=\"#4c78a8\"><title>" + Num(lo + (hi - lo) * b / bins) + " to " +
           Num(lo + (hi - lo) * (b + 1) / bins) + " " + HtmlEscape(m.unit) + ": " +
           std::to_string(count[b]) + " batches</title></rect>";
  }
  double mx = L + pw * (s.mean - lo) / (hi - lo);
  svg += "<line x1=\"" + Num(mx) + "\" x2=\"" + Num(mx) + "\" y1=\"" + Num(T) + "\" y2=\"" +
         Num(T + ph) + "\" stroke=\"#e45756\" stroke-dasharray=\"4 3\"/>";
  svg += "<line x1=\"" + Num(L) + "\" x2=\"" + Num(L + pw) + "\" y1=\"" + Num(T + ph) +
         "\" y2=\"" + Num(T + ph) + "\" stroke=\"#333\"/>";
  for (int k = 0; k <= 4; ++k) {
    double x = L + pw * k / 4;
    svg += "<text x=\"" + Num(x) + "\" y=\"" + Num(T + ph + 16) +
           "\" font-size=\"11\" text-anchor=\"middle\">" + Num(lo + (hi - lo) * k / 4) + "</text>";
  }
  svg += "<text x=\"" + Num(L + pw / 2) + "\" y=\"" + Num(H - 4) +
         "\" font-size=\"12\" text-anchor=\"middle\">" + HtmlEscape(m.name + " [" + m.unit + "]") +
         "</text>";
  svg += "<text x=\"12\" y=\"" + Num(T + ph / 2) +
         "\" font-size=\"12\" text-anchor=\"middle\" transform=\"rotate(-90 12 " +
         Num(T + ph / 2) + ")\">batches</text>";
  svg += "<text x=\"" + Num(L - 4) + "\" y=\"" + Num(T + 10) +
         "\" font-size=\"11\" text-anchor=\"end\">" + std::to_string(peak) + "</text>";
  svg += "</svg>";
  return svg;
}

}  // namespace

DistributionStats Describe(const std::vector<double>& values) {
  std::vector<double> v;
  for (double x : values) {
    if (std::isfinite(x)) v.push_back(x);
  }
  DistributionStats s;
  s.n = v.size();
  if (v.empty()) return s;
  std::sort(v.begin(), v.end());
  double sum = 0;
  for (double x : v) sum += x;
  s.mean = sum / v.size();
  double q = 0;
  for (double x : v) q += (x - s.mean) * (x - s.mean);
  s.sd = v.size() > 1 ? std::sqrt(q / (v.size() - 1)) : 0.0;
  s.min = v.front();
  s.max = v.back();
  s.p5 = Percentile(v, 0.05);
  s.p50 = Percentile(v, 0.5);
  s.p95 = Percentile(v, 0.95);
  return s;
}

std::string RenderDistributionReport(const DistributionReport& r) {
  std::string html =
      "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
      "<meta name=\"generator\" content=\"biotwin\">\n<title>" + HtmlEscape(r.title) +
      "</title>\n<style>" + std::string(kReportCss) + "</style>\n</head>\n<body>\n<main>\n<h1>" +
      HtmlEscape(r.title) + "</h1>\n";
  if (!r.failures.empty()) {
    html += "<div class=\"banner\" role=\"alert\">" + std::to_string(r.failures.size()) +
            " batch(es) failed; they are listed below and left out of the statistics.</div>\n";
  }
  html += "<h2>Summary</h2>\n<table class=\"summary\"><tbody>\n";
  for (const auto& [k, v] : r.summary) {
    html += "<tr><td class=\"key\">" + HtmlEscape(k) + "</td><td>" + HtmlEscape(v) + "</td></tr>\n";
  }
  html += "</tbody></table>\n<h2>Statistics</h2>\n<table class=\"events\"><thead><tr><th>metric"
          "</th><th>n</th><th>mean</th><th>sd</th><th>min</th><th>5 %</th><th>median</th>"
          "<th>95 %</th><th>max</th></tr></thead><tbody>\n";
  std::vector<DistributionStats> stats;
  for (const auto& m : r.metrics) {
    DistributionStats s = Describe(m.values);
    stats.push_back(s);
    html += "<tr><td>" + HtmlEscape(m.name + " [" + m.unit + "]") + "</td><td class=\"num\">" +
            std::to_string(s.n) + "</td>";
    for (double v : {s.mean, s.sd, s.min, s.p5, s.p50, s.p95, s.max}) {
      html += "<td class=\"num\">" + (s.n ? Num(v) : std::string("-")) + "</td>";
    }
    html += "</tr>\n";
  }
  html += "</tbody></table>\n";
  for (size_t i = 0; i < r.metrics.size(); ++i) {
    html += "<section class=\"group\"><h2>" + HtmlEscape(r.metrics[i].name) + "</h2>\n";
    if (stats[i].n == 0) {
      html += "<p class=\"muted\">No completed batch.</p>";
    } else {
      html += "<figure>" + Histogram(r.metrics[i], stats[i]) +
              "<figcaption class=\"muted\">Dashed line: mean.</figcaption></figure>";
    }
    html += "</section>\n";
  }
  if (!r.failures.empty()) {
    html += "<h2>Failed batches</h2>\n<table class=\"events\"><thead><tr><th>batch</th>"
            "<th>reason</th></tr></thead><tbody>\n";
    for (const auto& [label, why] : r.failures) {
      html += "<tr><td>" + HtmlEscape(label) + "</td><td>" + HtmlEscape(why) + "</td></tr>\n";
    }
    html += "</tbody></table>\n";
  }
  html += "<footer>Generated by biotwin. This file is self-contained and works offline.</footer>\n"
          "</main>\n</body>\n</html>\n";
  return html;
}

}  // namespace biotwin::io
