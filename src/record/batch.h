// Electronic batch record (ISA-88 Part 4 style): a batch holds its control recipe snapshot, model
// identity, inputs, time-series data (historian), events, deviations and e-signatures. Every
// write goes through an AuditedTransaction; corrections after entry keep the original value in
// the audit trail and show as "modified after entry" in exports (Annex 11 §8.2).
#ifndef BIOTWIN_RECORD_BATCH_H_
#define BIOTWIN_RECORD_BATCH_H_

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "record/historian.h"
#include "record/users_permissions.h"

namespace biotwin::record {

class AuditedTransaction;

class RecordStore;

enum class BatchStatus { kRunning, kCompleted, kFailed };
const char* BatchStatusName(BatchStatus s);  // "running", "completed", "failed"

struct BatchInput {
  std::string name;
  std::string value;  // text as entered (no silent rounding)
  std::string unit;
};

struct BatchStart {
  std::string name;
  std::string model_name;
  std::string model_version;
  std::string model_hash;       // e.g. SHA-256 of the model file
  std::string recipe_snapshot;  // full control recipe / scenario text, frozen at start
  std::vector<BatchInput> inputs;
};

struct BatchEvent {
  int64_t id = 0;
  double t = 0;  // seconds from batch start; < 0 when only wall-clock time applies
  std::string utc;
  std::string kind;
  std::string message;
  std::string username;
};

struct Deviation {
  int64_t id = 0;
  std::string utc;
  std::string severity;  // "minor", "major", "critical"
  std::string description;
  std::string username;
};

struct BatchHeader {
  int64_t id = 0;
  std::string name;
  BatchStatus status = BatchStatus::kRunning;
  std::string status_message;
  std::string model_name, model_version, model_hash;
  std::string recipe_snapshot, recipe_hash;
  std::string started_utc;
  std::optional<std::string> finished_utc;
  std::string created_by;
};

struct BatchRecord {
  BatchHeader header;
  std::vector<BatchInput> inputs;
  std::vector<BatchEvent> events;
  std::vector<Deviation> deviations;
};

class Batches {
 public:
  explicit Batches(RecordStore& store) : store_(store) {}

  int64_t Start(const Principal& who, const BatchStart& start);
  // The same inside a caller's audited transaction (the caller checked batch.create), so that a
  // batch and what belongs to it from the start (e.g. its recipe phases) commit together.
  int64_t StartIn(AuditedTransaction& tx, const BatchStart& start);
  // Appends one series (same tag/unit) to the batch: one transaction, one audit entry.
  void AppendSeries(const Principal& who, int64_t batch_id, std::string_view tag,
                    std::string_view unit, std::span<const double> t, std::span<const double> values,
                    std::string_view source = "simulation");
  // Appends rows of any number of tags in one transaction with one audit entry (faster for a
  // whole simulation result). Rows keep their own tag, unit, time, quality and source.
  void AppendSamples(const Principal& who, int64_t batch_id, std::span<const Sample> rows);
  int64_t AppendEvent(const Principal& who, int64_t batch_id, double t, std::string_view kind,
                      std::string_view message);
  int64_t RecordDeviation(const Principal& who, int64_t batch_id, std::string_view severity,
                          std::string_view description, std::string_view reason);
  // Correction of an input after entry (engineer, reason required); old value stays in the trail.
  void CorrectInput(const Principal& who, int64_t batch_id, std::string_view name,
                    std::string_view new_value, std::string_view reason);
  void Finish(const Principal& who, int64_t batch_id, BatchStatus status, std::string_view message);

  BatchRecord Load(int64_t batch_id);
  std::vector<BatchHeader> List();
  // SHA-256 over the canonical content (header, inputs, events, deviations, series).
  std::string ContentHash(int64_t batch_id);

 private:
  BatchHeader Header(int64_t batch_id);
  void RequireRunning(const BatchHeader& h);
  RecordStore& store_;
};

// Writes <out_dir>/batch-<id>.json and <out_dir>/batch-<id>.html (P11-02, P11-12, A11-05) and
// audits the export. Returns the two paths.
std::pair<std::string, std::string> ExportBatch(RecordStore& store, const Principal& who,
                                                int64_t batch_id, const std::string& out_dir);

}  // namespace biotwin::record

#endif  // BIOTWIN_RECORD_BATCH_H_
