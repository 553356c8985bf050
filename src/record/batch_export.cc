// Batch record export: JSON (electronic copy) and HTML (human-readable copy with plots,
// signature manifestations and "modified after entry" markers).
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>
#include <sstream>

#include "record/audit.h"
#include "record/batch.h"
#include "record/crypto.h"
#include "record/error.h"
#include "record/historian.h"
#include "record/record_store.h"
#include "record/signature.h"

namespace biotwin::record {

namespace {

std::string Html(std::string_view s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}

bool BelongsTo(const AuditEntry& e, const std::string& id) {
  if (e.object_type == "batch") return e.object_id == id;
  if (e.object_type == "historian") return e.object_id == "batch:" + id;
  if (e.object_type.rfind("batch_", 0) == 0) return e.object_id.rfind(id + "/", 0) == 0;
  return false;
}

std::string Svg(const std::vector<SeriesPoint>& pts) {
  std::vector<const SeriesPoint*> good;
  for (const auto& p : pts) if (std::isfinite(p.value)) good.push_back(&p);
  if (good.size() < 2) return "";
  double t0 = good.front()->t, t1 = good.back()->t, lo = good[0]->value, hi = lo;
  for (auto* p : good) {
    t0 = std::min(t0, p->t); t1 = std::max(t1, p->t);
    lo = std::min(lo, p->value); hi = std::max(hi, p->value);
  }
  if (t1 <= t0) t1 = t0 + 1;
  if (hi <= lo) hi = lo + 1;
  std::ostringstream s;
  s << "<svg width=\"480\" height=\"160\" viewBox=\"0 0 480 160\" role=\"img\"><polyline fill=\"none\" "
       "stroke=\"#1f77b4\" points=\"";
  size_t step = std::max<size_t>(1, good.size() / 1000);
  for (size_t i = 0; i < good.size(); i += step) {
    s << (5 + 470 * (good[i]->t - t0) / (t1 - t0)) << "," << (155 - 150 * (good[i]->value - lo) / (hi - lo)) << " ";
  }
  s << "\"/><text x=\"5\" y=\"12\" font-size=\"10\">max " << hi << "</text><text x=\"5\" y=\"158\" "
       "font-size=\"10\">min " << lo << "</text></svg>";
  return s.str();
}

}  // namespace

std::pair<std::string, std::string> ExportBatch(RecordStore& store, const Principal& who,
                                                int64_t batch_id, const std::string& out_dir) {
  RequirePermission(who, Action::kBatchExport);
  BatchRecord r = store.batches().Load(batch_id);
  const std::string id = std::to_string(batch_id);
  std::vector<AuditEntry> trail;
  for (auto& e : store.audit().EntriesUnchecked()) {
    if (BelongsTo(e, id) || (e.object_type == "batch" && e.object_id == id)) trail.push_back(std::move(e));
  }
  // "modified after entry": objects with a modify entry, mapped to the audit sequence numbers.
  std::map<std::string, std::vector<int64_t>> modified;
  for (const auto& e : trail) {
    if (e.action == "modify" && e.object_type == "batch_input") modified[e.object_id].push_back(e.seq);
  }
  auto checks = store.signatures().Check("batch", id);
  std::string content_hash = store.batches().ContentHash(batch_id);

  nlohmann::json j;
  const auto& h = r.header;
  j["format"] = "biotwin-batch-record/1";
  j["batch"] = {{"id", h.id}, {"name", h.name}, {"status", BatchStatusName(h.status)},
                {"status_message", h.status_message}, {"started_utc", h.started_utc},
                {"finished_utc", h.finished_utc ? nlohmann::json(*h.finished_utc) : nlohmann::json()},
                {"created_by", h.created_by}, {"content_sha256", content_hash}};
  j["model"] = {{"name", h.model_name}, {"version", h.model_version}, {"hash", h.model_hash}};
  j["recipe"] = {{"snapshot", h.recipe_snapshot}, {"sha256", h.recipe_hash}};
  for (const auto& in : r.inputs) {
    auto it = modified.find(id + "/" + in.name);
    j["inputs"].push_back({{"name", in.name}, {"value", in.value}, {"unit", in.unit},
                           {"modified_after_entry", it != modified.end()},
                           {"audit_seqs", it != modified.end() ? nlohmann::json(it->second) : nlohmann::json::array()}});
  }
  for (const auto& e : r.events) {
    j["events"].push_back({{"id", e.id}, {"t", e.t}, {"utc", e.utc}, {"kind", e.kind},
                           {"message", e.message}, {"user", e.username}});
  }
  for (const auto& d : r.deviations) {
    j["deviations"].push_back({{"id", d.id}, {"utc", d.utc}, {"severity", d.severity},
                               {"description", d.description}, {"user", d.username}});
  }
  auto tags = store.historian().TagsOfBatch(batch_id);
  std::map<std::string, std::vector<SeriesPoint>> series;
  for (const auto& tag : tags) {
    auto pts = store.historian().BatchSeries(batch_id, tag);
    nlohmann::json s = {{"tag", tag}, {"unit", store.historian().UnitOf(tag).value_or("")}};
    for (const auto& p : pts) {
      s["t"].push_back(p.t);
      s["value"].push_back(std::isfinite(p.value) ? nlohmann::json(p.value) : nlohmann::json());
      s["quality"].push_back(p.quality);
    }
    j["series"].push_back(s);
    series[tag] = std::move(pts);
  }
  for (const auto& c : checks) {
    const auto& s = c.signature;
    j["signatures"].push_back({{"id", s.id}, {"printed_name", s.printed_name}, {"user", s.username},
                               {"meaning", MeaningName(s.meaning)}, {"utc", s.utc},
                               {"content_sha256", s.content_hash}, {"binding_sha256", s.binding_hash},
                               {"status", SignatureStatusName(c.status)},
                               {"manifestation", s.Manifestation()}});
  }
  for (const auto& e : trail) {
    j["audit_trail"].push_back({{"seq", e.seq}, {"utc", e.utc}, {"user", e.username}, {"role", e.role},
                                {"action", e.action}, {"object", e.object_type + ":" + e.object_id},
                                {"field", e.field},
                                {"old", e.old_value ? nlohmann::json(*e.old_value) : nlohmann::json()},
                                {"new", e.new_value ? nlohmann::json(*e.new_value) : nlohmann::json()},
                                {"reason", e.reason}, {"entry_hash", e.entry_hash}});
  }

  std::ostringstream html;
  html << "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>Batch record " << Html(id) << " "
       << Html(h.name) << "</title><style>body{font-family:sans-serif;margin:2em}table{border-collapse:"
          "collapse}td,th{border:1px solid #999;padding:3px 6px;font-size:13px}.mod{color:#b00;font-weight:"
          "bold}.bad{color:#b00}</style></head><body>\n";
  html << "<h1>Electronic batch record " << h.id << ": " << Html(h.name) << "</h1>\n<table>"
       << "<tr><th>Status</th><td>" << BatchStatusName(h.status) << " " << Html(h.status_message) << "</td></tr>"
       << "<tr><th>Started (UTC)</th><td>" << Html(h.started_utc) << "</td></tr>"
       << "<tr><th>Finished (UTC)</th><td>" << Html(h.finished_utc.value_or("-")) << "</td></tr>"
       << "<tr><th>Created by</th><td>" << Html(h.created_by) << "</td></tr>"
       << "<tr><th>Model</th><td>" << Html(h.model_name) << " " << Html(h.model_version) << " ("
       << Html(h.model_hash) << ")</td></tr>"
       << "<tr><th>Recipe SHA-256</th><td>" << h.recipe_hash << "</td></tr>"
       << "<tr><th>Content SHA-256</th><td>" << content_hash << "</td></tr></table>\n";
  html << "<h2>Signatures</h2>\n<table><tr><th>Printed name</th><th>User</th><th>Meaning</th>"
          "<th>Date/time (UTC)</th><th>Status</th></tr>\n";
  for (const auto& c : checks) {
    const auto& s = c.signature;
    html << "<tr><td>" << Html(s.printed_name) << "</td><td>" << Html(s.username) << "</td><td>"
         << MeaningName(s.meaning) << "</td><td>" << Html(s.utc) << "</td><td"
         << (c.status == SignatureStatus::kValid ? ">" : " class=\"bad\">")
         << SignatureStatusName(c.status) << "</td></tr>\n";
  }
  html << "</table>\n<h2>Inputs</h2>\n<table><tr><th>Name</th><th>Value</th><th>Unit</th><th></th></tr>\n";
  for (const auto& in : r.inputs) {
    auto it = modified.find(id + "/" + in.name);
    html << "<tr><td>" << Html(in.name) << "</td><td>" << Html(in.value) << "</td><td>" << Html(in.unit)
         << "</td><td>";
    if (it != modified.end()) {
      html << "<span class=\"mod\">modified after entry</span> (audit";
      for (int64_t seq : it->second) html << " <a href=\"#audit-" << seq << "\">#" << seq << "</a>";
      html << ")";
    }
    html << "</td></tr>\n";
  }
  html << "</table>\n<h2>Recipe snapshot</h2>\n<pre>" << Html(h.recipe_snapshot) << "</pre>\n";
  html << "<h2>Data</h2>\n";
  for (const auto& [tag, pts] : series) {
    html << "<h3>" << Html(tag) << " [" << Html(store.historian().UnitOf(tag).value_or("")) << "] — "
         << pts.size() << " samples</h3>\n" << Svg(pts) << "\n";
  }
  html << "<h2>Events</h2>\n<table><tr><th>#</th><th>t [s]</th><th>UTC</th><th>Kind</th><th>Message</th>"
          "<th>User</th></tr>\n";
  for (const auto& e : r.events) {
    html << "<tr><td>" << e.id << "</td><td>" << (e.t >= 0 ? std::to_string(e.t) : "-") << "</td><td>"
         << Html(e.utc) << "</td><td>" << Html(e.kind) << "</td><td>" << Html(e.message) << "</td><td>"
         << Html(e.username) << "</td></tr>\n";
  }
  html << "</table>\n<h2>Deviations</h2>\n<table><tr><th>#</th><th>UTC</th><th>Severity</th>"
          "<th>Description</th><th>User</th></tr>\n";
  for (const auto& d : r.deviations) {
    html << "<tr><td>" << d.id << "</td><td>" << Html(d.utc) << "</td><td>" << Html(d.severity)
         << "</td><td>" << Html(d.description) << "</td><td>" << Html(d.username) << "</td></tr>\n";
  }
  html << "</table>\n<h2>Audit trail</h2>\n<table><tr><th>Seq</th><th>UTC</th><th>User</th><th>Action</th>"
          "<th>Object</th><th>Field</th><th>Old</th><th>New</th><th>Reason</th></tr>\n";
  for (const auto& e : trail) {
    html << "<tr id=\"audit-" << e.seq << "\"><td>" << e.seq << "</td><td>" << Html(e.utc) << "</td><td>"
         << Html(e.username) << "</td><td>" << Html(e.action) << "</td><td>" << Html(e.object_type) << ":"
         << Html(e.object_id) << "</td><td>" << Html(e.field) << "</td><td>" << Html(e.old_value.value_or(""))
         << "</td><td>" << Html(e.new_value.value_or("")) << "</td><td>" << Html(e.reason) << "</td></tr>\n";
  }
  html << "</table>\n</body></html>\n";

  std::filesystem::create_directories(out_dir);
  std::string json_path = out_dir + "/batch-" + id + ".json";
  std::string html_path = out_dir + "/batch-" + id + ".html";
  WriteFileAtomic(json_path, j.dump(2) + "\n");
  WriteFileAtomic(html_path, html.str());
  RecordSecurityEvent(store, who,
                      {"export", "batch", id, "", std::nullopt,
                       "json sha256=" + Sha256Hex(j.dump(2) + "\n") + "; html sha256=" + Sha256Hex(html.str())},
                      "batch record export");
  return {json_path, html_path};
}

}  // namespace biotwin::record
