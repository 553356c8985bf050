#include "control/control_config.h"

#include "sim/sample_rule_hooks.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <stdexcept>
#include <tuple>

#include "control/nmpc_config.h"
#include "model/format.h"
#include "model/quantity.h"

namespace biotwin::control {
namespace {

using model::ModelError;
using model::Unit;
using model::YamlReader;

struct Signal {
  sim::SignalKind kind = sim::SignalKind::kOutput;
  int index = -1;
  Unit unit;
};

bool FindSignal(const model::ModelInfo& info, const std::string& name, Signal* s) {
  if (int i = info.OutputIndex(name); i >= 0) {
    *s = {sim::SignalKind::kOutput, i, info.outputs[i].unit};
  } else if (int i = info.StateIndex(name); i >= 0) {
    *s = {sim::SignalKind::kState, i, info.states[i].unit};
  } else if (int i = info.InputIndex(name); i >= 0) {
    *s = {sim::SignalKind::kInput, i, info.inputs[i].unit};
  } else {
    return false;
  }
  return true;
}

// Parsing context: reader, model, the sensor channels and their units.
struct Parser {
  const YamlReader& r;
  const model::ModelInfo& info;
  ControlSetup out;
  std::vector<Unit> sensor_units;
  Unit time_unit;

  Parser(const YamlReader& reader, const model::ModelInfo& model_info)
      : r(reader), info(model_info), time_unit(model_info.time_unit) {}

  double Time(const YAML::Node& n, const std::string& f) const { return r.Quantity(n, f, time_unit); }

  std::vector<double> Numbers(const YAML::Node& n, const std::string& f, const Unit* unit) const {
    r.RequireSequence(n, f);
    std::vector<double> v;
    for (size_t i = 0; i < n.size(); ++i) {
      const std::string fi = f + "[" + std::to_string(i) + "]";
      v.push_back(unit != nullptr ? r.Quantity(n[i], fi, *unit) : r.Number(n[i], fi));
    }
    return v;
  }

  long SampleIndex(const YAML::Node& n, const std::string& f) const {
    const double v = r.Number(n, f);
    if (v != std::floor(v)) r.Fail(n, f, "a sample index must be a whole number");
    return static_cast<long>(v);
  }

  // `limits: [min, max]` in `unit` (quantities with their own units are converted).
  std::pair<double, double> Limits(const YAML::Node& n, const std::string& f, const Unit& unit) const {
    r.RequireSequence(n, f);
    if (n.size() != 2) r.Fail(n, f, "expected [min, max]");
    const double lo = r.Quantity(n[0], f, unit), hi = r.Quantity(n[1], f, unit);
    if (hi < lo) r.Fail(n, f, "max is below min");
    return {lo, hi};
  }

  // `sets: [N, ...]`: the fault cases (positive integers) a fault belongs to.
  std::vector<int> ReadFaultSets(const YAML::Node& e, const std::string& f) const {
    std::vector<int> sets;
    if (!e["sets"]) return sets;
    r.RequireSequence(e["sets"], f + ".sets");
    for (const auto& v : e["sets"]) {
      const double n = r.Number(v, f + ".sets");
      if (!(n >= 1) || n != std::floor(n) || n > 1e6) r.Fail(v, f + ".sets", "fault cases are positive integers");
      sets.push_back(static_cast<int>(n));
    }
    if (sets.empty()) r.Fail(e["sets"], f + ".sets", "list at least one fault case or leave 'sets' out");
    return sets;
  }

  sim::Window ReadWindow(const YAML::Node& e, const std::string& f) const {
    const bool s = static_cast<bool>(e["samples"]), t = static_cast<bool>(e["time"]);
    if (s == t) r.Fail(e, f, "give the window as 'samples: [first, last]' or 'time: [begin, end]'");
    const YAML::Node w = s ? e["samples"] : e["time"];
    const std::string fw = f + (s ? ".samples" : ".time");
    r.RequireSequence(w, fw);
    if (w.size() != 2) r.Fail(w, fw, "expected [begin, end]");
    sim::Window win;
    win.by_sample = s;
    win.begin = s ? SampleIndex(w[0], fw) : Time(w[0], fw);
    win.end = s ? SampleIndex(w[1], fw) : Time(w[1], fw);
    if (win.end < win.begin) r.Fail(w, fw, "the window ends before it begins");
    return win;
  }

