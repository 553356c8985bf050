// RecordStore: one GMP record database (SQLite file by default) with its audit trail, users,
// e-signatures, historian, batch records and ISA-88 phases. Open() creates the schema on first use.
#ifndef BIOTWIN_RECORD_RECORD_STORE_H_
#define BIOTWIN_RECORD_RECORD_STORE_H_

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "record/crypto.h"
#include "record/store.h"
#include "record/store_postgres.h"

namespace biotwin::record {

class AuditTrail;
class Users;
class Signatures;
class Historian;
class Batches;
class Phases;

struct StoreOptions {
  // Ed25519 key that signs audit heads and checkpoints; lives outside the database (0600).
  // Empty: "<db>.audit-key". Created when missing if create_signing_key is true; without a key
  // the chain still works but heads and checkpoints are unsigned (verify reports it).
  std::string signing_key_path;
  bool create_signing_key = true;
  // File outside the database to which signed checkpoints are appended. Empty:
  // "<db>.checkpoints". The public key is written next to it as "<db>.audit-key.pub".
  std::string checkpoint_file;
  // PostgreSQL only (the location is a URI): directory that holds the side files a SQLite store
  // keeps next to its file, named after the database: "<key_dir>/<dbname>.audit-key" (+ ".pub")
  // and "<key_dir>/<dbname>.checkpoints". Empty: $BIOTWIN_KEY_DIR; if that is unset too, Open()
  // refuses (kInvalidArgument) unless signing_key_path and checkpoint_file are both given.
  std::string key_dir;
  int checkpoint_every = 100;  // audit entries between signed checkpoints
  PasswordCost password_cost = PasswordCost::kModerate;
  int max_failed_logins = 5;
  std::chrono::seconds session_timeout{15 * 60};
  // Clock for session timeouts (seconds since epoch). Audit timestamps never use it: they always
  // come from the system clock.
  std::function<int64_t()> session_clock;
  SqliteOptions sqlite;
  PostgresOptions postgres;
};

// Where the side files of the store at `location` live by default: "<db>" for a SQLite file,
// "<key_dir>/<dbname>" for a PostgreSQL URI (key_dir: the argument, else $BIOTWIN_KEY_DIR; empty
// result if neither is set). Append ".audit-key", ".audit-key.pub" or ".checkpoints".
std::string SideFileBase(const std::string& location, const std::string& key_dir = "");

class RecordStore {
 public:
  // Opens or creates the store at `path`: a SQLite file, or a PostgreSQL server when `path` is a
  // URI ("postgresql://user@host:port/db"). Throws Error(kStorage/kCrypto/kInvalidArgument).
  static std::unique_ptr<RecordStore> Open(const std::string& path, StoreOptions options = {});
  ~RecordStore();

  Connection& db() { return *db_; }
  const std::string& path() const { return path_; }
  const StoreOptions& options() const { return options_; }
  const SigningKey* signing_key() const { return key_ ? &*key_ : nullptr; }
  int64_t SessionNow() const;

  AuditTrail& audit() { return *audit_; }
  Users& users() { return *users_; }
  Signatures& signatures() { return *signatures_; }
  Historian& historian() { return *historian_; }
  Batches& batches() { return *batches_; }
  Phases& phases() { return *phases_; }

 private:
  RecordStore() = default;
  std::string path_;
  StoreOptions options_;
  std::unique_ptr<Connection> db_;
  std::optional<SigningKey> key_;
  std::unique_ptr<AuditTrail> audit_;
  std::unique_ptr<Users> users_;
  std::unique_ptr<Signatures> signatures_;
  std::unique_ptr<Historian> historian_;
  std::unique_ptr<Batches> batches_;
  std::unique_ptr<Phases> phases_;
};

// Creates every table, index and trigger (idempotent).
void CreateSchema(Connection& db);
inline constexpr int kSchemaVersion = 1;

}  // namespace biotwin::record

#endif  // BIOTWIN_RECORD_RECORD_STORE_H_
