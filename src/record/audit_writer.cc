// AuditedTransaction and the read side of the audit trail.
#include <algorithm>
#include <cctype>
#include <filesystem>

#include "record/audit.h"
#include "record/audit_verify.h"
#include "record/crypto.h"
#include "record/error.h"
#include "record/record_store.h"

namespace biotwin::record {

namespace {

bool IsBlank(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isspace(c); });
}

AuditEntry ReadEntry(Statement& q) {
  AuditEntry e;
  e.seq = q.ColumnInt(0);
  e.utc = q.ColumnText(1);
  e.tx_id = q.ColumnInt(2);
  e.user_id = q.ColumnInt(3);
  e.username = q.ColumnText(4);
  e.role = q.ColumnText(5);
  e.action = q.ColumnText(6);
  e.object_type = q.ColumnText(7);
  e.object_id = q.ColumnText(8);
  e.field = q.ColumnText(9);
  e.old_value = q.ColumnOptText(10);
  e.new_value = q.ColumnOptText(11);
  e.reason = q.ColumnText(12);
  e.prev_hash = q.ColumnText(13);
  e.entry_hash = q.ColumnText(14);
  return e;
}

constexpr const char* kEntryColumns =
    "seq, utc, tx_id, user_id, username, role, action, object_type, object_id, field, old_value, "
    "new_value, reason, prev_hash, entry_hash";

}  // namespace

AuditedTransaction::AuditedTransaction(RecordStore& store, const Principal& who,
                                       std::string_view reason)
    : store_(store), who_(who), reason_(reason) {
  if (IsBlank(reason_)) {
    throw Error(ErrorCode::kReasonRequired, "every GMP change needs a reason (Annex 11 §9)");
  }
  store_.db().Begin();
  open_ = true;
  auto& q = store_.db().Cached("SELECT seq, entry_hash FROM audit_log ORDER BY seq DESC LIMIT 1");
  if (q.Step()) {
    last_seq_ = q.ColumnInt(0);
    last_hash_ = q.ColumnText(1);
  } else {
    last_seq_ = 0;
    last_hash_ = kGenesisHash;
  }
  q.Reset();
  tx_id_ = last_seq_ + 1;
}

AuditedTransaction::~AuditedTransaction() {
  if (open_) {
    try {
      store_.db().Rollback();
    } catch (...) {
    }
  }
}

Connection& AuditedTransaction::db() { return store_.db(); }

int64_t AuditedTransaction::Record(const Change& change) {
  if (!open_) throw Error(ErrorCode::kIllegalState, "transaction already finished");
  AuditEntry e;
  e.seq = last_seq_ + 1;
  e.utc = UtcNowIso();  // trusted time: system clock, never the caller's
  e.tx_id = tx_id_;
  e.user_id = who_.user_id();
  e.username = who_.username();
  e.role = RoleName(who_.role());
  e.action = change.action;
  e.object_type = change.object_type;
  e.object_id = change.object_id;
  e.field = change.field;
  e.old_value = change.old_value;
  e.new_value = change.new_value;
  e.reason = reason_;
  e.prev_hash = last_hash_;
  e.entry_hash = ComputeEntryHash(e);
  store_.db()
      .Cached(std::string("INSERT INTO audit_log(") + kEntryColumns +
              ") VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)")
      .Bind(e.seq, e.utc, e.tx_id, e.user_id, e.username, e.role, e.action, e.object_type,
            e.object_id, e.field, e.old_value, e.new_value, e.reason, e.prev_hash, e.entry_hash)
      .Run();
  last_seq_ = e.seq;
  last_hash_ = e.entry_hash;
  int every = std::max(1, store_.options().checkpoint_every);
  if (store_.signing_key() && e.seq % every == 0) {
    const SigningKey& key = *store_.signing_key();
    store_.db()
        .Cached("INSERT INTO audit_checkpoint(seq, entry_hash, utc, public_key, signature) "
                "VALUES (?,?,?,?,?)")
        .Bind(e.seq, e.entry_hash, e.utc, key.PublicHex(),
              ToHex(SignDetached(key, CheckpointMessage(e.seq, e.entry_hash, e.utc))))
        .Run();
    checkpoint_taken_ = true;
  }
  return e.seq;
}

void AuditedTransaction::Commit() {
  if (!open_) throw Error(ErrorCode::kIllegalState, "transaction already finished");
  if (tx_id_ > last_seq_) {
    throw Error(ErrorCode::kInvalidArgument, "a GMP transaction must record at least one change");
  }
  std::string utc = UtcNowIso();
  std::string public_key, signature;
  if (const SigningKey* key = store_.signing_key()) {
    public_key = key->PublicHex();
    signature = ToHex(SignDetached(*key, HeadMessage(last_seq_, last_hash_, utc)));
  }
  store_.db()
      .Cached("INSERT OR REPLACE INTO audit_head(id, seq, entry_hash, utc, public_key, signature) "
              "VALUES (1,?,?,?,?,?)")
      .Bind(last_seq_, last_hash_, utc, public_key, signature)
      .Run();
  store_.db().Commit();
  open_ = false;
  if (checkpoint_taken_) {
    // The database already holds the checkpoint; the external copy is best effort here and is
    // completed by the next export if this write fails.
    try {
      store_.audit().ExportCheckpoints(store_.options().checkpoint_file);
    } catch (const Error&) {
    }
  }
}