  int Channel(const YAML::Node& n, const std::string& f) {
    const std::string name = r.String(n, f);
    for (size_t i = 0; i < out.sensors.size(); ++i) {
      if (out.sensors[i].name == name) return static_cast<int>(i);
    }
    Signal sig;
    if (!FindSignal(info, name, &sig)) {
      r.Fail(n, f, "'" + name + "' is neither a sensor of the control block nor an output, state or input of the model");
    }
    // A model signal named directly: an ideal sensor (no delay, noise or faults).
    sim::SensorSpec s;
    s.name = s.signal = name;
    s.unit = sig.unit.text;
    s.kind = sig.kind;
    s.index = sig.index;
    out.sensors.push_back(s);
    sensor_units.push_back(sig.unit);
    return static_cast<int>(out.sensors.size()) - 1;
  }

  void ReadSensors(const YAML::Node& node, uint64_t seed) {
    for (auto& [name, v] : r.Entries(node, "control.sensors")) {
      const std::string f = "control.sensors." + name;
      r.Entries(v, f, {"signal", "noise", "seed", "sample_time", "delay", "faults", "lab", "description"});
      sim::SensorSpec s;
      s.name = name;
      if (!v["signal"]) r.Fail(v, f + ".signal", "missing 'signal' (the model output, state or input it reads)");
      s.signal = r.String(v["signal"], f + ".signal");
      Signal sig;
      if (!FindSignal(info, s.signal, &sig)) r.Fail(v["signal"], f + ".signal", "'" + s.signal + "' is not an output, state or input of the model");
      s.kind = sig.kind;
      s.index = sig.index;
      s.unit = sig.unit.text;
      if (v["noise"]) {
        s.noise_sd = r.Quantity(v["noise"], f + ".noise", sig.unit);
        if (s.noise_sd < 0) r.Fail(v["noise"], f + ".noise", "the noise standard deviation must be non-negative");
      }
      s.seed = v["seed"] ? static_cast<uint64_t>(r.Number(v["seed"], f + ".seed")) : seed + out.sensors.size();
      if (v["sample_time"]) s.sample_time = Time(v["sample_time"], f + ".sample_time");
      if (v["delay"]) s.delay = Time(v["delay"], f + ".delay");
      if (v["faults"]) {
        r.RequireSequence(v["faults"], f + ".faults");
        for (size_t i = 0; i < v["faults"].size(); ++i) {
          const YAML::Node e = v["faults"][i];
          const std::string fe = f + ".faults[" + std::to_string(i) + "]";
          r.Entries(e, fe, {"name", "bias", "drift", "samples", "time", "sets"});
          sim::SensorFault sf;
          sf.sets = ReadFaultSets(e, fe);
          sf.name = e["name"] ? r.String(e["name"], fe + ".name") : name + "_fault" + std::to_string(i + 1);
          if (static_cast<bool>(e["bias"]) == static_cast<bool>(e["drift"])) r.Fail(e, fe, "give exactly one of 'bias' or 'drift'");
          sf.kind = e["bias"] ? sim::SensorFault::Kind::kBias : sim::SensorFault::Kind::kDrift;
          sf.value = r.Quantity(e["bias"] ? e["bias"] : e["drift"], fe + (e["bias"] ? ".bias" : ".drift"), sig.unit);
          sf.window = ReadWindow(e, fe);
          s.faults.push_back(sf);
        }
      }
      if (const YAML::Node lab = v["lab"]) {
        const std::string fl = f + ".lab";
        r.Entries(lab, fl, {"times", "every", "delay"});
        s.lab = true;
        if (lab["times"]) s.lab_spec.draw_times = Numbers(lab["times"], fl + ".times", &time_unit);
        if (const YAML::Node ev = lab["every"]) {
          r.Entries(ev, fl + ".every", {"start", "every", "until"});
          for (const char* k : {"start", "every", "until"}) {
            if (!ev[k]) r.Fail(ev, fl + ".every." + k, std::string("missing '") + k + "'");
          }
          const double a = Time(ev["start"], fl + ".every.start"), d = Time(ev["every"], fl + ".every.every"),
                       b = Time(ev["until"], fl + ".every.until");
          if (!(d > 0)) r.Fail(ev["every"], fl + ".every.every", "the period must be positive");
          for (long j = 0; a + j * d <= b + 1e-9 * std::max(1.0, std::fabs(b)); ++j) s.lab_spec.draw_times.push_back(a + j * d);
        }
        if (s.lab_spec.draw_times.empty()) r.Fail(lab, fl, "a lab channel needs 'times' or 'every'");
        auto& dt = s.lab_spec.draw_times;
        std::sort(dt.begin(), dt.end());
        dt.erase(std::unique(dt.begin(), dt.end()), dt.end());
        if (lab["delay"]) s.lab_spec.delay = Time(lab["delay"], fl + ".delay");
        if (s.lab_spec.delay < 0) r.Fail(lab["delay"], fl + ".delay", "must be non-negative");
        if (v["delay"] || v["sample_time"]) r.Fail(v, f, "a lab channel takes 'lab.delay', not 'delay' or 'sample_time'");
      }
      try {
        sim::SensorBank check({s}, out.spec.sample_time, 0);
      } catch (const std::invalid_argument& e) {
        r.Fail(v, f, e.what());
      }
      out.sensors.push_back(s);
      sensor_units.push_back(sig.unit);
    }
  }

