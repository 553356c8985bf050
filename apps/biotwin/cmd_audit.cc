// biotwin audit verify | show | checkpoint: integrity check and review of the audit trail.
#include <cstdio>
#include <filesystem>

#include "command.h"
#include "record_errors.h"
#include "record/cli_args.h"
#include "record/record.h"

namespace biotwin::cli {
namespace {

namespace rec = biotwin::record;

int Verify(const std::vector<std::string>& args) {
  auto a = rec::ParseCliArgs(args, {"--db", "--checkpoints", "--public-key"});
  if (!a.error.empty() || !a.Get("--db")) {
    std::fprintf(stderr, "audit verify: %s\n", a.error.empty() ? "--db FILE is required" : a.error.c_str());
    return kExitUsage;
  }
  std::string db = *a.Get("--db");
  const bool postgres = rec::IsPostgresUri(db);  // postgresql://user@host:port/db
  if (!postgres && !std::filesystem::exists(db)) {
    std::fprintf(stderr, "audit verify: no database '%s'\n", db.c_str());
    return kExitIoError;
  }
  rec::VerifyOptions o;
  try {
    // Side files: next to a SQLite file; for PostgreSQL in $BIOTWIN_KEY_DIR/<dbname>.*.
    std::string base = rec::SideFileBase(db);
    std::string cps = a.Get("--checkpoints").value_or(base.empty() ? "" : base + ".checkpoints");
    if (a.Get("--checkpoints") || (!cps.empty() && std::filesystem::exists(cps))) o.checkpoint_file = cps;
    std::string pub = a.Get("--public-key").value_or(base.empty() ? "" : base + ".audit-key.pub");
    if (a.Get("--public-key") || (!pub.empty() && std::filesystem::exists(pub))) o.public_key = rec::LoadPublicKey(pub);
    std::unique_ptr<rec::Connection> conn;
    if (postgres) {
      try {
        conn = rec::OpenPostgres(db);
      } catch (const rec::Error& e) {
        std::fprintf(stderr, "audit verify: %s\n", e.what());
        return kExitIoError;  // like a missing file
      }
    }
    auto summary = postgres ? rec::VerifyAuditTrail(*conn, o) : rec::VerifyAuditTrailFile(db, o);
    std::fputs(summary.Report().c_str(), summary.ok ? stdout : stderr);
    return summary.ok ? kExitOk : kExitVerifyFailed;
  } catch (const rec::Error& e) {
    std::fprintf(stderr, "audit verify: %s\n", e.what());
    if (e.code() == rec::ErrorCode::kIntegrity) return kExitVerifyFailed;
    return e.code() == rec::ErrorCode::kStorage ? kExitVerifyFailed : kExitIoError;
  }
}

int Show(const std::vector<std::string>& args) {
  auto a = rec::ParseCliArgs(args, {"--db", "--user", "--object-type", "--object-id", "--after", "--limit"});
  if (!a.error.empty() || !a.Get("--db") || !a.Get("--user")) {
    std::fprintf(stderr, "audit show: %s\n", a.error.empty() ? "--db and --user are required" : a.error.c_str());
    return kExitUsage;
  }
  try {
    auto store = rec::OpenExistingStore(*a.Get("--db"));
    auto who = store->users().Authenticate(*a.Get("--user"), rec::ReadSecret("BIOTWIN_PASSWORD", "Password: "));
    rec::AuditQuery q;
    q.object_type = a.Get("--object-type");
    q.object_id = a.Get("--object-id");
    q.after_seq = std::stoll(a.Get("--after").value_or("0"));
    q.limit = std::stoll(a.Get("--limit").value_or("-1"));
    for (const auto& e : store->audit().Entries(who, q)) {
      std::printf("%lld\t%s\t%s(%s)\t%s\t%s:%s\t%s\t%s -> %s\t%s\n", static_cast<long long>(e.seq),
                  e.utc.c_str(), e.username.c_str(), e.role.c_str(), e.action.c_str(), e.object_type.c_str(),
                  e.object_id.c_str(), e.field.c_str(), e.old_value.value_or("-").c_str(),
                  e.new_value.value_or("-").c_str(), e.reason.c_str());
    }
    return kExitOk;
  } catch (const rec::Error& e) {
    return ReportRecordError("audit show", e);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "audit show: %s\n", e.what());
    return kExitUsage;
  }
}

int CheckpointCmd(const std::vector<std::string>& args) {
  auto a = rec::ParseCliArgs(args, {"--db", "--user", "--out"});
  if (!a.error.empty() || !a.Get("--db") || !a.Get("--user")) {
    std::fprintf(stderr, "audit checkpoint: %s\n", a.error.empty() ? "--db and --user are required" : a.error.c_str());
    return kExitUsage;
  }
  try {
    auto store = rec::OpenExistingStore(*a.Get("--db"));
    auto who = store->users().Authenticate(*a.Get("--user"), rec::ReadSecret("BIOTWIN_PASSWORD", "Password: "));
    auto c = store->audit().CreateCheckpoint(who);
    if (auto out = a.Get("--out")) store->audit().ExportCheckpoints(*out);
    std::printf("signed checkpoint at seq %lld (%s), exported to %s\n", static_cast<long long>(c.seq),
                c.entry_hash.c_str(), a.Get("--out").value_or(store->options().checkpoint_file).c_str());
    return kExitOk;
  } catch (const rec::Error& e) {
    return ReportRecordError("audit checkpoint", e);
  }
}

int BackupCmd(const std::vector<std::string>& args) {
  auto a = rec::ParseCliArgs(args, {"--db", "--user", "--out"});
  if (!a.error.empty() || !a.Get("--db") || !a.Get("--user") || !a.Get("--out")) {
    std::fprintf(stderr, "audit backup: %s\n", a.error.empty() ? "--db, --user and --out are required" : a.error.c_str());
    return kExitUsage;
  }
  try {
    auto store = rec::OpenExistingStore(*a.Get("--db"));
    auto who = store->users().Authenticate(*a.Get("--user"), rec::ReadSecret("BIOTWIN_PASSWORD", "Password: "));
    std::string hash = store->audit().Backup(who, *a.Get("--out"));
    std::printf("verified backup %s (sha256 %s)\n", a.Get("--out")->c_str(), hash.c_str());
    return kExitOk;
  } catch (const rec::Error& e) {
    std::fprintf(stderr, "audit backup: %s\n", e.what());
    if (e.code() == rec::ErrorCode::kIntegrity) return kExitVerifyFailed;
    return e.code() == rec::ErrorCode::kIo ? kExitIoError : kExitRunFailed;
  }
}

BIOTWIN_REGISTER_COMMAND(Command{
    "audit backup", "write a verified, audited backup copy of the record store",
    "biotwin audit backup --db FILE --user NAME --out BACKUP.db\n"
    "  Consistent snapshot (VACUUM INTO), verified with the store's key, its SHA-256 audited.\n"
    "  Password from BIOTWIN_PASSWORD or stdin. Exit 5 if the copy does not verify.",
    BackupCmd});

BIOTWIN_REGISTER_COMMAND(Command{
    "audit verify", "verify the audit trail's hash chain and signed checkpoints",
    "biotwin audit verify --db FILE|postgresql://URI [--checkpoints FILE] [--public-key FILE]\n"
    "  Recomputes the hash chain and checks the signed head and checkpoints. Defaults:\n"
    "  --checkpoints FILE.checkpoints and --public-key FILE.audit-key.pub when they exist.\n"
    "  Exit 0: intact. Exit 5: names the first bad entry (seq) and the kind of break\n"
    "  (edited, deleted, inserted, reordered, truncated, bad checkpoint signature).",
    Verify});

BIOTWIN_REGISTER_COMMAND(Command{
    "audit show", "print audit trail entries (needs audit.read)",
    "biotwin audit show --db FILE --user NAME [--object-type T] [--object-id ID] [--after SEQ] [--limit N]\n"
    "  Password from BIOTWIN_PASSWORD or stdin.",
    Show});

BIOTWIN_REGISTER_COMMAND(Command{
    "audit checkpoint", "sign a checkpoint of the audit trail now and export it",
    "biotwin audit checkpoint --db FILE --user NAME [--out FILE]\n"
    "  Appends the signed checkpoint to FILE.checkpoints (and to --out). Password from\n"
    "  BIOTWIN_PASSWORD or stdin.",
    CheckpointCmd});

}  // namespace
}  // namespace biotwin::cli
