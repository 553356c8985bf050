// ISA-88 master and control recipes (S88-03, S88-04). A master recipe is a YAML file with the
// procedure -> unit procedures -> operations -> phases hierarchy; each phase names a phase type
// and parameters (value + unit). Every save stores a new immutable version (number, content
// SHA-256, author, reason), audited; stored versions are never changed. A version may be
// instantiated as a batch only while it carries a valid "approved" e-signature (record type
// "recipe", record ID "NAME@vN", bound to the version's content hash). The batch receives a
// frozen control-recipe snapshot (exact text) and one ISA-88 phase instance per recipe phase.
#ifndef BIOTWIN_RECORD_RECIPE_H_
#define BIOTWIN_RECORD_RECIPE_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "record/batch.h"
#include "record/users_permissions.h"

namespace biotwin::record {

class RecordStore;

struct RecipeParameter {
  std::string name;
  std::string value;  // as written (number, or a reference such as a feed profile name)
  std::string unit;   // "" when dimensionless
};
struct RecipePhase {
  std::string name;
  std::string type;  // phase type, e.g. "batch_growth", "exponential_feed", "harvest"
  std::vector<RecipeParameter> parameters;
};
struct RecipeOperation {
  std::string name;
  std::vector<RecipePhase> phases;
};
struct RecipeUnitProcedure {
  std::string name;
  std::string unit;  // equipment unit, e.g. "bioreactor-1"
  std::vector<RecipeOperation> operations;
};
struct MasterRecipe {
  std::string name;
  std::string description;
  std::string product;
  std::string procedure;  // procedure name
  std::vector<RecipeUnitProcedure> unit_procedures;
};

// Parses recipe YAML. Throws Error(kInvalidArgument) "origin:line: field: message" for malformed
// YAML, unknown or missing fields, and duplicate sibling names.
MasterRecipe ParseRecipe(std::string_view text, const std::string& origin);
// Reads and parses a file (Error(kIo) if unreadable). Returns the text in *text if non-null.
MasterRecipe ReadRecipeFile(const std::string& path, std::string* text = nullptr);

struct RecipeVersion {
  std::string name;
  int64_t version = 0;
  std::string content;       // exact YAML text as imported
  std::string content_hash;  // SHA-256 hex of content
  std::string author;        // username
  std::string reason;
  std::string utc;
  std::string RecordId() const { return name + "@v" + std::to_string(version); }
};

// A batch started from an approved master version.
struct ControlRecipe {
  int64_t batch_id = 0;
  std::string master_record_id;  // "NAME@vN"
  std::string snapshot;          // frozen text
  std::string snapshot_hash;
  std::vector<int64_t> phase_ids;      // one per recipe phase, in procedure order
  std::vector<std::string> phase_paths;  // "unit_procedure/operation/phase"
};

class Recipes {
 public:
  explicit Recipes(RecordStore& store) : store_(store) {}

  // Parses `text` (errors name `origin`) and stores it as the next version of its recipe name.
  // Requires recipe.author and a reason; one audited transaction.
  RecipeVersion Save(const Principal& who, std::string_view text, const std::string& origin,
                     std::string_view reason);
  // Every stored version, ordered by name then version.
  std::vector<RecipeVersion> List();
  // One version; the latest when `version` is empty. Throws kNotFound.
  RecipeVersion Get(std::string_view name, std::optional<int64_t> version = std::nullopt);
  // True when the version carries a valid approved signature (all its signatures valid).
  bool IsApproved(std::string_view name, int64_t version);
  // Starts a batch from an approved master version (batch.create). Refuses (kIllegalState,
  // audited as "start_rejected") when the version is not approved. `base` supplies the batch
  // name and model; its recipe_snapshot is replaced by the master text.
  ControlRecipe StartBatch(const Principal& who, std::string_view name, int64_t version,
                           BatchStart base, std::string_view reason);

 private:
  RecordStore& store_;
};

// SHA-256 of the stored content of recipe version "NAME@vN" (used by Signatures::ContentHash).
std::string RecipeContentHash(RecordStore& store, std::string_view record_id);

}  // namespace biotwin::record

#endif  // BIOTWIN_RECORD_RECIPE_H_
