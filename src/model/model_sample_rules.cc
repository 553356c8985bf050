// The `sample_rules:` section: discrete rules of a sampled plant that act on the state and the
// parameters after every control interval (clamps, resets of per-interval integrals, trend rules
// that change a parameter). Parsed into ModelInfo::sample_rules; sim::ApplySampleRules runs them.
#include <algorithm>
#include <cmath>

#include "model/model_loader.h"
#include "model/quantity.h"

namespace biotwin::model::internal {

std::vector<int> Loader::StateList(const YAML::Node& node, const std::string& field) {
  if (!node) Fail(0, field, "missing 'states' (a list of state names)");  // callers check first
  std::vector<int> out;
  if (node.IsScalar()) {
    int i = info_.StateIndex(node.Scalar());
    if (i < 0) yaml_.Fail(node, field, "'" + node.Scalar() + "' is not a declared state");
    return {i};
  }
  yaml_.RequireSequence(node, field);
  if (node.size() == 0) yaml_.Fail(node, field, "the list of states is empty");
  for (size_t k = 0; k < node.size(); ++k) {
    std::string name = yaml_.String(node[k], field);
    int i = info_.StateIndex(name);
    if (i < 0) yaml_.Fail(node[k], field, "'" + name + "' is not a declared state");
    if (std::find(out.begin(), out.end(), i) != out.end()) {
      yaml_.Fail(node[k], field, "state '" + name + "' is listed twice");
    }
    out.push_back(i);
  }
  return out;
}

SampleRule Loader::ReadClampOrReset(const YAML::Node& spec, const std::string& field, bool clamp) {
  SampleRule rule;
  rule.kind = clamp ? SampleRule::Kind::kClamp : SampleRule::Kind::kReset;
  if (clamp) {
    yaml_.Entries(spec, field, {"states", "at_or_below", "below", "set"});
    if (!!spec["at_or_below"] == !!spec["below"]) {
      yaml_.Fail(spec, field, "a clamp needs exactly one of 'at_or_below' and 'below'");
    }
    if (!spec["set"]) yaml_.Fail(spec, field + ".set", "a clamp needs 'set' (the value a clamped state gets)");
  } else {
    yaml_.Entries(spec, field, {"states", "to"});
  }
  if (!spec["states"]) yaml_.Fail(spec, field + ".states", "missing 'states' (a list of state names)");
  rule.states = StateList(spec["states"], field + ".states");
  rule.inclusive = !!spec["at_or_below"];
  const char* limit_key = rule.inclusive ? "at_or_below" : "below";
  for (int i : rule.states) {
    const Unit& unit = info_.states[i].unit;
    // A bare number is in each state's own unit; a quantity converts to it.
    if (clamp) {
      rule.threshold.push_back(yaml_.Quantity(spec[limit_key], field + "." + limit_key, unit));
      rule.value.push_back(yaml_.Quantity(spec["set"], field + ".set", unit));
    } else {
      rule.value.push_back(spec["to"] ? yaml_.Quantity(spec["to"], field + ".to", unit) : 0.0);
    }
  }
  return rule;
}

void Loader::ReadTrendRule(const YAML::Node& spec, const YAML::Node& set, const std::string& field,
                           SampleRule& rule) {
  yaml_.Entries(spec, field, {"signal", "at_least", "of_last"});
  for (const char* key : {"signal", "at_least", "of_last"}) {
    if (!spec[key]) yaml_.Fail(spec, field + "." + key, std::string("missing '") + key + "'");
  }
  std::string signal = yaml_.String(spec["signal"], field + ".signal");
  rule.signal = info_.StateIndex(signal);
  if (rule.signal < 0) yaml_.Fail(spec["signal"], field + ".signal", "'" + signal + "' is not a declared state");
  auto count = [&](const char* key) {
    double v = yaml_.Number(spec[key], field + "." + key);
    if (v != std::floor(v) || v < 1 || v > 1e6) {
      yaml_.Fail(spec[key], field + "." + key, "expected a whole number from 1 to 1000000");
    }
    return static_cast<int>(v);
  };
  rule.at_least = count("at_least");
  rule.of_last = count("of_last");
  if (rule.at_least > rule.of_last) {
    yaml_.Fail(spec["at_least"], field + ".at_least", "'at_least' exceeds 'of_last'");
  }
  std::string set_field = field.substr(0, field.rfind('.')) + ".set";
  if (!set) yaml_.Fail(spec, set_field, "a trend rule needs 'set' ({parameter or state: value})");
  for (auto& [name, v] : yaml_.Entries(set, set_field)) {
    EventAction a;
    a.target_name = name;
    const Unit* unit = nullptr;
    if ((a.target = info_.ParameterIndex(name)) >= 0) {
      a.kind = EventAction::Kind::kSetParameter;
      unit = &info_.parameters[a.target].unit;
    } else if ((a.target = info_.StateIndex(name)) >= 0) {
      a.kind = EventAction::Kind::kSetState;
      unit = &info_.states[a.target].unit;
    } else {
      yaml_.Fail(v, set_field + "." + name, "'" + name + "' is not a parameter or state (a sample rule cannot set inputs)");
    }
    // Sample rules run between intervals, where no input value is defined: reject inputs.
    double constant = 0.0;
    if (!(v.IsScalar() && TryParseQuantity(v.Scalar(), *unit, &constant, nullptr) == QuantityParse::kOk)) {
      Source src = ParseExpr(v, set_field + "." + name);
      Tape scratch(tapes_.actions.num_vars());
      compiler_.ResetTape();
      scratch.AddOutput(Emit(src, *unit, scratch, "the value"));
      compiler_.ResetTape();
      scratch.Finalize();
      const int n = static_cast<int>(info_.states.size());
      for (int var : scratch.OutputVars(0)) {
        if (var >= n && var < n + static_cast<int>(info_.inputs.size())) {
          yaml_.Fail(v, set_field + "." + name, "the value uses input '" + info_.inputs[var - n].name + "'; sample rules may use states, parameters and t only");
        }
      }
    }
    a.value_expr = ActionValue(v, set_field + "." + name, *unit);
    rule.actions.push_back(a);
  }
}

void Loader::BuildSampleRules(const YAML::Node& node) {
  if (!node) return;
  yaml_.RequireSequence(node, "sample_rules");
  compiler_.ResetTape();
  std::set<std::string> names;
  for (size_t k = 0; k < node.size(); ++k) {
    const YAML::Node& r = node[k];
    std::string field = "sample_rules[" + std::to_string(k) + "]";
    yaml_.Entries(r, field, {"name", "description", "clamp", "reset", "when_falling", "when_rising", "set"});
    std::string name = r["name"] ? yaml_.String(r["name"], field + ".name") : "rule" + std::to_string(k + 1);
    if (!names.insert(name).second) yaml_.Fail(r, field + ".name", "duplicate sample rule name '" + name + "'");
    field = "sample_rules." + name;
    int kinds = 0;
    for (const char* key : {"clamp", "reset", "when_falling", "when_rising"}) kinds += r[key] ? 1 : 0;
    if (kinds != 1) {
      yaml_.Fail(r, field, "a sample rule needs exactly one of 'clamp', 'reset', 'when_falling', 'when_rising'");
    }
    SampleRule rule;
    if (r["clamp"]) {
      rule = ReadClampOrReset(r["clamp"], field + ".clamp", true);
    } else if (r["reset"]) {
      rule = ReadClampOrReset(r["reset"], field + ".reset", false);
    } else {
      const char* key = r["when_falling"] ? "when_falling" : "when_rising";
      rule.kind = r["when_falling"] ? SampleRule::Kind::kWhenFalling : SampleRule::Kind::kWhenRising;
      ReadTrendRule(r[key], r["set"], field + "." + key, rule);
    }
    if (r["set"] && (r["clamp"] || r["reset"])) {
      yaml_.Fail(r["set"], field + ".set", "'set' belongs to 'when_falling'/'when_rising' rules (a clamp has its own 'set')");
    }
    rule.name = name;
    if (r["description"]) rule.description = yaml_.String(r["description"], field + ".description");
    rule.line = YamlReader::Line(r);
    info_.sample_rules.push_back(std::move(rule));
  }
}

}  // namespace biotwin::model::internal
