#include "estimate/fit_spec.h"

#include <filesystem>
#include <fstream>
#include <sstream>

#include "model/yaml_util.h"

namespace biotwin::estimate {

model::Unit SignalUnit(const model::ModelInfo& info, const std::string& name, const std::string& where) {
  if (int k = info.StateIndex(name); k >= 0) return info.states[k].unit;
  if (int k = info.OutputIndex(name); k >= 0) return info.outputs[k].unit;
  throw FitInputError(where + ": '" + name + "' is neither a state nor an output of model '" +
                      info.provenance.name + "'");
}

FitSpec LoadFitSpecText(const std::string& text, const std::string& file_name,
                        const model::ModelInfo& info) {
  model::YamlReader y(file_name);
  YAML::Node root = y.Parse(text);
  y.RequireMap(root, "");
  FitSpec spec;
  for (const auto& [key, node] : y.Entries(root, "", {"biotwin_fit", "estimate", "errors", "experiments", "options", "regularization"})) {
    if (key == "biotwin_fit") {
      if (y.Number(node, key) != 1) y.Fail(node, key, "unsupported fit-spec version (this biotwin reads version 1)");
    } else if (key == "estimate") {
      for (const auto& [pattern, p] : y.Entries(node, key)) {
        const std::string field = "estimate." + pattern;
        std::vector<std::string> matched;
        try {
          matched = ExpandParameterPattern(info, pattern, field);
        } catch (const FitInputError& e) {
          y.Fail(p, field, e.what());
        }
        for (const std::string& name : matched) {
          const int k = info.ParameterIndex(name);
          if (k < 0) y.Fail(p, field, "'" + name + "' is not a parameter of model '" + info.provenance.name + "'");
          spec.estimate.push_back(name);
          if (p.IsNull()) continue;
          const auto& unit = info.parameters[k].unit;
          for (const auto& [pk, pv] : y.Entries(p, field, {"start", "bounds", "scale"})) {
            if (pk == "start") {
              spec.starts[name] = y.Quantity(pv, field + ".start", unit);
            } else if (pk == "bounds") {
              y.RequireSequence(pv, field + ".bounds");
              if (pv.size() != 2) y.Fail(pv, field + ".bounds", "expected [lower, upper]");
              spec.bounds[name] = {y.Quantity(pv[0], field + ".bounds", unit), y.Quantity(pv[1], field + ".bounds", unit)};
            } else {
              const std::string s = y.String(pv, field + ".scale");
              if (s == "linear") spec.linear.push_back(name);
              else if (s != "log") y.Fail(pv, field + ".scale", "expected 'log' or 'linear', got '" + s + "'");
            }
          }
        }
      }
    } else if (key == "regularization") {
      for (const auto& [pattern, v] : y.Entries(node, key)) {
        const std::string field = "regularization." + pattern;
        try {
          ExpandParameterPattern(info, pattern, field);
        } catch (const FitInputError& e) {
          y.Fail(v, field, e.what());
        }
        const double lambda = y.Number(v, field);
        if (!(lambda >= 0)) y.Fail(v, field, "the ridge weight must be >= 0");
        spec.ridge[pattern] = lambda;
      }
    } else if (key == "errors") {
      for (const auto& [name, e] : y.Entries(node, key)) {
        const std::string field = "errors." + name;
        model::Unit unit;
        try {
          unit = SignalUnit(info, name, field);
          spec.errors[name] = ParseErrorModel(y.ExprText(e, field), unit, field);
        } catch (const FitInputError& err) {
          y.Fail(e, field, err.what());
        }
      }
    } else if (key == "experiments") {
      y.RequireSequence(node, key);
      const std::filesystem::path dir = std::filesystem::path(file_name).parent_path();
      for (size_t i = 0; i < node.size(); ++i) {
        const std::string field = "experiments[" + std::to_string(i + 1) + "]";
        FitSpec::ExperimentFiles ex;
        for (const auto& [ek, ev] : y.Entries(node[i], field, {"data", "scenario"})) {
          std::filesystem::path p = y.String(ev, field + "." + ek);
          if (p.is_relative()) p = dir / p;
          (ek == "data" ? ex.data : ex.scenario) = p.string();
        }
        if (ex.data.empty()) y.Fail(node[i], field, "needs 'data: FILE.csv'");
        spec.experiments.push_back(ex);
      }
    } else if (key == "options") {
      for (const auto& [ok, ov] : y.Entries(node, key, {"starts", "seed", "max_iterations", "profile", "rtol", "atol"})) {
        const std::string field = "options." + ok;
        if (ok == "starts" || ok == "seed" || ok == "max_iterations") {
          const double v = y.Number(ov, field);
          if (!(v >= 1) || v != static_cast<double>(static_cast<long long>(v))) y.Fail(ov, field, "expected a positive integer");
          if (ok == "starts") spec.options.starts = static_cast<int>(v);
          else if (ok == "seed") spec.options.seed = static_cast<uint64_t>(v);
          else spec.options.max_iterations = static_cast<int>(v);
        } else if (ok == "profile") {
          spec.options.profile.clear();
          if (ov.IsSequence()) {
            for (const auto& n : ov) spec.options.profile.push_back(y.String(n, field));
          } else {
            spec.options.profile.push_back(y.String(ov, field));
          }
        } else {
          const double v = y.Number(ov, field);
          if (!(v > 0)) y.Fail(ov, field, "must be positive");
          (ok == "rtol" ? spec.rtol : spec.atol) = v;
        }
      }
    }
  }
  return spec;
}

FitSpec LoadFitSpecFile(const std::string& path, const model::ModelInfo& info) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw model::ModelError(path, 0, "", "cannot read the fit spec");
  std::stringstream ss;
  ss << in.rdbuf();
  return LoadFitSpecText(ss.str(), path, info);
}

}  // namespace biotwin::estimate