  void ReadActuators(const YAML::Node& node) {
    for (auto& [name, v] : r.Entries(node, "control.actuators")) {
      const std::string f = "control.actuators." + name;
      r.Entries(v, f, {"limits", "rate_limit", "faults", "description"});
      sim::ActuatorSpec a;
      a.input = name;
      a.index = info.InputIndex(name);
      if (a.index < 0) r.Fail(v, f, "'" + name + "' is not an input of the model");
      const Unit& unit = info.inputs[a.index].unit;
      if (v["limits"]) std::tie(a.min, a.max) = Limits(v["limits"], f + ".limits", unit);
      if (v["rate_limit"]) {
        a.rate_limit = r.Quantity(v["rate_limit"], f + ".rate_limit", unit / time_unit);
        if (!(a.rate_limit > 0)) r.Fail(v["rate_limit"], f + ".rate_limit", "must be positive");
      }
      if (v["faults"]) {
        r.RequireSequence(v["faults"], f + ".faults");
        for (size_t i = 0; i < v["faults"].size(); ++i) {
          const YAML::Node e = v["faults"][i];
          const std::string fe = f + ".faults[" + std::to_string(i) + "]";
          r.Entries(e, fe, {"name", "override", "stuck", "samples", "time", "sets"});
          sim::ActuatorFault af;
          af.sets = ReadFaultSets(e, fe);
          af.name = e["name"] ? r.String(e["name"], fe + ".name") : name + "_fault" + std::to_string(i + 1);
          if (static_cast<bool>(e["override"]) == static_cast<bool>(e["stuck"])) r.Fail(e, fe, "give exactly one of 'override: VALUE' or 'stuck: true'");
          if (e["override"]) {
            af.kind = sim::ActuatorFault::Kind::kOverride;
            af.value = r.Quantity(e["override"], fe + ".override", unit);
          } else {
            af.kind = sim::ActuatorFault::Kind::kStuck;
            if (!r.Bool(e["stuck"], fe + ".stuck")) r.Fail(e["stuck"], fe + ".stuck", "write 'stuck: true' or leave the fault out");
          }
          af.window = ReadWindow(e, fe);
          a.faults.push_back(af);
        }
      }
      out.actuators.push_back(a);
    }
  }

