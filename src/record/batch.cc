#include "record/batch.h"

#include <cmath>

#include "record/audit.h"
#include "record/crypto.h"
#include "record/error.h"
#include "record/historian.h"
#include "record/record_store.h"

namespace biotwin::record {

const char* BatchStatusName(BatchStatus s) {
  switch (s) {
    case BatchStatus::kRunning: return "running";
    case BatchStatus::kCompleted: return "completed";
    case BatchStatus::kFailed: return "failed";
  }
  return "?";
}

namespace {

BatchStatus ParseStatus(const std::string& s) {
  if (s == "completed") return BatchStatus::kCompleted;
  if (s == "failed") return BatchStatus::kFailed;
  return BatchStatus::kRunning;
}

std::string Id(int64_t id) { return std::to_string(id); }

void Field(std::string& out, std::string_view v) {
  out += std::to_string(v.size());
  out += ':';
  out.append(v);
  out += ';';
}

std::string Exact(double v) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

}  // namespace

BatchHeader Batches::Header(int64_t batch_id) {
  auto& q = store_.db().Cached(
      "SELECT id, name, status, status_message, model_name, model_version, model_hash, "
      "recipe_snapshot, recipe_hash, started_utc, finished_utc, created_by FROM batch WHERE id = ?");
  q.Bind(batch_id);
  if (!q.Step()) {
    q.Reset();
    throw Error(ErrorCode::kNotFound, "no batch " + Id(batch_id));
  }
  BatchHeader h;
  h.id = q.ColumnInt(0);
  h.name = q.ColumnText(1);
  h.status = ParseStatus(q.ColumnText(2));
  h.status_message = q.ColumnText(3);
  h.model_name = q.ColumnText(4);
  h.model_version = q.ColumnText(5);
  h.model_hash = q.ColumnText(6);
  h.recipe_snapshot = q.ColumnText(7);
  h.recipe_hash = q.ColumnText(8);
  h.started_utc = q.ColumnText(9);
  h.finished_utc = q.ColumnOptText(10);
  h.created_by = q.ColumnText(11);
  q.Reset();
  return h;
}

void Batches::RequireRunning(const BatchHeader& h) {
  if (h.status != BatchStatus::kRunning) {
    throw Error(ErrorCode::kIllegalState, "batch " + Id(h.id) + " is " + BatchStatusName(h.status) +
                                              "; a finished batch takes no new data");
  }
}

int64_t Batches::Start(const Principal& who, const BatchStart& start) {
  RequirePermission(who, Action::kBatchCreate);
  if (start.name.empty()) throw Error(ErrorCode::kInvalidArgument, "batch name required");
  if (start.model_name.empty() || start.model_version.empty()) {
    throw Error(ErrorCode::kInvalidArgument, "model name and version required (P11-10)");
  }
  AuditedTransaction tx(store_, who, "batch started");
  int64_t id = StartIn(tx, start);
  tx.Commit();
  return id;
}

int64_t Batches::StartIn(AuditedTransaction& tx, const BatchStart& start) {
  if (start.name.empty()) throw Error(ErrorCode::kInvalidArgument, "batch name required");
  if (start.model_name.empty() || start.model_version.empty()) {
    throw Error(ErrorCode::kInvalidArgument, "model name and version required (P11-10)");
  }
  const Principal& who = tx.who();
  std::string recipe_hash = Sha256Hex(start.recipe_snapshot);
  tx.db()
      .Cached("INSERT INTO batch(name, status, model_name, model_version, model_hash, "
              "recipe_snapshot, recipe_hash, started_utc, created_by) VALUES (?,?,?,?,?,?,?,?,?)")
      .Bind(start.name, "running", start.model_name, start.model_version, start.model_hash,
            start.recipe_snapshot, recipe_hash, UtcNowIso(), who.username())
      .Run();
  int64_t id = tx.db().LastInsertId();
  tx.Record({"create", "batch", Id(id), "", std::nullopt,
             "name=" + start.name + "; model=" + start.model_name + " " + start.model_version +
                 " (" + start.model_hash + "); recipe_sha256=" + recipe_hash});
  for (const auto& in : start.inputs) {
    tx.db()
        .Cached("INSERT INTO batch_input(batch_id, name, value, unit) VALUES (?,?,?,?)")
        .Bind(id, in.name, in.value, in.unit)
        .Run();
    tx.Record({"create", "batch_input", Id(id) + "/" + in.name, "value", std::nullopt,
               in.value + " [" + in.unit + "]"});
  }
  return id;
}

void Batches::AppendSeries(const Principal& who, int64_t batch_id, std::string_view tag,
                           std::string_view unit, std::span<const double> t,
                           std::span<const double> values, std::string_view source) {
  RequirePermission(who, Action::kBatchRecordData);
  if (t.size() != values.size()) {
    throw Error(ErrorCode::kInvalidArgument, "times and values differ in length");
  }
  RequireRunning(Header(batch_id));
  std::vector<Sample> rows;
  rows.reserve(t.size());
  for (size_t i = 0; i < t.size(); ++i) {
    int quality = std::isfinite(values[i]) ? kQualityGood : kQualityBad;
    rows.push_back({std::string(tag), std::string(unit), t[i], values[i], quality, std::string(source)});
  }
  store_.historian().Ingest(who, rows, batch_id, "batch data: " + std::string(tag));
}

void Batches::AppendSamples(const Principal& who, int64_t batch_id, std::span<const Sample> rows) {
  RequirePermission(who, Action::kBatchRecordData);
  RequireRunning(Header(batch_id));
  store_.historian().Ingest(who, rows, batch_id, "batch data");
}

int64_t Batches::AppendEvent(const Principal& who, int64_t batch_id, double t,
                             std::string_view kind, std::string_view message) {
  RequirePermission(who, Action::kBatchRecordData);
  RequireRunning(Header(batch_id));
  AuditedTransaction tx(store_, who, "batch event");
  tx.db()
      .Cached("INSERT INTO batch_event(batch_id, t, utc, kind, message, username) VALUES (?,?,?,?,?,?)")
      .Bind(batch_id, t, UtcNowIso(), kind, message, who.username())
      .Run();
  int64_t id = tx.db().LastInsertId();
  tx.Record({"create", "batch_event", Id(batch_id) + "/" + Id(id), "", std::nullopt,
             std::string(kind) + " @t=" + Exact(t) + ": " + std::string(message)});
  tx.Commit();
  return id;
}

int64_t Batches::RecordDeviation(const Principal& who, int64_t batch_id, std::string_view severity,
                                 std::string_view description, std::string_view reason) {
  RequirePermission(who, Action::kDeviationRecord);
  if (severity != "minor" && severity != "major" && severity != "critical") {
    throw Error(ErrorCode::kInvalidArgument, "severity must be minor, major or critical");
  }
  Header(batch_id);
  AuditedTransaction tx(store_, who, reason);
  tx.db()
      .Cached("INSERT INTO batch_deviation(batch_id, utc, severity, description, username) "
              "VALUES (?,?,?,?,?)")
      .Bind(batch_id, UtcNowIso(), severity, description, who.username())
      .Run();
  int64_t id = tx.db().LastInsertId();
  tx.Record({"create", "batch_deviation", Id(batch_id) + "/" + Id(id), "", std::nullopt,
             std::string(severity) + ": " + std::string(description)});
  tx.Commit();
  return id;
}

void Batches::CorrectInput(const Principal& who, int64_t batch_id, std::string_view name,
                           std::string_view new_value, std::string_view reason) {
  RequirePermission(who, Action::kBatchEdit);
  Header(batch_id);
  AuditedTransaction tx(store_, who, reason);
  auto& q = tx.db().Cached("SELECT value, unit FROM batch_input WHERE batch_id = ? AND name = ?");
  q.Bind(batch_id, name);
  if (!q.Step()) {
    q.Reset();
    throw Error(ErrorCode::kNotFound, "batch " + Id(batch_id) + " has no input '" + std::string(name) + "'");
  }
  std::string old_value = q.ColumnText(0), unit = q.ColumnText(1);
  q.Reset();
  tx.db()
      .Cached("UPDATE batch_input SET value = ? WHERE batch_id = ? AND name = ?")
      .Bind(new_value, batch_id, name)
      .Run();
  tx.Record({"modify", "batch_input", Id(batch_id) + "/" + std::string(name), "value",
             old_value + " [" + unit + "]", std::string(new_value) + " [" + unit + "]"});
  tx.Commit();
}

void Batches::Finish(const Principal& who, int64_t batch_id, BatchStatus status,
                     std::string_view message) {
  RequirePermission(who, Action::kBatchFinish);
  if (status == BatchStatus::kRunning) {
    throw Error(ErrorCode::kInvalidArgument, "finish with completed or failed");
  }
  RequireRunning(Header(batch_id));
  AuditedTransaction tx(store_, who, "batch finished");
  tx.db()
      .Cached("UPDATE batch SET status = ?, status_message = ?, finished_utc = ? WHERE id = ?")
      .Bind(BatchStatusName(status), message, UtcNowIso(), batch_id)
      .Run();
  tx.Record({"modify", "batch", Id(batch_id), "status", "running",
             std::string(BatchStatusName(status)) + ": " + std::string(message)});
  tx.Commit();
}

BatchRecord Batches::Load(int64_t batch_id) {
  BatchRecord r;
  r.header = Header(batch_id);
  auto& qi = store_.db().Cached("SELECT name, value, unit FROM batch_input WHERE batch_id = ? ORDER BY name");
  qi.Bind(batch_id);
  while (qi.Step()) r.inputs.push_back({qi.ColumnText(0), qi.ColumnText(1), qi.ColumnText(2)});
  qi.Reset();
  auto& qe = store_.db().Cached(
      "SELECT id, t, utc, kind, message, username FROM batch_event WHERE batch_id = ? ORDER BY id");
  qe.Bind(batch_id);
  while (qe.Step()) {
    r.events.push_back({qe.ColumnInt(0), qe.ColumnDouble(1), qe.ColumnText(2), qe.ColumnText(3),
                        qe.ColumnText(4), qe.ColumnText(5)});
  }
  qe.Reset();
  auto& qd = store_.db().Cached(
      "SELECT id, utc, severity, description, username FROM batch_deviation WHERE batch_id = ? ORDER BY id");
  qd.Bind(batch_id);
  while (qd.Step()) {
    r.deviations.push_back({qd.ColumnInt(0), qd.ColumnText(1), qd.ColumnText(2), qd.ColumnText(3),
                            qd.ColumnText(4)});
  }
  qd.Reset();
  return r;
}

std::vector<BatchHeader> Batches::List() {
  std::vector<int64_t> ids;
  auto& q = store_.db().Cached("SELECT id FROM batch ORDER BY id");
  while (q.Step()) ids.push_back(q.ColumnInt(0));
  q.Reset();
  std::vector<BatchHeader> out;
  for (int64_t id : ids) out.push_back(Header(id));
  return out;
}

std::string Batches::ContentHash(int64_t batch_id) {
  BatchRecord r = Load(batch_id);
  const BatchHeader& h = r.header;
  std::string c = "biotwin-batch/v1;";
  for (const std::string& f : {Id(h.id), h.name, std::string(BatchStatusName(h.status)),
                               h.status_message, h.model_name, h.model_version, h.model_hash,
                               h.recipe_hash, h.started_utc, h.finished_utc.value_or("-"),
                               h.created_by}) {
    Field(c, f);
  }
  for (const auto& in : r.inputs) {
    c += "I;";
    Field(c, in.name);
    Field(c, in.value);
    Field(c, in.unit);
  }
  for (const auto& e : r.events) {
    c += "E;";
    for (const std::string& f : {Id(e.id), Exact(e.t), e.utc, e.kind, e.message, e.username}) Field(c, f);
  }
  for (const auto& d : r.deviations) {
    c += "D;";
    for (const std::string& f : {Id(d.id), d.utc, d.severity, d.description, d.username}) Field(c, f);
  }
  for (const auto& tag : store_.historian().TagsOfBatch(batch_id)) {
    c += "T;";
    Field(c, tag);
    Field(c, store_.historian().UnitOf(tag).value_or(""));
    std::string series;
    for (const auto& p : store_.historian().BatchSeries(batch_id, tag)) {
      series += Exact(p.t) + "," + Exact(p.value) + "," + std::to_string(p.quality) + "," + p.source + "\n";
    }
    Field(c, Sha256Hex(series));
  }
  return Sha256Hex(c);
}

}  // namespace biotwin::record
