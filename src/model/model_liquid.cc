// Liquid phase of a stirred tank with variable volume: feeds (with composition), withdrawals
// (sampling, harvest, perfusion with retention) and evaporation. The dilution terms of every
// diluted state are generated here from the volume balance, never written by hand:
//   dV/dt = sum F_feed - sum F_out - F_evap
//   dC/dt = r(C) + sum F_feed/V (C_feed - C) + sum F_out*retention/V C + F_evap/V C
#include "model/model_loader.h"

namespace biotwin::model::internal {

void Loader::BuildLiquid(const YAML::Node& node) {
  if (!node || info_.volume_state < 0) return;
  Tape& tape = tapes_.rhs;
  const int v_idx = info_.volume_state;
  const StateInfo& vol = info_.states[v_idx];
  const Unit flow_unit = vol.unit / info_.time_unit;
  const std::string& vname = vol.name;
  int v_node = tape.Var(v_idx);
  auto read_flows = [&](const char* section, bool feed) {
    std::vector<std::pair<int, std::string>> rates;  // (flow node in V unit/time unit, text)
    YAML::Node list = node[section];
    if (!list) return rates;
    yaml_.RequireSequence(list, std::string("liquid.") + section);
    std::set<std::string> names;
    for (size_t k = 0; k < list.size(); ++k) {
      const YAML::Node& f = list[k];
      std::string field = std::string("liquid.") + section + "[" + std::to_string(k) + "]";
      yaml_.Entries(f, field, {"name", "rate", feed ? "composition" : "retention", "description"});
      std::string name = f["name"] ? yaml_.String(f["name"], field + ".name") : std::string(section) + std::to_string(k + 1);
      if (!names.insert(name).second) yaml_.Fail(f, field + ".name", "duplicate name '" + name + "'");
      field = std::string("liquid.") + section + "." + name;
      if (!f["rate"]) yaml_.Fail(f, field + ".rate", "missing 'rate' (volumetric flow, e.g. F or '0.01 [L/h]')");
      Source rate = ParseExpr(f["rate"], field + ".rate");
      int q = Emit(rate, flow_unit, tape, "the flow rate");
      int q_over_v = tape.Binary(TapeOp::kDiv, q, v_node);
      std::string qv = "(" + rate.text + ")/" + vname;
      rates.push_back({q, rate.text});
      const char* comp_key = feed ? "composition" : "retention";
      std::map<int, Source> comp;
      if (f[comp_key]) {
        for (auto& [sname, c] : yaml_.Entries(f[comp_key], field + "." + comp_key)) {
          int i = info_.StateIndex(sname);
          if (i < 0) yaml_.Fail(c, field + "." + comp_key + "." + sname, "'" + sname + "' is not a declared state");
          if (!info_.states[i].diluted) {
            yaml_.Fail(c, field + "." + comp_key + "." + sname, "'" + sname + "' is not a diluted (liquid concentration) state");
          }
          comp[i] = ParseExpr(c, field + "." + comp_key + "." + sname);
        }
      }
      for (int i = 0; i < static_cast<int>(info_.states.size()); ++i) {
        if (!info_.states[i].diluted || i == v_idx) continue;
        const std::string& sname = info_.states[i].name;
        int c_node = tape.Var(i);
        if (feed) {
          // F/V * (C_in - C)
          auto it = comp.find(i);
          int in_node = it == comp.end() ? tape.Const(0.0)
                                         : Emit(it->second, info_.states[i].unit, tape, "the feed concentration of '" + sname + "'");
          int term = tape.Binary(TapeOp::kMul, q_over_v, tape.Binary(TapeOp::kSub, in_node, c_node));
          std::string cin = it == comp.end() ? "0" : "(" + it->second.text + ")";
          AddTerm(i, term, qv + "*(" + cin + " - " + sname + ")");
        } else {
          auto it = comp.find(i);
          if (it == comp.end()) continue;  // withdrawn at broth composition: no change
          int r = Emit(it->second, ParseUnit("1"), tape, "the retention of '" + sname + "'");
          AddTerm(i, tape.Binary(TapeOp::kMul, tape.Binary(TapeOp::kMul, q_over_v, r), c_node),
                  qv + "*(" + it->second.text + ")*" + sname);
        }
      }
    }
    return rates;
  };
  for (auto& [q, text] : read_flows("feeds", true)) AddTerm(v_idx, q, "(" + text + ")");
  for (auto& [q, text] : read_flows("withdrawals", false)) AddTerm(v_idx, tape.Unary(TapeOp::kNeg, q), "-(" + text + ")");
  if (YAML::Node e = node["evaporation"]) {
    Source ev = ParseExpr(e, "liquid.evaporation");
    int q = Emit(ev, flow_unit, tape, "the evaporation rate");
    AddTerm(v_idx, tape.Unary(TapeOp::kNeg, q), "-(" + ev.text + ")");
    int q_over_v = tape.Binary(TapeOp::kDiv, q, v_node);
    for (int i = 0; i < static_cast<int>(info_.states.size()); ++i) {
      if (!info_.states[i].diluted || i == v_idx) continue;
      AddTerm(i, tape.Binary(TapeOp::kMul, q_over_v, tape.Var(i)),
              "(" + ev.text + ")/" + vname + "*" + info_.states[i].name);
    }
  }
}

}  // namespace biotwin::model::internal
