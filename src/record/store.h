// Storage back-end interface. Everything above this file (audit trail, users, signatures,
// historian, batch records) speaks only to Connection/Statement, so a PostgreSQL back-end can be
// added behind the same interface later (placeholders are written as '?' and translated).
#ifndef BIOTWIN_RECORD_STORE_H_
#define BIOTWIN_RECORD_STORE_H_

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace biotwin::record {

enum class Dialect { kSqlite, kPostgres };

// A prepared statement. Bind indices are 1-based, column indices 0-based.
class Statement {
 public:
  virtual ~Statement() = default;
  virtual void BindNull(int index) = 0;
  virtual void BindInt(int index, int64_t value) = 0;
  virtual void BindDouble(int index, double value) = 0;
  virtual void BindText(int index, std::string_view value) = 0;
  // Executes one step; true while a result row is available.
  virtual bool Step() = 0;
  // Makes the statement reusable (clears bindings).
  virtual void Reset() = 0;
  virtual bool ColumnIsNull(int column) = 0;
  virtual int64_t ColumnInt(int column) = 0;
  virtual double ColumnDouble(int column) = 0;
  virtual std::string ColumnText(int column) = 0;

  std::optional<std::string> ColumnOptText(int column) {
    if (ColumnIsNull(column)) return std::nullopt;
    return ColumnText(column);
  }
  // Convenience: bind every argument in order starting at index 1.
  template <typename... Args>
  Statement& Bind(const Args&... args) {
    Reset();
    int index = 1;
    (BindOne(index++, args), ...);
    return *this;
  }
  // Runs a statement that returns no rows.
  void Run() {
    while (Step()) {
    }
  }

 private:
  void BindOne(int i, std::nullptr_t) { BindNull(i); }
  void BindOne(int i, int v) { BindInt(i, v); }
  void BindOne(int i, long v) { BindInt(i, static_cast<int64_t>(v)); }
  void BindOne(int i, long long v) { BindInt(i, static_cast<int64_t>(v)); }
  void BindOne(int i, bool v) { BindInt(i, v ? 1 : 0); }
  void BindOne(int i, double v) { BindDouble(i, v); }
  void BindOne(int i, std::string_view v) { BindText(i, v); }
  void BindOne(int i, const std::string& v) { BindText(i, v); }
  void BindOne(int i, const char* v) { BindText(i, v); }
  void BindOne(int i, const std::optional<std::string>& v) {
    if (v) BindText(i, *v); else BindNull(i);
  }
};

// One connection to a store. Not thread-safe: one Connection per thread.
class Connection {
 public:
  virtual ~Connection() = default;
  virtual Dialect dialect() const = 0;
  virtual const std::string& location() const = 0;
  virtual std::unique_ptr<Statement> Prepare(std::string_view sql) = 0;
  virtual void Exec(std::string_view sql) = 0;  // one or more statements, no results
  // Starts a write transaction that takes the write lock at once (BEGIN IMMEDIATE on SQLite).
  virtual void Begin() = 0;
  virtual void Commit() = 0;
  virtual void Rollback() = 0;
  virtual bool InTransaction() const = 0;
  virtual int64_t LastInsertId() = 0;

  // A prepared statement cached on this connection for the connection's lifetime.
  Statement& Cached(const std::string& sql) {
    auto it = cache_.find(sql);
    if (it == cache_.end()) it = cache_.emplace(sql, Prepare(sql)).first;
    it->second->Reset();
    return *it->second;
  }

 private:
  std::map<std::string, std::unique_ptr<Statement>> cache_;
};

// Scope guard: rolls back unless Commit() was called.
class Transaction {
 public:
  explicit Transaction(Connection& connection) : connection_(connection) { connection_.Begin(); }
  ~Transaction() {
    if (!done_) {
      try {
        connection_.Rollback();
      } catch (...) {
      }
    }
  }
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  void Commit() {
    connection_.Commit();
    done_ = true;
  }

 private:
  Connection& connection_;
  bool done_ = false;
};

struct SqliteOptions {
  bool create_if_missing = true;
  bool read_only = false;
  int busy_timeout_ms = 10000;
  // WAL + synchronous=FULL: a committed transaction survives power loss (ALC-C, DUR-*).
  bool wal = true;
  bool synchronous_full = true;
  // Page cache per connection; large enough that a historian batch is written once, at commit.
  int cache_kib = 65536;
  // SQLite VFS name; empty = default. Tests use it to inject I/O faults.
  std::string vfs;
};

// Opens (or creates) a SQLite database file with WAL, synchronous=FULL, foreign keys on and a
// busy timeout. Throws Error(kStorage) when the file cannot be opened.
std::unique_ptr<Connection> OpenSqlite(const std::string& path, const SqliteOptions& options = {});

}  // namespace biotwin::record

#endif  // BIOTWIN_RECORD_STORE_H_
