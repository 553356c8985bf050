#include "sim/variation.h"

#include <cmath>
#include <random>

namespace biotwin::sim {
namespace {

uint64_t SplitMix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

double NominalState(const Scenario& s, const model::ModelInfo& info, int i) {
  auto it = s.initial.find(i);
  return it != s.initial.end() ? it->second : info.states[i].initial;
}

double NominalParameter(const Scenario& s, const model::ModelInfo& info, int i) {
  auto it = s.parameters.find(i);
  return it != s.parameters.end() ? it->second : info.parameters[i].value;
}

// Standard normal from a stream (Box-Muller on the engine's own uniform draws, so that the
// sequence is the same with every standard library).
class Stream {
 public:
  explicit Stream(uint64_t seed) : engine_(seed) {}
  double Normal() {
    if (has_spare_) {
      has_spare_ = false;
      return spare_;
    }
    double u1, u2;
    do {
      u1 = static_cast<double>(engine_() >> 11) * 0x1.0p-53;
    } while (u1 <= 0.0);
    u2 = static_cast<double>(engine_() >> 11) * 0x1.0p-53;
    double r = std::sqrt(-2.0 * std::log(u1)), a = 2.0 * M_PI * u2;
    spare_ = r * std::sin(a);
    has_spare_ = true;
    return r * std::cos(a);
  }

