// PostgreSQL back-end (libpq). Same semantics as store_sqlite.cc for the layer above:
//  * Begin() = BEGIN + pg_advisory_xact_lock(key): one writer at a time (BEGIN IMMEDIATE), the
//    lock is released by COMMIT/ROLLBACK; READ COMMITTED then gives every statement after the
//    lock a snapshot that includes the previous writer's commit (audit head read is current).
//  * Statements are server-side prepared (PQprepare) with text parameters; columns are read
//    from the text result and converted (doubles round-trip exactly: extra_float_digits=3).
//  * LastInsertId(): INSERTs into a table with an identity "id" get "RETURNING id" appended;
//    the row is consumed by Step() and remembered on the connection.
//  * Every failure throws Error(kStorage) with the server message and SQLSTATE (fail closed).
#include "record/store_postgres.h"

#include <libpq-fe.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "record/error.h"

namespace biotwin::record {

bool IsPostgresUri(std::string_view location) {
  return location.starts_with("postgresql://") || location.starts_with("postgres://");
}

std::string PostgresDatabaseName(const std::string& uri) {
  char* err = nullptr;
  PQconninfoOption* opts = PQconninfoParse(uri.c_str(), &err);
  if (!opts) {
    std::string msg = err ? err : "invalid URI";
    PQfreemem(err);
    throw Error(ErrorCode::kInvalidArgument, "bad PostgreSQL URI '" + uri + "': " + msg);
  }
  std::string db, user;
  for (PQconninfoOption* o = opts; o->keyword; ++o) {
    if (!o->val) continue;
    if (std::string_view(o->keyword) == "dbname") db = o->val;
    if (std::string_view(o->keyword) == "user") user = o->val;
  }
  PQconninfoFree(opts);
  return db.empty() ? user : db;  // libpq's default database is the user name
}

namespace {

void ReplaceAll(std::string& s, std::string_view from, std::string_view to) {
  for (size_t p = s.find(from); p != std::string::npos; p = s.find(from, p + to.size())) {
    s.replace(p, from.size(), to);
  }
}

// Index of the ')' matching the '(' at `open`, or npos.
size_t MatchParen(const std::string& s, size_t open) {
  int depth = 0;
  for (size_t i = open; i < s.size(); ++i) {
    if (s[i] == '(') ++depth;
    if (s[i] == ')' && --depth == 0) return i;
  }
  return std::string::npos;
}

// Column list of "INSERT ... INTO t(a, b, c)".
std::vector<std::string> InsertColumns(const std::string& s) {
  std::vector<std::string> cols;
  size_t open = s.find('(');
  size_t close = open == std::string::npos ? open : MatchParen(s, open);
  if (close == std::string::npos) return cols;
  std::string cur;
  for (size_t i = open + 1; i <= close; ++i) {
    char c = s[i];
    if (c == ',' || i == close) {
      cols.push_back(cur);
      cur.clear();
    } else if (c != ' ') {
      cur += c;
    }
  }
  return cols;
}

}  // namespace

std::string TranslateSqlForPostgres(std::string_view sql_in, int* params) {
  std::string s(sql_in);
  if (s.starts_with("VACUUM") || s.starts_with("PRAGMA")) {
    throw Error(ErrorCode::kStorage, "not supported on PostgreSQL [" + s.substr(0, 40) +
                                         "] (backups: pg_dump / pg_basebackup)");
  }
  // CAST(x AS INTEGER) truncates in SQLite and rounds in PostgreSQL: make it truncate.
  for (size_t p = s.find("CAST("); p != std::string::npos; p = s.find("CAST(", p + 5)) {
    size_t close = MatchParen(s, p + 4);
    constexpr std::string_view kAsInt = " AS INTEGER";
    if (close == std::string::npos || close < kAsInt.size()) continue;
    if (std::string_view(s).substr(close - kAsInt.size(), kAsInt.size()) != kAsInt) continue;
    std::string inner = s.substr(p + 5, close - kAsInt.size() - (p + 5));
    s.replace(p, close + 1 - p, "CAST(TRUNC(" + inner + ") AS BIGINT)");
  }
  ReplaceAll(s, "sqlite_master",
             "(SELECT 'table'::text AS type, tablename::text AS name FROM pg_catalog.pg_tables "
             "WHERE schemaname = current_schema()) AS sqlite_master");
  if (s.starts_with("INSERT OR IGNORE INTO")) {
    s = "INSERT INTO" + s.substr(21) + " ON CONFLICT DO NOTHING";
  } else if (s.starts_with("INSERT OR REPLACE INTO")) {
    s = "INSERT INTO" + s.substr(22);
    // The first column is the key (audit_head(id, ...)); every other column is replaced.
    std::vector<std::string> cols = InsertColumns(s);
    if (cols.empty()) throw Error(ErrorCode::kStorage, "cannot translate [" + s.substr(0, 60) + "]");
    s += " ON CONFLICT (" + cols[0] + ") DO UPDATE SET ";
    for (size_t i = 1; i < cols.size(); ++i) {
      s += (i > 1 ? ", " : "") + cols[i] + " = EXCLUDED." + cols[i];
    }
  }
  // Placeholders: ?NNN -> $NNN, ? -> $k (k counts up); string literals are left alone. A negative
  // LIMIT means "no limit" in SQLite, an error in PostgreSQL (where NULL means no limit).
  std::string out;
  out.reserve(s.size() + 64);
  int next = 0, max_index = 0;
  bool in_string = false;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == '\'') in_string = !in_string;
    if (c != '?' || in_string) {
      out += c;
      continue;
    }
    size_t j = i + 1;
    while (j < s.size() && std::isdigit(static_cast<unsigned char>(s[j]))) ++j;
    int index = j > i + 1 ? std::atoi(s.substr(i + 1, j - i - 1).c_str()) : ++next;
    max_index = std::max(max_index, index);
    std::string p = "$" + std::to_string(index);
    if (out.ends_with("LIMIT ")) {
      out += "CASE WHEN " + p + "::bigint < 0 THEN NULL ELSE " + p + "::bigint END";  // -1: no limit
      i = j - 1;
      continue;
    }
    out += p;
    // "? IS NULL" gives the server nothing to infer the type from; all parameters travel as text.
    std::string_view rest = std::string_view(s).substr(j);
    if (rest.starts_with(" IS NULL") || rest.starts_with(" IS NOT NULL")) out += "::text";
    i = j - 1;
  }
  if (params) *params = max_index;
  return out;
}

