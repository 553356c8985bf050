#include "model/yaml_util.h"

#include "model/quantity.h"

#include <cctype>
#include <cmath>
#include <cstdlib>
#include <set>

namespace biotwin::model {

bool IsIdentifier(const std::string& name) {
  if (name.empty() || !(std::isalpha(static_cast<unsigned char>(name[0])) || name[0] == '_')) {
    return false;
  }
  for (char c : name) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_')) return false;
  }
  return true;
}

YAML::Node YamlReader::Parse(const std::string& text) const {
  try {
    return YAML::Load(text);
  } catch (const YAML::ParserException& e) {
    throw ModelError(file_, e.mark.line + 1, "", "YAML syntax error: " + e.msg);
  }
}

void YamlReader::Fail(const YAML::Node& node, const std::string& field,
                      const std::string& message) const {
  throw ModelError(file_, Line(node), field, message);
}

void YamlReader::RequireMap(const YAML::Node& node, const std::string& field) const {
  if (!node.IsMap()) Fail(node, field, "expected a mapping of 'name: value' entries");
}

void YamlReader::RequireSequence(const YAML::Node& node, const std::string& field) const {
  if (!node.IsSequence()) Fail(node, field, "expected a list ('- item' entries)");
}

std::vector<std::pair<std::string, YAML::Node>> YamlReader::Entries(
    const YAML::Node& map, const std::string& field,
    std::initializer_list<const char*> allowed) const {
  RequireMap(map, field);
  std::vector<std::pair<std::string, YAML::Node>> out;
  std::set<std::string> seen;
  for (auto it = map.begin(); it != map.end(); ++it) {
    if (!it->first.IsScalar()) Fail(it->first, field, "keys must be plain names");
    std::string key = it->first.Scalar();
    if (!seen.insert(key).second) {
      Fail(it->first, field.empty() ? key : field + "." + key, "duplicate name '" + key + "'");
    }
    if (allowed.size() > 0) {
      bool ok = false;
      std::string list;
      for (const char* a : allowed) {
        ok = ok || key == a;
        list += std::string(list.empty() ? "" : ", ") + a;
      }
      if (!ok) {
        Fail(it->first, field.empty() ? key : field + "." + key,
             "unknown field '" + key + "' (expected one of: " + list + ")");
      }
    }
    out.emplace_back(key, it->second);
  }
  return out;
}

std::string YamlReader::String(const YAML::Node& node, const std::string& field) const {
  if (!node.IsScalar()) Fail(node, field, "expected a text value");
  return node.Scalar();
}

double YamlReader::Number(const YAML::Node& node, const std::string& field) const {
  if (!node.IsScalar()) Fail(node, field, "expected a number");
  const std::string& s = node.Scalar();
  char* end = nullptr;
  double v = std::strtod(s.c_str(), &end);
  if (s.empty() || end == s.c_str() || *end != '\0') {
    if (s == ".inf" || s == "inf") return INFINITY;
    if (s == "-.inf" || s == "-inf") return -INFINITY;
    Fail(node, field, "expected a number, got '" + s + "'");
  }
  if (!std::isfinite(v)) Fail(node, field, "value must be finite, got '" + s + "'");
  return v;
}

bool YamlReader::Bool(const YAML::Node& node, const std::string& field) const {
  if (!node.IsScalar()) Fail(node, field, "expected true or false");
  const std::string& s = node.Scalar();
  if (s == "true" || s == "yes" || s == "on") return true;
  if (s == "false" || s == "no" || s == "off") return false;
  Fail(node, field, "expected true or false, got '" + s + "'");
}

Unit YamlReader::UnitOf(const YAML::Node& node, const std::string& field) const {
  std::string text = String(node, field);
  try {
    return ParseUnit(text);
  } catch (const UnitError& e) {
    Fail(node, field, e.what());
  }
}

double YamlReader::Quantity(const YAML::Node& node, const std::string& field,
                            const Unit& default_unit) const {
  if (!node.IsScalar()) Fail(node, field, "expected a number or a quantity such as '9 h'");
  try {
    return ParseQuantity(node.Scalar(), default_unit);
  } catch (const UnitError& e) {
    Fail(node, field, e.what());
  }
}

std::pair<double, double> YamlReader::Range(const YAML::Node& node, const std::string& field) const {
  if (!node.IsSequence() || node.size() != 2) Fail(node, field, "expected [lower, upper]");
  double lo = node[0].IsNull() ? -INFINITY : Number(node[0], field);
  double hi = node[1].IsNull() ? INFINITY : Number(node[1], field);
  if (lo > hi) Fail(node, field, "lower bound " + node[0].Scalar() + " exceeds upper bound " + node[1].Scalar());
  return {lo, hi};
}

std::string YamlReader::ExprText(const YAML::Node& node, const std::string& field) const {
  if (!node.IsScalar()) Fail(node, field, "expected an expression");
  if (node.Scalar().empty()) Fail(node, field, "empty expression");
  return node.Scalar();
}

}  // namespace biotwin::model
