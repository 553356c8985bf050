#include "control/ocp_functions.h"

#include <algorithm>
#include <cmath>
#include <set>

#include "model/compiler.h"
#include "model/file_model.h"
#include "model/format.h"

namespace biotwin::control {
namespace {

using model::ModelError;

// Where the symbols of an expression come from.
struct SymbolUse {
  bool states = false, outputs = false, inputs = false, time = false;
  bool Variable() const { return states || outputs || inputs || time; }
};

SymbolUse Uses(const model::ExprNode& e, const model::ModelInfo& info) {
  SymbolUse u;
  for (const auto& s : model::CollectSymbols(e)) {
    if (info.StateIndex(s) >= 0) u.states = true;
    else if (info.OutputIndex(s) >= 0) u.outputs = true;
    else if (info.InputIndex(s) >= 0) u.inputs = true;
    else if (s == "t") u.time = true;
  }
  return u;
}

// A short name for a derived unit: a unit of the model (or a common one) with the same dimension
// and scale ("g" for g/L*L), else the compiler's readable text.
std::string ShortUnit(const model::Unit& u, const model::ModelInfo& info) {
  std::vector<std::string> candidates;
  for (const auto& s : info.states) candidates.push_back(s.unit.text);
  for (const auto& o : info.outputs) candidates.push_back(o.unit.text);
  for (const auto& i : info.inputs) candidates.push_back(i.unit.text);
  candidates.push_back(info.time_unit.text);
  for (const char* c : {"g", "mg", "kg", "L", "mL", "mol", "mmol", "1"}) candidates.push_back(c);
  for (const auto& text : candidates) {
    try {
      const model::Unit c = model::ParseUnit(text);
      if (model::Compatible(c, u) && !c.IsAffine() && std::fabs(model::ConversionFactor(u, c) - 1.0) < 1e-12) return text;
    } catch (const model::UnitError&) {
    }
  }
  return model::ReadableUnitText(u);
}

bool BareNumber(const model::ExprNode& e) {
  return e.kind == model::ExprKind::kNumber && e.unit_text.empty();
}

// The running-cost quadrature for the shooting integrator.
class LagrangeState : public sim::StateExtension {
 public:
  explicit LagrangeState(OcpFunctions* f) : f_(f) {}
  int size() const override { return 1; }
  void Eval(double t, const double* x, const double* u, const double* p, double* r, double* drdx,
            double* drdu, double* drdt) override {
    if (!drdx) {
      f_->Eval(OcpFunctions::kLagrange, t, x, u, r, nullptr, nullptr, nullptr);
      return;
    }
    f_->Eval(OcpFunctions::kLagrange, t, x, u, r, drdx, drdu, drdt);
  }

