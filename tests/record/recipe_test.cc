// ISA-88 recipes: strict parsing with file:line errors, immutable master versions, the approval
// gate (S88-04), the frozen control-recipe snapshot (S88-03), phases driven through the phase
// state machine, auditing and permissions; plus `biotwin recipe` through the real binary.

#include <cstdlib>
#include <functional>

#include "record/recipe.h"
#include "record_fixture.h"

namespace biotwin::record::testing {
namespace {

std::string ExampleText() { return ReadFile(biotwin::testing::SourcePath("examples/recipes/ecoli_fedbatch_recipe.yaml")); }

// A small valid recipe; `extra_phase` is appended to the only operation's phase list.
std::string Mini(const std::string& phase_lines = "            - {name: grow, type: batch_culture}\n") {
  return "recipe: mini\n"
         "procedure:\n"
         "  name: p\n"
         "  unit_procedures:\n"
         "    - name: up1\n"
         "      unit: br1\n"
         "      operations:\n"
         "        - name: op1\n"
         "          phases:\n" +
         phase_lines;
}

ErrorCode CodeOf(const std::function<void()>& f, std::string* what = nullptr) {
  try {
    f();
  } catch (const Error& e) {
    if (what) *what = e.what();
    return e.code();
  }
  ADD_FAILURE() << "no error";
  return ErrorCode::kInvalidArgument;
}

std::string ParseError(const std::string& text) {
  std::string what;
  EXPECT_EQ(CodeOf([&] { ParseRecipe(text, "r.yaml"); }, &what), ErrorCode::kInvalidArgument);
  return what;
}

TEST(RecipeParse, S88_03_ExampleHierarchyParses) {
  MasterRecipe r = ParseRecipe(ExampleText(), "ecoli_fedbatch_recipe.yaml");
  EXPECT_EQ(r.name, "ecoli-fedbatch");
  EXPECT_EQ(r.procedure, "ecoli-fedbatch-2L");
  ASSERT_EQ(r.unit_procedures.size(), 2u);
  EXPECT_EQ(r.unit_procedures[0].unit, "bioreactor-1");
  ASSERT_EQ(r.unit_procedures[0].operations.size(), 2u);
  const RecipePhase& feed = r.unit_procedures[0].operations[1].phases[0];
  EXPECT_EQ(feed.name, "exponential-feed");
  EXPECT_EQ(feed.type, "exponential_feed");
  bool mu = false;
  for (const auto& p : feed.parameters) {
    if (p.name == "specific_growth_rate_setpoint") {
      mu = true;
      EXPECT_EQ(p.value, "0.05");
      EXPECT_EQ(p.unit, "1/h");
    }
  }
  EXPECT_TRUE(mu);
  EXPECT_EQ(r.unit_procedures[1].operations[0].phases.back().type, "harvest");
}

TEST(RecipeParse, S88_03_BadInputNamesFileLineAndField) {
  // Unknown field, on its own line.
  std::string e = ParseError(Mini("            - name: grow\n              type: batch_culture\n              colour: red\n"));
  EXPECT_NE(e.find("r.yaml:12: procedure.unit_procedures[0].operations[0].phases[0].colour: unknown field"), std::string::npos) << e;
  // Missing phase type.
  e = ParseError(Mini("            - name: grow\n"));
  EXPECT_NE(e.find("r.yaml:10: procedure.unit_procedures[0].operations[0].phases[0].type: missing"), std::string::npos) << e;
  // Duplicate sibling names.
  e = ParseError(Mini("            - {name: grow, type: a}\n            - {name: grow, type: b}\n"));
  EXPECT_NE(e.find("r.yaml:11: procedure.unit_procedures[0].operations[0].phases[1].name: duplicate name 'grow'"), std::string::npos) << e;
  // Malformed YAML.
  e = ParseError("recipe: x\nprocedure: [unclosed\n");
  EXPECT_NE(e.find("r.yaml:"), std::string::npos) << e;
  EXPECT_NE(e.find("malformed YAML"), std::string::npos) << e;
  // Unknown top-level field and a parameter with an unknown key.
  e = ParseError("recipes: x\n");
  EXPECT_NE(e.find("r.yaml:1: recipes: unknown field"), std::string::npos) << e;
  e = ParseError(Mini("            - name: grow\n              type: t\n              parameters:\n                T: {value: 37, units: degC}\n"));
  EXPECT_NE(e.find("r.yaml:13: procedure.unit_procedures[0].operations[0].phases[0].parameters.T.units: unknown field"), std::string::npos) << e;
}

class RecipeTest : public RecordTest {
 protected:
  void SetUp() override {
    RecordTest::SetUp();
    eng_ = MakeUser("eng1", Role::kEngineer, "Erin Engineer");
    MakeUser("qa1", Role::kQa, "Quinn Reviewer");
    MakeUser("qa2", Role::kQa, "Quentin Approver");
  }
  // authored (eng1) -> reviewed (qa1) -> approved (qa2), second person each time.
  void Approve(const RecipeVersion& v) {
    store_->signatures().Sign("eng1", kPassword, "recipe", v.RecordId(), Meaning::kAuthored);
    store_->signatures().Sign("qa1", kPassword, "recipe", v.RecordId(), Meaning::kReviewed);
    store_->signatures().Sign("qa2", kPassword, "recipe", v.RecordId(), Meaning::kApproved);
  }
  BatchStart Base(const std::string& name = "EC-001") {
    BatchStart b;
    b.name = name;
    b.model_name = "ecoli";
    b.model_version = "1.0";
    b.model_hash = "h";
    return b;
  }
  Principal eng_ = Principal::System();
};

TEST_F(RecipeTest, S88_03_EverySaveIsANewImmutableVersion) {
  Recipes recipes(*store_);
  std::string text1 = ExampleText();
  RecipeVersion v1 = recipes.Save(eng_, text1, "a.yaml", "initial import");
  std::string text2 = text1 + "# edited: longer feed\n";
  RecipeVersion v2 = recipes.Save(eng_, text2, "a.yaml", "feed duration review");
  EXPECT_EQ(v1.version, 1);
  EXPECT_EQ(v2.version, 2);
  EXPECT_EQ(v1.content_hash, Sha256Hex(text1));
  EXPECT_NE(v1.content_hash, v2.content_hash);
  RecipeVersion back = recipes.Get("ecoli-fedbatch", 1);
  EXPECT_EQ(back.content, text1);
  EXPECT_EQ(back.author, "eng1");
  EXPECT_EQ(back.reason, "initial import");
  EXPECT_EQ(recipes.Get("ecoli-fedbatch").version, 2);
  EXPECT_EQ(recipes.List().size(), 2u);
  // The stored rows refuse changes even through raw SQL (append-only triggers).
  store_.reset();
  EXPECT_NE(RawExec(path_, "UPDATE recipe_version SET content='x' WHERE version=1"), "");
  EXPECT_NE(RawExec(path_, "DELETE FROM recipe_version WHERE version=1"), "");
  Reopen();
  EXPECT_EQ(Recipes(*store_).Get("ecoli-fedbatch", 1).content, text1);
  EXPECT_EQ(CodeOf([&] { Recipes(*store_).Get("ecoli-fedbatch", 3); }), ErrorCode::kNotFound);
}

TEST_F(RecipeTest, S88_04_UnapprovedRefusedApprovedAllowedAndRefusalAudited) {
  Recipes recipes(*store_);
  RecipeVersion v = recipes.Save(eng_, ExampleText(), "a.yaml", "initial import");
  EXPECT_EQ(CodeOf([&] { recipes.StartBatch(eng_, v.name, v.version, Base(), "production run"); }),
            ErrorCode::kIllegalState);
  auto rejected = store_->audit().EntriesUnchecked(AuditQuery::OfType("recipe"));
  ASSERT_FALSE(rejected.empty());
  EXPECT_EQ(rejected.back().action, "start_rejected");
  EXPECT_EQ(rejected.back().object_id, "ecoli-fedbatch@v1");
  EXPECT_EQ(store_->batches().List().size(), 0u);
  // Authored and reviewed only: still refused.
  store_->signatures().Sign("eng1", kPassword, "recipe", v.RecordId(), Meaning::kAuthored);
  store_->signatures().Sign("qa1", kPassword, "recipe", v.RecordId(), Meaning::kReviewed);
  EXPECT_FALSE(recipes.IsApproved(v.name, v.version));
  EXPECT_EQ(CodeOf([&] { recipes.StartBatch(eng_, v.name, v.version, Base(), "run"); }), ErrorCode::kIllegalState);
  // Second person: the reviewer cannot also approve.
  EXPECT_EQ(CodeOf([&] { store_->signatures().Sign("qa1", kPassword, "recipe", v.RecordId(), Meaning::kApproved); }),
            ErrorCode::kSecondPersonRequired);
  store_->signatures().Sign("qa2", kPassword, "recipe", v.RecordId(), Meaning::kApproved);
  EXPECT_TRUE(recipes.IsApproved(v.name, v.version));
  ControlRecipe c = recipes.StartBatch(eng_, v.name, v.version, Base(), "production run");
  EXPECT_GT(c.batch_id, 0);
  EXPECT_EQ(c.master_record_id, "ecoli-fedbatch@v1");
}

TEST_F(RecipeTest, S88_03_DUR_02_BatchAndItsPhasesCommitTogether) {
  Recipes recipes(*store_);
  RecipeVersion v = recipes.Save(eng_, ExampleText(), "a.yaml", "initial import");
  store_->signatures().Sign("eng1", kPassword, "recipe", v.RecordId(), Meaning::kAuthored);
  store_->signatures().Sign("qa1", kPassword, "recipe", v.RecordId(), Meaning::kReviewed);
  store_->signatures().Sign("qa2", kPassword, "recipe", v.RecordId(), Meaning::kApproved);
  // The fourth phase insert fails (as a full disk or a crash would): nothing of the start remains.
  store_->db().Exec(
      "CREATE TABLE fail_counter(n INTEGER); INSERT INTO fail_counter VALUES (0);"
      "CREATE TRIGGER fail_fourth_phase BEFORE INSERT ON phase BEGIN "
      "UPDATE fail_counter SET n = n + 1; "
      "SELECT RAISE(ABORT, 'injected failure') WHERE (SELECT n FROM fail_counter) >= 4; END;");
  const int64_t audit_before = AuditCount();
  EXPECT_THROW(recipes.StartBatch(eng_, v.name, v.version, Base(), "production run"), Error);
  EXPECT_EQ(store_->batches().List().size(), 0u);
  EXPECT_EQ(AuditCount(), audit_before);
  store_->db().Exec("DROP TRIGGER fail_fourth_phase;");
  // Without the fault the same start commits the batch and every phase at once.
  ControlRecipe c = recipes.StartBatch(eng_, v.name, v.version, Base(), "production run");
  EXPECT_EQ(store_->batches().List().size(), 1u);
  EXPECT_GE(c.phase_ids.size(), 4u);
  EXPECT_EQ(store_->phases().State(c.phase_ids.back()), PhaseState::kIdle);
}

TEST_F(RecipeTest, S88_04_P11_08_SignatureCopiedToAnotherVersionIsInvalid) {
  Recipes recipes(*store_);
  RecipeVersion v1 = recipes.Save(eng_, ExampleText(), "a.yaml", "initial import");
  RecipeVersion v2 = recipes.Save(eng_, ExampleText() + "# v2\n", "a.yaml", "edit");
  Approve(v1);
  store_.reset();
  // Copy every signature row of v1 onto v2 with the raw database.
  ASSERT_EQ(RawExec(path_,
                    "INSERT INTO esignature(record_type, record_id, content_hash, user_id, username, printed_name, "
                    "meaning, utc, binding_hash, system_signature) SELECT record_type, 'ecoli-fedbatch@v2', "
                    "content_hash, user_id, username, printed_name, meaning, utc, binding_hash, system_signature "
                    "FROM esignature WHERE record_id = 'ecoli-fedbatch@v1'"),
            "");
  Reopen();
  Recipes again(*store_);
  auto checks = store_->signatures().Check("recipe", v2.RecordId());
  ASSERT_EQ(checks.size(), 3u);
  for (const auto& c : checks) EXPECT_NE(c.status, SignatureStatus::kValid) << c.detail;
  EXPECT_FALSE(again.IsApproved(v2.name, v2.version));
  EXPECT_EQ(CodeOf([&] { again.StartBatch(eng_, v2.name, v2.version, Base(), "run"); }), ErrorCode::kIllegalState);
  EXPECT_TRUE(again.IsApproved(v1.name, v1.version));
}

TEST_F(RecipeTest, S88_03_ControlRecipeSnapshotUnchangedByLaterMasterEdits) {
  Recipes recipes(*store_);
  std::string text1 = ExampleText();
  RecipeVersion v1 = recipes.Save(eng_, text1, "a.yaml", "initial import");
  Approve(v1);
  ControlRecipe c = recipes.StartBatch(eng_, v1.name, v1.version, Base(), "production run");
  BatchRecord before = store_->batches().Load(c.batch_id);
  // Edit the master and re-approve the new version while the batch runs.
  std::string text2 = text1;
  text2.replace(text2.find("value: 0.05, unit: 1/h"), 22, "value: 0.08, unit: 1/h");
  RecipeVersion v2 = recipes.Save(eng_, text2, "a.yaml", "faster growth");
  Approve(v2);
  BatchRecord after = store_->batches().Load(c.batch_id);
  EXPECT_EQ(after.header.recipe_snapshot, text1);  // byte for byte
  EXPECT_EQ(after.header.recipe_snapshot, before.header.recipe_snapshot);
  EXPECT_EQ(after.header.recipe_hash, Sha256Hex(text1));
  EXPECT_EQ(after.header.recipe_hash, c.snapshot_hash);
  bool points_to_v1 = false;
  for (const auto& in : after.inputs) {
    if (in.name == "master_recipe") points_to_v1 = in.value == "ecoli-fedbatch@v1";
  }
  EXPECT_TRUE(points_to_v1);
  // A new batch from v2 gets the new text.
  ControlRecipe c2 = recipes.StartBatch(eng_, v2.name, v2.version, Base("EC-002"), "production run");
  EXPECT_EQ(store_->batches().Load(c2.batch_id).header.recipe_snapshot, text2);
}

TEST_F(RecipeTest, S88_01_ControlRecipePhasesRunThroughThePhaseStateMachine) {
  Recipes recipes(*store_);
  RecipeVersion v = recipes.Save(eng_, ExampleText(), "a.yaml", "initial import");
  Approve(v);
  ControlRecipe c = recipes.StartBatch(eng_, v.name, v.version, Base(), "production run");
  ASSERT_EQ(c.phase_ids.size(), 5u);
  EXPECT_EQ(c.phase_paths[1], "fermentation/fed-batch/exponential-feed");
  Principal op = MakeUser("op1", Role::kOperator);
  // The operation sequence: each phase start -> complete, in procedure order.
  for (int64_t id : c.phase_ids) {
    EXPECT_EQ(store_->phases().State(id), PhaseState::kIdle);
    EXPECT_TRUE(store_->phases().Command(op, id, PhaseCommand::kStart, "sequence").accepted);
    EXPECT_TRUE(store_->phases().Command(op, id, PhaseCommand::kDone, "phase complete").accepted);
    EXPECT_EQ(store_->phases().State(id), PhaseState::kComplete);
  }
  // A command illegal in Complete is rejected and audited; the batch record holds the events.
  EXPECT_FALSE(store_->phases().Command(op, c.phase_ids[0], PhaseCommand::kHold, "try").accepted);
  int accepted = 0, rejected = 0;
  for (const auto& e : store_->batches().Load(c.batch_id).events) {
    accepted += e.kind == "phase_command";
    rejected += e.kind == "phase_command_rejected";
  }
  EXPECT_EQ(accepted, 10);
  EXPECT_EQ(rejected, 1);
}

TEST_F(RecipeTest, P11_06_S88_05_EveryRecipeCommandIsAudited) {
  Recipes recipes(*store_);
  int64_t n0 = AuditCount();
  RecipeVersion v = recipes.Save(eng_, ExampleText(), "a.yaml", "initial import");
  EXPECT_EQ(AuditCount(), n0 + 1);
  auto e = store_->audit().EntriesUnchecked(AuditQuery::After(n0));
  ASSERT_EQ(e.size(), 1u);
  EXPECT_EQ(e[0].action, "create");
  EXPECT_EQ(e[0].object_type, "recipe");
  EXPECT_EQ(e[0].object_id, "ecoli-fedbatch@v1");
  EXPECT_EQ(e[0].new_value, v.content_hash);
  EXPECT_EQ(e[0].username, "eng1");
  EXPECT_EQ(e[0].reason, "initial import");
  // Signing, refusal and start are audited too; a reason is required everywhere.
  int64_t n1 = AuditCount();
  EXPECT_EQ(CodeOf([&] { recipes.StartBatch(eng_, v.name, v.version, Base(), "refused run"); }), ErrorCode::kIllegalState);
  EXPECT_EQ(AuditCount(), n1 + 1);
  Approve(v);
  EXPECT_EQ(AuditCount(), n1 + 4);
  int64_t n2 = AuditCount();
  ControlRecipe c = recipes.StartBatch(eng_, v.name, v.version, Base(), "production run");
  auto after = store_->audit().EntriesUnchecked(AuditQuery::After(n2));
  int phase_creates = 0;
  for (const auto& a : after) phase_creates += a.object_type == "phase" && a.action == "create";
  EXPECT_EQ(phase_creates, static_cast<int>(c.phase_ids.size()));
  EXPECT_EQ(CodeOf([&] { recipes.Save(eng_, ExampleText(), "a.yaml", " "); }), ErrorCode::kReasonRequired);
  EXPECT_EQ(CodeOf([&] { recipes.StartBatch(eng_, v.name, v.version, Base(), ""); }), ErrorCode::kReasonRequired);
  // A rejected (invalid) recipe is never stored.
  EXPECT_EQ(CodeOf([&] { recipes.Save(eng_, "recipe: x\n", "bad.yaml", "bad"); }), ErrorCode::kInvalidArgument);
  EXPECT_EQ(recipes.List().size(), 1u);
}

TEST_F(RecipeTest, P11_07_SEC_05_OnlyEngineersAuthorOnlyQaApprovesOnlyBatchCreatorsStart) {
  Recipes recipes(*store_);
  for (Role role : kAllRoles) {
    EXPECT_EQ(IsAllowed(role, Action::kRecipeAuthor), role == Role::kEngineer) << RoleName(role);
  }
  Principal op = MakeUser("op1", Role::kOperator);
  Principal qa = store_->users().Authenticate("qa1", kPassword);
  EXPECT_EQ(CodeOf([&] { recipes.Save(op, ExampleText(), "a.yaml", "x"); }), ErrorCode::kPermissionDenied);
  EXPECT_EQ(CodeOf([&] { recipes.Save(qa, ExampleText(), "a.yaml", "x"); }), ErrorCode::kPermissionDenied);
  EXPECT_EQ(CodeOf([&] { recipes.Save(Admin(), ExampleText(), "a.yaml", "x"); }), ErrorCode::kPermissionDenied);
  EXPECT_EQ(CodeOf([&] { recipes.Save(Principal::System(), ExampleText(), "a.yaml", "x"); }), ErrorCode::kPermissionDenied);
  RecipeVersion v = recipes.Save(eng_, ExampleText(), "a.yaml", "initial import");
  store_->signatures().Sign("eng1", kPassword, "recipe", v.RecordId(), Meaning::kAuthored);
  store_->signatures().Sign("qa1", kPassword, "recipe", v.RecordId(), Meaning::kReviewed);
  // An engineer may not approve (sign.approved is QA only).
  MakeUser("eng2", Role::kEngineer);
  EXPECT_EQ(CodeOf([&] { store_->signatures().Sign("eng2", kPassword, "recipe", v.RecordId(), Meaning::kApproved); }),
            ErrorCode::kPermissionDenied);
  store_->signatures().Sign("qa2", kPassword, "recipe", v.RecordId(), Meaning::kApproved);
  // Operators and QA may not start a batch from it.
  EXPECT_EQ(CodeOf([&] { recipes.StartBatch(op, v.name, v.version, Base(), "run"); }), ErrorCode::kPermissionDenied);
  EXPECT_EQ(CodeOf([&] { recipes.StartBatch(qa, v.name, v.version, Base(), "run"); }), ErrorCode::kPermissionDenied);
}

// ---- `biotwin recipe` through the real binary ----

using RecipeCliTest = RecordCliTest;

TEST_F(RecipeCliTest, S88_03_P11_04_ImportListShow) {
  MakeUser("eng1", Role::kEngineer, "Erin Engineer");
  MakeUser("op1", Role::kOperator);
  store_.reset();
  std::string pw = std::string("BIOTWIN_PASSWORD='") + kPassword + "'";
  std::string file = biotwin::testing::SourcePath("examples/recipes/ecoli_fedbatch_recipe.yaml");
  CliRun r = Cli("recipe import --db " + path_ + " --file " + file + " --user eng1 --reason 'initial import'", pw);
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("ecoli-fedbatch@v1"), std::string::npos) << r.out;
  r = Cli("recipe import --db " + path_ + " --file " + file + " --user eng1 --reason 'second save'", pw);
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("ecoli-fedbatch@v2"), std::string::npos) << r.out;
  // Wrong password, wrong role, missing reason, bad file.
  EXPECT_EQ(Cli("recipe import --db " + path_ + " --file " + file + " --user eng1 --reason x", "BIOTWIN_PASSWORD=wrong").code, 1);
  r = Cli("recipe import --db " + path_ + " --file " + file + " --user op1 --reason x", pw);
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("permission denied"), std::string::npos) << r.err;
  EXPECT_EQ(Cli("recipe import --db " + path_ + " --file " + file + " --user eng1", pw).code, 2);
  std::string bad = dir_ + "/bad.yaml";
  ASSERT_EQ(std::system(("printf 'recipe: x\\nprocedure: {name: p, colour: red}\\n' > " + bad).c_str()), 0);
  r = Cli("recipe import --db " + path_ + " --file " + bad + " --user eng1 --reason x", pw);
  EXPECT_EQ(r.code, 3);
  EXPECT_NE(r.err.find(bad + ":2: procedure.colour: unknown field"), std::string::npos) << r.err;

  r = Cli("recipe list --db " + path_);
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("ecoli-fedbatch\t1\t"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("ecoli-fedbatch\t2\t"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("not approved"), std::string::npos) << r.out;
  r = Cli("recipe show --db " + path_ + " --id ecoli-fedbatch --version 1");
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find(ReadFile(file)), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("exponential-feed (exponential_feed)"), std::string::npos) << r.out;
  EXPECT_EQ(Cli("recipe show --db " + path_ + " --id ecoli-fedbatch --version 9").code, 3);
  // The CLI writes through the audited API: the trail still verifies.
  EXPECT_EQ(Cli("audit verify --db " + path_).code, 0);
}

