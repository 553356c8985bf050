#include "estimate/state_noise.h"

#include <cmath>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "model/yaml_util.h"

namespace biotwin::estimate {

const model::Unit& SignalUnit(const model::ModelInfo& info, const std::string& name) {
  const int i = info.StateIndex(name);
  if (i >= 0) return info.states[i].unit;
  const int k = info.OutputIndex(name);
  if (k >= 0) return info.outputs[k].unit;
  throw std::invalid_argument("'" + name + "' is neither a state nor an output of model " + info.provenance.name);
}

NoiseSpec LoadNoiseSpecFile(const std::string& path, const model::ModelInfo& info) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw model::ModelError(path, 0, "", "cannot open the noise file");
  std::stringstream ss;
  ss << in.rdbuf();
  return LoadNoiseSpecText(ss.str(), path, info);
}

NoiseSpec LoadNoiseSpecText(const std::string& text, const std::string& file_name, const model::ModelInfo& info) {
  model::YamlReader yaml(file_name);
  YAML::Node root = yaml.Parse(text);
  NoiseSpec spec;
  const size_t n = info.states.size();
  spec.process_sigma.assign(n, model::kNaN);
  spec.initial_value.assign(n, model::kNaN);
  spec.initial_sigma.assign(n, model::kNaN);
  if (root.IsNull()) return spec;
  auto positive = [&](const YAML::Node& node, const std::string& field, const model::Unit& unit, bool allow_zero) {
    if (unit.IsAffine()) yaml.Fail(node, field, "a sigma in an affine unit (" + unit.text + ") is ambiguous");
    const double v = yaml.Quantity(node, field, unit);
    if (!(allow_zero ? v >= 0 : v > 0) || !std::isfinite(v)) {
      yaml.Fail(node, field, allow_zero ? "must be >= 0" : "must be > 0");
    }
    return v;
  };
  auto state_index = [&](const YAML::Node& key_node, const std::string& name, const std::string& field) {
    const int i = info.StateIndex(name);
    if (i < 0) yaml.Fail(key_node, field, "'" + name + "' is not a state of model " + info.provenance.name);
    return i;
  };
  auto names = [&](const YAML::Node& node, const std::string& field) {
    yaml.RequireSequence(node, field);
    std::vector<std::string> out;
    for (const auto& item : node) out.push_back(yaml.String(item, field));
    return out;
  };
  for (const auto& [key, node] : yaml.Entries(root, "", {"measurements", "process", "initial", "non_negative", "ignore", "mhe", "ukf"})) {
    if (key == "measurements") {
      for (const auto& [name, v] : yaml.Entries(node, key)) {
        const std::string field = key + "." + name;
        model::Unit unit;
        try {
          unit = SignalUnit(info, name);
        } catch (const std::invalid_argument& e) {
          yaml.Fail(v, field, e.what());
        }
        spec.measurement_sigma[name] = positive(v, field, unit, false);
      }
    } else if (key == "process") {
      for (const auto& [name, v] : yaml.Entries(node, key)) {
        const int i = state_index(v, name, key + "." + name);
        spec.process_sigma[i] = positive(v, key + "." + name, info.states[i].unit, true);
      }
    } else if (key == "initial") {
      for (const auto& [name, v] : yaml.Entries(node, key)) {
        const std::string field = key + "." + name;
        const int i = state_index(v, name, field);
        for (const auto& [k2, v2] : yaml.Entries(v, field, {"value", "sigma"})) {
          if (k2 == "value") spec.initial_value[i] = yaml.Quantity(v2, field + ".value", info.states[i].unit);
          else spec.initial_sigma[i] = positive(v2, field + ".sigma", info.states[i].unit, true);
        }
      }
    } else if (key == "non_negative") {
      spec.non_negative = names(node, key);
      for (const auto& name : spec.non_negative) state_index(node, name, key);
    } else if (key == "ignore") {
      spec.ignore = names(node, key);
    } else if (key == "mhe") {
      for (const auto& [k2, v2] : yaml.Entries(node, key, {"window"})) {
        const double w = yaml.Number(v2, key + "." + k2);
        if (!(w >= 2) || w != std::floor(w) || w > 1000) yaml.Fail(v2, key + ".window", "expected an integer from 2 to 1000");
        spec.mhe_window = static_cast<int>(w);
      }
    } else if (key == "ukf") {
      for (const auto& [k2, v2] : yaml.Entries(node, key, {"alpha", "beta", "kappa"})) {
        const double v = yaml.Number(v2, key + "." + k2);
        (k2 == "alpha" ? spec.ukf_alpha : k2 == "beta" ? spec.ukf_beta : spec.ukf_kappa) = v;
      }
    }
  }
  return spec;
}

}  // namespace biotwin::estimate