  // A schedule: a constant, or one of until/steps/ramp tables, with optional events.
  Schedule ReadSchedule(const YAML::Node& n, const std::string& f, const Unit& unit) {
    if (n.IsScalar()) return Schedule::Constant(r.Quantity(n, f, unit));
    auto entries = r.Entries(n, f, {"constant", "until", "steps", "ramp", "events"});
    Schedule s;
    int kinds = 0;
    for (auto& [kind, v] : entries) {
      if (kind == "events") continue;
      ++kinds;
      const std::string fk = f + "." + kind;
      try {
        if (kind == "constant") {
          s = Schedule::Constant(r.Quantity(v, fk, unit));
        } else if (kind == "ramp") {
          r.Entries(v, fk, {"times", "values"});
          if (!v["times"] || !v["values"]) r.Fail(v, fk, "needs 'times' and 'values'");
          s = Schedule::Ramp(Numbers(v["times"], fk + ".times", &time_unit), Numbers(v["values"], fk + ".values", &unit));
        } else {
          r.Entries(v, fk, {"samples", "times", "values", "beyond"});
          if (static_cast<bool>(v["samples"]) == static_cast<bool>(v["times"])) r.Fail(v, fk, "give the keys as 'samples' or as 'times'");
          if (!v["values"]) r.Fail(v, fk + ".values", "missing 'values'");
          const bool by_sample = static_cast<bool>(v["samples"]);
          std::vector<double> keys = by_sample ? Numbers(v["samples"], fk + ".samples", nullptr)
                                               : Numbers(v["times"], fk + ".times", &time_unit);
          std::vector<double> values = Numbers(v["values"], fk + ".values", &unit);
          if (kind == "until") {
            if (values.empty()) r.Fail(v["values"], fk + ".values", "needs at least one value");
            const double beyond = v["beyond"] ? r.Quantity(v["beyond"], fk + ".beyond", unit) : values.back();
            s = Schedule::Until(by_sample, keys, values, beyond);
          } else {
            if (v["beyond"]) r.Fail(v["beyond"], fk + ".beyond", "'beyond' belongs to 'until' tables (steps hold their last value)");
            s = Schedule::Steps(by_sample, keys, values);
          }
        }
      } catch (const std::invalid_argument& e) {
        r.Fail(v, fk, e.what());
      }
    }
    if (kinds != 1) r.Fail(n, f, "give exactly one of 'constant', 'until', 'steps' or 'ramp'");
    if (const YAML::Node ev = n["events"]) {
      r.RequireSequence(ev, f + ".events");
      for (size_t i = 0; i < ev.size(); ++i) {
        const std::string fe = f + ".events[" + std::to_string(i) + "]";
        r.Entries(ev[i], fe, {"when", "set", "not_before"});
        if (!ev[i]["when"] || !ev[i]["set"]) r.Fail(ev[i], fe, "an event needs 'when' and 'set'");
        const YAML::Node w = ev[i]["when"];
        r.Entries(w, fe + ".when", {"measurement", "above", "below"});
        if (!w["measurement"]) r.Fail(w, fe + ".when.measurement", "missing 'measurement'");
        if (static_cast<bool>(w["above"]) == static_cast<bool>(w["below"])) r.Fail(w, fe + ".when", "give exactly one of 'above' or 'below'");
        ScheduleEvent e;
        e.measurement = Channel(w["measurement"], fe + ".when.measurement");
        e.above = static_cast<bool>(w["above"]);
        e.threshold = r.Quantity(e.above ? w["above"] : w["below"], fe + ".when", sensor_units[e.measurement]);
        e.value = r.Quantity(ev[i]["set"], fe + ".set", unit);
        if (ev[i]["not_before"]) e.not_before = Time(ev[i]["not_before"], fe + ".not_before");
        s.AddEvent(e);
      }
    }
    return s;
  }

  PidSettings ReadPid(const YAML::Node& n, const std::string& f, const Unit& out_unit) {
    r.Entries(n, f, {"kp", "ti", "td", "filter_n", "form", "action", "limits", "rate_limit", "anti_windup",
                     "tracking_time", "bias", "previous_error"});
    PidSettings p;
    p.h = out.spec.sample_time;
    if (!n["kp"]) r.Fail(n, f + ".kp", "missing 'kp' (output unit per measurement unit)");
    p.kp = r.Number(n["kp"], f + ".kp");
    if (n["ti"]) {
      p.ti = Time(n["ti"], f + ".ti");
      if (!(p.ti > 0)) r.Fail(n["ti"], f + ".ti", "must be positive (leave it out for no integral action)");
    }
    if (n["td"]) {
      p.td = Time(n["td"], f + ".td");
      if (p.td < 0) r.Fail(n["td"], f + ".td", "must be non-negative");
    }
    if (n["filter_n"]) {
      p.filter_n = r.Number(n["filter_n"], f + ".filter_n");
      if (!(p.filter_n > 0)) r.Fail(n["filter_n"], f + ".filter_n", "must be positive");
    }
    if (n["form"]) {
      const std::string form = r.String(n["form"], f + ".form");
      if (form != "positional" && form != "velocity") r.Fail(n["form"], f + ".form", "expected positional or velocity");
      p.form = form == "velocity" ? PidForm::kVelocity : PidForm::kPositional;
    }
    if (n["action"]) {
      const std::string a = r.String(n["action"], f + ".action");
      if (a != "reverse" && a != "direct") r.Fail(n["action"], f + ".action", "expected reverse (e = sp - y) or direct (e = y - sp)");
      p.direct_action = a == "direct";
    }
    if (n["limits"]) std::tie(p.out_min, p.out_max) = Limits(n["limits"], f + ".limits", out_unit);
    if (n["rate_limit"]) {
      p.rate_limit = r.Quantity(n["rate_limit"], f + ".rate_limit", out_unit / time_unit);
      if (!(p.rate_limit > 0)) r.Fail(n["rate_limit"], f + ".rate_limit", "must be positive");
    }
    if (n["anti_windup"]) {
      const std::string a = r.String(n["anti_windup"], f + ".anti_windup");
      if (a == "clamp") p.anti_windup = AntiWindup::kClamp;
      else if (a == "back_calculation") p.anti_windup = AntiWindup::kBackCalculation;
      else if (a == "none") p.anti_windup = AntiWindup::kNone;
      else r.Fail(n["anti_windup"], f + ".anti_windup", "expected clamp, back_calculation or none");
    }
    if (n["tracking_time"]) {
      p.tracking_time = Time(n["tracking_time"], f + ".tracking_time");
      if (!(p.tracking_time > 0)) r.Fail(n["tracking_time"], f + ".tracking_time", "must be positive");
    }
    if (n["bias"]) p.bias = r.Quantity(n["bias"], f + ".bias", out_unit);
    if (n["previous_error"]) {
      const std::string pe = r.String(n["previous_error"], f + ".previous_error");
      if (pe != "full" && pe != "without_setpoint") r.Fail(n["previous_error"], f + ".previous_error", "expected full or without_setpoint");
      p.previous_error_without_setpoint = pe == "without_setpoint";
    }
    return p;
  }

