// The `validity:` section of a model file: the range of every state and input that the fit
// producing the model's parameter values has seen (written by `biotwin fit --write-model`).
#include <cctype>
#include <cmath>

#include "model/model_loader.h"

namespace biotwin::model::internal {

void Loader::ReadValidity(const YAML::Node& node) {
  if (!node) return;
  ValidityDomain& d = info_.validity;
  for (auto& [key, value] : yaml_.Entries(node, "validity", {"fit", "dossier_sha256", "created", "states", "inputs"})) {
    const std::string field = "validity." + key;
    if (key == "fit") d.fit = yaml_.String(value, field);
    if (key == "dossier_sha256") {
      d.dossier = yaml_.String(value, field);
      bool hex = d.dossier.size() == 64;
      for (char c : d.dossier) hex = hex && std::isxdigit(static_cast<unsigned char>(c));
      if (!hex) yaml_.Fail(value, field, "expected a SHA-256 (64 hexadecimal digits), got '" + d.dossier + "'");
    }
    if (key == "created") d.created = yaml_.String(value, field);
    if (key != "states" && key != "inputs") continue;
    const bool input = key == "inputs";
    for (auto& [name, range] : yaml_.Entries(value, field)) {
      const std::string f = field + "." + name;
      ValidityBound b;
      b.name = name;
      b.is_input = input;
      b.index = input ? info_.InputIndex(name) : info_.StateIndex(name);
      b.line = YamlReader::Line(range);
      if (b.index < 0) yaml_.Fail(range, f, "'" + name + "' is not " + (input ? "an input" : "a state") + " of this model");
      auto [lo, hi] = yaml_.Range(range, f);
      if (!std::isfinite(lo) || !std::isfinite(hi)) {
        yaml_.Fail(range, f, "a validity range needs finite [min, max] values (in the " +
                                 std::string(input ? "input" : "state") + "'s unit)");
      }
      b.lower = lo;
      b.upper = hi;
      d.bounds.push_back(b);
    }
  }
  if (d.bounds.empty()) yaml_.Fail(node, "validity", "a validity section needs 'states' and/or 'inputs' ranges");
}

}  // namespace biotwin::model::internal
