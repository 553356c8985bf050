// Master recipe versions, approval gate and control-recipe instantiation (S88-03, S88-04).
#include "record/recipe.h"

#include "record/audit.h"
#include "record/crypto.h"
#include "record/error.h"
#include "record/phase.h"
#include "record/record_store.h"
#include "record/signature.h"

namespace biotwin::record {

namespace {

// Recipe versions are append-only: the triggers refuse UPDATE/DELETE (defence in depth; a
// changed row is caught by the signature check, which recomputes the content hash).
constexpr const char* kRecipeSchema = R"SQL(
CREATE TABLE IF NOT EXISTS recipe_version (
  name TEXT NOT NULL,
  version INTEGER NOT NULL,
  content TEXT NOT NULL,
  content_hash TEXT NOT NULL,
  author TEXT NOT NULL,
  reason TEXT NOT NULL,
  utc TEXT NOT NULL,
  PRIMARY KEY (name, version)
);
)SQL";
constexpr const char* kRecipeTriggersSqlite = R"SQL(
CREATE TRIGGER IF NOT EXISTS recipe_version_no_update BEFORE UPDATE ON recipe_version
  BEGIN SELECT RAISE(ABORT, 'recipe versions are immutable'); END;
CREATE TRIGGER IF NOT EXISTS recipe_version_no_delete BEFORE DELETE ON recipe_version
  BEGIN SELECT RAISE(ABORT, 'recipe versions are immutable'); END;
)SQL";
// biotwin_refuse() comes with the core PostgreSQL schema (store_schema.cc).
constexpr const char* kRecipeTriggersPostgres = R"SQL(
CREATE OR REPLACE TRIGGER recipe_version_no_update BEFORE UPDATE ON recipe_version
  FOR EACH ROW EXECUTE FUNCTION biotwin_refuse('recipe versions are immutable');
CREATE OR REPLACE TRIGGER recipe_version_no_delete BEFORE DELETE ON recipe_version
  FOR EACH ROW EXECUTE FUNCTION biotwin_refuse('recipe versions are immutable');
CREATE OR REPLACE TRIGGER recipe_version_no_truncate BEFORE TRUNCATE ON recipe_version
  FOR EACH STATEMENT EXECUTE FUNCTION biotwin_refuse('recipe versions are immutable');
)SQL";

bool HasTable(Connection& db) {
  auto q = db.Prepare(db.dialect() == Dialect::kPostgres
                          ? "SELECT COUNT(*) FROM pg_catalog.pg_tables WHERE "
                            "schemaname = current_schema() AND tablename = 'recipe_version'"
                          : "SELECT COUNT(*) FROM sqlite_master WHERE type='table' AND name='recipe_version'");
  return q->Step() && q->ColumnInt(0) == 1;
}

// Creates the recipe table on first use (the table lives beside the core schema).
void EnsureSchema(Connection& db) {
  if (db.InTransaction() || HasTable(db)) return;
  Transaction tx(db);
  db.Exec(kRecipeSchema);
  db.Exec(db.dialect() == Dialect::kPostgres ? kRecipeTriggersPostgres : kRecipeTriggersSqlite);
  tx.Commit();
}

std::pair<std::string, int64_t> SplitRecordId(std::string_view record_id) {
  size_t at = record_id.rfind("@v");
  if (at == std::string_view::npos || at == 0) {
    throw Error(ErrorCode::kInvalidArgument, "recipe record ID must be NAME@vN, not '" + std::string(record_id) + "'");
  }
  try {
    size_t used = 0;
    std::string num(record_id.substr(at + 2));
    int64_t v = std::stoll(num, &used);
    if (used != num.size() || v < 1) throw 0;
    return {std::string(record_id.substr(0, at)), v};
  } catch (...) {
    throw Error(ErrorCode::kInvalidArgument, "recipe record ID must be NAME@vN, not '" + std::string(record_id) + "'");
  }
}

RecipeVersion ReadRow(Statement& q) {
  RecipeVersion v;
  v.name = q.ColumnText(0);
  v.version = q.ColumnInt(1);
  v.content = q.ColumnText(2);
  v.content_hash = q.ColumnText(3);
  v.author = q.ColumnText(4);
  v.reason = q.ColumnText(5);
  v.utc = q.ColumnText(6);
  return v;
}

constexpr const char* kColumns = "SELECT name, version, content, content_hash, author, reason, utc FROM recipe_version ";

}  // namespace

