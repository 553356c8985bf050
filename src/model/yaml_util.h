// Helpers for reading YAML model and scenario files with errors that name file, line and field.
#ifndef BIOTWIN_MODEL_YAML_UTIL_H_
#define BIOTWIN_MODEL_YAML_UTIL_H_

#include <yaml-cpp/yaml.h>

#include <initializer_list>
#include <string>
#include <utility>
#include <vector>

#include "model/model.h"
#include "model/units.h"

namespace biotwin::model {

class YamlReader {
 public:
  explicit YamlReader(std::string file) : file_(std::move(file)) {}
  const std::string& file() const { return file_; }

  // Parses text; syntax errors become ModelError with the line.
  YAML::Node Parse(const std::string& text) const;

  static int Line(const YAML::Node& node) { return node.Mark().line >= 0 ? node.Mark().line + 1 : 0; }
  [[noreturn]] void Fail(const YAML::Node& node, const std::string& field,
                         const std::string& message) const;

  // Map entries in file order; fails on duplicate keys and on keys outside `allowed` (if given).
  std::vector<std::pair<std::string, YAML::Node>> Entries(
      const YAML::Node& map, const std::string& field,
      std::initializer_list<const char*> allowed = {}) const;
  void RequireMap(const YAML::Node& node, const std::string& field) const;
  void RequireSequence(const YAML::Node& node, const std::string& field) const;

  std::string String(const YAML::Node& node, const std::string& field) const;
  double Number(const YAML::Node& node, const std::string& field) const;
  bool Bool(const YAML::Node& node, const std::string& field) const;
  Unit UnitOf(const YAML::Node& node, const std::string& field) const;
  // A quantity: a number (in `default_unit`) or a string "9 h" / "9 [h]" converted to it.
  double Quantity(const YAML::Node& node, const std::string& field, const Unit& default_unit) const;
  // [lo, hi] pair of numbers (null entries mean unbounded).
  std::pair<double, double> Range(const YAML::Node& node, const std::string& field) const;
  // A scalar expression text (numbers are accepted and returned as text).
  std::string ExprText(const YAML::Node& node, const std::string& field) const;

 private:
  std::string file_;
};

// A name usable as an expression symbol: [A-Za-z_][A-Za-z0-9_]*.
bool IsIdentifier(const std::string& name);

}  // namespace biotwin::model

#endif  // BIOTWIN_MODEL_YAML_UTIL_H_
