#include "record/users.h"

#include <cctype>

#include "record/audit.h"
#include "record/crypto.h"
#include "record/error.h"
#include "record/record_store.h"

namespace biotwin::record {

namespace {

constexpr const char* kUserColumns =
    "id, username, printed_name, role, active, locked, must_change_password, failed_logins, "
    "created_utc";

UserInfo ReadUser(Statement& q) {
  UserInfo u;
  u.id = q.ColumnInt(0);
  u.username = q.ColumnText(1);
  u.printed_name = q.ColumnText(2);
  u.role = ParseRole(q.ColumnText(3)).value_or(Role::kOperator);
  u.active = q.ColumnInt(4) != 0;
  u.locked = q.ColumnInt(5) != 0;
  u.must_change_password = q.ColumnInt(6) != 0;
  u.failed_logins = static_cast<int>(q.ColumnInt(7));
  u.created_utc = q.ColumnText(8);
  return u;
}

void CheckPasswordPolicy(std::string_view password) {
  if (password.size() < 8) {
    throw Error(ErrorCode::kInvalidArgument, "password must have at least 8 characters");
  }
}

void CheckUsername(std::string_view username) {
  if (username.empty() || username.size() > 64) {
    throw Error(ErrorCode::kInvalidArgument, "user ID must have 1..64 characters");
  }
  for (char c : username) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-')) {
      throw Error(ErrorCode::kInvalidArgument, "user ID may only hold letters, digits, '.', '_', '-'");
    }
  }
}

}  // namespace

std::optional<UserInfo> Users::Find(std::string_view username) {
  auto& q = store_.db().Cached(std::string("SELECT ") + kUserColumns +
                               " FROM app_user WHERE username = ?");
  q.Bind(username);
  std::optional<UserInfo> out;
  if (q.Step()) out = ReadUser(q);
  q.Reset();
  return out;
}

UserInfo Users::MustFind(std::string_view username) {
  auto u = Find(username);
  if (!u) throw Error(ErrorCode::kNotFound, "no user '" + std::string(username) + "'");
  return *u;
}

bool Users::Empty() {
  auto& q = store_.db().Cached("SELECT COUNT(*) FROM app_user");
  q.Step();
  bool empty = q.ColumnInt(0) == 0;
  q.Reset();
  return empty;
}

std::vector<UserInfo> Users::List(const Principal& who) {
  RequirePermission(who, Action::kUserManage);
  auto& q = store_.db().Cached(std::string("SELECT ") + kUserColumns + " FROM app_user ORDER BY id");
  std::vector<UserInfo> out;
  while (q.Step()) out.push_back(ReadUser(q));
  q.Reset();
  return out;
}

UserInfo Users::Bootstrap(std::string_view username, std::string_view printed_name,
                          std::string_view password) {
  if (!Empty()) {
    throw Error(ErrorCode::kPermissionDenied, "store already has users; ask an administrator");
  }
  Principal system = Principal::System("bootstrap");
  // The bootstrap path is the only one that creates an admin without an admin.
  CheckUsername(username);
  CheckPasswordPolicy(password);
  std::string hash = HashPassword(password, store_.options().password_cost);
  AuditedTransaction tx(store_, system, "initial administrator");
  tx.db()
      .Cached("INSERT INTO app_user(username, printed_name, role, password_hash, created_utc) "
              "VALUES (?,?,?,?,?)")
      .Bind(username, printed_name, "admin", hash, UtcNowIso())
      .Run();
  int64_t id = tx.db().LastInsertId();
  tx.Record({"create", "user", std::to_string(id), "", std::nullopt,
             "username=" + std::string(username) + "; printed_name=" + std::string(printed_name) +
                 "; role=admin"});
  tx.Commit();
  return MustFind(username);
}

UserInfo Users::Create(const Principal& admin, std::string_view username,
                       std::string_view printed_name, Role role, std::string_view password,
                       std::string_view reason) {
  RequirePermission(admin, Action::kUserManage);
  CheckUsername(username);
  if (role == Role::kSystem) throw Error(ErrorCode::kInvalidArgument, "role 'system' is reserved");
  if (printed_name.empty()) throw Error(ErrorCode::kInvalidArgument, "printed name required");
  CheckPasswordPolicy(password);
  if (auto existing = Find(username)) {
    throw Error(ErrorCode::kAlreadyExists,
                "user ID '" + std::string(username) + "' " +
                    (existing->active ? "exists" : "belonged to a deactivated user and is never reused"));
  }
  std::string hash = HashPassword(password, store_.options().password_cost);
  AuditedTransaction tx(store_, admin, reason);
  tx.db()
      .Cached("INSERT INTO app_user(username, printed_name, role, password_hash, created_utc) "
              "VALUES (?,?,?,?,?)")
      .Bind(username, printed_name, RoleName(role), hash, UtcNowIso())
      .Run();
  int64_t id = tx.db().LastInsertId();
  tx.Record({"create", "user", std::to_string(id), "", std::nullopt,
             "username=" + std::string(username) + "; printed_name=" + std::string(printed_name) +
                 "; role=" + RoleName(role)});
  tx.Commit();
  return MustFind(username);
}

