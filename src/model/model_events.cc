// Outputs, events (timed and state-triggered, with bolus / withdraw / set / phase actions) and
// the top-level Load() sequence of the YAML model loader.
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "model/content_hash.h"
#include "model/model_loader.h"
#include "model/quantity.h"

namespace biotwin::model::internal {

void Loader::FinishBalances() {
  Tape& tape = tapes_.rhs;
  for (size_t i = 0; i < info_.states.size(); ++i) {
    const StateInfo& st = info_.states[i];
    if (terms_[i].empty() && static_cast<int>(i) == info_.volume_state) {
      AddTerm(static_cast<int>(i), tape.Const(0.0), "0");  // a vessel without continuous flows
    }
    if (terms_[i].empty()) {
      Fail(st.line, "states." + st.name,
           "state '" + st.name + "' has no balance: give it a term in 'balances', a reaction, a "
           "gas transfer or a feed (write 'balances: {" + st.name + ": \"0\"}' for a constant)");
    }
    int sum = terms_[i][0];
    for (size_t k = 1; k < terms_[i].size(); ++k) sum = tape.Binary(TapeOp::kAdd, sum, terms_[i][k]);
    tape.AddOutput(sum);
    info_.balance_text.push_back("d" + st.name + "/dt = " + term_text_[i]);
  }
}

void Loader::BuildOutputs(const YAML::Node& node) {
  if (node) {
    for (auto& [name, o] : yaml_.Entries(node, "outputs")) {
      std::string field = "outputs." + name;
      // An output may publish an intermediate expression under its own name.
      bool publishes = expr_lines_.count(name) > 0;
      if (!publishes || !(o.IsScalar() && o.Scalar() == name)) {
        if (publishes) yaml_.Fail(o, field, "output '" + name + "' has the name of an expression; write 'outputs: {" + name + ": " + name + "}' to publish it, or rename the output");
        Claim(name, o, field);
      }
      OutputInfo oi;
      oi.name = name;
      oi.line = YamlReader::Line(o);
      Source src;
      if (o.IsMap()) {
        yaml_.Entries(o, field, {"expr", "unit", "description"});
        if (!o["expr"]) yaml_.Fail(o, field + ".expr", "missing 'expr'");
        src = ParseExpr(o["expr"], field);
        if (o["unit"]) oi.unit = yaml_.UnitOf(o["unit"], field + ".unit");
        if (o["description"]) oi.description = yaml_.String(o["description"], field + ".description");
      } else {
        src = ParseExpr(o, field);
      }
      if (oi.unit.text.empty()) {
        // A bare symbol inherits its declared unit; anything else must declare one.
        Tape scratch(tapes_.outputs.num_vars());
        if (src.expr->kind == ExprKind::kSymbol) {
          Typed t = EmitTyped(src, scratch);
          compiler_.ResetTape();
          oi.unit = t.unit;
          oi.unit.text = ReadableUnitText(t.unit);
        } else {
          yaml_.Fail(o, field + ".unit", "output '" + name + "' needs a unit: write {expr: \"" + src.text + "\", unit: ...}");
        }
      }
      info_.outputs.push_back(oi);
      outputs_src_.push_back({name, src});
    }
  }
  Tape& tape = tapes_.outputs;
  compiler_.ResetTape();
  std::map<std::string, int> nodes;
  for (size_t k = 0; k < outputs_src_.size(); ++k) {
    const auto& [name, src] = outputs_src_[k];
    int node;
    if (name == "RQ" && !src.expr) {
      node = tape.Binary(TapeOp::kDiv, nodes.at("CER"), nodes.at("OUR"));
    } else {
      node = Emit(src, info_.outputs[k].unit, tape, "output '" + name + "'");
    }
    nodes[name] = node;
    tape.AddOutput(node);
  }
}

int Loader::ActionValue(const YAML::Node& node, const std::string& field, const Unit& target) {
  Tape& tape = tapes_.actions;
  if (node.IsScalar()) {
    // A bare number is in the target's unit; a quantity such as "5 mL" converts to it; any other
    // text is an expression.
    double v = 0.0;
    std::string error;
    const std::string& text = node.Scalar();
    switch (TryParseQuantity(text, target, &v, &error)) {
      case QuantityParse::kOk:
        return tape.AddOutput(tape.Const(v));
      case QuantityParse::kBadUnit:
        if (text.find_first_of("+-*/^()") == std::string::npos) {
          yaml_.Fail(node, field, error + " (expected a quantity in " + target.text + ")");
        }
        break;
      case QuantityParse::kNotANumber:
        break;
    }
  }
  Source src = ParseExpr(node, field);
  return tape.AddOutput(Emit(src, target, tape, "the value"));
}

void Loader::BuildEvents(const YAML::Node& node) {
  if (!node) return;
  yaml_.RequireSequence(node, "events");
  compiler_.ResetTape();
  std::set<std::string> names;
  for (size_t k = 0; k < node.size(); ++k) {
    const YAML::Node& e = node[k];
    std::string field = "events[" + std::to_string(k) + "]";
    yaml_.Entries(e, field, {"name", "description", "at", "when", "direction", "repeat", "actions"});
    EventInfo ev;
    ev.name = e["name"] ? yaml_.String(e["name"], field + ".name") : "event" + std::to_string(k + 1);
    if (!names.insert(ev.name).second) yaml_.Fail(e, field + ".name", "duplicate event name '" + ev.name + "'");
    field = "events." + ev.name;
    ev.line = YamlReader::Line(e);
    if (e["description"]) ev.description = yaml_.String(e["description"], field + ".description");
    if (!!e["at"] == !!e["when"]) yaml_.Fail(e, field, "an event needs exactly one trigger: 'at' (a time) or 'when' (a condition)");
    if (YAML::Node at = e["at"]) {
      ev.timed = true;
      if (at.IsMap()) {
        yaml_.Entries(at, field + ".at", {"start", "every", "until"});
        if (!at["start"]) yaml_.Fail(at, field + ".at.start", "missing 'start'");
        ev.at = yaml_.Quantity(at["start"], field + ".at.start", info_.time_unit);
        if (at["every"]) {
          ev.every = yaml_.Quantity(at["every"], field + ".at.every", info_.time_unit);
          if (!(ev.every > 0)) yaml_.Fail(at["every"], field + ".at.every", "period must be positive");
        }
        if (at["until"]) {
          ev.until = yaml_.Quantity(at["until"], field + ".at.until", info_.time_unit);
          if (ev.until < ev.at) yaml_.Fail(at["until"], field + ".at.until", "'until' is before 'start'");
        }
      } else {
        ev.at = yaml_.Quantity(at, field + ".at", info_.time_unit);
      }
    } else {
      ev.timed = false;
      Source cond = ParseExpr(e["when"], field + ".when");
      const ExprNode& c = *cond.expr;
      bool cmp = c.kind == ExprKind::kBinary &&
                 (c.op == ExprOp::kLt || c.op == ExprOp::kLe || c.op == ExprOp::kGt || c.op == ExprOp::kGe);
      if (!cmp) yaml_.Fail(e["when"], field + ".when", "a condition must compare two quantities, e.g. 'S < 0.1 [g/L]'");
      ev.direction = (c.op == ExprOp::kLt || c.op == ExprOp::kLe) ? -1 : 1;
      ev.condition_text = cond.text;
      Source lhs{std::shared_ptr<const ExprNode>(cond.expr, c.args[0].get()), cond.text, cond.line, cond.field};
      Source rhs{std::shared_ptr<const ExprNode>(cond.expr, c.args[1].get()), cond.text, cond.line, cond.field};
      Typed l = EmitTyped(lhs, tapes_.roots);
      Typed r = EmitTyped(rhs, tapes_.roots);
      if (l.zero_literal) l.unit = r.unit;
      int rn = 0;
      try {
        rn = compiler_.ConvertTo(r, l.unit, tapes_.roots, "the right-hand side of '" + cond.text + "'");
      } catch (const CompileError& err) {
        Fail(cond.line, field + ".when", err.what());
      }
      ev.root = tapes_.roots.AddOutput(tapes_.roots.Binary(TapeOp::kSub, l.node, rn));
      if (YAML::Node d = e["direction"]) {
        std::string dir = yaml_.String(d, field + ".direction");
        if (dir == "rising") ev.direction = 1;
        else if (dir == "falling") ev.direction = -1;
        else if (dir == "either") ev.direction = 0;
        else yaml_.Fail(d, field + ".direction", "expected rising, falling or either");
      }
      if (e["repeat"]) ev.repeat = yaml_.Bool(e["repeat"], field + ".repeat");
    }
    if (!e["actions"]) yaml_.Fail(e, field + ".actions", "an event needs 'actions'");
    yaml_.RequireSequence(e["actions"], field + ".actions");
    for (size_t a = 0; a < e["actions"].size(); ++a) {
      const YAML::Node& act = e["actions"][a];
      std::string af = field + ".actions[" + std::to_string(a) + "]";
      auto entries = yaml_.Entries(act, af, {"bolus", "withdraw", "withdraw_to", "set", "phase"});
      for (auto& [kind, val] : entries) {
        bool needs_volume = kind == "bolus" || kind == "withdraw" || kind == "withdraw_to";
        if (needs_volume && info_.volume_state < 0) {
          yaml_.Fail(val, af + "." + kind, "'" + kind + "' needs a liquid phase (declare 'liquid: volume:')");
        }
        const Unit& vunit = needs_volume ? info_.states[info_.volume_state].unit : info_.time_unit;
        EventAction action;
        if (kind == "bolus") {
          action.kind = EventAction::Kind::kBolus;
          yaml_.Entries(val, af + ".bolus", {"volume", "composition"});
          if (!val["volume"]) yaml_.Fail(val, af + ".bolus.volume", "missing 'volume'");
          action.value_expr = ActionValue(val["volume"], af + ".bolus.volume", vunit);
          if (val["composition"]) {
            for (auto& [sname, c] : yaml_.Entries(val["composition"], af + ".bolus.composition")) {
              int i = info_.StateIndex(sname);
              if (i < 0 || !info_.states[i].diluted) {
                yaml_.Fail(c, af + ".bolus.composition." + sname, "'" + sname + "' is not a diluted (liquid concentration) state");
              }
              action.composition.push_back({i, ActionValue(c, af + ".bolus.composition." + sname, info_.states[i].unit)});
            }
          }
          action.target_name = "bolus";
        } else if (kind == "withdraw" || kind == "withdraw_to") {
          action.kind = EventAction::Kind::kWithdraw;
          action.withdraw_to_volume = kind == "withdraw_to";
          action.value_expr = ActionValue(val, af + "." + kind, vunit);
          action.target_name = kind;
        } else if (kind == "phase") {
          action.kind = EventAction::Kind::kPhase;
          std::string ph = yaml_.String(val, af + ".phase");
          auto it = std::find(info_.phases.begin(), info_.phases.end(), ph);
          if (it == info_.phases.end()) yaml_.Fail(val, af + ".phase", "unknown phase '" + ph + "' (declare it under 'phases')");
          action.target = static_cast<int>(it - info_.phases.begin());
          action.target_name = ph;
        } else {  // set
          for (auto& [name, v] : yaml_.Entries(val, af + ".set")) {
            EventAction s;
            s.target_name = name;
            const Unit* unit = nullptr;
            if ((s.target = info_.InputIndex(name)) >= 0) {
              s.kind = EventAction::Kind::kSetInput;
              unit = &info_.inputs[s.target].unit;
            } else if ((s.target = info_.ParameterIndex(name)) >= 0) {
              s.kind = EventAction::Kind::kSetParameter;
              unit = &info_.parameters[s.target].unit;
            } else if ((s.target = info_.StateIndex(name)) >= 0) {
              s.kind = EventAction::Kind::kSetState;
              unit = &info_.states[s.target].unit;
            } else {
              yaml_.Fail(v, af + ".set." + name, "'" + name + "' is not an input, parameter or state");
            }
            s.value_expr = ActionValue(v, af + ".set." + name, *unit);
            ev.actions.push_back(s);
          }
          continue;
        }
        ev.actions.push_back(action);
      }
    }
    info_.events.push_back(ev);
  }
}

std::shared_ptr<const Model> Loader::Load() {
  YAML::Node root = yaml_.Parse(text_);
  if (!root || root.IsNull()) Fail(1, "", "empty model file");
  ReadHeader(root);
  ReadStates(root["states"]);
  ReadLiquid(root["liquid"]);
  ReadParameters(root["parameters"]);
  ReadInputs(root["inputs"]);
  ReadNetworks(root["networks"]);
  DeclareSymbols();
  DeclareNetworks();
  ReadExpressions(root["expressions"]);
  CheckNetworks();
  BuildBalances(root);
  BuildGas(root["gas_transfer"]);
  BuildLiquid(root["liquid"]);
  FinishBalances();
  BuildOutputs(root["outputs"]);
  BuildEvents(root["events"]);
  BuildSampleRules(root["sample_rules"]);
  ReadValidity(root["validity"]);
  info_.file = yaml_.file();
  info_.content_hash = Sha256Hex(text_);
  return std::make_shared<FileModel>(std::move(info_), std::move(tapes_));
}

}  // namespace biotwin::model::internal

namespace biotwin::model {

std::shared_ptr<const Model> LoadModelText(const std::string& text, const std::string& file_name) {
  internal::Loader loader(text, file_name);
  return loader.Load();
}

std::shared_ptr<const Model> LoadModelFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw ModelError(path, 0, "", "cannot open model file");
  std::stringstream buffer;
  buffer << in.rdbuf();
  return LoadModelText(buffer.str(), path);
}

}  // namespace biotwin::model