 private:
  std::mt19937_64 engine_;
  bool has_spare_ = false;
  double spare_ = 0.0;
};

}  // namespace

uint64_t StreamSeed(uint64_t seed, const std::string& name) {
  uint64_t h = 0xcbf29ce484222325ULL;
  for (unsigned char c : name) h = (h ^ c) * 0x100000001b3ULL;
  return SplitMix64(SplitMix64(seed) ^ h);
}

VariationSpec ParseVariationSpec(const YAML::Node& node, const model::YamlReader& r,
                                 const model::ModelInfo& info) {
  VariationSpec spec;
  const std::string f = "variation";
  r.Entries(node, f, {"initial", "groups", "parameters", "disturbances", "sample_time",
                      "batch_length"});
  if (node["initial"]) {
    for (const auto& [name, v] : r.Entries(node["initial"], f + ".initial")) {
      std::string ff = f + ".initial." + name;
      VariationSpec::Normal n;
      n.name = name;
      n.index = info.StateIndex(name);
      if (n.index < 0) r.Fail(v, ff, "no state named '" + name + "'");
      if (v.IsMap()) {
        r.Entries(v, ff, {"sd_pH"});
        if (!v["sd_pH"]) r.Fail(v, ff, "expected a standard deviation or {sd_pH: value}");
        n.sd = r.Number(v["sd_pH"], ff + ".sd_pH");
        n.on_ph = true;
        try {
          n.to_molar = model::ConversionFactor(info.states[n.index].unit, model::ParseUnit("mol/L"));
        } catch (const model::UnitError& e) {
          r.Fail(v, ff, std::string("sd_pH needs a concentration state: ") + e.what());
        }
      } else {
        n.sd = r.Quantity(v, ff, info.states[n.index].unit);
      }
      if (!(n.sd >= 0.0)) r.Fail(v, ff, "a standard deviation must be >= 0");
      spec.normals.push_back(n);
    }
  }
  if (node["groups"]) {
    r.RequireSequence(node["groups"], f + ".groups");
    int k = 0;
    for (const auto& g : node["groups"]) {
      std::string ff = f + ".groups[" + std::to_string(k++) + "]";
      r.Entries(g, ff, {"states", "sd"});
      if (!g["states"] || !g["sd"]) r.Fail(g, ff, "a group needs 'states' and 'sd'");
      r.RequireSequence(g["states"], ff + ".states");
      VariationSpec::Group grp;
      for (const auto& s : g["states"]) {
        std::string name = r.String(s, ff + ".states");
        int i = info.StateIndex(name);
        if (i < 0) r.Fail(s, ff + ".states", "no state named '" + name + "'");
        if (!grp.states.empty() && !model::Compatible(info.states[i].unit,
                                                      info.states[grp.states[0]].unit)) {
          r.Fail(s, ff + ".states", "states of a group must share a unit");
        }
        grp.states.push_back(i);
        grp.name += (grp.name.empty() ? "" : "+") + name;
      }
      if (grp.states.empty()) r.Fail(g, ff + ".states", "empty group");
      grp.sd = r.Quantity(g["sd"], ff + ".sd", info.states[grp.states[0]].unit);
      if (!(grp.sd >= 0.0)) r.Fail(g["sd"], ff + ".sd", "a standard deviation must be >= 0");
      spec.groups.push_back(grp);
    }
  }
  if (node["parameters"]) {
    for (const auto& [name, v] : r.Entries(node["parameters"], f + ".parameters")) {
      std::string ff = f + ".parameters." + name;
      VariationSpec::Normal n;
      n.name = name;
      n.is_state = false;
      n.index = info.ParameterIndex(name);
      if (n.index < 0) r.Fail(v, ff, "no parameter named '" + name + "'");
      const auto& p = info.parameters[n.index];
      if (v.IsScalar() && v.as<std::string>() == "uncertainty") {
        if (!std::isfinite(p.uncertainty)) {
          r.Fail(v, ff, "the model gives no uncertainty for '" + name + "' (line " +
                            std::to_string(p.line) + ")");
        }
        n.sd = p.uncertainty;
      } else {
        n.sd = r.Quantity(v, ff, p.unit);
      }
      if (!(n.sd >= 0.0)) r.Fail(v, ff, "a standard deviation must be >= 0");
      spec.normals.push_back(n);
    }
  }
  if (node["disturbances"]) {
    for (const auto& [name, v] : r.Entries(node["disturbances"], f + ".disturbances")) {
      std::string ff = f + ".disturbances." + name;
      VariationSpec::Disturbance d;
      d.name = name;
      d.input = info.InputIndex(name);
      if (d.input < 0) r.Fail(v, ff, "no input named '" + name + "'");
      r.Entries(v, ff, {"sigma", "gain", "pole"});
      if (!v["sigma"]) r.Fail(v, ff, "missing 'sigma'");
      d.sigma = r.Quantity(v["sigma"], ff + ".sigma", info.inputs[d.input].unit);
      d.gain = v["gain"] ? r.Number(v["gain"], ff + ".gain") : 1.0;
      d.pole = v["pole"] ? r.Number(v["pole"], ff + ".pole") : 0.0;
      if (!(d.sigma >= 0.0)) r.Fail(v["sigma"], ff + ".sigma", "must be >= 0");
      if (!(std::abs(d.pole) < 1.0)) r.Fail(v["pole"], ff + ".pole", "a stable filter needs |pole| < 1");
      spec.disturbances.push_back(d);
    }
    if (!node["sample_time"]) r.Fail(node, f + ".sample_time", "disturbances need a 'sample_time'");
  }
  if (node["sample_time"]) {
    spec.sample_time = r.Quantity(node["sample_time"], f + ".sample_time", info.time_unit);
    if (!(spec.sample_time > 0.0)) r.Fail(node["sample_time"], f + ".sample_time", "must be > 0");
  }
  if (node["batch_length"]) {
    const YAML::Node& b = node["batch_length"];
    r.Entries(b, f + ".batch_length", {"sd", "round_to"});
    if (!b["sd"]) r.Fail(b, f + ".batch_length", "missing 'sd'");
    spec.length_sd = r.Quantity(b["sd"], f + ".batch_length.sd", info.time_unit);
    if (b["round_to"]) spec.length_round = r.Quantity(b["round_to"], f + ".batch_length.round_to", info.time_unit);
    if (!(spec.length_sd >= 0.0) || !(spec.length_round >= 0.0)) {
      r.Fail(b, f + ".batch_length", "sd and round_to must be >= 0");
    }
  }
  return spec;
}

VariationSpec LoadVariationSpec(const std::string& text, const std::string& file,
                                const model::ModelInfo& info) {
  model::YamlReader r(file);
  YAML::Node root = r.Parse(text);
  if (!root.IsMap() || !root["variation"]) return {};
  return ParseVariationSpec(root["variation"], r, info);
}

BatchDraw DrawBatch(const VariationSpec& spec, const model::ModelInfo& info,
                    const Scenario& nominal, uint64_t seed) {
  BatchDraw d;
  d.seed = seed;
  d.t_end = nominal.t_end;
  if (spec.length_sd > 0.0) {
    Stream s(StreamSeed(seed, "batch_length"));
    double len = (nominal.t_end - nominal.t_begin) + spec.length_sd * s.Normal();
    if (spec.length_round > 0.0) len = std::round(len / spec.length_round) * spec.length_round;
    if (spec.sample_time > 0.0) len = std::max(len, spec.sample_time);
    d.t_end = nominal.t_begin + std::max(len, 1e-9);
    d.values.emplace_back("batch_length", len);
  }
  for (const auto& n : spec.normals) {
    Stream s(StreamSeed(seed, (n.is_state ? "initial." : "parameter.") + n.name));
    double z = s.Normal();
    if (n.is_state) {
      double x0 = NominalState(nominal, info, n.index), v;
      if (n.on_ph) {
        double ph = -std::log10(x0 * n.to_molar) + n.sd * z;
        v = std::pow(10.0, -ph) / n.to_molar;
        d.values.emplace_back(n.name + " (pH)", ph);
      } else {
        v = x0 + n.sd * z;
        d.values.emplace_back(n.name, v);
      }
      d.initial.emplace_back(n.index, v);
    } else {
      double v = NominalParameter(nominal, info, n.index) + n.sd * z;
      d.parameters.emplace_back(n.index, v);
      d.values.emplace_back(n.name, v);
    }
  }
  for (const auto& g : spec.groups) {
    Stream s(StreamSeed(seed, "group." + g.name));
    double total = 0.0;
    for (int i : g.states) total += NominalState(nominal, info, i);
    double drawn = total + g.sd * s.Normal();
    double f = total > 0.0 ? drawn / total : 1.0;
    for (int i : g.states) d.initial.emplace_back(i, NominalState(nominal, info, i) * f);
    d.values.emplace_back(g.name, drawn);
  }
  if (!spec.disturbances.empty()) {
    const double h = spec.sample_time;
    const size_t n = static_cast<size_t>(std::ceil((d.t_end - nominal.t_begin) / h - 1e-9)) + 1;
    std::vector<double> times(n);
    for (size_t k = 0; k < n; ++k) times[k] = nominal.t_begin + h * static_cast<double>(k);
    for (const auto& dist : spec.disturbances) {
      Stream s(StreamSeed(seed, "disturbance." + dist.name));
      std::vector<double> values(n);
      double prev = 0.0;
      for (size_t k = 0; k < n; ++k) {
        prev = dist.pole * prev + dist.gain * dist.sigma * s.Normal();
        values[k] = prev;
      }
      d.inputs.emplace_back(dist.input, InputProfile::PiecewiseConstant(times, std::move(values)));
    }
  }
  return d;
}

void ApplyDraw(const BatchDraw& draw, Scenario* scenario) {
  scenario->t_end = draw.t_end;
  for (const auto& [i, v] : draw.initial) scenario->initial[i] = v;
  for (const auto& [i, v] : draw.parameters) scenario->parameters[i] = v;
  for (const auto& [i, p] : draw.inputs) scenario->inputs[i] = p;
}

}  // namespace biotwin::sim