void Users::Deactivate(const Principal& admin, std::string_view username, std::string_view reason) {
  RequirePermission(admin, Action::kUserManage);
  UserInfo u = MustFind(username);
  if (u.id == admin.user_id()) {
    throw Error(ErrorCode::kIllegalState, "an administrator cannot deactivate their own account");
  }
  AuditedTransaction tx(store_, admin, reason);
  tx.db().Cached("UPDATE app_user SET active = 0 WHERE id = ?").Bind(u.id).Run();
  tx.db().Cached("UPDATE app_session SET ended = 1 WHERE user_id = ?").Bind(u.id).Run();
  tx.Record({"modify", "user", std::to_string(u.id), "active", u.active ? "1" : "0", "0"});
  tx.Commit();
}

void Users::Unlock(const Principal& admin, std::string_view username, std::string_view reason) {
  RequirePermission(admin, Action::kUserUnlock);
  UserInfo u = MustFind(username);
  AuditedTransaction tx(store_, admin, reason);
  tx.db().Cached("UPDATE app_user SET locked = 0, failed_logins = 0 WHERE id = ?").Bind(u.id).Run();
  tx.Record({"modify", "user", std::to_string(u.id), "locked", u.locked ? "1" : "0", "0"});
  tx.Commit();
}

void Users::ResetPassword(const Principal& admin, std::string_view username,
                          std::string_view new_password, std::string_view reason) {
  RequirePermission(admin, Action::kUserManage);
  CheckPasswordPolicy(new_password);
  UserInfo u = MustFind(username);
  std::string hash = HashPassword(new_password, store_.options().password_cost);
  AuditedTransaction tx(store_, admin, reason);
  tx.db()
      .Cached("UPDATE app_user SET password_hash = ?, must_change_password = 1 WHERE id = ?")
      .Bind(hash, u.id)
      .Run();
  // Never the password itself, not even hashed, in the trail.
  tx.Record({"modify", "user", std::to_string(u.id), "password", "(set)", "(reset; change due)"});
  tx.Commit();
}

void Users::ChangePassword(std::string_view username, std::string_view old_password,
                           std::string_view new_password) {
  CheckPasswordPolicy(new_password);
  if (old_password == new_password) {
    throw Error(ErrorCode::kInvalidArgument, "the new password must differ from the old one");
  }
  auto u = Find(username);
  auto& q = store_.db().Cached("SELECT password_hash FROM app_user WHERE username = ?");
  q.Bind(username);
  std::string stored = q.Step() ? q.ColumnText(0) : "";
  q.Reset();
  if (!u || !u->active || u->locked || stored.empty() || !CheckPassword(old_password, stored)) {
    throw Error(ErrorCode::kAuthenticationFailed, kBadCredentials);
  }
  Principal self(u->id, u->username, u->printed_name, u->role, "");
  std::string hash = HashPassword(new_password, store_.options().password_cost);
  AuditedTransaction tx(store_, self, "password change by its owner");
  tx.db()
      .Cached("UPDATE app_user SET password_hash = ?, must_change_password = 0 WHERE id = ?")
      .Bind(hash, u->id)
      .Run();
  tx.Record({"modify", "user", std::to_string(u->id), "password", "(set)", "(changed)"});
  tx.Commit();
}

