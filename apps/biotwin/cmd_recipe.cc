// biotwin recipe import | list | show | sign | start: ISA-88 master recipes (versioned, approved
// by e-signature before a batch may be started from them).
#include <cstdio>
#include <filesystem>

#include "command.h"
#include "record_errors.h"
#include "record/cli_args.h"
#include "model/model.h"
#include "record/recipe.h"
#include "record/record.h"

namespace biotwin::cli {
namespace {

namespace rec = biotwin::record;

int Import(const std::vector<std::string>& args) {
  auto a = rec::ParseCliArgs(args, {"--db", "--file", "--user", "--reason"});
  if (!a.error.empty() || !a.Get("--db") || !a.Get("--file") || !a.Get("--user") || !a.Get("--reason")) {
    std::fprintf(stderr, "recipe import: %s\n",
                 a.error.empty() ? "--db, --file, --user and --reason are required" : a.error.c_str());
    return kExitUsage;
  }
  try {
    std::string text;
    rec::ReadRecipeFile(*a.Get("--file"), &text);  // file:line errors before asking for a password
    auto store = rec::OpenExistingStore(*a.Get("--db"));
    auto who = store->users().Authenticate(*a.Get("--user"), rec::ReadSecret("BIOTWIN_PASSWORD", "Password: "));
    auto v = rec::Recipes(*store).Save(who, text, *a.Get("--file"), *a.Get("--reason"));
    std::printf("stored %s (sha256 %s) by %s\n", v.RecordId().c_str(), v.content_hash.c_str(), v.author.c_str());
    return kExitOk;
  } catch (const rec::Error& e) {
    return ReportRecordError("recipe import", e);
  }
}

int ListCmd(const std::vector<std::string>& args) {
  auto a = rec::ParseCliArgs(args, {"--db"});
  if (!a.error.empty() || !a.Get("--db")) {
    std::fprintf(stderr, "recipe list: %s\n", a.error.empty() ? "--db is required" : a.error.c_str());
    return kExitUsage;
  }
  try {
    auto store = rec::OpenExistingStore(*a.Get("--db"));
    rec::Recipes recipes(*store);
    std::printf("name\tversion\tstatus\tsaved (UTC)\tauthor\tsha256\treason\n");
    for (const auto& v : recipes.List()) {
      std::printf("%s\t%lld\t%s\t%s\t%s\t%s\t%s\n", v.name.c_str(), static_cast<long long>(v.version),
                  recipes.IsApproved(v.name, v.version) ? "approved" : "not approved", v.utc.c_str(),
                  v.author.c_str(), v.content_hash.c_str(), v.reason.c_str());
    }
    return kExitOk;
  } catch (const rec::Error& e) {
    return ReportRecordError("recipe list", e);
  }
}

int Show(const std::vector<std::string>& args) {
  auto a = rec::ParseCliArgs(args, {"--db", "--id", "--version"});
  if (!a.error.empty() || !a.Get("--db") || !a.Get("--id")) {
    std::fprintf(stderr, "recipe show: %s\n", a.error.empty() ? "--db and --id are required" : a.error.c_str());
    return kExitUsage;
  }
  try {
    std::optional<int64_t> version;
    if (auto s = a.Get("--version")) {
      try {
        size_t used = 0;
        version = std::stoll(*s, &used);
        if (used != s->size()) throw 0;
      } catch (...) {
        throw rec::Error(rec::ErrorCode::kInvalidArgument, "--version must be a number");
      }
    }
    auto store = rec::OpenExistingStore(*a.Get("--db"));
    rec::Recipes recipes(*store);
    auto v = recipes.Get(*a.Get("--id"), version);
    std::printf("recipe:   %s\nversion:  %lld\nsha256:   %s\nsaved:    %s by %s\nreason:   %s\nstatus:   %s\n",
                v.name.c_str(), static_cast<long long>(v.version), v.content_hash.c_str(), v.utc.c_str(),
                v.author.c_str(), v.reason.c_str(),
                recipes.IsApproved(v.name, v.version) ? "approved" : "not approved (may not be used)");
    for (const auto& c : store->signatures().Check("recipe", v.RecordId())) {
      std::printf("signature: %s [%s]\n", c.signature.Manifestation().c_str(), rec::SignatureStatusName(c.status));
    }
    auto r = rec::ParseRecipe(v.content, v.RecordId());
    std::printf("procedure: %s\n", r.procedure.c_str());
    for (const auto& up : r.unit_procedures) {
      std::printf("  unit procedure %s (unit %s)\n", up.name.c_str(), up.unit.c_str());
      for (const auto& op : up.operations) {
        std::printf("    operation %s\n", op.name.c_str());
        for (const auto& ph : op.phases) {
          std::printf("      phase %s (%s)\n", ph.name.c_str(), ph.type.c_str());
          for (const auto& p : ph.parameters) {
            std::printf("        %s = %s%s%s\n", p.name.c_str(), p.value.c_str(), p.unit.empty() ? "" : " ",
                        p.unit.c_str());
          }
        }
      }
    }
    std::printf("--- content ---\n%s", v.content.c_str());
    return kExitOk;
  } catch (const rec::Error& e) {
    return ReportRecordError("recipe show", e);
  }
}

int64_t VersionArg(const rec::CliArgs& a) {
  const std::string& s = *a.Get("--version");
  try {
    size_t used = 0;
    int64_t v = std::stoll(s, &used);
    if (used == s.size() && v > 0) return v;
  } catch (...) {
  }
  throw rec::Error(rec::ErrorCode::kInvalidArgument, "--version must be a positive number, not '" + s + "'");
}

int Sign(const std::vector<std::string>& args) {
  auto a = rec::ParseCliArgs(args, {"--db", "--id", "--version", "--user", "--meaning"});
  if (!a.error.empty() || !a.Get("--db") || !a.Get("--id") || !a.Get("--version") || !a.Get("--user") ||
      !a.Get("--meaning")) {
    std::fprintf(stderr, "recipe sign: %s\n",
                 a.error.empty() ? "--db, --id, --version, --user and --meaning are required" : a.error.c_str());
    return kExitUsage;
  }
  try {
    auto meaning = rec::ParseMeaning(*a.Get("--meaning"));
    if (!meaning) throw rec::Error(rec::ErrorCode::kInvalidArgument, "meaning must be authored, reviewed, approved or released");
    const int64_t version = VersionArg(a);
    auto store = rec::OpenExistingStore(*a.Get("--db"));
    // The version must exist before anyone is asked for a password.
    auto v = rec::Recipes(*store).Get(*a.Get("--id"), version);
    auto sig = store->signatures().Sign(*a.Get("--user"), rec::ReadSecret("BIOTWIN_PASSWORD", "Password: "), "recipe",
                                        v.RecordId(), *meaning);
    std::printf("signed %s: %s\n", v.RecordId().c_str(), sig.Manifestation().c_str());
    return kExitOk;
  } catch (const rec::Error& e) {
    return ReportRecordError("recipe sign", e);
  }
}

int Start(const std::vector<std::string>& args) {
  auto a = rec::ParseCliArgs(args, {"--db", "--id", "--version", "--user", "--batch-name", "--model", "--reason"});
  if (!a.error.empty() || !a.Get("--db") || !a.Get("--id") || !a.Get("--version") || !a.Get("--user") ||
      !a.Get("--batch-name") || !a.Get("--reason") || !a.Get("--model")) {
    std::fprintf(stderr, "recipe start: %s\n",
                 a.error.empty() ? "--db, --id, --version, --user, --batch-name, --reason and --model are required"
                                 : a.error.c_str());
    return kExitUsage;
  }
  try {
    const int64_t version = VersionArg(a);
    rec::BatchStart base;
    base.name = *a.Get("--batch-name");
    {
      const std::string path = *a.Get("--model");
      std::shared_ptr<const model::Model> m;
      try {
        m = model::LoadModelFile(path);
      } catch (const model::ModelError& e) {
        std::fprintf(stderr, "recipe start: %s\n", e.what());
        return kExitInvalidInput;
      }
      const auto& info = m->info();
      base.model_name = info.provenance.name;
      base.model_version = info.provenance.version.empty() ? "unversioned" : info.provenance.version;
      base.model_hash = info.content_hash;
    }
    auto store = rec::OpenExistingStore(*a.Get("--db"));
    auto who = store->users().Authenticate(*a.Get("--user"), rec::ReadSecret("BIOTWIN_PASSWORD", "Password: "));
    auto c = rec::Recipes(*store).StartBatch(who, *a.Get("--id"), version, base, *a.Get("--reason"));
    std::printf("started batch %lld from %s (control recipe sha256 %s)\n", static_cast<long long>(c.batch_id),
                c.master_record_id.c_str(), c.snapshot_hash.c_str());
    for (size_t i = 0; i < c.phase_ids.size(); ++i) {
      std::printf("  phase %lld  %s  (idle)\n", static_cast<long long>(c.phase_ids[i]), c.phase_paths[i].c_str());
    }
    return kExitOk;
  } catch (const rec::Error& e) {
    return ReportRecordError("recipe start", e);
  }
}

BIOTWIN_REGISTER_COMMAND(Command{
    "recipe import", "store a master recipe YAML file as a new version",
    "biotwin recipe import --db FILE|postgresql://URI --file RECIPE.yaml --user NAME --reason TEXT\n"
    "  Validates the file (errors name file:line: field), then stores it as the next immutable\n"
    "  version of its recipe (engineer role; audited). Password from BIOTWIN_PASSWORD or stdin.\n"
    "  Sign versions with e-signatures (record type 'recipe', ID NAME@vN) before use.",
    Import});
BIOTWIN_REGISTER_COMMAND(Command{"recipe list", "list master recipe versions and their approval status",
                                 "biotwin recipe list --db FILE|postgresql://URI", ListCmd});
BIOTWIN_REGISTER_COMMAND(Command{
    "recipe show", "show one master recipe version (hierarchy, signatures, exact text)",
    "biotwin recipe show --db FILE|postgresql://URI --id NAME [--version N]\n"
    "  Without --version the latest version is shown.",
    Show});
BIOTWIN_REGISTER_COMMAND(Command{
    "recipe sign", "e-sign a master recipe version (authored, reviewed, approved, released)",
    "biotwin recipe sign --db FILE|postgresql://URI --id NAME --version N --user NAME\n"
    "       --meaning authored|reviewed|approved|released\n"
    "  Signs record 'recipe' NAME@vN, bound to its content hash. A version can be used only once it\n"
    "  carries a valid 'approved' signature; the four-eyes and order rules of e-signatures apply.\n"
    "  Password from BIOTWIN_PASSWORD or stdin, required on every signing.",
    Sign});
BIOTWIN_REGISTER_COMMAND(Command{
    "recipe start", "start a batch from an approved master recipe version",
    "biotwin recipe start --db FILE|postgresql://URI --id NAME --version N --user NAME\n"
    "       --batch-name TEXT --reason TEXT --model MODEL.yaml\n"
    "  Freezes the master text into the batch as its control recipe and creates one ISA-88 phase\n"
    "  per recipe phase (state idle). Refused (exit 1, audited) when the version is not approved.\n"
    "  The batch record carries the model's name, version and content hash (P11-10).",
    Start});

}  // namespace
}  // namespace biotwin::cli
