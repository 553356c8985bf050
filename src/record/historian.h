// Process-data historian: time series of (tag, time, value, unit, quality, source). Ingest is
// batched (one transaction and one audit entry per call, carrying a SHA-256 digest of the rows;
// multi-row prepared inserts) and queries return raw ranges or per-bucket aggregates.
// Time is in seconds: UNIX epoch UTC for plant data, seconds from batch start for batch series.
#ifndef BIOTWIN_RECORD_HISTORIAN_H_
#define BIOTWIN_RECORD_HISTORIAN_H_

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "record/users_permissions.h"

namespace biotwin::record {

class RecordStore;

// Quality codes follow OPC UA's coarse classes; Bad and Uncertain values are stored, never dropped.
inline constexpr int kQualityBad = 0;
inline constexpr int kQualityUncertain = 64;
inline constexpr int kQualityGood = 192;

struct Sample {
  std::string tag;
  std::string unit;
  double t = 0;
  double value = 0;
  int quality = kQualityGood;
  std::string source;
};

struct IngestSummary {
  int64_t rows = 0;
  int64_t audit_seq = 0;
  std::string digest;  // SHA-256 hex of the canonical rows, also in the audit entry
};

struct SeriesPoint {
  double t = 0;
  double value = 0;
  int quality = kQualityGood;
  std::string source;
};

struct Bucket {
  double t_start = 0;
  int64_t count = 0;
  double min = 0;
  double max = 0;
  double mean = 0;
};

struct AggregateOptions {
  double bucket_seconds = 60;
  bool include_non_good = false;  // Bad/Uncertain values excluded from aggregates by default
};

class Historian {
 public:
  explicit Historian(RecordStore& store) : store_(store) {}

  // Writes all rows in one transaction (fail closed: all or nothing). A tag keeps the unit it was
  // created with; a row with another unit is refused (kInvalidArgument).
  IngestSummary Ingest(const Principal& who, std::span<const Sample> rows,
                       std::optional<int64_t> batch_id = std::nullopt,
                       std::string_view reason = "historian ingest");
  // Same inside a caller's open transaction (used by the batch record); no audit entry is written
  // here: the caller records one with the returned digest.
  IngestSummary IngestInTransaction(std::span<const Sample> rows, std::optional<int64_t> batch_id);

  std::vector<SeriesPoint> Range(const Principal& who, std::string_view tag, double t0, double t1);
  std::vector<Bucket> Aggregate(const Principal& who, std::string_view tag, double t0, double t1,
                                const AggregateOptions& options = {});
  std::optional<std::string> UnitOf(std::string_view tag);
  std::vector<std::string> TagsOfBatch(int64_t batch_id);
  std::vector<SeriesPoint> BatchSeries(int64_t batch_id, std::string_view tag);

 private:
  int64_t TagId(const std::string& tag, const std::string& unit);
  int64_t SourceId(const std::string& source);
  RecordStore& store_;
  std::unordered_map<std::string, std::pair<int64_t, std::string>> tags_;  // name -> (id, unit)
  std::unordered_map<std::string, int64_t> sources_;
};

}  // namespace biotwin::record

#endif  // BIOTWIN_RECORD_HISTORIAN_H_
