#include "record/audit_verify.h"

#include <algorithm>
#include <map>
#include <sstream>

#include "record/audit.h"
#include "record/crypto.h"
#include "record/error.h"
#include "record/store.h"

namespace biotwin::record {

const char* TamperKindName(TamperKind kind) {
  switch (kind) {
    case TamperKind::kEdited: return "edited";
    case TamperKind::kDeleted: return "deleted";
    case TamperKind::kInserted: return "inserted";
    case TamperKind::kReordered: return "reordered";
    case TamperKind::kTruncated: return "truncated";
    case TamperKind::kBadSignature: return "bad checkpoint signature";
  }
  return "?";
}

namespace {

struct Anchor {
  int64_t seq;
  std::string entry_hash;
  std::string origin;  // "signed head", "checkpoint (db)", "checkpoint (file)", "unsigned head"
};

bool TableExists(Connection& db, const std::string& name) {
  auto q = db.Prepare("SELECT 1 FROM sqlite_master WHERE type='table' AND name=?");
  q->Bind(name);
  return q->Step();
}

bool CheckSig(const std::string& key, const std::string& message, const std::string& sig_hex) {
  try {
    return VerifyDetached(key, message, FromHex(sig_hex));
  } catch (const Error&) {
    return false;
  }
}

}  // namespace

std::string VerifySummary::Report() const {
  std::ostringstream out;
  if (ok) {
    out << "audit trail OK: " << entries << " entries (last seq " << last_seq << "), "
        << checkpoints_verified << " signed checkpoints verified";
    if (signed_head_seq >= 0) out << ", signed head at seq " << signed_head_seq;
    out << (trusted_key ? ", public key from outside the database" : "") << "\n";
  } else {
    const VerifyIssue& first = issues.front();
    out << "audit trail BROKEN: first bad entry seq " << first.seq << ": "
        << TamperKindName(first.kind) << " (" << first.detail << ")\n";
    for (size_t i = 1; i < issues.size(); ++i) {
      out << "  also: seq " << issues[i].seq << ": " << TamperKindName(issues[i].kind) << " ("
          << issues[i].detail << ")\n";
    }
  }
  for (const auto& w : warnings) out << "warning: " << w << "\n";
  return out.str();
}

VerifySummary VerifyAuditTrail(Connection& db, const VerifyOptions& options) {
  VerifySummary s;
  auto issue = [&](int64_t seq, TamperKind kind, std::string detail) {
    s.issues.push_back({seq, kind, std::move(detail)});
  };
  if (!TableExists(db, "audit_log")) {
    issue(1, TamperKind::kDeleted, "no audit_log table");
    return s;
  }

  // 1. Entries, in sequence order.
  std::vector<AuditEntry> rows;
  {
    auto q = db.Prepare(
        "SELECT seq, utc, tx_id, user_id, username, role, action, object_type, object_id, field, "
        "old_value, new_value, reason, prev_hash, entry_hash FROM audit_log ORDER BY seq");
    while (q->Step()) {
      AuditEntry e;
      e.seq = q->ColumnInt(0);
      e.utc = q->ColumnText(1);
      e.tx_id = q->ColumnInt(2);
      e.user_id = q->ColumnInt(3);
      e.username = q->ColumnText(4);
      e.role = q->ColumnText(5);
      e.action = q->ColumnText(6);
      e.object_type = q->ColumnText(7);
      e.object_id = q->ColumnText(8);
      e.field = q->ColumnText(9);
      e.old_value = q->ColumnOptText(10);
      e.new_value = q->ColumnOptText(11);
      e.reason = q->ColumnText(12);
      e.prev_hash = q->ColumnText(13);
      e.entry_hash = q->ColumnText(14);
      rows.push_back(std::move(e));
    }
  }
  s.entries = static_cast<int64_t>(rows.size());
  s.last_seq = rows.empty() ? 0 : rows.back().seq;

  // 2. The key to trust.
  std::optional<std::string> key = options.public_key;
  s.trusted_key = key.has_value();
  if (!key && TableExists(db, "meta")) {
    auto q = db.Prepare("SELECT value FROM meta WHERE key='audit_public_key'");
    if (q->Step()) {
      try {
        key = FromHex(q->ColumnText(0));
      } catch (const Error&) {
      }
    }
    s.warnings.push_back(
        "public key taken from the database; pass --public-key for an independent check");
  }

  // 3. Anchors: signed head and signed checkpoints (database and external file).
  std::vector<Anchor> anchors;
  std::optional<Anchor> unsigned_head;
  struct HeadProbe {
    std::string utc, sig;
  };
  std::optional<HeadProbe> bad_head;
  if (TableExists(db, "audit_head")) {
    auto q = db.Prepare("SELECT seq, entry_hash, utc, public_key, signature FROM audit_head");
    if (q->Step()) {
      int64_t seq = q->ColumnInt(0);
      std::string hash = q->ColumnText(1), utc = q->ColumnText(2), sig = q->ColumnText(4);
      if (sig.empty()) {
        unsigned_head = Anchor{seq, hash, "unsigned head"};
        if (key) issue(seq, TamperKind::kBadSignature, "head is not signed");
      } else if (key && CheckSig(*key, HeadMessage(seq, hash, utc), sig)) {
        anchors.push_back({seq, hash, "signed head"});
        s.signed_head_seq = seq;
      } else {
        issue(seq, TamperKind::kBadSignature, "head signature does not verify");
        bad_head = HeadProbe{utc, sig};
      }
    } else if (!rows.empty()) {
      issue(rows.back().seq, TamperKind::kEdited, "audit head missing");
    }
  }
  auto check_checkpoints = [&](const std::vector<Checkpoint>& cps, const std::string& origin) {
    for (const auto& c : cps) {
      if (key && CheckSig(*key, CheckpointMessage(c.seq, c.entry_hash, c.utc), c.signature)) {
        anchors.push_back({c.seq, c.entry_hash, origin});
        ++s.checkpoints_verified;
      } else {
        issue(c.seq, TamperKind::kBadSignature, origin + " signature does not verify");
      }
    }
  };
  if (TableExists(db, "audit_checkpoint")) {
    std::vector<Checkpoint> cps;
    auto q = db.Prepare("SELECT seq, entry_hash, utc, public_key, signature FROM audit_checkpoint");
    while (q->Step()) {
      cps.push_back({q->ColumnInt(0), q->ColumnText(1), q->ColumnText(2), q->ColumnText(3),
                     q->ColumnText(4)});
    }
    check_checkpoints(cps, "checkpoint (db)");
  }
  if (options.checkpoint_file) {
    check_checkpoints(ReadCheckpointFile(*options.checkpoint_file), "checkpoint (file)");
  }
  // Entries beyond the head are "inserted". Only a head can say where the trail ended; if its
  // seq/hash were moved, the original signature still identifies the true head among the rows.
  int64_t anchor_seq = s.signed_head_seq;
  if (anchor_seq < 0 && bad_head && key) {
    for (auto it = rows.rbegin(); it != rows.rend(); ++it) {
      if (CheckSig(*key, HeadMessage(it->seq, it->entry_hash, bad_head->utc), bad_head->sig)) {
        anchor_seq = it->seq;
        s.warnings.push_back("the head's signature matches entry " + std::to_string(it->seq) +
                             ": the head was moved from there");
        break;
      }
    }
  }
  if (anchor_seq < 0 && unsigned_head && !key) anchor_seq = unsigned_head->seq;
  if (anchor_seq < 0) {
    int64_t covered = 0;
    for (const auto& a : anchors) covered = std::max(covered, a.seq);
    if (covered < s.last_seq) {
      s.warnings.push_back("entries after seq " + std::to_string(covered) +
                           " are not covered by a valid signature");
    }
  }

  // 4. Walk the chain; stop at the first break.
  std::map<int64_t, size_t> index;
  for (size_t i = 0; i < rows.size(); ++i) index[rows[i].seq] = i;
  std::string prev = kGenesisHash;
  int64_t expected = 1;
  for (size_t i = 0; i < rows.size(); ++i) {
    const AuditEntry& e = rows[i];
    if (e.seq != expected) {
      issue(expected, TamperKind::kDeleted,
            "entry missing: sequence jumps from " + std::to_string(expected - 1) + " to " +
                std::to_string(e.seq));
      break;
    }
    if (anchor_seq >= 0 && e.seq > anchor_seq) {
      issue(e.seq, TamperKind::kInserted,
            "entry beyond the signed head/checkpoint at seq " + std::to_string(anchor_seq));
      break;
    }
    std::string computed = ComputeEntryHash(e);
    if (computed != e.entry_hash) {
      // Moved here from another position? Its hash fits a different sequence number.
      bool moved = false;
      for (const auto& other : rows) {
        if (other.seq == e.seq) continue;
        AuditEntry probe = e;
        probe.seq = other.seq;
        if (ComputeEntryHash(probe) == e.entry_hash) {
          issue(e.seq, TamperKind::kReordered,
                "entry content belongs at seq " + std::to_string(other.seq));
          moved = true;
          break;
        }
      }
      if (!moved) issue(e.seq, TamperKind::kEdited, "content does not match its hash");
      break;
    }
    if (e.prev_hash != prev) {
      // Self-consistent entry whose predecessor's hash changed: the predecessor was rewritten.
      issue(e.seq - 1, TamperKind::kEdited,
            "entry " + std::to_string(e.seq - 1) + " was rewritten (its hash no longer links)");
      break;
    }
    prev = e.entry_hash;
    ++expected;
  }

  // 5. Anchors must match the chain (truncation, recomputed chains).
  for (const auto& a : anchors) {
    auto it = index.find(a.seq);
    if (it == index.end()) {
      if (a.seq > s.last_seq) {
        issue(s.last_seq + 1, TamperKind::kTruncated,
              "entries " + std::to_string(s.last_seq + 1) + ".." + std::to_string(a.seq) +
                  " missing; " + a.origin + " covers seq " + std::to_string(a.seq));
      }
      continue;  // a gap is reported by the walk
    }
    if (rows[it->second].entry_hash != a.entry_hash) {
      issue(a.seq, TamperKind::kEdited,
            "chain does not match the " + a.origin + " at seq " + std::to_string(a.seq) +
                " (entries up to it were rewritten)");
    }
  }
  if (unsigned_head && anchors.empty()) {
    if (unsigned_head->seq > s.last_seq) {
      issue(s.last_seq + 1, TamperKind::kTruncated, "unsigned head is beyond the last entry");
    }
    s.warnings.push_back("audit head is unsigned (no signing key): truncation by an insider who "
                         "also edits the head cannot be detected");
  }

  std::stable_sort(s.issues.begin(), s.issues.end(),
                   [](const VerifyIssue& a, const VerifyIssue& b) { return a.seq < b.seq; });
  s.ok = s.issues.empty();
  return s;
}

VerifySummary VerifyAuditTrailFile(const std::string& db_path, const VerifyOptions& options) {
  SqliteOptions o;
  o.read_only = true;
  o.create_if_missing = false;
  auto db = OpenSqlite(db_path, o);
  return VerifyAuditTrail(*db, options);
}

}  // namespace biotwin::record