  // A model input driven by a schedule or a loop; each input has one driver.
  int OutputInput(const YAML::Node& n, const std::string& f) {
    const std::string name = r.String(n, f);
    const int i = info.InputIndex(name);
    if (i < 0) r.Fail(n, f, "'" + name + "' is not an input of the model");
    Drive(i, n, f);
    return i;
  }
  void Drive(int input, const YAML::Node& n, const std::string& f) {
    for (const auto& [j, by] : drivers) {
      if (j == input) r.Fail(n, f, "input '" + info.inputs[input].name + "' is already driven by " + by);
    }
    drivers.emplace_back(input, f);
  }
  std::vector<std::pair<int, std::string>> drivers;

  SplitSide ReadSide(const YAML::Node& n, const std::string& f, int* output) {
    r.Entries(n, f, {"output", "pid", "inactive_decay", "floor", "previous_output"});
    if (!n["output"]) r.Fail(n, f + ".output", "missing 'output' (the model input this side drives)");
    *output = OutputInput(n["output"], f + ".output");
    const Unit& unit = info.inputs[*output].unit;
    SplitSide s;
    if (!n["pid"]) r.Fail(n, f + ".pid", "missing 'pid'");
    s.pid = ReadPid(n["pid"], f + ".pid", unit);
    if (n["inactive_decay"]) {
      s.inactive_decay = r.Number(n["inactive_decay"], f + ".inactive_decay");
      if (!(s.inactive_decay >= 0 && s.inactive_decay <= 1)) r.Fail(n["inactive_decay"], f + ".inactive_decay", "must be within [0, 1]");
    }
    if (n["floor"]) s.floor = r.Quantity(n["floor"], f + ".floor", unit);
    if (n["previous_output"]) {
      const std::string po = r.String(n["previous_output"], f + ".previous_output");
      if (po != "own" && po != "other") r.Fail(n["previous_output"], f + ".previous_output", "expected own or other");
      s.previous_from_other = po == "other";
    }
    return s;
  }

