// Builds the compiled model from what model_loader.cc read: symbols, balances (explicit terms,
// reaction stoichiometry, gas transfer, generated dilution), outputs and events.
#include <fstream>
#include <sstream>

#include "model/content_hash.h"
#include "model/model_loader.h"

namespace biotwin::model {

ModelError::ModelError(std::string file, int line, std::string field, const std::string& message)
    : std::runtime_error(file + ":" + std::to_string(line) + ": " +
                         (field.empty() ? "" : field + ": ") + message),
      file_(std::move(file)),
      line_(line),
      field_(std::move(field)),
      message_(message) {}

namespace {
int IndexOf(const auto& items, const std::string& name) {
  for (size_t i = 0; i < items.size(); ++i) {
    if (items[i].name == name) return static_cast<int>(i);
  }
  return -1;
}
}  // namespace

int ModelInfo::StateIndex(const std::string& name) const { return IndexOf(states, name); }
int ModelInfo::ParameterIndex(const std::string& name) const { return IndexOf(parameters, name); }
int ModelInfo::InputIndex(const std::string& name) const { return IndexOf(inputs, name); }
int ModelInfo::OutputIndex(const std::string& name) const { return IndexOf(outputs, name); }

std::vector<double> ModelInfo::InitialState() const {
  std::vector<double> x;
  for (const auto& s : states) x.push_back(s.initial);
  return x;
}
std::vector<double> ModelInfo::ParameterValues() const {
  std::vector<double> p;
  for (const auto& q : parameters) p.push_back(q.value);
  return p;
}
std::vector<double> ModelInfo::DefaultInputs() const {
  std::vector<double> u;
  for (const auto& q : inputs) u.push_back(q.default_value);
  return u;
}

namespace internal {

void Loader::DeclareSymbols() {
  const int n = static_cast<int>(info_.states.size());
  const int m = static_cast<int>(info_.inputs.size());
  const int np = static_cast<int>(info_.parameters.size());
  for (int i = 0; i < n; ++i) compiler_.DeclareVariable(info_.states[i].name, i, info_.states[i].unit);
  for (int i = 0; i < m; ++i) compiler_.DeclareVariable(info_.inputs[i].name, n + i, info_.inputs[i].unit);
  for (int i = 0; i < np; ++i) {
    compiler_.DeclareVariable(info_.parameters[i].name, n + m + i, info_.parameters[i].unit);
  }
  compiler_.DeclareVariable("t", n + m + np, info_.time_unit);
  compiler_.DeclareVariable("phase", n + m + np + 1, ParseUnit("1"));
  for (size_t i = 0; i < info_.phases.size(); ++i) {
    compiler_.DeclareConstant(info_.phases[i], static_cast<double>(i));
  }
  for (Tape* t : {&tapes_.rhs, &tapes_.outputs, &tapes_.roots, &tapes_.actions}) {
    t->set_num_vars(n + m + np + 2);
  }
  terms_.assign(n, {});
  term_text_.assign(n, "");
}

void Loader::AddTerm(int state, int node, const std::string& text) {
  terms_[state].push_back(node);
  std::string& s = term_text_[state];
  if (s.empty()) {
    s = text;
  } else if (!text.empty() && text[0] == '-') {
    s += " - " + text.substr(1);
  } else {
    s += " + " + text;
  }
}

void Loader::BuildBalances(const YAML::Node& root) {
  Tape& tape = tapes_.rhs;
  compiler_.ResetTape();
  if (YAML::Node b = root["balances"]) {
    for (auto& [name, e] : yaml_.Entries(b, "balances")) {
      int i = info_.StateIndex(name);
      if (i < 0) yaml_.Fail(e, "balances." + name, "'" + name + "' is not a declared state");
      Source src = ParseExpr(e, "balances." + name);
      AddTerm(i, Emit(src, rate_unit(i), tape, "the balance of '" + name + "'"), "(" + src.text + ")");
    }
  }
  if (YAML::Node r = root["reactions"]) {
    yaml_.RequireSequence(r, "reactions");
    std::set<std::string> names;
    for (size_t k = 0; k < r.size(); ++k) {
      const YAML::Node& rx = r[k];
      std::string field = "reactions[" + std::to_string(k) + "]";
      yaml_.Entries(rx, field, {"name", "rate", "stoichiometry", "description"});
      std::string name = rx["name"] ? yaml_.String(rx["name"], field + ".name") : "r" + std::to_string(k + 1);
      if (!names.insert(name).second) yaml_.Fail(rx, field + ".name", "duplicate reaction name '" + name + "'");
      field = "reactions." + name;
      if (!rx["rate"]) yaml_.Fail(rx, field + ".rate", "reaction '" + name + "' needs a rate");
      if (!rx["stoichiometry"]) yaml_.Fail(rx, field + ".stoichiometry", "reaction '" + name + "' needs a stoichiometry");
      Source rate = ParseExpr(rx["rate"], field + ".rate");
      Typed r_typed = EmitTyped(rate, tape);
      for (auto& [sname, coeff] : yaml_.Entries(rx["stoichiometry"], field + ".stoichiometry")) {
        int i = info_.StateIndex(sname);
        std::string cf = field + ".stoichiometry." + sname;
        if (i < 0) yaml_.Fail(coeff, cf, "'" + sname + "' is not a declared state");
        Source c = ParseExpr(coeff, cf);
        Typed c_typed = EmitTyped(c, tape);
        Typed product{tape.Binary(TapeOp::kMul, c_typed.node, r_typed.node), c_typed.unit * r_typed.unit, false};
        int node = 0;
        try {
          node = compiler_.ConvertTo(product, rate_unit(i), tape,
                                     "stoichiometric term (" + c.text + ")*(" + rate.text + ") of reaction '" + name + "' in the balance of '" + sname + "'");
        } catch (const CompileError& e) {
          Fail(c.line, cf, e.what());
        }
        AddTerm(i, node, "(" + c.text + ")*" + name);
      }
    }
  }
}

void Loader::BuildGas(const YAML::Node& node) {
  if (!node) return;
  Tape& tape = tapes_.rhs;
  for (auto& [gas, g] : yaml_.Entries(node, "gas_transfer", {"O2", "CO2"})) {
    std::string field = "gas_transfer." + gas;
    yaml_.Entries(g, field, {"state", "kla", "saturation", "uptake", "production", "our", "cer"});
    for (const char* req : {"state", "kla", "saturation"}) {
      if (!g[req]) yaml_.Fail(g, field + "." + req, std::string("missing '") + req + "'");
    }
    std::string sname = yaml_.String(g["state"], field + ".state");
    int i = info_.StateIndex(sname);
    if (i < 0) yaml_.Fail(g["state"], field + ".state", "'" + sname + "' is not a declared state");
    Unit inv_time = ParseUnit("1") / info_.time_unit;
    Source kla = ParseExpr(g["kla"], field + ".kla");
    Source sat = ParseExpr(g["saturation"], field + ".saturation");
    int kla_n = Emit(kla, inv_time, tape, "kLa");
    int sat_n = Emit(sat, info_.states[i].unit, tape, "the saturation concentration");
    int driving = tape.Binary(TapeOp::kSub, sat_n, tape.Var(i));
    AddTerm(i, tape.Binary(TapeOp::kMul, kla_n, driving), "(" + kla.text + ")*((" + sat.text + ") - " + sname + ")");
    const char* sink = gas == "O2" ? "uptake" : "production";
    if (g[sink]) {
      Source s = ParseExpr(g[sink], field + "." + sink);
      int n = Emit(s, rate_unit(i), tape, std::string("the ") + sink + " rate");
      if (gas == "O2") {
        AddTerm(i, tape.Unary(TapeOp::kNeg, n), "-(" + s.text + ")");
      } else {
        AddTerm(i, n, "(" + s.text + ")");
      }
    }
    // Outputs: transfer rate, and the molar OUR/CER (and RQ when both exist).
    std::string otr = gas == "O2" ? "OTR" : "CTR";
    Source otr_src;
    otr_src.text = "(" + kla.text + ")*((" + sat.text + ") - " + sname + ")";
    otr_src.expr = std::shared_ptr<const ExprNode>(ParseExpression(
        "(" + kla.text + ") * ((" + sat.text + ") - " + sname + ")").release());
    otr_src.line = kla.line;
    otr_src.field = field;
    Claim(otr, g, field);
    outputs_src_.push_back({otr, otr_src});
    OutputInfo oi;
    oi.name = otr;
    oi.unit = rate_unit(i);
    oi.unit.text = info_.states[i].unit.text + "/" + info_.time_unit.text;
    oi.description = gas + " gas-liquid transfer rate";
    oi.line = kla.line;
    info_.outputs.push_back(oi);
    const char* molar = gas == "O2" ? "our" : "cer";
    if (g[molar]) {
      std::string oname = gas == "O2" ? "OUR" : "CER";
      Claim(oname, g[molar], field + "." + molar);
      outputs_src_.push_back({oname, ParseExpr(g[molar], field + "." + molar)});
      OutputInfo o;
      o.name = oname;
      o.unit = ParseUnit("mmol/(L*h)");
      o.description = gas == "O2" ? "oxygen uptake rate" : "carbon dioxide evolution rate";
      o.line = YamlReader::Line(g[molar]);
      info_.outputs.push_back(o);
    }
  }
  if (info_.OutputIndex("OUR") >= 0 && info_.OutputIndex("CER") >= 0) {
    Source rq;
    rq.text = "CER/OUR";
    rq.line = YamlReader::Line(node);
    rq.field = "gas_transfer";
    outputs_src_.push_back({"RQ", rq});  // expr filled in BuildOutputs from the compiled nodes
    OutputInfo o;
    o.name = "RQ";
    o.unit = ParseUnit("1");
    o.unit.text = "-";
    o.description = "respiratory quotient CER/OUR";
    info_.outputs.push_back(o);
  }
}

}  // namespace internal
}  // namespace biotwin::model