Principal Users::Authenticate(std::string_view username, std::string_view password) {
  auto& q = store_.db().Cached(
      "SELECT id, printed_name, role, password_hash, active, locked, failed_logins, "
      "must_change_password FROM app_user WHERE username = ?");
  q.Bind(username);
  bool found = q.Step();
  int64_t id = found ? q.ColumnInt(0) : 0;
  std::string printed = found ? q.ColumnText(1) : "";
  Role role = found ? ParseRole(q.ColumnText(2)).value_or(Role::kOperator) : Role::kOperator;
  std::string stored = found ? q.ColumnText(3) : "";
  bool active = found && q.ColumnInt(4) != 0;
  bool locked = found && q.ColumnInt(5) != 0;
  int failed = found ? static_cast<int>(q.ColumnInt(6)) : 0;
  bool must_change = found && q.ColumnInt(7) != 0;
  q.Reset();

  Principal auth = Principal::System("auth");
  if (!found || !active) {
    RecordSecurityEvent(store_, auth,
                        {"login_failed", "user", found ? std::to_string(id) : "", "username",
                         std::nullopt, std::string(username)},
                        found ? "login attempt on a deactivated account" : "login attempt with unknown user ID");
    throw Error(ErrorCode::kAuthenticationFailed, kBadCredentials);
  }
  if (locked) {
    RecordSecurityEvent(store_, auth,
                        {"login_refused", "user", std::to_string(id), "locked", "1", "1"},
                        "login attempt on a locked account");
    throw Error(ErrorCode::kAccountLocked,
                "account locked after repeated failures; an administrator must unlock it");
  }
  if (!CheckPassword(password, stored)) {
    int now_failed = failed + 1;
    bool lock = now_failed >= store_.options().max_failed_logins;
    AuditedTransaction tx(store_, auth, lock ? "SECURITY ALERT: account locked after repeated "
                                               "failed logins"
                                             : "failed login");
    tx.db()
        .Cached("UPDATE app_user SET failed_logins = ?, locked = ? WHERE id = ?")
        .Bind(now_failed, lock, id)
        .Run();
    tx.Record({"login_failed", "user", std::to_string(id), "failed_logins",
               std::to_string(failed), std::to_string(now_failed)});
    if (lock) tx.Record({"lock", "user", std::to_string(id), "locked", "0", "1"});
    tx.Commit();
    throw Error(ErrorCode::kAuthenticationFailed, kBadCredentials);
  }
  if (must_change) {
    throw Error(ErrorCode::kIllegalState, "password change required before the next login");
  }
  if (failed != 0) {
    store_.db().Cached("UPDATE app_user SET failed_logins = 0 WHERE id = ?").Bind(id).Run();
  }
  return Principal(id, std::string(username), printed, role, "");
}

std::string Users::Login(std::string_view username, std::string_view password) {
  Principal p = Authenticate(username, password);
  std::string token = RandomHex(32);
  int64_t now = store_.SessionNow();
  AuditedTransaction tx(store_, p, "login");
  tx.db()
      .Cached("INSERT INTO app_session(token_hash, user_id, created, last_seen) VALUES (?,?,?,?)")
      .Bind(Sha256Hex(token), p.user_id(), now, now)
      .Run();
  tx.Record({"login", "session", Sha256Hex(token).substr(0, 16), "", std::nullopt, std::nullopt});
  tx.Commit();
  return token;
}

Principal Users::Resolve(const std::string& token) {
  std::string token_hash = Sha256Hex(token);
  auto& q = store_.db().Cached(
      "SELECT s.user_id, s.last_seen, s.ended, u.username, u.printed_name, u.role, u.active, "
      "u.locked FROM app_session s JOIN app_user u ON u.id = s.user_id WHERE s.token_hash = ?");
  q.Bind(token_hash);
  if (!q.Step()) {
    q.Reset();
    throw Error(ErrorCode::kSessionExpired, "no such session; log in");
  }
  int64_t user_id = q.ColumnInt(0), last_seen = q.ColumnInt(1);
  bool ended = q.ColumnInt(2) != 0;
  std::string username = q.ColumnText(3), printed = q.ColumnText(4);
  Role role = ParseRole(q.ColumnText(5)).value_or(Role::kOperator);
  bool usable = q.ColumnInt(6) != 0 && q.ColumnInt(7) == 0;
  q.Reset();
  int64_t now = store_.SessionNow();
  if (ended || !usable) throw Error(ErrorCode::kSessionExpired, "session ended; log in");
  if (now - last_seen > store_.options().session_timeout.count()) {
    store_.db().Cached("UPDATE app_session SET ended = 1 WHERE token_hash = ?").Bind(token_hash).Run();
    throw Error(ErrorCode::kSessionExpired, "session timed out after inactivity; log in again");
  }
  store_.db().Cached("UPDATE app_session SET last_seen = ? WHERE token_hash = ?").Bind(now, token_hash).Run();
  return Principal(user_id, username, printed, role, token_hash.substr(0, 16));
}

void Users::Logout(const std::string& token) {
  Principal p = Resolve(token);
  AuditedTransaction tx(store_, p, "logout");
  tx.db().Cached("UPDATE app_session SET ended = 1 WHERE token_hash = ?").Bind(Sha256Hex(token)).Run();
  tx.Record({"logout", "session", p.session_id(), "", std::nullopt, std::nullopt});
  tx.Commit();
}

}  // namespace biotwin::record
