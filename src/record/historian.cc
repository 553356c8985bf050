#include "record/historian.h"

#include <sodium.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

#include "record/audit.h"
#include "record/crypto.h"
#include "record/error.h"
#include "record/record_store.h"

namespace biotwin::record {

namespace {

constexpr int kRowsPerInsert = 64;  // rows per multi-row INSERT (6 parameters each)

std::string MultiInsertSql(int rows) {
  std::string sql = "INSERT INTO ts_sample(tag_id, t, value, quality, source_id, batch_id) VALUES ";
  for (int i = 0; i < rows; ++i) sql += i ? ",(?,?,?,?,?,?)" : "(?,?,?,?,?,?)";
  return sql;
}

void HashRow(crypto_hash_sha256_state* st, const Sample& s) {
  // tag \0 unit \0 source \0 then t, value as IEEE bits and quality: exact, no rounding.
  crypto_hash_sha256_update(st, reinterpret_cast<const unsigned char*>(s.tag.data()), s.tag.size() + 0);
  unsigned char zero = 0;
  crypto_hash_sha256_update(st, &zero, 1);
  crypto_hash_sha256_update(st, reinterpret_cast<const unsigned char*>(s.unit.data()), s.unit.size());
  crypto_hash_sha256_update(st, &zero, 1);
  crypto_hash_sha256_update(st, reinterpret_cast<const unsigned char*>(s.source.data()), s.source.size());
  crypto_hash_sha256_update(st, &zero, 1);
  unsigned char buf[20];
  std::memcpy(buf, &s.t, 8);
  std::memcpy(buf + 8, &s.value, 8);
  int32_t q = s.quality;
  std::memcpy(buf + 16, &q, 4);
  crypto_hash_sha256_update(st, buf, sizeof buf);
}

}  // namespace

int64_t Historian::TagId(const std::string& tag, const std::string& unit) {
  auto it = tags_.find(tag);
  if (it == tags_.end()) {
    auto& q = store_.db().Cached("SELECT id, unit FROM ts_tag WHERE name = ?");
    q.Bind(tag);
    if (q.Step()) {
      it = tags_.emplace(tag, std::make_pair(q.ColumnInt(0), q.ColumnText(1))).first;
      q.Reset();
    } else {
      q.Reset();
      if (tag.empty()) throw Error(ErrorCode::kInvalidArgument, "empty tag name");
      store_.db().Cached("INSERT INTO ts_tag(name, unit) VALUES (?, ?)").Bind(tag, unit).Run();
      it = tags_.emplace(tag, std::make_pair(store_.db().LastInsertId(), unit)).first;
    }
  }
  if (it->second.second != unit) {
    throw Error(ErrorCode::kInvalidArgument, "tag '" + tag + "' is recorded in [" +
                                                 it->second.second + "], not [" + unit + "]");
  }
  return it->second.first;
}

int64_t Historian::SourceId(const std::string& source) {
  auto it = sources_.find(source);
  if (it != sources_.end()) return it->second;
  auto& q = store_.db().Cached("SELECT id FROM ts_source WHERE name = ?");
  q.Bind(source);
  int64_t id;
  if (q.Step()) {
    id = q.ColumnInt(0);
    q.Reset();
  } else {
    q.Reset();
    store_.db().Cached("INSERT INTO ts_source(name) VALUES (?)").Bind(source).Run();
    id = store_.db().LastInsertId();
  }
  sources_.emplace(source, id);
  return id;
}

IngestSummary Historian::IngestInTransaction(std::span<const Sample> rows,
                                             std::optional<int64_t> batch_id) {
  EnsureSodium();
  IngestSummary out;
  crypto_hash_sha256_state st;
  crypto_hash_sha256_init(&st);
  Statement& multi = store_.db().Cached(MultiInsertSql(kRowsPerInsert));
  size_t i = 0;
  auto bind_row = [&](Statement& stmt, int base, const Sample& s) {
    stmt.BindInt(base + 1, TagId(s.tag, s.unit));
    stmt.BindDouble(base + 2, s.t);
    stmt.BindDouble(base + 3, s.value);
    stmt.BindInt(base + 4, s.quality);
    stmt.BindInt(base + 5, SourceId(s.source));
    if (batch_id) stmt.BindInt(base + 6, *batch_id); else stmt.BindNull(base + 6);
    HashRow(&st, s);
  };
  for (; i + kRowsPerInsert <= rows.size(); i += kRowsPerInsert) {
    multi.Reset();
    for (int k = 0; k < kRowsPerInsert; ++k) bind_row(multi, 6 * k, rows[i + k]);
    multi.Run();
  }
  if (i < rows.size()) {
    Statement& single = store_.db().Cached(MultiInsertSql(1));
    for (; i < rows.size(); ++i) {
      single.Reset();
      bind_row(single, 0, rows[i]);
      single.Run();
    }
  }
  unsigned char digest[crypto_hash_sha256_BYTES];
  crypto_hash_sha256_final(&st, digest);
  out.rows = static_cast<int64_t>(rows.size());
  out.digest = ToHex(std::string_view(reinterpret_cast<char*>(digest), sizeof digest));
  return out;
}

IngestSummary Historian::Ingest(const Principal& who, std::span<const Sample> rows,
                                std::optional<int64_t> batch_id, std::string_view reason) {
  RequirePermission(who, Action::kHistorianWrite);
  if (rows.empty()) return {};
  auto tags_backup = tags_;
  auto sources_backup = sources_;
  try {
    AuditedTransaction tx(store_, who, reason);
    IngestSummary out = IngestInTransaction(rows, batch_id);
    double t0 = std::numeric_limits<double>::infinity(), t1 = -t0;
    for (const auto& s : rows) {
      t0 = std::min(t0, s.t);
      t1 = std::max(t1, s.t);
    }
    out.audit_seq = tx.Record({"create", "historian", batch_id ? "batch:" + std::to_string(*batch_id) : "",
                               "samples", std::nullopt,
                               "rows=" + std::to_string(out.rows) + "; t=[" + std::to_string(t0) +
                                   ", " + std::to_string(t1) + "]; sha256=" + out.digest});
    tx.Commit();
    return out;
  } catch (...) {
    tags_ = std::move(tags_backup);  // IDs created in the rolled-back transaction are gone
    sources_ = std::move(sources_backup);
    throw;
  }
}

std::optional<std::string> Historian::UnitOf(std::string_view tag) {
  auto& q = store_.db().Cached("SELECT unit FROM ts_tag WHERE name = ?");
  q.Bind(tag);
  std::optional<std::string> unit;
  if (q.Step()) unit = q.ColumnText(0);
  q.Reset();
  return unit;
}

std::vector<SeriesPoint> Historian::Range(const Principal& who, std::string_view tag, double t0,
                                          double t1) {
  RequirePermission(who, Action::kHistorianRead);
  auto& q = store_.db().Cached(
      "SELECT s.t, s.value, s.quality, src.name FROM ts_sample s JOIN ts_tag g ON g.id = s.tag_id "
      "JOIN ts_source src ON src.id = s.source_id WHERE g.name = ? AND s.t >= ? AND s.t < ? "
      "ORDER BY s.t");
  q.Bind(tag, t0, t1);
  std::vector<SeriesPoint> out;
  while (q.Step()) {
    out.push_back({q.ColumnDouble(0), q.ColumnIsNull(1) ? std::nan("") : q.ColumnDouble(1),
                   static_cast<int>(q.ColumnInt(2)), q.ColumnText(3)});
  }
  q.Reset();
  return out;
}

std::vector<Bucket> Historian::Aggregate(const Principal& who, std::string_view tag, double t0,
                                         double t1, const AggregateOptions& options) {
  RequirePermission(who, Action::kHistorianRead);
  if (!(options.bucket_seconds > 0)) {
    throw Error(ErrorCode::kInvalidArgument, "bucket_seconds must be positive");
  }
  auto& q = store_.db().Cached(
      "SELECT CAST((s.t - ?1) / ?2 AS INTEGER) AS b, COUNT(*), MIN(s.value), MAX(s.value), "
      "AVG(s.value) FROM ts_sample s JOIN ts_tag g ON g.id = s.tag_id WHERE g.name = ?3 AND "
      "s.t >= ?1 AND s.t < ?4 AND (?5 OR s.quality >= 192) GROUP BY b ORDER BY b");
  q.Reset();
  q.BindDouble(1, t0);
  q.BindDouble(2, options.bucket_seconds);
  q.BindText(3, tag);
  q.BindDouble(4, t1);
  q.BindInt(5, options.include_non_good ? 1 : 0);
  std::vector<Bucket> out;
  while (q.Step()) {
    Bucket b;
    b.t_start = t0 + static_cast<double>(q.ColumnInt(0)) * options.bucket_seconds;
    b.count = q.ColumnInt(1);
    b.min = q.ColumnDouble(2);
    b.max = q.ColumnDouble(3);
    b.mean = q.ColumnDouble(4);
    out.push_back(b);
  }
  q.Reset();
  return out;
}

std::vector<std::string> Historian::TagsOfBatch(int64_t batch_id) {
  auto& q = store_.db().Cached(
      "SELECT DISTINCT g.name FROM ts_sample s JOIN ts_tag g ON g.id = s.tag_id "
      "WHERE s.batch_id = ? ORDER BY g.name");
  q.Bind(batch_id);
  std::vector<std::string> out;
  while (q.Step()) out.push_back(q.ColumnText(0));
  q.Reset();
  return out;
}

std::vector<SeriesPoint> Historian::BatchSeries(int64_t batch_id, std::string_view tag) {
  auto& q = store_.db().Cached(
      "SELECT s.t, s.value, s.quality, src.name FROM ts_sample s JOIN ts_tag g ON g.id = s.tag_id "
      "JOIN ts_source src ON src.id = s.source_id WHERE s.batch_id = ? AND g.name = ? "
      "ORDER BY s.t, s.rowid");
  q.Bind(batch_id, tag);
  std::vector<SeriesPoint> out;
  while (q.Step()) {
    out.push_back({q.ColumnDouble(0), q.ColumnIsNull(1) ? std::nan("") : q.ColumnDouble(1),
                   static_cast<int>(q.ColumnInt(2)), q.ColumnText(3)});
  }
  q.Reset();
  return out;
}

}  // namespace biotwin::record