namespace {

struct Session {
  PGconn* conn = nullptr;
  int64_t last_insert_id = 0;
  int64_t statement_counter = 0;
  std::set<std::string> identity_tables;
  bool closing = false;  // the connection is going away: no DEALLOCATE round trips
  ~Session() {
    if (conn) PQfinish(conn);
  }
};

[[noreturn]] void FailResult(PGconn* conn, PGresult* res, const std::string& what) {
  std::string msg = res ? PQresultErrorMessage(res) : "";
  if (msg.empty()) msg = PQerrorMessage(conn);
  while (!msg.empty() && (msg.back() == '\n' || msg.back() == ' ')) msg.pop_back();
  const char* state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : nullptr;
  if (state) msg += " (SQLSTATE " + std::string(state) + ")";
  if (res) PQclear(res);
  throw Error(ErrorCode::kStorage, what + ": " + msg);
}

PGresult* Check(PGconn* conn, PGresult* res, const std::string& what) {
  ExecStatusType st = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;
  if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) FailResult(conn, res, what);
  return res;
}

class PgStatement : public Statement {
 public:
  PgStatement(std::shared_ptr<Session> session, std::string name, std::string sql, int params,
              bool returning_id)
      : session_(std::move(session)), name_(std::move(name)), sql_(std::move(sql)),
        params_(params), returning_id_(returning_id) {}
  ~PgStatement() override {
    Clear();
    PGTransactionStatusType st = PQtransactionStatus(session_->conn);
    if (!session_->closing && (st == PQTRANS_IDLE || st == PQTRANS_INTRANS)) {
      PQclear(PQexec(session_->conn, ("DEALLOCATE " + name_).c_str()));
    }
  }