RecipeVersion Recipes::Save(const Principal& who, std::string_view text, const std::string& origin,
                            std::string_view reason) {
  RequirePermission(who, Action::kRecipeAuthor);
  MasterRecipe parsed = ParseRecipe(text, origin);  // only valid recipes are stored
  EnsureSchema(store_.db());
  AuditedTransaction tx(store_, who, reason);
  RecipeVersion v;
  v.name = parsed.name;
  auto& q = tx.db().Cached("SELECT COALESCE(MAX(version), 0) FROM recipe_version WHERE name = ?");
  q.Bind(v.name);
  v.version = q.Step() ? q.ColumnInt(0) + 1 : 1;
  q.Reset();
  v.content = std::string(text);
  v.content_hash = Sha256Hex(v.content);
  v.author = who.username();
  v.reason = std::string(reason);
  v.utc = UtcNowIso();
  tx.db()
      .Cached("INSERT INTO recipe_version(name, version, content, content_hash, author, reason, utc) "
              "VALUES (?,?,?,?,?,?,?)")
      .Bind(v.name, v.version, v.content, v.content_hash, v.author, v.reason, v.utc)
      .Run();
  std::optional<std::string> previous;
  if (v.version > 1) previous = v.name + "@v" + std::to_string(v.version - 1);
  tx.Record({"create", "recipe", v.RecordId(), "content_hash", previous, v.content_hash});
  tx.Commit();
  return v;
}

std::vector<RecipeVersion> Recipes::List() {
  EnsureSchema(store_.db());
  std::vector<RecipeVersion> out;
  auto& q = store_.db().Cached(std::string(kColumns) + "ORDER BY name, version");
  while (q.Step()) out.push_back(ReadRow(q));
  q.Reset();
  return out;
}

RecipeVersion Recipes::Get(std::string_view name, std::optional<int64_t> version) {
  EnsureSchema(store_.db());
  auto& q = version ? store_.db().Cached(std::string(kColumns) + "WHERE name = ? AND version = ?")
                    : store_.db().Cached(std::string(kColumns) + "WHERE name = ? ORDER BY version DESC LIMIT 1");
  if (version) q.Bind(name, *version); else q.Bind(name);
  if (!q.Step()) {
    q.Reset();
    throw Error(ErrorCode::kNotFound, "no recipe '" + std::string(name) + "'" +
                                          (version ? " version " + std::to_string(*version) : ""));
  }
  RecipeVersion v = ReadRow(q);
  q.Reset();
  return v;
}

bool Recipes::IsApproved(std::string_view name, int64_t version) {
  RecipeVersion v = Get(name, version);
  auto checks = store_.signatures().Check("recipe", v.RecordId());
  bool approved = false;
  for (const auto& c : checks) {
    if (c.status != SignatureStatus::kValid) return false;  // any broken signature blocks use
    if (c.signature.meaning == Meaning::kApproved) approved = true;
  }
  return approved;
}

ControlRecipe Recipes::StartBatch(const Principal& who, std::string_view name, int64_t version,
                                  BatchStart base, std::string_view reason) {
  RequirePermission(who, Action::kBatchCreate);
  if (reason.find_first_not_of(" \t\r\n") == std::string_view::npos) {
    throw Error(ErrorCode::kReasonRequired, "a reason is required to start a batch from a recipe");
  }
  RecipeVersion v = Get(name, version);
  if (!IsApproved(name, version)) {
    // The refusal is part of the record (like a rejected phase command).
    RecordSecurityEvent(store_, who,
                        {"start_rejected", "recipe", v.RecordId(), "approval", std::nullopt,
                         "refused: no valid approved signature"},
                        reason);
    throw Error(ErrorCode::kIllegalState, "recipe " + v.RecordId() +
                                              " is not approved; only approved master recipes may be instantiated");
  }
  MasterRecipe parsed = ParseRecipe(v.content, v.RecordId());
  ControlRecipe c;
  c.master_record_id = v.RecordId();
  c.snapshot = v.content;
  c.snapshot_hash = Sha256Hex(c.snapshot);
  base.recipe_snapshot = c.snapshot;
  base.inputs.push_back({"master_recipe", c.master_record_id, ""});
  base.inputs.push_back({"master_recipe_hash", v.content_hash, ""});
  // The batch and its phases commit together: a failure leaves neither behind.
  RequirePermission(who, Action::kPhaseCommand);
  AuditedTransaction tx(store_, who, reason);
  c.batch_id = store_.batches().StartIn(tx, base);
  for (const auto& up : parsed.unit_procedures) {
    for (const auto& op : up.operations) {
      for (const auto& ph : op.phases) {
        std::string path = up.name + "/" + op.name + "/" + ph.name;
        c.phase_ids.push_back(store_.phases().CreateIn(tx, c.batch_id, path + " (" + ph.type + ")"));
        c.phase_paths.push_back(path);
      }
    }
  }
  tx.Commit();
  return c;
}

std::string RecipeContentHash(RecordStore& store, std::string_view record_id) {
  auto [name, version] = SplitRecordId(record_id);
  // Recomputed from the stored text, so an edit of the row after signing is detected.
  return Sha256Hex(Recipes(store).Get(name, version).content);
}

}  // namespace biotwin::record
