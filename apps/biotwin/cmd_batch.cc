// biotwin batch list | export | sign: electronic batch records.
#include <cstdio>
#include <cstdlib>
#include <filesystem>

#include "command.h"
#include "record_errors.h"
#include "record/cli_args.h"
#include "record/record.h"

namespace biotwin::cli {
namespace {

namespace rec = biotwin::record;

// The acting principal: --user NAME with a password, or (read-only exports) the system actor
// attributed to the operating-system account that ran the command.
rec::Principal Actor(rec::RecordStore& store, const rec::CliArgs& a, const char* component) {
  if (auto user = a.Get("--user")) {
    return store.users().Authenticate(*user, rec::ReadSecret("BIOTWIN_PASSWORD", "Password: "));
  }
  const char* os_user = std::getenv("USER");
  return rec::Principal::System(std::string(component) + "(os user " + (os_user ? os_user : "unknown") + ")");
}

int64_t BatchId(const rec::CliArgs& a) {
  try {
    return std::stoll(*a.Get("--batch"));
  } catch (...) {
    throw rec::Error(rec::ErrorCode::kInvalidArgument, "--batch must be a batch number");
  }
}

int Export(const std::vector<std::string>& args) {
  auto a = rec::ParseCliArgs(args, {"--db", "--batch", "--out", "--user"});
  if (!a.error.empty() || !a.Get("--db") || !a.Get("--batch") || !a.Get("--out")) {
    std::fprintf(stderr, "batch export: %s\n", a.error.empty() ? "--db, --batch and --out are required" : a.error.c_str());
    return kExitUsage;
  }
  try {
    auto store = rec::OpenExistingStore(*a.Get("--db"));
    auto who = Actor(*store, a, "cli-export");
    auto [json, html] = rec::ExportBatch(*store, who, BatchId(a), *a.Get("--out"));
    std::printf("wrote %s\nwrote %s\n", json.c_str(), html.c_str());
    return kExitOk;
  } catch (const rec::Error& e) {
    return ReportRecordError("batch export", e);
  }
}

int ListCmd(const std::vector<std::string>& args) {
  auto a = rec::ParseCliArgs(args, {"--db"});
  if (!a.error.empty() || !a.Get("--db")) {
    std::fprintf(stderr, "batch list: %s\n", a.error.empty() ? "--db is required" : a.error.c_str());
    return kExitUsage;
  }
  try {
    auto store = rec::OpenExistingStore(*a.Get("--db"));
    std::printf("id\tname\tstatus\tstarted (UTC)\tmodel\n");
    for (const auto& h : store->batches().List()) {
      std::printf("%lld\t%s\t%s\t%s\t%s %s\n", static_cast<long long>(h.id), h.name.c_str(),
                  rec::BatchStatusName(h.status), h.started_utc.c_str(), h.model_name.c_str(), h.model_version.c_str());
    }
    return kExitOk;
  } catch (const rec::Error& e) {
    return ReportRecordError("batch list", e);
  }
}

int Sign(const std::vector<std::string>& args) {
  auto a = rec::ParseCliArgs(args, {"--db", "--batch", "--user", "--meaning"});
  if (!a.error.empty() || !a.Get("--db") || !a.Get("--batch") || !a.Get("--user") || !a.Get("--meaning")) {
    std::fprintf(stderr, "batch sign: %s\n",
                 a.error.empty() ? "--db, --batch, --user and --meaning are required" : a.error.c_str());
    return kExitUsage;
  }
  try {
    auto meaning = rec::ParseMeaning(*a.Get("--meaning"));
    if (!meaning) throw rec::Error(rec::ErrorCode::kInvalidArgument, "meaning must be authored, reviewed, approved or released");
    auto store = rec::OpenExistingStore(*a.Get("--db"));
    // Both components every time (Part 11 §11.200): the password is asked for on every signing.
    auto sig = store->signatures().Sign(*a.Get("--user"), rec::ReadSecret("BIOTWIN_PASSWORD", "Password: "), "batch",
                                        std::to_string(BatchId(a)), *meaning);
    std::printf("signed: %s\n", sig.Manifestation().c_str());
    return kExitOk;
  } catch (const rec::Error& e) {
    return ReportRecordError("batch sign", e);
  }
}

BIOTWIN_REGISTER_COMMAND(Command{
    "batch export", "export a batch record as JSON and human-readable HTML",
    "biotwin batch export --db FILE|postgresql://URI --batch ID --out DIR [--user NAME]\n"
    "  Writes DIR/batch-ID.json and DIR/batch-ID.html (signatures with printed name, meaning and\n"
    "  UTC time; 'modified after entry' markers). The export is audited; without --user it is\n"
    "  attributed to the operating-system account.",
    Export});
BIOTWIN_REGISTER_COMMAND(Command{"batch list", "list the batches in a record store",
                                 "biotwin batch list --db FILE|postgresql://URI", ListCmd});
BIOTWIN_REGISTER_COMMAND(Command{
    "batch sign", "e-sign a batch record (authored, reviewed, approved, released)",
    "biotwin batch sign --db FILE|postgresql://URI --batch ID --user NAME --meaning authored|reviewed|approved|released\n"
    "  Password from BIOTWIN_PASSWORD or stdin, required on every signing.",
    Sign});

}  // namespace
}  // namespace biotwin::cli
