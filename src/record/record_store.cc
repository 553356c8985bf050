#include "record/record_store.h"

#include <sys/stat.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>

#include "record/audit.h"
#include "record/batch.h"
#include "record/error.h"
#include "record/historian.h"
#include "record/phase.h"
#include "record/signature.h"
#include "record/users.h"

namespace biotwin::record {

std::string SideFileBase(const std::string& location, const std::string& key_dir) {
  if (!IsPostgresUri(location)) return location;
  std::string dir = key_dir;
  if (dir.empty()) {
    const char* env = std::getenv("BIOTWIN_KEY_DIR");
    if (env) dir = env;
  }
  if (dir.empty()) return "";
  std::string name = PostgresDatabaseName(location);
  for (char& c : name) {
    if (c == '/' || c == '\\') c = '_';
  }
  return (std::filesystem::path(dir) / name).string();
}

std::unique_ptr<RecordStore> RecordStore::Open(const std::string& path, StoreOptions options) {
  std::unique_ptr<RecordStore> s(new RecordStore());
  s->path_ = path;
  bool postgres = IsPostgresUri(path);
  if (options.signing_key_path.empty() || options.checkpoint_file.empty()) {
    std::string base = SideFileBase(path, options.key_dir);
    if (base.empty()) {
      throw Error(ErrorCode::kInvalidArgument,
                  "a PostgreSQL store needs a directory for its signing key and checkpoint file: "
                  "set StoreOptions::key_dir or BIOTWIN_KEY_DIR");
    }
    if (options.signing_key_path.empty()) options.signing_key_path = base + ".audit-key";
    if (options.checkpoint_file.empty()) options.checkpoint_file = base + ".checkpoints";
  }
  s->options_ = std::move(options);
  s->db_ = postgres ? OpenPostgres(path, s->options_.postgres) : OpenSqlite(path, s->options_.sqlite);
  CreateSchema(*s->db_);

  const std::string& key_path = s->options_.signing_key_path;
  if (std::filesystem::exists(key_path)) {
    s->key_ = LoadSigningKey(key_path);
  } else if (s->options_.create_signing_key) {
    SigningKey key = GenerateSigningKey();
    SaveSigningKey(key_path, key);
    SavePublicKey(key_path + ".pub", key.public_key);
    s->key_ = std::move(key);
  }
  if (s->key_) {
    // Record the public key for convenience; the verifier prefers the key file given to it.
    auto check = s->db_->Prepare("SELECT value FROM meta WHERE key='audit_public_key'");
    if (!check->Step()) {
      s->db_->Prepare("INSERT INTO meta(key, value) VALUES ('audit_public_key', ?)")
          ->Bind(s->key_->PublicHex())
          .Run();
    } else if (check->ColumnText(0) != s->key_->PublicHex()) {
      throw Error(ErrorCode::kCrypto, "signing key '" + key_path +
                                          "' does not belong to this store (public key differs)");
    }
  }
  s->audit_ = std::make_unique<AuditTrail>(*s);
  s->users_ = std::make_unique<Users>(*s);
  s->signatures_ = std::make_unique<Signatures>(*s);
  s->historian_ = std::make_unique<Historian>(*s);
  s->batches_ = std::make_unique<Batches>(*s);
  s->phases_ = std::make_unique<Phases>(*s);
  return s;
}

RecordStore::~RecordStore() = default;

int64_t RecordStore::SessionNow() const {
  if (options_.session_clock) return options_.session_clock();
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace biotwin::record