TEST_F(RecipeCliTest, S88_04_P11_05_SignThenStartThroughTheCli) {
  MakeUser("eng1", Role::kEngineer, "Erin Engineer");
  MakeUser("qa1", Role::kQa, "Quinn Assurance");
  MakeUser("qa2", Role::kQa, "Quentin Approver");
  MakeUser("eng2", Role::kEngineer, "Eddie Engineer");
  MakeUser("op1", Role::kOperator, "Olga Operator");
  store_.reset();
  std::string pw = std::string("BIOTWIN_PASSWORD='") + kPassword + "'";
  std::string file = biotwin::testing::SourcePath("examples/recipes/ecoli_fedbatch_recipe.yaml");
  std::string db = " --db " + path_;
  ASSERT_EQ(Cli("recipe import" + db + " --file " + file + " --user eng1 --reason import", pw).code, 0);
  const std::string start = "recipe start" + db + " --id ecoli-fedbatch --version 1 --batch-name B-001 --reason "
                            "'campaign 7' --model " + biotwin::testing::SourcePath("models/ecoli_anane2017.yaml");
  // Not approved yet: refused with exit 1 and nothing started.
  CliRun r = Cli(start + " --user eng2", pw);
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("not approved"), std::string::npos) << r.err;
  // Authored by the engineer, approved by QA (a second person).
  r = Cli("recipe sign" + db + " --id ecoli-fedbatch --version 1 --user eng1 --meaning authored", pw);
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("signed ecoli-fedbatch@v1: Erin Engineer (eng1) - authored - "), std::string::npos) << r.out;
  r = Cli("recipe sign" + db + " --id ecoli-fedbatch --version 1 --user eng2 --meaning approved", pw);
  EXPECT_EQ(r.code, 1) << "engineers may not approve";
  EXPECT_NE(r.err.find("permission denied"), std::string::npos) << r.err;
  r = Cli("recipe sign" + db + " --id ecoli-fedbatch --version 1 --user qa1 --meaning reviewed", pw);
  EXPECT_EQ(r.code, 0) << r.err;
  r = Cli("recipe sign" + db + " --id ecoli-fedbatch --version 1 --user qa2 --meaning approved", pw);
  EXPECT_EQ(r.code, 0) << r.err;
  r = Cli("recipe list" + db);
  EXPECT_NE(r.out.find("ecoli-fedbatch\t1\tapproved"), std::string::npos) << r.out;
  // Exit codes: usage 2, nothing to sign 3, bad meaning 3, wrong password 1.
  EXPECT_EQ(Cli("recipe sign" + db + " --id ecoli-fedbatch --user qa1 --meaning approved", pw).code, 2);
  EXPECT_EQ(Cli("recipe sign" + db + " --id ecoli-fedbatch --version 4 --user qa1 --meaning approved", pw).code, 3);
  EXPECT_EQ(Cli("recipe sign" + db + " --id ecoli-fedbatch --version 1 --user qa1 --meaning liked", pw).code, 3);
  EXPECT_EQ(Cli("recipe sign" + db + " --id ecoli-fedbatch --version x --user qa1 --meaning approved", pw).code, 3);
  EXPECT_EQ(Cli(start + " --user eng2", "BIOTWIN_PASSWORD=wrong").code, 1);
  r = Cli(start + " --user op1", pw);
  EXPECT_EQ(r.code, 1) << "operators may not create batches";
  EXPECT_NE(r.err.find("permission denied"), std::string::npos) << r.err;
  // Now it can be started: the batch holds the frozen text and one phase per recipe phase.
  r = Cli(start + " --user eng2", pw);
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("started batch 1 from ecoli-fedbatch@v1"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("fermentation/"), std::string::npos) << r.out;
  Reopen();
  auto batch = store_->batches().Load(1);
  EXPECT_EQ(batch.header.recipe_snapshot, ReadFile(file));
  EXPECT_EQ(batch.header.model_name, "ecoli_anane2017");
  store_.reset();
  EXPECT_EQ(Cli("audit verify" + db).code, 0);
}

}  // namespace
}  // namespace biotwin::record::testing