  void BindNull(int i) override { Slot(i).reset(); }
  void BindInt(int i, int64_t v) override { Slot(i) = std::to_string(v); }
  void BindDouble(int i, double v) override {
    if (std::isnan(v)) {
      Slot(i).reset();  // as SQLite: NaN is stored as NULL (the historian marks it Bad)
    } else if (std::isinf(v)) {
      Slot(i) = v > 0 ? "Infinity" : "-Infinity";
    } else {
      char buf[32];
      std::snprintf(buf, sizeof buf, "%.17g", v);
      Slot(i) = buf;
    }
  }
  void BindText(int i, std::string_view v) override { Slot(i) = std::string(v); }

  bool Step() override {
    if (!result_) {
      std::vector<const char*> values(params_.size());
      for (size_t k = 0; k < params_.size(); ++k) values[k] = params_[k] ? params_[k]->c_str() : nullptr;
      PGresult* res = PQexecPrepared(session_->conn, name_.c_str(), static_cast<int>(values.size()),
                                     values.data(), nullptr, nullptr, 0);
      result_ = Check(session_->conn, res, "statement failed [" + sql_.substr(0, 80) + "]");
      row_ = -1;
      if (returning_id_) {
        if (PQntuples(result_) > 0) session_->last_insert_id = std::atoll(PQgetvalue(result_, 0, 0));
        row_ = PQntuples(result_);  // the RETURNING row is ours, not the caller's
      }
    }
    return ++row_ < PQntuples(result_);
  }
  void Reset() override {
    Clear();
    for (auto& p : params_) p.reset();
  }
  bool ColumnIsNull(int c) override { return PQgetisnull(Current(c), row_, c); }
  int64_t ColumnInt(int c) override {
    const char* v = PQgetvalue(Current(c), row_, c);
    if (v[0] == 't' && v[1] == 0) return 1;  // boolean
    if (v[0] == 'f' && v[1] == 0) return 0;
    char* end = nullptr;
    errno = 0;
    long long n = std::strtoll(v, &end, 10);
    if (*end != 0) return static_cast<int64_t>(std::strtod(v, nullptr));  // numeric/double text
    return n;
  }
  double ColumnDouble(int c) override {
    const char* v = PQgetvalue(Current(c), row_, c);
    return PQgetisnull(result_, row_, c) ? 0.0 : std::strtod(v, nullptr);
  }
  std::string ColumnText(int c) override {
    PGresult* r = Current(c);
    return std::string(PQgetvalue(r, row_, c), PQgetlength(r, row_, c));
  }

 private:
  std::optional<std::string>& Slot(int i) {
    if (i < 1 || i > static_cast<int>(params_.size())) {
      throw Error(ErrorCode::kStorage, "bind index " + std::to_string(i) + " out of range [" +
                                           sql_.substr(0, 80) + "]");
    }
    if (result_) Clear();
    return params_[i - 1];
  }
  PGresult* Current(int c) {
    if (!result_ || row_ < 0 || row_ >= PQntuples(result_) || c < 0 || c >= PQnfields(result_)) {
      throw Error(ErrorCode::kStorage, "no such row/column " + std::to_string(c) + " [" +
                                           sql_.substr(0, 80) + "]");
    }
    return result_;
  }
  void Clear() {
    if (result_) PQclear(result_);
    result_ = nullptr;
    row_ = -1;
  }

  std::shared_ptr<Session> session_;
  std::string name_;
  std::string sql_;
  std::vector<std::optional<std::string>> params_;
  bool returning_id_;
  PGresult* result_ = nullptr;
  int row_ = -1;
};

