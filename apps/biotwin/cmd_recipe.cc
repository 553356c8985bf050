// biotwin recipe import | list | show: ISA-88 master recipes (versioned, signed before use).
#include <cstdio>
#include <filesystem>

#include "command.h"
#include "record/cli_args.h"
#include "record/recipe.h"
#include "record/record.h"

namespace biotwin::cli {
namespace {

namespace rec = biotwin::record;

int Fail(const char* cmd, const rec::Error& e) {
  std::fprintf(stderr, "%s: %s\n", cmd, e.what());
  if (e.code() == rec::ErrorCode::kIo) return kExitIoError;
  if (e.code() == rec::ErrorCode::kInvalidArgument || e.code() == rec::ErrorCode::kNotFound) return kExitInvalidInput;
  return kExitRunFailed;
}

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
    return Fail("recipe import", e);
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
    return Fail("recipe list", e);
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
    return Fail("recipe show", e);
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

}  // namespace
}  // namespace biotwin::cli
