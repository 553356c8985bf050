// The record schema. Append-only tables carry triggers that refuse UPDATE/DELETE; that is
// defence in depth only: the verifier (audit_verify.cc) detects changes without trusting them.
#include "record/record_store.h"

#include <string>
#include <string_view>

namespace biotwin::record {

namespace {

constexpr const char* kSchema = R"SQL(
CREATE TABLE IF NOT EXISTS meta (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS audit_log (
  seq INTEGER PRIMARY KEY,
  utc TEXT NOT NULL,
  tx_id INTEGER NOT NULL,
  user_id INTEGER NOT NULL,
  username TEXT NOT NULL,
  role TEXT NOT NULL,
  action TEXT NOT NULL,
  object_type TEXT NOT NULL,
  object_id TEXT NOT NULL,
  field TEXT NOT NULL,
  old_value TEXT,
  new_value TEXT,
  reason TEXT NOT NULL,
  prev_hash TEXT NOT NULL,
  entry_hash TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS audit_object ON audit_log(object_type, object_id);
CREATE TRIGGER IF NOT EXISTS audit_log_no_update BEFORE UPDATE ON audit_log
  BEGIN SELECT RAISE(ABORT, 'audit trail is append-only'); END;
CREATE TRIGGER IF NOT EXISTS audit_log_no_delete BEFORE DELETE ON audit_log
  BEGIN SELECT RAISE(ABORT, 'audit trail is append-only'); END;
CREATE TABLE IF NOT EXISTS audit_head (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  seq INTEGER NOT NULL,
  entry_hash TEXT NOT NULL,
  utc TEXT NOT NULL,
  public_key TEXT NOT NULL,
  signature TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS audit_checkpoint (
  seq INTEGER PRIMARY KEY,
  entry_hash TEXT NOT NULL,
  utc TEXT NOT NULL,
  public_key TEXT NOT NULL,
  signature TEXT NOT NULL
);
CREATE TRIGGER IF NOT EXISTS audit_checkpoint_no_update BEFORE UPDATE ON audit_checkpoint
  BEGIN SELECT RAISE(ABORT, 'checkpoints are append-only'); END;
CREATE TRIGGER IF NOT EXISTS audit_checkpoint_no_delete BEFORE DELETE ON audit_checkpoint
  BEGIN SELECT RAISE(ABORT, 'checkpoints are append-only'); END;

CREATE TABLE IF NOT EXISTS app_user (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  username TEXT NOT NULL UNIQUE,
  printed_name TEXT NOT NULL,
  role TEXT NOT NULL,
  password_hash TEXT NOT NULL,
  active INTEGER NOT NULL DEFAULT 1,
  locked INTEGER NOT NULL DEFAULT 0,
  failed_logins INTEGER NOT NULL DEFAULT 0,
  must_change_password INTEGER NOT NULL DEFAULT 0,
  created_utc TEXT NOT NULL
);
CREATE TRIGGER IF NOT EXISTS app_user_no_delete BEFORE DELETE ON app_user
  BEGIN SELECT RAISE(ABORT, 'users are deactivated, never deleted'); END;
CREATE TABLE IF NOT EXISTS app_session (
  token_hash TEXT PRIMARY KEY,
  user_id INTEGER NOT NULL REFERENCES app_user(id),
  created INTEGER NOT NULL,
  last_seen INTEGER NOT NULL,
  ended INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE IF NOT EXISTS batch (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  name TEXT NOT NULL,
  status TEXT NOT NULL,
  status_message TEXT NOT NULL DEFAULT '',
  model_name TEXT NOT NULL,
  model_version TEXT NOT NULL,
  model_hash TEXT NOT NULL,
  recipe_snapshot TEXT NOT NULL,
  recipe_hash TEXT NOT NULL,
  started_utc TEXT NOT NULL,
  finished_utc TEXT,
  created_by TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS batch_input (
  batch_id INTEGER NOT NULL REFERENCES batch(id),
  name TEXT NOT NULL,
  value TEXT NOT NULL,
  unit TEXT NOT NULL,
  PRIMARY KEY (batch_id, name)
);
CREATE TABLE IF NOT EXISTS batch_event (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  batch_id INTEGER NOT NULL REFERENCES batch(id),
  t REAL NOT NULL,
  utc TEXT NOT NULL,
  kind TEXT NOT NULL,
  message TEXT NOT NULL,
  username TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS batch_event_batch ON batch_event(batch_id, id);
CREATE TABLE IF NOT EXISTS batch_deviation (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  batch_id INTEGER NOT NULL REFERENCES batch(id),
  utc TEXT NOT NULL,
  severity TEXT NOT NULL,
  description TEXT NOT NULL,
  username TEXT NOT NULL
);

CREATE TABLE IF NOT EXISTS esignature (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  record_type TEXT NOT NULL,
  record_id TEXT NOT NULL,
  content_hash TEXT NOT NULL,
  user_id INTEGER NOT NULL,
  username TEXT NOT NULL,
  printed_name TEXT NOT NULL,
  meaning TEXT NOT NULL,
  utc TEXT NOT NULL,
  binding_hash TEXT NOT NULL,
  system_signature TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS esignature_record ON esignature(record_type, record_id);

CREATE TABLE IF NOT EXISTS phase (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  batch_id INTEGER REFERENCES batch(id),
  name TEXT NOT NULL,
  state TEXT NOT NULL
);

CREATE TABLE IF NOT EXISTS ts_tag (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  unit TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS ts_source (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE
);
CREATE TABLE IF NOT EXISTS ts_sample (
  tag_id INTEGER NOT NULL,
  t REAL NOT NULL,
  value REAL,  -- NULL holds NaN (SQLite stores NaN as NULL); such rows carry Bad quality
  quality INTEGER NOT NULL,
  source_id INTEGER NOT NULL,
  batch_id INTEGER
);
CREATE INDEX IF NOT EXISTS ts_sample_tag_time ON ts_sample(tag_id, t);
)SQL";

// PostgreSQL: the same tables from the same text, with the dialect's types, identity columns for
// AUTOINCREMENT / rowid aliases, and PL/pgSQL triggers for the append-only rules.
void ReplaceAll(std::string& s, std::string_view from, std::string_view to) {
  for (size_t p = s.find(from); p != std::string::npos; p = s.find(from, p + to.size())) {
    s.replace(p, from.size(), to);
  }
}

constexpr const char* kPostgresTriggers = R"SQL(
CREATE OR REPLACE FUNCTION biotwin_refuse() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION '%', TG_ARGV[0] USING ERRCODE = 'restrict_violation';
END $$;
CREATE OR REPLACE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
  FOR EACH ROW EXECUTE FUNCTION biotwin_refuse('audit trail is append-only');
CREATE OR REPLACE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
  FOR EACH ROW EXECUTE FUNCTION biotwin_refuse('audit trail is append-only');
CREATE OR REPLACE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
  FOR EACH STATEMENT EXECUTE FUNCTION biotwin_refuse('audit trail is append-only');
CREATE OR REPLACE TRIGGER audit_checkpoint_no_update BEFORE UPDATE ON audit_checkpoint
  FOR EACH ROW EXECUTE FUNCTION biotwin_refuse('checkpoints are append-only');
CREATE OR REPLACE TRIGGER audit_checkpoint_no_delete BEFORE DELETE ON audit_checkpoint
  FOR EACH ROW EXECUTE FUNCTION biotwin_refuse('checkpoints are append-only');
CREATE OR REPLACE TRIGGER audit_checkpoint_no_truncate BEFORE TRUNCATE ON audit_checkpoint
  FOR EACH STATEMENT EXECUTE FUNCTION biotwin_refuse('checkpoints are append-only');
CREATE OR REPLACE TRIGGER app_user_no_delete BEFORE DELETE ON app_user
  FOR EACH ROW EXECUTE FUNCTION biotwin_refuse('users are deactivated, never deleted');
CREATE OR REPLACE TRIGGER app_user_no_truncate BEFORE TRUNCATE ON app_user
  FOR EACH STATEMENT EXECUTE FUNCTION biotwin_refuse('users are deactivated, never deleted');
)SQL";

std::string PostgresSchema() {
  std::string s = kSchema;
  // SQLite triggers (CREATE TRIGGER ... END;) are replaced by kPostgresTriggers.
  for (size_t p = s.find("CREATE TRIGGER"); p != std::string::npos; p = s.find("CREATE TRIGGER", p)) {
    s.erase(p, s.find("END;", p) + 4 - p);
  }
  ReplaceAll(s, "id INTEGER PRIMARY KEY AUTOINCREMENT", "id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY");
  ReplaceAll(s, "id INTEGER PRIMARY KEY,", "id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,");
  ReplaceAll(s, "INTEGER", "BIGINT");  // SQLite integers are 64-bit
  ReplaceAll(s, "REAL", "DOUBLE PRECISION");
  ReplaceAll(s, "BLOB", "BYTEA");
  // The historian orders equal times by insertion order (SQLite's rowid).
  ReplaceAll(s, "  batch_id BIGINT\n);", "  batch_id BIGINT,\n  rowid BIGINT GENERATED ALWAYS AS IDENTITY\n);");
  return s + kPostgresTriggers;
}

}  // namespace

void CreateSchema(Connection& db) {
  {
    // Already at this version: no write transaction needed.
    auto q = db.Prepare(db.dialect() == Dialect::kPostgres
                            ? "SELECT COUNT(*) FROM pg_catalog.pg_tables WHERE "
                              "schemaname = current_schema() AND tablename = 'meta'"
                            : "SELECT COUNT(*) FROM sqlite_master WHERE type='table' AND name='meta'");
    q->Step();
    if (q->ColumnInt(0) == 1) {
      auto v = db.Prepare("SELECT value FROM meta WHERE key='schema_version'");
      if (v->Step() && v->ColumnText(0) == std::to_string(kSchemaVersion)) return;
    }
  }
  Transaction tx(db);
  db.Exec(db.dialect() == Dialect::kPostgres ? PostgresSchema() : std::string(kSchema));
  db.Prepare("INSERT OR IGNORE INTO meta(key, value) VALUES ('schema_version', ?)")
      ->Bind(std::to_string(kSchemaVersion))
      .Run();
  tx.Commit();
}

}  // namespace biotwin::record