class PgConnection : public Connection {
 public:
  PgConnection(std::string uri, const PostgresOptions& options)
      : uri_(std::move(uri)), options_(options), session_(std::make_shared<Session>()) {
    std::string conninfo = uri_;
    conninfo += (conninfo.find('?') == std::string::npos ? "?" : "&");
    conninfo += "connect_timeout=" + std::to_string(options.connect_timeout_s);
    session_->conn = PQconnectdb(conninfo.c_str());
    if (PQstatus(session_->conn) != CONNECTION_OK) {
      std::string msg = PQerrorMessage(session_->conn);
      while (!msg.empty() && msg.back() == '\n') msg.pop_back();
      throw Error(ErrorCode::kStorage, "cannot connect to '" + uri_ + "': " + msg);
    }
    PQsetNoticeProcessor(session_->conn, [](void*, const char*) {}, nullptr);
    Exec("SET extra_float_digits = 3; SET client_min_messages = warning; "
         "SET client_encoding = 'UTF8'; SET TIME ZONE 'UTC'");
  }

  ~PgConnection() override { session_->closing = true; }

  Dialect dialect() const override { return Dialect::kPostgres; }
  const std::string& location() const override { return uri_; }

  std::unique_ptr<Statement> Prepare(std::string_view sql) override {
    int params = 0;
    std::string pg = TranslateSqlForPostgres(sql, &params);
    bool returning_id = false;
    if (pg.starts_with("INSERT INTO ") && pg.find(" RETURNING ") == std::string::npos) {
      size_t end = pg.find_first_of("( ", 12);
      returning_id = IsIdentityTable(pg.substr(12, end - 12));
      if (returning_id) pg += " RETURNING id";
    }
    std::string name = "bt_" + std::to_string(++session_->statement_counter);
    Check(session_->conn, PQprepare(session_->conn, name.c_str(), pg.c_str(), 0, nullptr),
          "cannot prepare [" + std::string(sql.substr(0, 80)) + "]");
    return std::make_unique<PgStatement>(session_, name, pg, params, returning_id);
  }
  void Exec(std::string_view sql) override {
    std::string s(sql);
    PGresult* res = PQexec(session_->conn, s.c_str());
    PQclear(Check(session_->conn, res, "[" + s.substr(0, 80) + "]"));
  }
  void Begin() override {
    Exec("BEGIN ISOLATION LEVEL READ COMMITTED; SELECT pg_advisory_xact_lock(" +
         std::to_string(options_.write_lock_key) + ")");
  }
  void Commit() override {
    PGresult* res = Check(session_->conn, PQexec(session_->conn, "COMMIT"), "COMMIT");
    bool rolled_back = std::string_view(PQcmdStatus(res)) == "ROLLBACK";
    PQclear(res);
    if (rolled_back) {
      throw Error(ErrorCode::kStorage, "COMMIT: the transaction had failed and was rolled back");
    }
  }
  void Rollback() override {
    if (InTransaction()) Exec("ROLLBACK");
  }
  bool InTransaction() const override {
    PGTransactionStatusType st = PQtransactionStatus(session_->conn);
    return st == PQTRANS_INTRANS || st == PQTRANS_INERROR || st == PQTRANS_ACTIVE;
  }
  int64_t LastInsertId() override { return session_->last_insert_id; }

 private:
  // Tables whose "id" is an identity column (store_schema.cc); looked up in the catalog.
  bool IsIdentityTable(const std::string& table) {
    if (session_->identity_tables.count(table)) return true;
    PGresult* res = Check(session_->conn,
                          PQexec(session_->conn,
                                 "SELECT table_name FROM information_schema.columns WHERE "
                                 "table_schema = current_schema() AND column_name = 'id' AND "
                                 "is_identity = 'YES'"),
                          "identity look-up");
    for (int r = 0; r < PQntuples(res); ++r) session_->identity_tables.insert(PQgetvalue(res, r, 0));
    PQclear(res);
    return session_->identity_tables.count(table) > 0;
  }

  std::string uri_;
  PostgresOptions options_;
  std::shared_ptr<Session> session_;
};

}  // namespace

std::unique_ptr<Connection> OpenPostgres(const std::string& uri, const PostgresOptions& options) {
  return std::make_unique<PgConnection>(uri, options);
}

}  // namespace biotwin::record
