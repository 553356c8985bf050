// Independent verifier of the audit trail (P11-01, TEL-01/04). It trusts nothing in the database
// (not its triggers, not its stored hashes): it recomputes the chain, checks the signed head and
// every signed checkpoint (in the database and in the external file) against a public key, and
// names the first bad entry with the kind of break.
#ifndef BIOTWIN_RECORD_AUDIT_VERIFY_H_
#define BIOTWIN_RECORD_AUDIT_VERIFY_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace biotwin::record {

class Connection;

enum class TamperKind { kEdited, kDeleted, kInserted, kReordered, kTruncated, kBadSignature };
const char* TamperKindName(TamperKind kind);  // "edited", ..., "bad checkpoint signature"

struct VerifyIssue {
  int64_t seq = 0;  // the first sequence number affected
  TamperKind kind = TamperKind::kEdited;
  std::string detail;
};

struct VerifyOptions {
  // External witness: a checkpoint file written by AuditTrail::ExportCheckpoints().
  std::optional<std::string> checkpoint_file;
  // Trusted Ed25519 public key (raw 32 bytes). Without it the key recorded in the database is
  // used, which only proves internal consistency; the summary says so.
  std::optional<std::string> public_key;
};

struct VerifySummary {
  bool ok = false;
  int64_t entries = 0;
  int64_t last_seq = 0;
  int64_t signed_head_seq = -1;        // -1: no valid signed head
  int64_t checkpoints_verified = 0;    // database + file
  bool trusted_key = false;            // public key came from outside the database
  std::vector<VerifyIssue> issues;     // sorted: first bad entry first
  std::vector<std::string> warnings;
  std::string Report() const;          // human-readable, names the first bad entry
};

VerifySummary VerifyAuditTrail(Connection& db, const VerifyOptions& options = {});
// Opens `db_path` read-only and verifies it. Throws Error(kStorage) if it cannot be opened.
VerifySummary VerifyAuditTrailFile(const std::string& db_path, const VerifyOptions& options = {});

}  // namespace biotwin::record

#endif  // BIOTWIN_RECORD_AUDIT_VERIFY_H_
