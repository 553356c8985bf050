// Recipe YAML parser: strict (unknown fields and duplicate sibling names are errors), every error
// names origin:line: field.
#include <yaml-cpp/yaml.h>

#include <fstream>
#include <initializer_list>
#include <set>
#include <sstream>

#include "record/error.h"
#include "record/recipe.h"

namespace biotwin::record {

namespace {

class Parser {
 public:
  explicit Parser(const std::string& origin) : origin_(origin) {}

  [[noreturn]] void Fail(const YAML::Node& at, const std::string& field, const std::string& msg) const {
    int line = at.IsDefined() ? at.Mark().line + 1 : 0;
    throw Error(ErrorCode::kInvalidArgument, origin_ + ":" + std::to_string(line) + ": " + field + ": " + msg);
  }

  void RequireMap(const YAML::Node& n, const std::string& field) const {
    if (!n.IsMap()) Fail(n, field, "expected a mapping");
  }
  void CheckKeys(const YAML::Node& n, const std::string& field, std::initializer_list<const char*> allowed) const {
    for (const auto& kv : n) {
      std::string key = kv.first.Scalar();
      bool ok = false;
      for (const char* a : allowed) ok = ok || key == a;
      if (!ok) Fail(kv.first, field.empty() ? key : field + "." + key, "unknown field");
    }
  }
  std::string Str(const YAML::Node& parent, const char* key, const std::string& field, bool required) const {
    YAML::Node n = parent[key];
    if (!n) {
      if (required) Fail(parent, field.empty() ? key : field + "." + key, "missing");
      return "";
    }
    if (!n.IsScalar() || n.Scalar().empty()) Fail(n, field.empty() ? key : field + "." + key, "expected a non-empty value");
    return n.Scalar();
  }
  YAML::Node Seq(const YAML::Node& parent, const char* key, const std::string& field) const {
    YAML::Node n = parent[key];
    std::string f = field + "." + key;
    if (!n) Fail(parent, f, "missing");
    if (!n.IsSequence() || n.size() == 0) Fail(n, f, "expected a non-empty list");
    return n;
  }
  void Unique(std::set<std::string>& seen, const std::string& name, const YAML::Node& at, const std::string& field) const {
    if (!seen.insert(name).second) Fail(at, field, "duplicate name '" + name + "'");
  }

  RecipePhase Phase(const YAML::Node& n, const std::string& f) const {
    RequireMap(n, f);
    CheckKeys(n, f, {"name", "type", "parameters"});
    RecipePhase p;
    p.name = Str(n, "name", f, true);
    p.type = Str(n, "type", f, true);
    if (YAML::Node params = n["parameters"]) {
      std::string pf = f + ".parameters";
      RequireMap(params, pf);
      for (const auto& kv : params) {
        std::string key = kv.first.Scalar();
        std::string kf = pf + "." + key;
        RecipeParameter rp;
        rp.name = key;
        if (kv.second.IsScalar()) {
          rp.value = kv.second.Scalar();
        } else {
          RequireMap(kv.second, kf);
          CheckKeys(kv.second, kf, {"value", "unit"});
          rp.value = Str(kv.second, "value", kf, true);
          rp.unit = Str(kv.second, "unit", kf, false);
        }
        if (rp.value.empty()) Fail(kv.second, kf, "expected a value");
        p.parameters.push_back(std::move(rp));
      }
    }
    return p;
  }

  MasterRecipe Recipe(const YAML::Node& root) const {
    if (!root.IsDefined() || root.IsNull()) Fail(root, "recipe", "empty document");
    RequireMap(root, "recipe");
    CheckKeys(root, "", {"recipe", "description", "product", "procedure"});
    MasterRecipe r;
    r.name = Str(root, "recipe", "", true);
    r.description = Str(root, "description", "", false);
    r.product = Str(root, "product", "", false);
    YAML::Node proc = root["procedure"];
    if (!proc) Fail(root, "procedure", "missing");
    RequireMap(proc, "procedure");
    CheckKeys(proc, "procedure", {"name", "unit_procedures"});
    r.procedure = Str(proc, "name", "procedure", true);
    std::set<std::string> up_names;
    YAML::Node ups = Seq(proc, "unit_procedures", "procedure");
    for (size_t i = 0; i < ups.size(); ++i) {
      YAML::Node un = ups[i];
      std::string uf = "procedure.unit_procedures[" + std::to_string(i) + "]";
      RequireMap(un, uf);
      CheckKeys(un, uf, {"name", "unit", "operations"});
      RecipeUnitProcedure up;
      up.name = Str(un, "name", uf, true);
      Unique(up_names, up.name, un["name"], uf + ".name");
      up.unit = Str(un, "unit", uf, true);
      std::set<std::string> op_names;
      YAML::Node ops = Seq(un, "operations", uf);
      for (size_t j = 0; j < ops.size(); ++j) {
        YAML::Node on = ops[j];
        std::string of = uf + ".operations[" + std::to_string(j) + "]";
        RequireMap(on, of);
        CheckKeys(on, of, {"name", "phases"});
        RecipeOperation op;
        op.name = Str(on, "name", of, true);
        Unique(op_names, op.name, on["name"], of + ".name");
        std::set<std::string> ph_names;
        YAML::Node phs = Seq(on, "phases", of);
        for (size_t k = 0; k < phs.size(); ++k) {
          std::string pf = of + ".phases[" + std::to_string(k) + "]";
          RecipePhase ph = Phase(phs[k], pf);
          Unique(ph_names, ph.name, phs[k]["name"], pf + ".name");
          op.phases.push_back(std::move(ph));
        }
        up.operations.push_back(std::move(op));
      }
      r.unit_procedures.push_back(std::move(up));
    }
    return r;
  }

 private:
  std::string origin_;
};

}  // namespace

MasterRecipe ParseRecipe(std::string_view text, const std::string& origin) {
  Parser p(origin);
  YAML::Node root;
  try {
    root = YAML::Load(std::string(text));
  } catch (const YAML::Exception& e) {
    throw Error(ErrorCode::kInvalidArgument, origin + ":" + std::to_string(e.mark.line + 1) +
                                                 ": yaml: malformed YAML (" + e.msg + ")");
  }
  try {
    return p.Recipe(root);
  } catch (const YAML::Exception& e) {
    throw Error(ErrorCode::kInvalidArgument, origin + ":" + std::to_string(e.mark.line + 1) + ": yaml: " + e.msg);
  }
}

MasterRecipe ReadRecipeFile(const std::string& path, std::string* text) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(ErrorCode::kIo, "cannot read recipe file '" + path + "'");
  std::ostringstream ss;
  ss << in.rdbuf();
  std::string content = ss.str();
  MasterRecipe r = ParseRecipe(content, path);
  if (text) *text = std::move(content);
  return r;
}

}  // namespace biotwin::record