  void ReadLoops(const YAML::Node& node) {
    r.RequireSequence(node, "control.loops");
    std::vector<std::string> outer_name(node.size());
    std::vector<YAML::Node> outer_node(node.size());
    std::vector<LoopSpec> loops;
    for (size_t i = 0; i < node.size(); ++i) {
      const YAML::Node l = node[i];
      std::string f = "control.loops[" + std::to_string(i) + "]";
      r.Entries(l, f, {"name", "measurement", "setpoint", "output", "pid", "manual", "split_range", "description"});
      LoopSpec loop;
      loop.name = l["name"] ? r.String(l["name"], f + ".name") : "loop" + std::to_string(i + 1);
      for (const auto& other : loops) {
        if (other.name == loop.name) r.Fail(l["name"], f + ".name", "duplicate loop name '" + loop.name + "'");
      }
      if (!l["measurement"]) r.Fail(l, f + ".measurement", "missing 'measurement' (a sensor or model signal)");
      loop.measurement = Channel(l["measurement"], f + ".measurement");
      if (!l["setpoint"]) r.Fail(l, f + ".setpoint", "missing 'setpoint'");
      const YAML::Node sp = l["setpoint"];
      if (sp.IsMap() && sp["loop"]) {
        r.Entries(sp, f + ".setpoint", {"loop"});
        outer_name[i] = r.String(sp["loop"], f + ".setpoint.loop");
        outer_node[i] = sp["loop"];
      } else {
        loop.setpoint = ReadSchedule(sp, f + ".setpoint", sensor_units[loop.measurement]);
      }
      if (const YAML::Node sr = l["split_range"]) {
        loop.type = LoopSpec::Type::kSplitRange;
        for (const char* k : {"output", "pid", "manual"}) {
          if (l[k]) r.Fail(l[k], f + "." + k, "a split-range loop gives its outputs and PIDs under 'split_range.above' and 'split_range.below'");
        }
        const std::string fs = f + ".split_range";
        r.Entries(sr, fs, {"switch_error", "dead_band", "above", "below"});
        const Unit& mu = sensor_units[loop.measurement];
        if (sr["switch_error"]) loop.split.switch_error = r.Quantity(sr["switch_error"], fs + ".switch_error", mu);
        if (sr["dead_band"]) {
          loop.split.dead_band = r.Quantity(sr["dead_band"], fs + ".dead_band", mu);
          if (loop.split.dead_band < 0) r.Fail(sr["dead_band"], fs + ".dead_band", "must be non-negative");
        }
        if (!sr["above"] || !sr["below"]) r.Fail(sr, fs, "needs 'above' (error ≥ switch_error) and 'below' sides");
        loop.split.above = ReadSide(sr["above"], fs + ".above", &loop.output_above);
        loop.split.below = ReadSide(sr["below"], fs + ".below", &loop.output_below);
        if (loop.output_above == loop.output_below) r.Fail(sr, fs, "the two sides must drive different inputs");
      } else {
        if (!l["pid"]) r.Fail(l, f + ".pid", "missing 'pid' (or 'split_range')");
        Unit out_unit = model::ParseUnit("1");
        if (l["output"]) {
          loop.output = OutputInput(l["output"], f + ".output");
          out_unit = info.inputs[loop.output].unit;
        }
        // An outer loop's output is the inner loop's set-point: its unit is resolved below.
        loop.pid = ReadPid(l["pid"], f + ".pid", out_unit);
        if (const YAML::Node mn = l["manual"]) {
          r.Entries(mn, f + ".manual", {"output", "until"});
          if (!mn["until"]) r.Fail(mn, f + ".manual.until", "missing 'until' (time of the switch to automatic)");
          loop.manual_until = Time(mn["until"], f + ".manual.until");
          if (mn["output"]) loop.manual_output = r.Quantity(mn["output"], f + ".manual.output", out_unit);
        }
      }
      loops.push_back(loop);
    }
    // Cascades: resolve outer loops and order every outer loop before the loop it feeds.
    const size_t n = loops.size();
    std::vector<int> outer(n, -1);
    for (size_t i = 0; i < n; ++i) {
      if (outer_name[i].empty()) continue;
      const std::string f = "control.loops[" + std::to_string(i) + "].setpoint.loop";
      for (size_t j = 0; j < n; ++j) {
        if (loops[j].name == outer_name[i]) outer[i] = static_cast<int>(j);
      }
      if (outer[i] < 0) r.Fail(outer_node[i], f, "no loop named '" + outer_name[i] + "'");
      if (outer[i] == static_cast<int>(i)) r.Fail(outer_node[i], f, "a loop cannot drive its own set-point");
      const LoopSpec& o = loops[outer[i]];
      if (o.type != LoopSpec::Type::kPid || o.output >= 0) {
        r.Fail(outer_node[i], f, "the outer loop '" + o.name + "' must be a PID loop without 'output' (its output is this set-point)");
      }
      for (size_t j = 0; j < n; ++j) {
        if (j != i && outer[j] == outer[i]) r.Fail(outer_node[i], f, "loop '" + o.name + "' already drives another set-point");
      }
    }
    std::vector<int> depth(n, 0);
    for (size_t i = 0; i < n; ++i) {
      int j = outer[i], d = 0;
      while (j >= 0) {
        if (++d > static_cast<int>(n)) r.Fail(outer_node[i], "control.loops[" + std::to_string(i) + "].setpoint.loop", "cascade loops form a cycle");
        j = outer[j];
      }
      depth[i] = d;
    }
    for (size_t i = 0; i < n; ++i) {
      if (loops[i].type == LoopSpec::Type::kPid && loops[i].output < 0 &&
          std::find(outer.begin(), outer.end(), static_cast<int>(i)) == outer.end()) {
        r.Fail(node[i], "control.loops[" + std::to_string(i) + "].output", "missing 'output' (a model input), and no loop takes this loop as its set-point");
      }
    }
    std::vector<size_t> order(n);
    for (size_t i = 0; i < n; ++i) order[i] = i;
    std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return depth[a] < depth[b]; });
    std::vector<int> position(n);
    for (size_t p = 0; p < n; ++p) position[order[p]] = static_cast<int>(p);
    for (size_t p = 0; p < n; ++p) {
      LoopSpec l = loops[order[p]];
      l.setpoint_loop = outer[order[p]] >= 0 ? position[outer[order[p]]] : -1;
      out.spec.loops.push_back(std::move(l));
    }
  }
};

}  // namespace