 private:
  OcpFunctions* f_;
};

}  // namespace

OcpFunctions::OcpFunctions(const OcpProblem& problem, std::vector<double> p)
    : model_(problem.model), p_(std::move(p)) {
  n_ = model_->num_states();
  m_ = model_->num_inputs();
  np_ = model_->num_parameters();
  ny_ = model_->num_outputs();
  vars_.assign(n_ + ny_ + m_ + np_ + 1, 0.0);
  grad_.assign(vars_.size(), 0.0);
  y_.assign(std::max(ny_, 1), 0.0);
  dy_.assign(static_cast<size_t>(std::max(ny_, 1)) * (n_ + m_ + 1), 0.0);
  std::copy(p_.begin(), p_.end(), vars_.begin() + n_ + ny_ + m_);
  if (const auto* fm = dynamic_cast<const model::FileModel*>(model_.get())) {
    out_ws_.Resize(fm->tapes().outputs);
    out_vars_.assign(fm->num_vars(), 0.0);
    out_grad_.assign(fm->num_vars(), 0.0);
  }
  Compile(problem);
}

OcpFunctions::~OcpFunctions() = default;

int OcpFunctions::size(Group g) const { return groups_[g].tape.num_outputs(); }

void OcpFunctions::Compile(const OcpProblem& problem) {
  const auto& info = model_->info();
  const int nv = static_cast<int>(vars_.size());
  for (auto& g : groups_) g.tape.set_num_vars(nv);
  model::ExprCompiler compiler;
  for (int i = 0; i < n_; ++i) compiler.DeclareVariable(info.states[i].name, i, info.states[i].unit);
  for (int j = 0; j < ny_; ++j) {
    if (info.StateIndex(info.outputs[j].name) < 0) {
      compiler.DeclareVariable(info.outputs[j].name, n_ + j, info.outputs[j].unit);
    }
  }
  for (int l = 0; l < m_; ++l) compiler.DeclareVariable(info.inputs[l].name, n_ + ny_ + l, info.inputs[l].unit);
  for (int k = 0; k < np_; ++k) {
    compiler.DeclareVariable(info.parameters[k].name, n_ + ny_ + m_ + k, info.parameters[k].unit);
  }
  compiler.DeclareVariable("t", nv - 1, info.time_unit);
  const bool file_model = dynamic_cast<const model::FileModel*>(model_.get()) != nullptr;
  auto check_outputs = [&](const model::ExprNode& e, int line, const std::string& field, GroupData& g) {
    if (!Uses(e, info).outputs) return;
    if (!file_model) throw ModelError(problem.file, line, field, "model outputs can only be used with models loaded from files (no output gradients)");
    g.uses_outputs = true;
  };
  auto fail = [&](int line, const std::string& field, const std::string& what) -> void {
    throw ModelError(problem.file, line, field, what);
  };
  const OcpObjective& obj = problem.objective;
  model::Unit mayer_unit, lagrange_unit;
  try {
    if (obj.mayer) {
      auto& g = groups_[kMayer];
      check_outputs(*obj.mayer, obj.line, "objective", g);
      model::Typed v = compiler.Compile(*obj.mayer, g.tape);
      g.tape.AddOutput(v.node);
      mayer_unit = v.unit;
      objective_unit_ = ShortUnit(v.unit, info);
      g.rows.push_back({obj.mayer_text, "objective", v.unit.text, obj.line});
    }
    if (obj.lagrange) {
      auto& g = groups_[kLagrange];
      check_outputs(*obj.lagrange, obj.line, "objective.running", g);
      model::Typed v = compiler.Compile(*obj.lagrange, g.tape);
      // The integral has the unit of the integrand times time; it must add to the final term.
      lagrange_unit = v.unit * info.time_unit;
      int node = v.node;
      if (obj.mayer) {
        node = compiler.ConvertTo(model::Typed{v.node, lagrange_unit}, mayer_unit, g.tape,
                                  "the integral of the running cost (added to the final-time term)");
      } else {
        objective_unit_ = ShortUnit(lagrange_unit, info);
      }
      g.tape.AddOutput(node);
      g.rows.push_back({obj.lagrange_text, "objective.running", objective_unit_, obj.line});
    }
    for (size_t i = 0; i < obj.residuals.size(); ++i) {
      auto& g = groups_[kResiduals];
      const std::string field = "objective.minimize.least_squares[" + std::to_string(i) + "]";
      check_outputs(*obj.residuals[i], obj.line, field, g);
      model::Typed v = compiler.Compile(*obj.residuals[i], g.tape);
      if (!v.unit.IsDimensionless()) {
        fail(obj.line, field, "a residual must be dimensionless (divide it by a scale, e.g. (S - 1 [g/L])/(0.1 [g/L])); '" +
                                  obj.residual_texts[i] + "' is in " + model::ReadableUnitText(v.unit));
      }
      g.tape.AddOutput(v.node);
      g.rows.push_back({obj.residual_texts[i], field, "1", obj.line});
      objective_unit_ = info.time_unit.text;
    }
  } catch (const model::CompileError& e) {
    fail(obj.line, "objective", e.what());
  } catch (const model::UnitError& e) {
    fail(obj.line, "objective", e.what());
  }
  for (const auto& c : problem.path) CompileConstraint(problem, c, groups_[kPath]);
  for (const auto& c : problem.terminal) CompileConstraint(problem, c, groups_[kTerminal]);
  // Bounds that are constant were compiled to the bound tapes below; check_outputs for bodies.
  for (int gi : {kPath, kTerminal}) {
    auto& g = groups_[gi];
    const auto& list = gi == kPath ? problem.path : problem.terminal;
    for (const auto& c : list) check_outputs(*c.body, c.line, c.field, g);
  }
  for (auto& g : groups_) {
    g.tape.Finalize();
    g.ws.Resize(g.tape);
  }
}

void OcpFunctions::CompileConstraint(const OcpProblem& problem, const OcpConstraint& c, GroupData& g) {
  const auto& info = model_->info();
  model::ExprCompiler compiler;
  const int nv = static_cast<int>(vars_.size());
  for (int i = 0; i < n_; ++i) compiler.DeclareVariable(info.states[i].name, i, info.states[i].unit);
  for (int j = 0; j < ny_; ++j) {
    if (info.StateIndex(info.outputs[j].name) < 0) compiler.DeclareVariable(info.outputs[j].name, n_ + j, info.outputs[j].unit);
  }
  for (int l = 0; l < m_; ++l) compiler.DeclareVariable(info.inputs[l].name, n_ + ny_ + l, info.inputs[l].unit);
  for (int k = 0; k < np_; ++k) compiler.DeclareVariable(info.parameters[k].name, n_ + ny_ + m_ + k, info.parameters[k].unit);
  compiler.DeclareVariable("t", nv - 1, info.time_unit);
  ConstraintRow row;
  row.text = c.text;
  row.field = c.field;
  row.line = c.line;
  try {
    model::Typed body = compiler.Compile(*c.body, g.tape);
    if (body.zero_literal) throw model::CompileError("the constrained expression is the constant 0");
    row.unit = body.unit.text;
    int node = body.node;
    SymbolUse use = Uses(*c.body, info);
    if (!use.Variable()) throw model::CompileError("'" + c.body_text + "' does not depend on states, outputs, inputs or time: nothing to constrain");
    // Constant bounds (numbers, parameters) stay bounds; a bound that varies becomes part of
    // the body (body - bound compared with 0).
    model::Tape scratch(nv);
    model::TapeWorkspace sws;
    for (int side = 0; side < 2; ++side) {
      const auto& e = side == 0 ? c.lower_expr : c.upper_expr;
      if (!e) continue;
      double* target = side == 0 ? &row.lower : &row.upper;
      if (BareNumber(*e)) {
        *target = e->number;  // a bare number is in the unit of the constrained expression
        continue;
      }
      const SymbolUse bu = Uses(*e, info);
      if (!bu.Variable()) {
        const int bn = compiler.ConvertTo(compiler.Compile(*e, scratch), body.unit, scratch, "the bound of '" + c.text + "'");
        const int out = scratch.AddOutput(bn);
        scratch.Finalize();
        sws.Resize(scratch);
        model::TapeForwardValues(scratch, vars_.data(), sws);
        *target = model::TapeOutput(scratch, sws, out);
        scratch = model::Tape(nv);
        continue;
      }
      const bool equality = c.lower_expr == c.upper_expr;
      if (c.lower_expr && c.upper_expr && !equality) {
        throw model::CompileError("the bounds of a two-sided constraint must be constants or parameters; write two constraints instead");
      }
      const int bn = compiler.ConvertTo(compiler.Compile(*e, g.tape), body.unit, g.tape, "the bound of '" + c.text + "'");
      node = g.tape.Binary(model::TapeOp::kSub, node, bn);
      *target = 0.0;
      if (equality) {
        row.upper = 0.0;
        side = 2;  // the same bound: compiled once
      }
      use.inputs |= bu.inputs;
      use.time |= bu.time;
      use.outputs |= bu.outputs;
      if (bu.outputs) g.uses_outputs = true;
    }
    if (row.lower > row.upper) {
      throw model::CompileError("inconsistent bounds: lower " + model::FormatNumber(row.lower) + " is above upper " +
                                model::FormatNumber(row.upper) + " " + row.unit);
    }
    row.uses_inputs = use.inputs || use.outputs;  // outputs may depend on inputs
    row.uses_time = use.time || use.outputs;
    g.tape.AddOutput(node);
  } catch (const model::CompileError& e) {
    throw ModelError(problem.file, c.line, c.field, e.what());
  } catch (const model::UnitError& e) {
    throw ModelError(problem.file, c.line, c.field, e.what());
  }
  g.rows.push_back(row);
}

void OcpFunctions::Eval(Group gi, double t, const double* x, const double* u, double* values,
                        double* dx, double* du, double* dt) {
  GroupData& g = groups_[gi];
  const int rows = g.tape.num_outputs();
  if (rows == 0) return;
  std::copy(x, x + n_, vars_.begin());
  std::copy(u, u + m_, vars_.begin() + n_ + ny_);
  vars_.back() = t;
  const auto* fm = g.uses_outputs ? static_cast<const model::FileModel*>(model_.get()) : nullptr;
  if (fm) {
    // Outputs and, for gradients, dy/d(x, u, t) from the model's output tape.
    double* v = out_vars_.data();
    std::copy(x, x + n_, v);
    std::copy(u, u + m_, v + fm->input_offset());
    std::copy(p_.begin(), p_.end(), v + fm->parameter_offset());
    v[fm->time_index()] = t;
    v[fm->phase_index()] = 0;
    const auto& tape = fm->tapes().outputs;
    if (dx) model::TapeForward(tape, v, out_ws_);
    else model::TapeForwardValues(tape, v, out_ws_);
    for (int j = 0; j < ny_; ++j) {
      vars_[n_ + j] = model::TapeOutput(tape, out_ws_, j);
      if (!dx) continue;
      model::TapeGradient(tape, out_ws_, j, out_grad_.data());
      double* row = dy_.data() + static_cast<size_t>(j) * (n_ + m_ + 1);
      for (int i = 0; i < n_; ++i) row[i] = out_grad_[i];
      for (int l = 0; l < m_; ++l) row[n_ + l] = out_grad_[fm->input_offset() + l];
      row[n_ + m_] = out_grad_[fm->time_index()];
    }
  }
  if (!dx) {
    model::TapeForwardValues(g.tape, vars_.data(), g.ws);
    for (int r = 0; r < rows; ++r) values[r] = model::TapeOutput(g.tape, g.ws, r);
    return;
  }
  model::TapeForward(g.tape, vars_.data(), g.ws);
  for (int r = 0; r < rows; ++r) {
    values[r] = model::TapeOutput(g.tape, g.ws, r);
    model::TapeGradient(g.tape, g.ws, r, grad_.data());
    double* gx = dx + static_cast<size_t>(r) * n_;
    double* gu = du + static_cast<size_t>(r) * m_;
    for (int i = 0; i < n_; ++i) gx[i] = grad_[i];
    for (int l = 0; l < m_; ++l) gu[l] = grad_[n_ + ny_ + l];
    dt[r] = grad_.back();
    if (!fm) continue;
    for (int j = 0; j < ny_; ++j) {
      const double w = grad_[n_ + j];
      if (w == 0.0) continue;
      const double* row = dy_.data() + static_cast<size_t>(j) * (n_ + m_ + 1);
      for (int i = 0; i < n_; ++i) gx[i] += w * row[i];
      for (int l = 0; l < m_; ++l) gu[l] += w * row[n_ + l];
      dt[r] += w * row[n_ + m_];
    }
  }
}

std::shared_ptr<sim::StateExtension> OcpFunctions::LagrangeExtension() {
  if (!has(kLagrange)) return nullptr;
  return std::make_shared<LagrangeState>(this);
}

}  // namespace biotwin::control
