// The audit trail (Part 11 §11.10(e), Annex 11 §9, DI-01). Every GMP change is written through an
// AuditedTransaction: the data change and its audit entries commit together or not at all, the
// time comes from the system clock and the actor from an authenticated Principal, and an empty
// reason is refused. Entries are hash-chained (SHA-256 over a canonical encoding that includes
// the sequence number and the previous hash); the head is Ed25519-signed on every commit and a
// signed checkpoint is taken every N entries and appended to a file outside the database.
#ifndef BIOTWIN_RECORD_AUDIT_H_
#define BIOTWIN_RECORD_AUDIT_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "record/users_permissions.h"

namespace biotwin::record {

class RecordStore;
class Connection;

inline constexpr const char* kGenesisHash =
    "0000000000000000000000000000000000000000000000000000000000000000";

// One change to record: what object, which field, the old and the new value.
struct Change {
  std::string action;       // "create", "modify", "delete", "command", "login", ...
  std::string object_type;  // "batch", "user", "phase", ...
  std::string object_id;
  std::string field;        // "" for the whole object
  std::optional<std::string> old_value;
  std::optional<std::string> new_value;
};

struct AuditEntry {
  int64_t seq = 0;
  std::string utc;
  int64_t tx_id = 0;
  int64_t user_id = 0;
  std::string username;
  std::string role;
  std::string action;
  std::string object_type;
  std::string object_id;
  std::string field;
  std::optional<std::string> old_value;
  std::optional<std::string> new_value;
  std::string reason;
  std::string prev_hash;
  std::string entry_hash;
};

// Canonical, unambiguous encoding of every field except entry_hash (length-prefixed, fixed order).
std::string CanonicalEntry(const AuditEntry& e);
// SHA-256 hex of prev_hash || canonical(entry).
std::string ComputeEntryHash(const AuditEntry& e);
// The messages signed for the head and for checkpoints (domain-separated).
std::string HeadMessage(int64_t seq, std::string_view entry_hash, std::string_view utc);
std::string CheckpointMessage(int64_t seq, std::string_view entry_hash, std::string_view utc);

// A GMP write transaction with its audit entries. Destroyed without Commit() = rolled back.
class AuditedTransaction {
 public:
  // Throws Error(kReasonRequired) when `reason` is empty or blank, Error(kStorage) when the write
  // lock cannot be taken.
  AuditedTransaction(RecordStore& store, const Principal& who, std::string_view reason);
  ~AuditedTransaction();
  AuditedTransaction(const AuditedTransaction&) = delete;
  AuditedTransaction& operator=(const AuditedTransaction&) = delete;

  Connection& db();
  const Principal& who() const { return who_; }
  // Appends one audit entry inside the transaction; returns its sequence number.
  int64_t Record(const Change& change);
  // Signs the new head, takes a checkpoint if due, commits, then appends any new checkpoint to
  // the external file. Throws Error(kInvalidArgument) if nothing was recorded.
  void Commit();

 private:
  RecordStore& store_;
  Principal who_;
  std::string reason_;
  bool open_ = false;
  int64_t tx_id_ = 0;
  int64_t last_seq_ = 0;
  std::string last_hash_;
  bool checkpoint_taken_ = false;
};

struct AuditQuery {
  std::optional<std::string> object_type;
  std::optional<std::string> object_id;
  int64_t after_seq = 0;
  int64_t limit = -1;  // -1: no limit

  static AuditQuery OfType(std::string type) {
    AuditQuery q;
    q.object_type = std::move(type);
    return q;
  }
  static AuditQuery After(int64_t seq) {
    AuditQuery q;
    q.after_seq = seq;
    return q;
  }
};

struct Checkpoint {
  int64_t seq = 0;
  std::string entry_hash;
  std::string utc;
  std::string public_key;  // hex
  std::string signature;   // hex
};

class AuditTrail {
 public:
  explicit AuditTrail(RecordStore& store) : store_(store) {}
  std::vector<AuditEntry> Entries(const Principal& who, const AuditQuery& query = {});
  // Reads entries without a permission check (for the record layer's own renderers).
  std::vector<AuditEntry> EntriesUnchecked(const AuditQuery& query = {});
  int64_t Count();
  std::vector<Checkpoint> Checkpoints();
  // Signs a checkpoint at the current head now (even if not due) and exports it.
  Checkpoint CreateCheckpoint(const Principal& who);
  // Appends checkpoints not yet in `path` (never removes lines: the file is a witness).
  void ExportCheckpoints(const std::string& path);
  // Writes a consistent copy of the whole store to `dest` (must not exist), verifies the copy's
  // chain and signatures, and audits the backup with the copy's SHA-256 (A11-04, DI-05).
  // Returns the SHA-256 hex of the backup file. Throws kIntegrity if the copy does not verify.
  std::string Backup(const Principal& who, const std::string& dest);

 private:
  RecordStore& store_;
};

// Reads a checkpoint file written by ExportCheckpoints(). Throws Error(kIo) if unreadable,
// Error(kIntegrity) naming origin:line for a malformed line.
std::vector<Checkpoint> ReadCheckpointFile(const std::string& path);
std::vector<Checkpoint> ParseCheckpoints(std::string_view text, const std::string& origin);

// Records a security or system event (login failure, lockout, denied access, export) in its own
// transaction. Never throws for the event itself being refused; throws Error(kStorage) if the
// trail cannot be written (the caller must then fail closed).
void RecordSecurityEvent(RecordStore& store, const Principal& who, const Change& change,
                         std::string_view reason);

}  // namespace biotwin::record

#endif  // BIOTWIN_RECORD_AUDIT_H_