namespace {

template <typename Fault>
bool InSelectedCase(const Fault& f, int fault_set) {
  return f.sets.empty() || std::find(f.sets.begin(), f.sets.end(), fault_set) != f.sets.end();
}

template <typename Spec>
std::vector<Spec> WithSelectedFaults(std::vector<Spec> specs, int fault_set) {
  for (auto& s : specs) {
    std::erase_if(s.faults, [&](const auto& f) { return !InSelectedCase(f, fault_set); });
  }
  return specs;
}

}  // namespace

std::vector<int> ControlSetup::FaultSets() const {
  std::vector<int> out;
  auto add = [&](const std::vector<int>& sets) { out.insert(out.end(), sets.begin(), sets.end()); };
  for (const auto& s : sensors) for (const auto& f : s.faults) add(f.sets);
  for (const auto& a : actuators) for (const auto& f : a.faults) add(f.sets);
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

void ControlSetup::SelectFaultSet(int n) {
  if (n != 0) {
    std::vector<int> sets = FaultSets();
    if (std::find(sets.begin(), sets.end(), n) == sets.end()) {
      std::string list;
      for (int s : sets) list += (list.empty() ? "" : ", ") + std::to_string(s);
      throw std::invalid_argument("unknown fault case " + std::to_string(n) + ": the scenario defines " +
                                  (list.empty() ? std::string("none") : list));
    }
  }
  fault_set = n;
}

sim::SensorBank ControlSetup::MakeSensors() const {
  return sim::SensorBank(WithSelectedFaults(sensors, fault_set), spec.sample_time, spec.sample_index_origin);
}

sim::ActuatorBank ControlSetup::MakeActuators() const {
  return sim::ActuatorBank(WithSelectedFaults(actuators, fault_set), spec.sample_time, spec.sample_index_origin);
}

std::unique_ptr<ControlSystem> ControlSetup::MakeController() const { return std::make_unique<ControlSystem>(spec); }

ControlSetup ParseControlBlock(const YamlReader& r, const YAML::Node& node, const model::ModelInfo& info) {
  Parser p(r, info);
  r.Entries(node, "control", {"sample_time", "sample_index_origin", "seed", "sensors", "actuators", "schedules", "loops", "mpc", "description"});
  if (!node["sample_time"]) r.Fail(node, "control.sample_time", "missing 'sample_time' (the control interval, e.g. 0.2 h)");
  p.out.spec.sample_time = p.Time(node["sample_time"], "control.sample_time");
  if (!(p.out.spec.sample_time > 0)) r.Fail(node["sample_time"], "control.sample_time", "must be positive");
  if (node["sample_index_origin"]) {
    const double o = r.Number(node["sample_index_origin"], "control.sample_index_origin");
    if (o != 0 && o != 1) r.Fail(node["sample_index_origin"], "control.sample_index_origin", "expected 0 (first sample is 0) or 1 (first sample is 1, as in MATLAB)");
    p.out.spec.sample_index_origin = static_cast<int>(o);
  }
  uint64_t seed = 1;
  if (node["seed"]) seed = static_cast<uint64_t>(r.Number(node["seed"], "control.seed"));
  if (node["sensors"]) p.ReadSensors(node["sensors"], seed);
  if (node["actuators"]) p.ReadActuators(node["actuators"]);
  std::vector<int> driven;
  if (const YAML::Node sc = node["schedules"]) {
    for (auto& [name, v] : r.Entries(sc, "control.schedules")) {
      const std::string f = "control.schedules." + name;
      MvSchedule s;
      s.name = name;
      s.input = info.InputIndex(name);
      if (s.input < 0) r.Fail(v, f, "'" + name + "' is not an input of the model");
      p.Drive(s.input, v, f);
      s.schedule = p.ReadSchedule(v, f, info.inputs[s.input].unit);
      p.out.spec.schedules.push_back(std::move(s));
    }
  }
  if (node["loops"]) p.ReadLoops(node["loops"]);
  if (node["mpc"]) {
    p.out.mpc = ParseNmpcBlock(
        r, node["mpc"], info, p.out.spec.sample_time,
        [&](const YAML::Node& n, const std::string& f, const Unit& u) { return p.ReadSchedule(n, f, u); },
        [&](int input, const YAML::Node& n, const std::string& f) { p.Drive(input, n, f); });
  }
  try {
    ControlSystem check(p.out.spec);
  } catch (const std::invalid_argument& e) {
    r.Fail(node, "control", e.what());
  }
  return std::move(p.out);
}

ControlSetup LoadScenarioControl(const sim::Scenario& scenario, const model::ModelInfo& info) {
  YamlReader r(scenario.file.empty() ? scenario.name : scenario.file);
  YAML::Node root = r.Parse(scenario.text);
  if (!root.IsMap() || !root["control"]) throw ModelError(r.file(), 0, "control", "the scenario has no 'control:' block");
  return ParseControlBlock(r, root["control"], info);
}

sim::SampledRunResult RunClosedLoop(std::shared_ptr<const model::Model> model, const sim::Scenario& scenario,
                                    const ControlSetup& setup, sim::SampledRunOptions options,
                                    std::vector<ControlColumn>* columns, std::shared_ptr<NmpcStateSource> state_source) {
  sim::SensorBank sensors = setup.MakeSensors();
  sim::ActuatorBank actuators = setup.MakeActuators();
  std::unique_ptr<ControlSystem> controller = setup.MakeController();
  options.sample_time = setup.spec.sample_time;
  // The plant's own discrete rules (model file `sample_rules:`) act after every interval.
  sim::SampleRuleHistory rules;
  sim::InstallSampleRules(model, &rules, &options);
  if (!setup.mpc) return sim::RunSampled(std::move(model), scenario, sensors, *controller, actuators, options);

  // NMPC: the plant state (or the given source, e.g. an estimator) feeds the controller.
  if (!state_source && setup.mpc->state_source != "plant") {
    throw std::invalid_argument("the NMPC's state source '" + setup.mpc->state_source +
                                "' must be built by the runtime (runtime::RunClosedLoop)");
  }
  const auto& info = model->info();
  std::shared_ptr<PlantStateSource> source;
  if (!state_source) source = std::make_shared<PlantStateSource>(model, setup.mpc->problem.model->info());
  std::vector<double> x0 = info.InitialState(), p0 = info.ParameterValues(), u0 = info.DefaultInputs();
  for (const auto& [i, v] : scenario.initial) x0[i] = v;
  for (const auto& [i, v] : scenario.parameters) p0[i] = v;
  for (const auto& [i, profile] : scenario.inputs) u0[i] = profile.Value(scenario.t_begin);
  if (source) {
    source->SetPlantState(scenario.t_begin, x0.data(), p0.data());
    state_source = source;
    auto user_hook = options.after_interval;
    options.after_interval = [&, user_hook](long k, double t, double* x, const double* p, std::string* error) {
      if (user_hook && !user_hook(k, t, x, p, error)) return false;
      source->SetPlantState(t, x, p);
      return true;
    };
  }
  state_source->InputsApplied(u0.data());
  NmpcLoop loop(setup.mpc, std::move(controller), state_source, setup.spec.sample_time, setup.spec.sample_index_origin);
  sim::SampledRunResult result = sim::RunSampled(std::move(model), scenario, sensors, loop, actuators, options);
  const std::string& tu = info.time_unit.text;
  for (const auto& row : loop.log()) {
    if (row.step.source == NmpcSource::kOptimal) continue;
    result.warnings.push_back("t = " + model::FormatNumber(row.time) + " " + tu + ": NMPC used " +
                              (row.step.source == NmpcSource::kPreviousPlan ? "the last feasible plan" : "the recipe") +
                              ": " + row.step.reason);
  }
  if (columns) {
    const size_t n = result.rows();
    ControlColumn src{"mpc:source", "-", "NMPC control source: 0 optimal, 1 last feasible plan, 2 recipe", {}};
    ControlColumn wall{"mpc:solve_time", "ms", "NMPC step wall-clock time", {}};
    ControlColumn cpu{"mpc:cpu_time", "ms", "NMPC step CPU time", {}};
    ControlColumn it{"mpc:iterations", "-", "IPOPT iterations of the NMPC step", {}};
    const std::string& ou = loop.controller().objective_unit();
    ControlColumn obj{"mpc:objective", ou.empty() || ou == "1" ? "-" : ou,
                      std::string("predicted objective over the horizon (") + (setup.mpc->problem.objective.maximize ? "maximised" : "minimised") + ")", {}};
    for (ControlColumn* c : {&src, &wall, &cpu, &it, &obj}) c->values.assign(n, model::kNaN);
    for (const auto& row : loop.log()) {
      const size_t i = static_cast<size_t>(row.k);
      if (i >= n) continue;
      src.values[i] = static_cast<double>(row.step.source);
      wall.values[i] = row.step.solve_seconds * 1e3;
      cpu.values[i] = row.step.cpu_seconds * 1e3;
      it.values[i] = row.step.iterations;
      obj.values[i] = row.step.source == NmpcSource::kOptimal ? row.step.objective : model::kNaN;
    }
    for (ControlColumn* c : {&src, &wall, &cpu, &it, &obj}) columns->push_back(std::move(*c));
  }
  return result;
}

}  // namespace biotwin::control
