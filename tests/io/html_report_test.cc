#include "io/html_report.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>
#include <string>

#include "test_paths.h"

namespace biotwin::io {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

RunTable DemoTable(size_t n = 41) {
  RunTable t;
  Series x{"X", "g/L", "state", "biomass concentration", {}};
  Series s{"S", "g/L", "state", "", {}};
  Series mu{"mu", "1/h", "output", "", {}};
  Series f{"F_in", "L/h", "input", "", {}};
  Series x_ref{"X", "g/L", "reference", "", {}};
  for (size_t i = 0; i < n; ++i) {
    double time = 40.0 * i / (n - 1);
    t.time.push_back(time);
    x.values.push_back(0.1 * std::exp(0.1 * time));
    s.values.push_back(i == 5 ? kNaN : 20.0 - 0.4 * time);
    mu.values.push_back(0.25);  // constant
    f.values.push_back(time < 20 ? 0.0 : 0.05);
    x_ref.values.push_back(i % 10 == 0 ? 0.11 * std::exp(0.1 * time) : kNaN);
  }
  t.columns = {x, s, mu, f, x_ref};
  return t;
}

ReportInfo DemoInfo() {
  ReportInfo info;
  info.title = "biotwin run: ecoli <demo>";
  info.summary = {{"model", "ecoli_anane2017"}, {"solver", "CVODES & BDF"}};
  info.events = {{20.0, "feed start"}, {30.0, "bolus <glucose> 20 mL"}};
  return info;
}

size_t CountOf(const std::string& text, const std::string& needle) {
  size_t n = 0;
  for (size_t pos = text.find(needle); pos != std::string::npos;
       pos = text.find(needle, pos + needle.size())) {
    ++n;
  }
  return n;
}

// The JSON text embedded in the report.
std::string EmbeddedJson(const std::string& html) {
  const std::string open = "<script type=\"application/json\" id=\"bt-data\">";
  size_t a = html.find(open);
  EXPECT_NE(a, std::string::npos);
  a += open.size();
  size_t b = html.find("</script>", a);
  return html.substr(a, b - a);
}

TEST(HtmlReportTest, EscapesText) {
  EXPECT_EQ(HtmlEscape("a<b>&\"c\"'d'"), "a&lt;b&gt;&amp;&quot;c&quot;&#39;d&#39;");
  EXPECT_EQ(HtmlEscape("plain text"), "plain text");
}

TEST(HtmlReportTest, ContainsTitlesTablesAndGroups) {
  std::string html = RenderHtmlReport(DemoTable(), DemoInfo());
  EXPECT_THAT(html, HasSubstr("<!DOCTYPE html>"));
  EXPECT_THAT(html, HasSubstr("<title>biotwin run: ecoli &lt;demo&gt;</title>"));
  EXPECT_THAT(html, HasSubstr("<h1>biotwin run: ecoli &lt;demo&gt;</h1>"));
  // Plot titles "name [unit]"; X is one plot shared by state and reference.
  EXPECT_THAT(html, HasSubstr(">X [g/L]</span>"));
  EXPECT_THAT(html, HasSubstr(">S [g/L]</span>"));
  EXPECT_THAT(html, HasSubstr(">mu [1/h]</span>"));
  EXPECT_THAT(html, HasSubstr(">F_in [L/h]</span>"));
  EXPECT_EQ(CountOf(html, "<figure class=\"plot\""), 4u);
  EXPECT_EQ(CountOf(html, ">X [g/L]</span>"), 1u);
  // Sections per group, in order of first appearance; no separate reference section.
  size_t state = html.find("<h2>state</h2>");
  size_t output = html.find("<h2>output</h2>");
  size_t input = html.find("<h2>input</h2>");
  ASSERT_NE(state, std::string::npos);
  ASSERT_NE(output, std::string::npos);
  ASSERT_NE(input, std::string::npos);
  EXPECT_LT(state, output);
  EXPECT_LT(output, input);
  EXPECT_THAT(html, Not(HasSubstr("<h2>reference</h2>")));
  EXPECT_LT(html.find(">X [g/L]</span>"), output);
  // Summary and events tables, escaped.
  EXPECT_THAT(html, HasSubstr("<td class=\"key\">model</td><td>ecoli_anane2017</td>"));
  EXPECT_THAT(html, HasSubstr("<td>CVODES &amp; BDF</td>"));
  EXPECT_THAT(html, HasSubstr("<td class=\"key\">status</td><td>ok</td>"));
  EXPECT_THAT(html, HasSubstr("<th>t [h]</th><th>event</th>"));
  EXPECT_THAT(html, HasSubstr("<td class=\"num\">20</td><td>feed start</td>"));
  EXPECT_THAT(html, HasSubstr("<td>bolus &lt;glucose&gt; 20 mL</td>"));
  EXPECT_THAT(html, Not(HasSubstr("<glucose>")));
  EXPECT_THAT(html, HasSubstr("title=\"biomass concentration\""));
  EXPECT_THAT(html, Not(HasSubstr("class=\"banner\" role=\"alert\"")));
}

TEST(HtmlReportTest, EmbedsDataAsSafeJson) {
  std::string html = RenderHtmlReport(DemoTable(), DemoInfo());
  std::string json = EmbeddedJson(html);
  EXPECT_THAT(json, HasSubstr("\"t_label\":\"t [h]\""));
  EXPECT_THAT(json, HasSubstr("\"title\":\"X [g/L]\""));
  EXPECT_THAT(json, HasSubstr("\"label\":\"reference\",\"unit\":\"g/L\",\"ref\":true"));
  EXPECT_THAT(json, HasSubstr("\"label\":\"state\",\"unit\":\"g/L\",\"ref\":false"));
  EXPECT_THAT(json, HasSubstr("\"label\":\"feed start\""));
  EXPECT_THAT(json, HasSubstr("bolus \\u003cglucose\\u003e 20 mL"));
  EXPECT_THAT(json, HasSubstr("null"));  // NaN gap in S
  EXPECT_THAT(json, Not(HasSubstr("NaN")));
  EXPECT_THAT(json, Not(HasSubstr("<")));
  // Labels that try to close the script element stay inside the JSON string.
  ReportInfo info = DemoInfo();
  info.events.push_back({1.0, "</script><script>alert(1)</script>"});
  html = RenderHtmlReport(DemoTable(), info);
  EXPECT_THAT(html, Not(HasSubstr("<script>alert(1)")));
  EXPECT_EQ(CountOf(html, "</script>"), 2u);
}

TEST(HtmlReportTest, SelfContainedWithoutNetworkReferences) {
  std::string html = RenderHtmlReport(DemoTable(), DemoInfo());
  EXPECT_THAT(html, Not(HasSubstr("http://")));
  EXPECT_THAT(html, Not(HasSubstr("https://")));
  EXPECT_THAT(html, Not(HasSubstr("src=")));
  EXPECT_THAT(html, Not(HasSubstr("<link")));
  EXPECT_THAT(html, Not(HasSubstr("@import")));
  EXPECT_THAT(html, Not(HasSubstr("url(http")));
  EXPECT_THAT(html, HasSubstr("<style>"));
  EXPECT_THAT(html, HasSubstr("<script>"));
}

TEST(HtmlReportTest, FailedStatusShowsBanner) {
  ReportInfo info = DemoInfo();
  info.status = "failed: CVODES error at t = 12.5 h <too much work>";
  std::string html = RenderHtmlReport(DemoTable(), info);
  EXPECT_THAT(html, HasSubstr("class=\"banner\" role=\"alert\">Run failed: CVODES error at t = "
                              "12.5 h &lt;too much work&gt;</div>"));
  EXPECT_LT(html.find("role=\"alert\""), html.find("<h2>Summary</h2>"));
}

TEST(HtmlReportTest, HandlesEmptyTable) {
  RunTable empty;
  ReportInfo info;
  info.title = "nothing";
  std::string html = RenderHtmlReport(empty, info);
  EXPECT_THAT(html, HasSubstr("No time series in this run."));
  EXPECT_THAT(html, HasSubstr("No events."));
  EXPECT_THAT(EmbeddedJson(html), HasSubstr("\"t_min\":null"));
}

TEST(HtmlReportTest, DecimationKeepsSmallSeries) {
  std::vector<double> t = {0, 1, 2}, y = {1, kNaN, 3}, t_out, y_out;
  DecimateMinMax(t, y, kMaxReportPoints, &t_out, &y_out);
  EXPECT_EQ(t_out, t);
  ASSERT_EQ(y_out.size(), 3u);
  EXPECT_TRUE(std::isnan(y_out[1]));
}

TEST(HtmlReportTest, DecimationKeepsMinMaxAndBound) {
  const size_t n = 100000;
  std::vector<double> t(n), y(n), t_out, y_out;
  for (size_t i = 0; i < n; ++i) {
    t[i] = 0.01 * i;
    y[i] = std::sin(0.001 * i);
  }
  y[12345] = 50.0;   // a one-sample spike
  y[67890] = -40.0;  // and a dip
  DecimateMinMax(t, y, kMaxReportPoints, &t_out, &y_out);
  EXPECT_LE(t_out.size(), kMaxReportPoints);
  EXPECT_GE(t_out.size(), kMaxReportPoints - 10);
  ASSERT_EQ(t_out.size(), y_out.size());
  EXPECT_EQ(t_out.front(), t.front());
  EXPECT_EQ(t_out.back(), t.back());
  EXPECT_TRUE(std::is_sorted(t_out.begin(), t_out.end()));
  EXPECT_EQ(*std::max_element(y_out.begin(), y_out.end()), 50.0);
  EXPECT_EQ(*std::min_element(y_out.begin(), y_out.end()), -40.0);
  auto spike = std::find(y_out.begin(), y_out.end(), 50.0);
  EXPECT_EQ(t_out[spike - y_out.begin()], t[12345]);
}

TEST(HtmlReportTest, DecimationKeepsGaps) {
  const size_t n = 50000;
  std::vector<double> t(n), y(n), t_out, y_out;
  for (size_t i = 0; i < n; ++i) {
    t[i] = i;
    y[i] = (i >= 20000 && i < 30000) ? kNaN : static_cast<double>(i % 7);
  }
  DecimateMinMax(t, y, kMaxReportPoints, &t_out, &y_out);
  EXPECT_LE(t_out.size(), kMaxReportPoints);
  size_t gaps = std::count_if(y_out.begin(), y_out.end(), [](double v) { return std::isnan(v); });
  EXPECT_GT(gaps, 0u);
  double lo = 1e9, hi = -1e9;
  for (double v : y_out) {
    if (std::isnan(v)) continue;
    lo = std::min(lo, v);
    hi = std::max(hi, v);
  }
  EXPECT_EQ(lo, 0.0);
  EXPECT_EQ(hi, 6.0);
  // No finite value is reported inside the gap.
  for (size_t i = 0; i < t_out.size(); ++i) {
    if (t_out[i] >= 20000 && t_out[i] < 30000) {
      EXPECT_TRUE(std::isnan(y_out[i])) << t_out[i];
    }
  }
}

TEST(HtmlReportTest, LargeTableIsDecimatedInReport) {
  RunTable table = DemoTable(20001);
  table.columns[1].values[7777] = 1000.0;  // spike in S
  std::string json = EmbeddedJson(RenderHtmlReport(table, DemoInfo()));
  EXPECT_THAT(json, HasSubstr(",1000,"));
  EXPECT_LT(json.size(), 5u * 2 * kMaxReportPoints * 20);
}

TEST(HtmlReportTest, WriteHtmlReportWritesFile) {
  const std::string path = testing::TempDir() + "/report.html";
  WriteHtmlReport(DemoTable(), DemoInfo(), path);
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  EXPECT_EQ(ss.str(), RenderHtmlReport(DemoTable(), DemoInfo()));
  EXPECT_FALSE(std::filesystem::exists(path + ".tmp"));
  EXPECT_THROW(WriteHtmlReport(DemoTable(), DemoInfo(), testing::TempDir() + "/x/y/r.html"),
               std::runtime_error);
}

}  // namespace
}  // namespace biotwin::io
