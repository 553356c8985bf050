// SQLite back-end of the Connection/Statement interface.
#include <sqlite3.h>

#include <string>

#include "record/error.h"
#include "record/store.h"

namespace biotwin::record {

const char* ErrorCodeName(ErrorCode code) {
  switch (code) {
    case ErrorCode::kInvalidArgument: return "invalid argument";
    case ErrorCode::kReasonRequired: return "reason required";
    case ErrorCode::kPermissionDenied: return "permission denied";
    case ErrorCode::kAuthenticationFailed: return "authentication failed";
    case ErrorCode::kAccountLocked: return "account locked";
    case ErrorCode::kSessionExpired: return "session expired";
    case ErrorCode::kNotFound: return "not found";
    case ErrorCode::kAlreadyExists: return "already exists";
    case ErrorCode::kIllegalState: return "illegal state";
    case ErrorCode::kSecondPersonRequired: return "second person required";
    case ErrorCode::kStorage: return "storage error";
    case ErrorCode::kIo: return "i/o error";
    case ErrorCode::kIntegrity: return "integrity error";
    case ErrorCode::kCrypto: return "crypto error";
  }
  return "error";
}

namespace {

[[noreturn]] void Fail(sqlite3* db, const std::string& what) {
  throw Error(ErrorCode::kStorage, what + ": " + (db ? sqlite3_errmsg(db) : "out of memory"));
}

class SqliteStatement : public Statement {
 public:
  SqliteStatement(sqlite3* db, sqlite3_stmt* stmt) : db_(db), stmt_(stmt) {}
  ~SqliteStatement() override { sqlite3_finalize(stmt_); }

  void BindNull(int i) override { Check(sqlite3_bind_null(stmt_, i)); }
  void BindInt(int i, int64_t v) override { Check(sqlite3_bind_int64(stmt_, i, v)); }
  void BindDouble(int i, double v) override { Check(sqlite3_bind_double(stmt_, i, v)); }
  void BindText(int i, std::string_view v) override {
    Check(sqlite3_bind_text64(stmt_, i, v.data(), v.size(), SQLITE_TRANSIENT, SQLITE_UTF8));
  }
  bool Step() override {
    int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    std::string sql = sqlite3_sql(stmt_) ? sqlite3_sql(stmt_) : "";
    sqlite3_reset(stmt_);
    Fail(db_, "statement failed [" + sql.substr(0, 80) + "]");
  }
  void Reset() override {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }
  bool ColumnIsNull(int c) override { return sqlite3_column_type(stmt_, c) == SQLITE_NULL; }
  int64_t ColumnInt(int c) override { return sqlite3_column_int64(stmt_, c); }
  double ColumnDouble(int c) override { return sqlite3_column_double(stmt_, c); }
  std::string ColumnText(int c) override {
    const unsigned char* text = sqlite3_column_text(stmt_, c);
    int n = sqlite3_column_bytes(stmt_, c);
    return text ? std::string(reinterpret_cast<const char*>(text), n) : std::string();
  }

 private:
  void Check(int rc) {
    if (rc != SQLITE_OK) Fail(db_, "bind failed");
  }
  sqlite3* db_;
  sqlite3_stmt* stmt_;
};

class SqliteConnection : public Connection {
 public:
  SqliteConnection(std::string path, const SqliteOptions& options) : path_(std::move(path)) {
    int flags = options.read_only ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE;
    if (options.create_if_missing && !options.read_only) flags |= SQLITE_OPEN_CREATE;
    flags |= SQLITE_OPEN_NOMUTEX;
    if (sqlite3_open_v2(path_.c_str(), &db_, flags,
                        options.vfs.empty() ? nullptr : options.vfs.c_str()) != SQLITE_OK) {
      std::string msg = db_ ? sqlite3_errmsg(db_) : "out of memory";
      sqlite3_close(db_);
      db_ = nullptr;
      throw Error(ErrorCode::kStorage, "cannot open database '" + path_ + "': " + msg);
    }
    sqlite3_extended_result_codes(db_, 1);
    sqlite3_busy_timeout(db_, options.busy_timeout_ms);
    try {
      Configure(options);
    } catch (...) {
      // The destructor does not run when the constructor throws: close here (found by fuzzing).
      sqlite3_close_v2(db_);
      db_ = nullptr;
      throw;
    }
  }

  void Configure(const SqliteOptions& options) {
    if (!options.read_only) {
      if (options.wal) Exec("PRAGMA journal_mode=WAL");
      Exec(options.synchronous_full ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL");
    }
    Exec("PRAGMA foreign_keys=ON");
    Exec("PRAGMA cache_size=-" + std::to_string(options.cache_kib));
    // Statement journals (multi-row statements inside a transaction) stay in memory.
    Exec("PRAGMA temp_store=MEMORY");
  }
  ~SqliteConnection() override {
    if (db_) sqlite3_close_v2(db_);
  }

  Dialect dialect() const override { return Dialect::kSqlite; }
  const std::string& location() const override { return path_; }

  std::unique_ptr<Statement> Prepare(std::string_view sql) override {
    sqlite3_stmt* stmt = nullptr;
    if (sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT,
                           &stmt, nullptr) != SQLITE_OK) {
      Fail(db_, "cannot prepare [" + std::string(sql.substr(0, 80)) + "]");
    }
    return std::make_unique<SqliteStatement>(db_, stmt);
  }
  void Exec(std::string_view sql) override {
    std::string s(sql);
    char* err = nullptr;
    if (sqlite3_exec(db_, s.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
      std::string msg = err ? err : "unknown";
      sqlite3_free(err);
      throw Error(ErrorCode::kStorage, "[" + s.substr(0, 80) + "]: " + msg);
    }
  }
  void Begin() override { Exec("BEGIN IMMEDIATE"); }
  void Commit() override { Exec("COMMIT"); }
  void Rollback() override {
    if (!sqlite3_get_autocommit(db_)) Exec("ROLLBACK");
  }
  bool InTransaction() const override { return !sqlite3_get_autocommit(db_); }
  int64_t LastInsertId() override { return sqlite3_last_insert_rowid(db_); }

 private:
  std::string path_;
  sqlite3* db_ = nullptr;
};

}  // namespace

std::unique_ptr<Connection> OpenSqlite(const std::string& path, const SqliteOptions& options) {
  return std::make_unique<SqliteConnection>(path, options);
}

}  // namespace biotwin::record
