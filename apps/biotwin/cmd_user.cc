// biotwin user init | add | deactivate | unlock | reset-password | list: account management.
// Passwords never appear on the command line: BIOTWIN_PASSWORD (the acting user's) and
// BIOTWIN_NEW_PASSWORD (the account being created/reset), else read from stdin.
#include <cstdio>
#include <filesystem>

#include "command.h"
#include "record_errors.h"
#include "record/cli_args.h"
#include "record/record.h"

namespace biotwin::cli {
namespace {

namespace rec = biotwin::record;

std::unique_ptr<rec::RecordStore> Open(const std::string& db, bool create) {
  // A postgresql:// URI names a server database (no file to check), like `audit` commands.
  if (!create && !rec::IsPostgresUri(db) && !std::filesystem::exists(db)) throw rec::Error(rec::ErrorCode::kIo, "no database '" + db + "'");
  rec::StoreOptions o;
  o.sqlite.create_if_missing = create;
  return rec::RecordStore::Open(db, o);
}

int Init(const std::vector<std::string>& args) {
  auto a = rec::ParseCliArgs(args, {"--db", "--user", "--name"});
  if (!a.error.empty() || !a.Get("--db") || !a.Get("--user") || !a.Get("--name")) {
    std::fprintf(stderr, "user init: %s\n", a.error.empty() ? "--db, --user and --name are required" : a.error.c_str());
    return kExitUsage;
  }
  try {
    auto store = Open(*a.Get("--db"), true);
    auto u = store->users().Bootstrap(*a.Get("--user"), *a.Get("--name"),
                                      rec::ReadSecret("BIOTWIN_NEW_PASSWORD", "New administrator password: "));
    std::printf("created administrator '%s' (id %lld)\n", u.username.c_str(), static_cast<long long>(u.id));
    return kExitOk;
  } catch (const rec::Error& e) {
    return ReportRecordError("user init", e);
  }
}

// Runs `body` as the authenticated --user of --db.
template <typename Body>
int AsAdmin(const char* cmd, const std::vector<std::string>& args, const std::set<std::string>& extra, Body body) {
  std::set<std::string> keys = {"--db", "--user"};
  keys.insert(extra.begin(), extra.end());
  auto a = rec::ParseCliArgs(args, keys);
  if (!a.error.empty() || !a.Get("--db") || !a.Get("--user")) {
    std::fprintf(stderr, "%s: %s\n", cmd, a.error.empty() ? "--db and --user are required" : a.error.c_str());
    return kExitUsage;
  }
  for (const auto& k : extra) {
    if (!a.Get(k)) {
      std::fprintf(stderr, "%s: %s is required\n", cmd, k.c_str());
      return kExitUsage;
    }
  }
  try {
    auto store = Open(*a.Get("--db"), false);
    auto who = store->users().Authenticate(*a.Get("--user"), rec::ReadSecret("BIOTWIN_PASSWORD", "Password: "));
    body(*store, who, a);
    return kExitOk;
  } catch (const rec::Error& e) {
    return ReportRecordError(cmd, e);
  }
}

int Add(const std::vector<std::string>& args) {
  return AsAdmin("user add", args, {"--new", "--name", "--role", "--reason"}, [](auto& store, auto& who, auto& a) {
    auto role = rec::ParseRole(*a.Get("--role"));
    if (!role) throw rec::Error(rec::ErrorCode::kInvalidArgument, "role must be admin, engineer, operator, qa or qp");
    auto u = store.users().Create(who, *a.Get("--new"), *a.Get("--name"), *role,
                                  rec::ReadSecret("BIOTWIN_NEW_PASSWORD", "New user's password: "), *a.Get("--reason"));
    std::printf("created user '%s' (id %lld, role %s)\n", u.username.c_str(), static_cast<long long>(u.id),
                rec::RoleName(u.role));
  });
}

int Deactivate(const std::vector<std::string>& args) {
  return AsAdmin("user deactivate", args, {"--target", "--reason"}, [](auto& store, auto& who, auto& a) {
    store.users().Deactivate(who, *a.Get("--target"), *a.Get("--reason"));
    std::printf("deactivated '%s' (the user ID is never reused)\n", a.Get("--target")->c_str());
  });
}

int Unlock(const std::vector<std::string>& args) {
  return AsAdmin("user unlock", args, {"--target", "--reason"}, [](auto& store, auto& who, auto& a) {
    store.users().Unlock(who, *a.Get("--target"), *a.Get("--reason"));
    std::printf("unlocked '%s'\n", a.Get("--target")->c_str());
  });
}

int Reset(const std::vector<std::string>& args) {
  return AsAdmin("user reset-password", args, {"--target", "--reason"}, [](auto& store, auto& who, auto& a) {
    store.users().ResetPassword(who, *a.Get("--target"),
                                rec::ReadSecret("BIOTWIN_NEW_PASSWORD", "Temporary password: "), *a.Get("--reason"));
    std::printf("temporary password set for '%s'; change due at next login\n", a.Get("--target")->c_str());
  });
}

int List(const std::vector<std::string>& args) {
  return AsAdmin("user list", args, {}, [](auto& store, auto& who, auto&) {
    std::printf("id\tuser\trole\tactive\tlocked\tprinted name\n");
    for (const auto& u : store.users().List(who)) {
      std::printf("%lld\t%s\t%s\t%d\t%d\t%s\n", static_cast<long long>(u.id), u.username.c_str(),
                  rec::RoleName(u.role), u.active, u.locked, u.printed_name.c_str());
    }
  });
}

BIOTWIN_REGISTER_COMMAND(Command{"user init", "create the first administrator of a new record store",
                                 "biotwin user init --db FILE|postgresql://URI --user NAME --name \"Printed Name\"\n"
                                 "  Password from BIOTWIN_NEW_PASSWORD or stdin. Only works on a store without users.",
                                 Init});
BIOTWIN_REGISTER_COMMAND(Command{"user add", "create a user (admin only, audited)",
                                 "biotwin user add --db FILE|postgresql://URI --user ADMIN --new NAME --name \"Printed Name\" "
                                 "--role admin|engineer|operator|qa|qp --reason TEXT\n"
                                 "  Passwords: BIOTWIN_PASSWORD (admin), BIOTWIN_NEW_PASSWORD (new user), else stdin.",
                                 Add});
BIOTWIN_REGISTER_COMMAND(Command{"user deactivate", "deactivate a user (never deleted, ID never reused)",
                                 "biotwin user deactivate --db FILE|postgresql://URI --user ADMIN --target NAME --reason TEXT", Deactivate});
BIOTWIN_REGISTER_COMMAND(Command{"user unlock", "unlock an account locked after failed logins",
                                 "biotwin user unlock --db FILE|postgresql://URI --user ADMIN --target NAME --reason TEXT", Unlock});
BIOTWIN_REGISTER_COMMAND(Command{"user reset-password", "set a temporary password (change forced at next login)",
                                 "biotwin user reset-password --db FILE|postgresql://URI --user ADMIN --target NAME --reason TEXT\n"
                                 "  Temporary password from BIOTWIN_NEW_PASSWORD or stdin.",
                                 Reset});
BIOTWIN_REGISTER_COMMAND(Command{"user list", "list user accounts (admin only)",
                                 "biotwin user list --db FILE|postgresql://URI --user ADMIN", List});

}  // namespace
}  // namespace biotwin::cli
