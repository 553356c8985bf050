// The `networks:` section of a model file (docs/model-format.md, "Networks"): small MLPs whose
// weights become generated dimensionless parameters, declared to the expression compiler by name.
#include <cmath>

#include "model/model_loader.h"

namespace biotwin::model::internal {
namespace {

Unit Dimensionless() { return ParseUnit("-"); }

}  // namespace

NetworkInput Loader::ReadNetworkInput(const YAML::Node& node, const std::string& field) {
  NetworkInput in;
  in.line = YamlReader::Line(node);
  in.field = field;
  yaml_.RequireMap(node, field);
  yaml_.Entries(node, field, {"expr", "range", "unit"});
  if (!node["expr"]) yaml_.Fail(node, field + ".expr", "a network input needs 'expr' (an expression of states, inputs, ...)");
  if (!node["range"]) {
    yaml_.Fail(node, field + ".range", "a network input needs a scaling 'range: [lo, hi]' (mapped to [-1, 1])");
  }
  Source src = ParseExpr(node["expr"], field + ".expr");
  in.expr = src.expr;
  in.text = src.text;
  in.unit = node["unit"] ? yaml_.UnitOf(node["unit"], field + ".unit") : Dimensionless();
  if (in.unit.IsAffine()) yaml_.Fail(node["unit"], field + ".unit", "use K, not an offset scale, for a temperature range");
  auto [lo, hi] = yaml_.Range(node["range"], field + ".range");
  if (!std::isfinite(lo) || !std::isfinite(hi) || !(hi > lo)) {
    yaml_.Fail(node["range"], field + ".range", "the scaling range needs finite lo < hi");
  }
  in.lo = lo;
  in.hi = hi;
  return in;
}

void Loader::ReadNetworkOutput(const YAML::Node& node, const std::string& field, NetworkSpec& spec) {
  yaml_.RequireMap(node, field);
  yaml_.Entries(node, field, {"unit", "transform", "scale", "range"});
  if (!node["unit"]) yaml_.Fail(node, field + ".unit", "the network output needs a unit ('-' if dimensionless)");
  spec.unit = yaml_.UnitOf(node["unit"], field + ".unit");
  if (spec.unit.IsAffine()) yaml_.Fail(node["unit"], field + ".unit", "use K, not an offset scale");
  const std::string t = node["transform"] ? yaml_.String(node["transform"], field + ".transform") : "linear";
  if (t == "linear") {
    spec.transform = OutputTransform::kLinear;
  } else if (t == "softplus") {
    spec.transform = OutputTransform::kSoftplus;
  } else if (t == "sigmoid") {
    spec.transform = OutputTransform::kSigmoid;
  } else {
    yaml_.Fail(node["transform"], field + ".transform", "unknown transform '" + t + "' (linear, softplus or sigmoid)");
  }
  if (spec.transform == OutputTransform::kSigmoid) {
    if (!node["range"]) yaml_.Fail(node, field + ".range", "a sigmoid output needs 'range: [lo, hi]' in the output unit");
    if (node["scale"]) yaml_.Fail(node["scale"], field + ".scale", "a sigmoid output is scaled by its 'range', not 'scale'");
    auto [lo, hi] = yaml_.Range(node["range"], field + ".range");
    if (!std::isfinite(lo) || !std::isfinite(hi) || !(hi > lo)) {
      yaml_.Fail(node["range"], field + ".range", "the output range needs finite lo < hi");
    }
    spec.lo = lo;
    spec.hi = hi;
  } else {
    if (node["range"]) yaml_.Fail(node["range"], field + ".range", "'range' applies to sigmoid outputs only (use 'scale')");
    if (node["scale"]) {
      spec.scale = yaml_.Quantity(node["scale"], field + ".scale", spec.unit);
      if (!(spec.scale > 0) || !std::isfinite(spec.scale)) yaml_.Fail(node["scale"], field + ".scale", "the output scale must be positive");
    }
  }
}

void Loader::ReadNetworks(const YAML::Node& node) {
  if (!node) return;
  for (auto& [name, n] : yaml_.Entries(node, "networks")) {
    const std::string field = "networks." + name;
    Claim(name, n, field);
    yaml_.RequireMap(n, field);
    yaml_.Entries(n, field, {"inputs", "hidden", "activation", "output", "init", "values", "description"});
    auto spec = std::make_shared<NetworkSpec>();
    spec->name = name;
    spec->line = YamlReader::Line(n);
    if (!n["inputs"]) yaml_.Fail(n, field + ".inputs", "a network needs a list of 'inputs'");
    yaml_.RequireSequence(n["inputs"], field + ".inputs");
    if (n["inputs"].size() == 0) yaml_.Fail(n["inputs"], field + ".inputs", "a network needs at least one input");
    for (size_t i = 0; i < n["inputs"].size(); ++i) {
      spec->inputs.push_back(ReadNetworkInput(n["inputs"][i], field + ".inputs[" + std::to_string(i) + "]"));
    }
    if (!n["hidden"]) yaml_.Fail(n, field + ".hidden", "a network needs its hidden layer sizes, e.g. 'hidden: [4]' ([] for none)");
    yaml_.RequireSequence(n["hidden"], field + ".hidden");
    for (size_t i = 0; i < n["hidden"].size(); ++i) {
      const double size = yaml_.Number(n["hidden"][i], field + ".hidden");
      if (size != std::floor(size) || size < 1 || size > 256) {
        yaml_.Fail(n["hidden"][i], field + ".hidden", "a layer size must be a whole number from 1 to 256, got " + n["hidden"][i].Scalar());
      }
      spec->hidden.push_back(static_cast<int>(size));
    }
    if (n["activation"]) {
      const std::string a = yaml_.String(n["activation"], field + ".activation");
      if (a == "tanh") {
        spec->activation = Activation::kTanh;
      } else if (a == "softplus") {
        spec->activation = Activation::kSoftplus;
      } else {
        yaml_.Fail(n["activation"], field + ".activation", "unknown activation '" + a + "' (tanh or softplus)");
      }
    }
    if (!n["output"]) yaml_.Fail(n, field + ".output", "a network needs an 'output' with its unit");
    ReadNetworkOutput(n["output"], field + ".output", *spec);
    uint64_t seed = 1;
    if (YAML::Node init = n["init"]) {
      yaml_.Entries(init, field + ".init", {"seed"});
      if (init["seed"]) {
        const double s = yaml_.Number(init["seed"], field + ".init.seed");
        if (s < 0 || s != std::floor(s) || s > 9.0e15) yaml_.Fail(init["seed"], field + ".init.seed", "the seed must be a whole number >= 0");
        seed = static_cast<uint64_t>(s);
      }
    }
    const std::vector<std::string> names = NetworkParameterNames(*spec);
    std::vector<double> values = XavierInit(*spec, seed);
    std::vector<bool> explicit_value(names.size(), false);
    if (YAML::Node v = n["values"]) {
      for (auto& [short_name, value] : yaml_.Entries(v, field + ".values")) {
        size_t k = 0;
        while (k < names.size() && names[k] != name + "." + short_name) ++k;
        if (k == names.size()) {
          yaml_.Fail(value, field + ".values." + short_name, "'" + short_name + "' is not a weight or bias of this network (" +
                                                                names.front().substr(name.size() + 1) + " ... " +
                                                                names.back().substr(name.size() + 1) + ")");
        }
        values[k] = yaml_.Number(value, field + ".values." + short_name);
        explicit_value[k] = true;
      }
    }
    std::string description = n["description"] ? yaml_.String(n["description"], field + ".description") : "";
    network_first_param_.push_back(static_cast<int>(info_.parameters.size()));
    for (size_t k = 0; k < names.size(); ++k) {
      if (owner_.count(names[k])) yaml_.Fail(n, field, "duplicate name '" + names[k] + "'");
      owner_[names[k]] = field;
      ParameterInfo par;
      par.name = names[k];
      par.unit = Dimensionless();
      par.value = values[k];
      par.line = spec->line;
      par.source = explicit_value[k] ? "network '" + name + "': value given in the model file"
                                     : "network '" + name + "': Xavier-uniform initialisation, seed " + std::to_string(seed);
      const bool bias = names[k][name.size() + 1] == 'b';
      par.description = std::string(bias ? "bias" : "weight") + " of network '" + name + "'" +
                        (description.empty() ? "" : " (" + description + ")");
      info_.parameters.push_back(par);
    }
    networks_.push_back(spec);
  }
}

void Loader::DeclareNetworks() {
  const int offset = static_cast<int>(info_.states.size() + info_.inputs.size());
  for (size_t k = 0; k < networks_.size(); ++k) {
    NetworkSpec& spec = *networks_[k];
    const int count = NetworkParameterCount(spec);
    spec.parameter_vars.clear();
    for (int i = 0; i < count; ++i) spec.parameter_vars.push_back(offset + network_first_param_[k] + i);
    compiler_.DeclareNetwork(spec.name, networks_[k]);
  }
}

void Loader::CheckNetworks() {
  // Compile every input and every network once on a scratch tape so that unit and symbol errors
  // name the input's own line and field rather than the first expression that uses the network.
  Tape scratch(tapes_.rhs.num_vars());
  for (const auto& spec : networks_) {
    for (const NetworkInput& in : spec->inputs) {
      try {
        Typed v = compiler_.Compile(*in.expr, scratch);
        if (!v.zero_literal && v.unit.dimension != in.unit.dimension) {
          Fail(in.line, in.field, "the input '" + in.text + "' is " + DescribeDimension(v.unit.dimension) +
                                      " but its scaling range is in '" + in.unit.text + "' (" +
                                      DescribeDimension(in.unit.dimension) + ")");
        }
      } catch (const CompileError& e) {
        Fail(in.line, in.field, std::string(e.what()) + " (in '" + in.text + "')");
      }
    }
    ExprNode use;
    use.kind = ExprKind::kSymbol;
    use.name = spec->name;
    try {
      compiler_.Compile(use, scratch);
    } catch (const CompileError& e) {
      Fail(spec->line, "networks." + spec->name, e.what());
    }
  }
  compiler_.ResetTape();
}

}  // namespace biotwin::model::internal