std::vector<AuditEntry> AuditTrail::Entries(const Principal& who, const AuditQuery& query) {
  RequirePermission(who, Action::kAuditRead);
  return EntriesUnchecked(query);
}

std::vector<AuditEntry> AuditTrail::EntriesUnchecked(const AuditQuery& query) {
  std::string sql = std::string("SELECT ") + kEntryColumns +
                    " FROM audit_log WHERE seq > ? AND (? IS NULL OR object_type = ?) AND "
                    "(? IS NULL OR object_id = ?) ORDER BY seq LIMIT ?";
  auto& q = store_.db().Cached(sql);
  q.Bind(query.after_seq, query.object_type, query.object_type, query.object_id, query.object_id,
         query.limit);
  std::vector<AuditEntry> out;
  while (q.Step()) out.push_back(ReadEntry(q));
  q.Reset();
  return out;
}

int64_t AuditTrail::Count() {
  auto& q = store_.db().Cached("SELECT COUNT(*) FROM audit_log");
  q.Step();
  int64_t n = q.ColumnInt(0);
  q.Reset();
  return n;
}

std::vector<Checkpoint> AuditTrail::Checkpoints() {
  auto& q = store_.db().Cached(
      "SELECT seq, entry_hash, utc, public_key, signature FROM audit_checkpoint ORDER BY seq");
  std::vector<Checkpoint> out;
  while (q.Step()) {
    out.push_back({q.ColumnInt(0), q.ColumnText(1), q.ColumnText(2), q.ColumnText(3),
                   q.ColumnText(4)});
  }
  q.Reset();
  return out;
}

Checkpoint AuditTrail::CreateCheckpoint(const Principal& who) {
  RequirePermission(who, Action::kAuditCheckpoint);
  const SigningKey* key = store_.signing_key();
  if (!key) throw Error(ErrorCode::kCrypto, "no signing key configured");
  Checkpoint c;
  {
    // The checkpoint itself is recorded as an audit event, and the checkpoint covers that event.
    AuditedTransaction tx(store_, who, "signed checkpoint requested");
    c.seq = tx.Record({"checkpoint", "audit", "", "", std::nullopt, std::nullopt});
    auto& q = store_.db().Cached("SELECT entry_hash, utc FROM audit_log WHERE seq = ?");
    q.Bind(c.seq);
    q.Step();
    c.entry_hash = q.ColumnText(0);
    c.utc = q.ColumnText(1);
    q.Reset();
    c.public_key = key->PublicHex();
    c.signature = ToHex(SignDetached(*key, CheckpointMessage(c.seq, c.entry_hash, c.utc)));
    store_.db()
        .Cached("INSERT OR IGNORE INTO audit_checkpoint(seq, entry_hash, utc, public_key, "
                "signature) VALUES (?,?,?,?,?)")
        .Bind(c.seq, c.entry_hash, c.utc, c.public_key, c.signature)
        .Run();
    tx.Commit();
  }
  ExportCheckpoints(store_.options().checkpoint_file);
  return c;
}

std::string AuditTrail::Backup(const Principal& who, const std::string& dest) {
  RequirePermission(who, Action::kBackup);
  if (std::filesystem::exists(dest)) {
    throw Error(ErrorCode::kIo, "backup target '" + dest + "' exists; choose a new file");
  }
  store_.db().Prepare("VACUUM INTO ?")->Bind(dest).Run();  // consistent snapshot, one statement
  VerifyOptions o;
  if (const SigningKey* key = store_.signing_key()) o.public_key = key->public_key;
  VerifySummary s = VerifyAuditTrailFile(dest, o);
  if (!s.ok) {
    throw Error(ErrorCode::kIntegrity, "backup '" + dest + "' does not verify: " + s.Report());
  }
  std::string hash = Sha256Hex(ReadFile(dest));
  RecordSecurityEvent(store_, who,
                      {"backup", "store", store_.path(), "", std::nullopt,
                       dest + "; sha256=" + hash + "; entries=" + std::to_string(s.entries)},
                      "store backup");
  return hash;
}

void RecordSecurityEvent(RecordStore& store, const Principal& who, const Change& change,
                         std::string_view reason) {
  AuditedTransaction tx(store, who, reason);
  tx.Record(change);
  tx.Commit();
}

}  // namespace biotwin::record
