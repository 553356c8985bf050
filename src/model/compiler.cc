#include "model/compiler.h"

#include <algorithm>
#include <cmath>
#include <utility>

namespace biotwin::model {
namespace {

Unit DimensionlessUnit() {
  Unit u;
  u.text = "1";
  return u;
}

std::string Quote(const ExprNode& node) { return "'" + ToString(node) + "'"; }

bool IsConstNode(const Tape& tape, int node, double* value) {
  const TapeInstr& in = tape.instrs()[node];
  if (in.op != TapeOp::kConst) return false;
  *value = in.k;
  return true;
}

// Multiplies a node by a constant factor unless the factor is 1.
int Scale(Tape& tape, int node, double factor) {
  if (factor == 1.0) return node;
  return tape.Binary(TapeOp::kMul, node, tape.Const(factor));
}

bool SameScale(double a, double b) { return std::fabs(a - b) <= 1e-12 * std::fabs(b); }

}  // namespace

std::string DescribeDimension(const Dimension& dim) {
  static const char* kFamiliar[] = {"g/L", "mol/L", "1/h", "h", "L", "L/h", "g/L/h", "mol/L/h",
                                    "g", "mol", "K", "Pa", "W", "m/s", "cells/L", "g/g/h",
                                    "mol/g/h", "cells"};
  std::string text = dim.ToString();
  if (dim.IsDimensionless()) return "dimensionless";
  for (const char* name : kFamiliar) {
    Unit u = ParseUnit(name);
    if (u.dimension == dim) return text + " (e.g. " + name + ")";
  }
  return text;
}

std::string ReadableUnitText(const Unit& unit) {
  // Declared units keep their text; only texts composed by unit arithmetic are replaced.
  if (!unit.text.empty() && unit.text.find('(') == std::string::npos) return unit.text;
  static const char* kCandidates[] = {
      "-", "%", "1/h", "1/min", "1/s", "1/d", "h", "min", "s", "d", "g/L", "mg/L", "mM", "M",
      "mmol/L", "g/g/h", "g/g", "mmol/g/h", "mmol/g", "g/(L*h)", "mmol/(L*h)", "mg/(L*h)",
      "mM/h", "L", "mL", "L/h", "mL/h", "g", "mg", "mol", "mmol", "cells/L", "cells/mL",
      "cells/L/h", "K", "Pa", "bar", "W", "W/m^3", "kg/m^3", "m/s", "mmol/cell/h", "g/mol"};
  for (const char* c : kCandidates) {
    Unit u = ParseUnit(c);
    if (u.dimension == unit.dimension && SameScale(u.scale, unit.scale)) return c;
  }
  return unit.text;
}

void ExprCompiler::DeclareVariable(const std::string& name, int index, const Unit& unit) {
  Symbol s;
  s.kind = Symbol::Kind::kVariable;
  s.index = index;
  s.unit = unit;
  symbols_[name] = std::move(s);
}

void ExprCompiler::DeclareConstant(const std::string& name, double value) {
  Symbol s;
  s.kind = Symbol::Kind::kConstant;
  s.value = value;
  s.unit = DimensionlessUnit();
  symbols_[name] = std::move(s);
}

void ExprCompiler::DeclareIntermediate(const std::string& name,
                                       std::shared_ptr<const ExprNode> expr, std::string text,
                                       const Unit* declared_unit) {
  Symbol s;
  s.kind = Symbol::Kind::kIntermediate;
  s.expr = std::move(expr);
  s.text = std::move(text);
  if (declared_unit != nullptr) {
    s.unit = *declared_unit;
    s.has_declared_unit = true;
  }
  symbols_[name] = std::move(s);
}

void ExprCompiler::DeclareNetwork(const std::string& name, std::shared_ptr<const NetworkSpec> spec) {
  Symbol s;
  s.kind = Symbol::Kind::kNetwork;
  s.unit = spec->unit;
  s.has_declared_unit = true;
  s.network = std::move(spec);
  symbols_[name] = std::move(s);
}

Typed ExprCompiler::CompileNetwork(const NetworkSpec& spec, Tape& tape) {
  std::vector<int> scaled;
  for (size_t i = 0; i < spec.inputs.size(); ++i) {
    const NetworkInput& in = spec.inputs[i];
    const std::string what = "input " + std::to_string(i + 1) + " '" + in.text + "' of network '" + spec.name + "'";
    Typed v = Compile(*in.expr, tape);
    if (!v.zero_literal && v.unit.dimension != in.unit.dimension) {
      throw CompileError(what + " has dimension " + DescribeDimension(v.unit.dimension) +
                         " but its scaling range is in " + in.unit.text + " (" +
                         DescribeDimension(in.unit.dimension) + ")");
    }
    const int x = ConvertTo(v, in.unit, tape, what);
    // Maps [lo, hi] onto [-1, 1]: z = (x - mid) / half.
    const double mid = 0.5 * (in.lo + in.hi), half = 0.5 * (in.hi - in.lo);
    scaled.push_back(tape.Binary(TapeOp::kMul, tape.Binary(TapeOp::kSub, x, tape.Const(mid)),
                                 tape.Const(1.0 / half)));
  }
  return Typed{EmitNetwork(spec, scaled, tape), spec.unit, false};
}

bool ExprCompiler::IsDeclared(const std::string& name) const { return symbols_.count(name) > 0; }

Unit ExprCompiler::UnitOf(const std::string& name, Tape& scratch) {
  auto it = symbols_.find(name);
  if (it == symbols_.end()) throw CompileError("unknown symbol '" + name + "'");
  if (it->second.kind != Symbol::Kind::kIntermediate || it->second.has_declared_unit) {
    return it->second.unit;
  }
  ExprNode node;
  node.kind = ExprKind::kSymbol;
  node.name = name;
  return Compile(node, scratch).unit;
}

Typed ExprCompiler::Convertible(const Typed& value, const Unit& target, Tape& tape,
                                const ExprNode& where) {
  if (value.zero_literal) return Typed{value.node, target, false};
  if (value.unit.dimension != target.dimension) {
    throw CompileError("dimension mismatch at " + Quote(where) + ": " +
                       DescribeDimension(value.unit.dimension) + " vs " +
                       DescribeDimension(target.dimension));
  }
  double factor = value.unit.scale / target.scale;
  return Typed{Scale(tape, value.node, SameScale(value.unit.scale, target.scale) ? 1.0 : factor),
               target, false};
}

Typed ExprCompiler::Dimensionless(const Typed& value, Tape& tape, const ExprNode& where,
                                  const char* why) {
  if (value.zero_literal) return Typed{value.node, DimensionlessUnit(), false};
  if (!value.unit.IsDimensionless()) {
    throw CompileError(std::string(why) + " needs a dimensionless argument, but " + Quote(where) +
                       " is " + DescribeDimension(value.unit.dimension));
  }
  return Typed{Scale(tape, value.node, value.unit.scale), DimensionlessUnit(),
               false};
}

int ExprCompiler::ConvertTo(const Typed& value, const Unit& target, Tape& tape,
                            const std::string& what) {
  if (value.zero_literal) return value.node;
  if (value.unit.dimension != target.dimension) {
    throw CompileError(what + " has dimension " + DescribeDimension(value.unit.dimension) +
                       " but must be " + DescribeDimension(target.dimension) + " (" +
                       target.text + ")");
  }
  double factor = value.unit.scale / target.scale;
  return Scale(tape, value.node, SameScale(value.unit.scale, target.scale) ? 1.0 : factor);
}

int ExprCompiler::CompileAs(const ExprNode& expr, const Unit& target, Tape& tape,
                            const std::string& what) {
  return ConvertTo(Compile(expr, tape), target, tape, what);
}

Typed ExprCompiler::Compile(const ExprNode& expr, Tape& tape) {
  switch (expr.kind) {
    case ExprKind::kNumber: {
      Typed t;
      t.node = tape.Const(expr.number);
      if (!expr.unit_text.empty()) {
        try {
          t.unit = ParseUnit(expr.unit_text);
        } catch (const UnitError& e) {
          throw CompileError(std::string("in literal ") + Quote(expr) + ": " + e.what());
        }
        if (t.unit.IsAffine()) {
          throw CompileError("affine unit '" + expr.unit_text + "' in literal " + Quote(expr) +
                             ": write temperatures in K inside expressions");
        }
      } else {
        t.unit = DimensionlessUnit();
        t.zero_literal = (expr.number == 0.0);
      }
      return t;
    }
    case ExprKind::kSymbol: {
      auto it = symbols_.find(expr.name);
      if (it == symbols_.end()) {
        throw CompileError("unknown symbol '" + expr.name + "'");
      }
      Symbol& s = it->second;
      if (s.kind == Symbol::Kind::kVariable) return Typed{tape.Var(s.index), s.unit, false};
      if (s.kind == Symbol::Kind::kConstant) return Typed{tape.Const(s.value), s.unit, false};
      auto& tape_memo = memo_[&tape];
      auto memo = tape_memo.find(expr.name);
      if (memo != tape_memo.end()) return memo->second;
      if (std::find(in_progress_.begin(), in_progress_.end(), expr.name) != in_progress_.end()) {
        std::string cycle;
        for (const auto& n : in_progress_) cycle += n + " -> ";
        throw CompileError("circular definition: " + cycle + expr.name);
      }
      in_progress_.push_back(expr.name);
      Typed value;
      try {
        value = s.kind == Symbol::Kind::kNetwork ? CompileNetwork(*s.network, tape) : Compile(*s.expr, tape);
      } catch (const CompileError& e) {
        in_progress_.pop_back();
        if (std::string(e.what()).rfind("in expression '", 0) == 0) throw;
        if (s.kind == Symbol::Kind::kNetwork) throw CompileError("in network '" + expr.name + "': " + e.what());
        throw CompileError("in expression '" + expr.name + "' = " + s.text + ": " + e.what());
      }
      in_progress_.pop_back();
      if (s.has_declared_unit && s.kind != Symbol::Kind::kNetwork) {
        value = Typed{ConvertTo(value, s.unit, tape, "expression '" + expr.name + "'"), s.unit,
                      false};
      }
      memo_[&tape][expr.name] = value;
      return value;
    }
    case ExprKind::kUnary: {
      Typed a = Compile(*expr.args[0], tape);
      if (expr.op == ExprOp::kPlus) return a;
      if (expr.op == ExprOp::kNeg) return Typed{tape.Unary(TapeOp::kNeg, a.node), a.unit,
                                                a.zero_literal};
      return Typed{tape.Unary(TapeOp::kNot, a.node), DimensionlessUnit(), false};
    }
    case ExprKind::kBinary: {
      Typed a = Compile(*expr.args[0], tape);
      Typed b = Compile(*expr.args[1], tape);
      switch (expr.op) {
        case ExprOp::kMul:
          return Typed{tape.Binary(TapeOp::kMul, a.node, b.node), a.unit * b.unit, false};
        case ExprOp::kDiv:
          return Typed{tape.Binary(TapeOp::kDiv, a.node, b.node), a.unit / b.unit, false};
        case ExprOp::kAdd:
        case ExprOp::kSub: {
          TapeOp op = expr.op == ExprOp::kAdd ? TapeOp::kAdd : TapeOp::kSub;
          if (a.zero_literal && b.zero_literal) return a;
          if (a.zero_literal) a.unit = b.unit;
          if (!b.zero_literal && a.unit.dimension != b.unit.dimension) {
            throw CompileError("dimension mismatch in " + Quote(expr) + ": " +
                               Quote(*expr.args[0]) + " is " +
                               DescribeDimension(a.unit.dimension) + " but " +
                               Quote(*expr.args[1]) + " is " +
                               DescribeDimension(b.unit.dimension));
          }
          Typed bc = Convertible(b, a.unit, tape, *expr.args[1]);
          return Typed{tape.Binary(op, a.node, bc.node), a.unit, false};
        }
        case ExprOp::kPow: {
          double k = 0.0;
          Typed e = Dimensionless(b, tape, *expr.args[1], "an exponent");
          if (IsConstNode(tape, e.node, &k)) {
            if (a.unit.IsDimensionless()) {
              Typed base = Dimensionless(a, tape, *expr.args[0], "a power");
              return Typed{tape.PowK(base.node, k), base.unit, false};
            }
            return Typed{tape.PowK(a.node, k), a.unit.Pow(k), false};
          }
          Typed base = Dimensionless(a, tape, *expr.args[0], "a power with a variable exponent");
          return Typed{tape.Binary(TapeOp::kPow, base.node, e.node), base.unit, false};
        }
        case ExprOp::kLt: case ExprOp::kLe: case ExprOp::kGt: case ExprOp::kGe:
        case ExprOp::kEq: case ExprOp::kNe: {
          static const std::map<ExprOp, TapeOp> kOps = {
              {ExprOp::kLt, TapeOp::kLt}, {ExprOp::kLe, TapeOp::kLe}, {ExprOp::kGt, TapeOp::kGt},
              {ExprOp::kGe, TapeOp::kGe}, {ExprOp::kEq, TapeOp::kEq}, {ExprOp::kNe, TapeOp::kNe}};
          if (a.zero_literal) a.unit = b.unit;
          if (!b.zero_literal && !a.zero_literal && a.unit.dimension != b.unit.dimension) {
            throw CompileError("cannot compare " + Quote(*expr.args[0]) + " (" +
                               DescribeDimension(a.unit.dimension) + ") with " +
                               Quote(*expr.args[1]) + " (" +
                               DescribeDimension(b.unit.dimension) + ")");
          }
          Typed bc = Convertible(b, a.unit, tape, *expr.args[1]);
          return Typed{tape.Binary(kOps.at(expr.op), a.node, bc.node),
                       DimensionlessUnit(), false};
        }
        case ExprOp::kAnd:
          return Typed{tape.Binary(TapeOp::kAnd, a.node, b.node),
                       DimensionlessUnit(), false};
        case ExprOp::kOr:
          return Typed{tape.Binary(TapeOp::kOr, a.node, b.node),
                       DimensionlessUnit(), false};
        default:
          break;
      }
      throw CompileError("unsupported operator in " + Quote(expr));
    }
    case ExprKind::kCall:
      return CompileCall(expr, tape);
  }
  throw CompileError("unsupported expression " + Quote(expr));
}

Typed ExprCompiler::CompileCall(const ExprNode& expr, Tape& tape) {
  const std::string& f = expr.name;
  const size_t n = expr.args.size();
  auto arity = [&](size_t lo, size_t hi) {
    if (n < lo || n > hi) {
      std::string want = lo == hi ? std::to_string(lo) : std::to_string(lo) + " to " +
                                                             (hi > 99 ? std::string("any") : std::to_string(hi));
      throw CompileError("function '" + f + "' takes " + want + " argument" +
                         (hi == 1 ? "" : "s") + ", got " + std::to_string(n) + " in " +
                         Quote(expr));
    }
  };
  auto arg = [&](size_t i) { return Compile(*expr.args[i], tape); };
  static const std::map<std::string, TapeOp> kDimensionless = {
      {"exp", TapeOp::kExp}, {"log", TapeOp::kLog}, {"ln", TapeOp::kLog},
      {"log10", TapeOp::kLog10}, {"tanh", TapeOp::kTanh}, {"sin", TapeOp::kSin},
      {"cos", TapeOp::kCos}};
  auto dl = kDimensionless.find(f);
  if (dl != kDimensionless.end()) {
    arity(1, 1);
    Typed a = Dimensionless(arg(0), tape, *expr.args[0], ("'" + f + "'").c_str());
    return Typed{tape.Unary(dl->second, a.node), a.unit, false};
  }
  if (f == "sqrt") {
    arity(1, 1);
    Typed a = arg(0);
    return Typed{tape.Unary(TapeOp::kSqrt, a.node), a.unit.Pow(0.5), false};
  }
  if (f == "abs") {
    arity(1, 1);
    Typed a = arg(0);
    return Typed{tape.Unary(TapeOp::kAbs, a.node), a.unit, a.zero_literal};
  }
  if (f == "pow") {
    arity(2, 2);
    Typed a = arg(0);
    Typed b = Dimensionless(arg(1), tape, *expr.args[1], "an exponent");
    double k = 0.0;
    if (IsConstNode(tape, b.node, &k) && !a.unit.IsDimensionless()) {
      return Typed{tape.PowK(a.node, k), a.unit.Pow(k), false};
    }
    Typed base = Dimensionless(a, tape, *expr.args[0], "'pow'");
    if (IsConstNode(tape, b.node, &k)) return Typed{tape.PowK(base.node, k), base.unit, false};
    return Typed{tape.Binary(TapeOp::kPow, base.node, b.node), base.unit, false};
  }
  if (f == "min" || f == "max") {
    arity(2, 1000);
    TapeOp op = f == "min" ? TapeOp::kMin : TapeOp::kMax;
    Typed acc = arg(0);
    for (size_t i = 1; i < n; ++i) {
      Typed b = arg(i);
      if (acc.zero_literal && !b.zero_literal) acc.unit = b.unit;
      if (!acc.zero_literal && !b.zero_literal && acc.unit.dimension != b.unit.dimension) {
        throw CompileError("arguments of '" + f + "' differ in dimension in " + Quote(expr) +
                           ": " + DescribeDimension(acc.unit.dimension) + " vs " +
                           Quote(*expr.args[i]) + " " + DescribeDimension(b.unit.dimension));
      }
      Typed bc = Convertible(b, acc.unit, tape, *expr.args[i]);
      acc = Typed{tape.Binary(op, acc.node, bc.node), acc.unit, false};
    }
    return acc;
  }
  if (f == "pos") {  // max(x, 0)
    arity(1, 1);
    Typed a = arg(0);
    return Typed{tape.Binary(TapeOp::kMax, a.node, tape.Const(0.0)), a.unit, false};
  }
  if (f == "clip") {  // clip(x, lo, hi)
    arity(3, 3);
    Typed x = arg(0);
    Typed lo = Convertible(arg(1), x.unit, tape, *expr.args[1]);
    Typed hi = Convertible(arg(2), x.unit, tape, *expr.args[2]);
    int m = tape.Binary(TapeOp::kMax, x.node, lo.node);
    return Typed{tape.Binary(TapeOp::kMin, m, hi.node), x.unit, false};
  }
  if (f == "if") {  // if(condition, then, else): hard switch
    arity(3, 3);
    Typed c = arg(0);
    Typed a = arg(1);
    Typed b = arg(2);
    if (a.zero_literal) a.unit = b.unit;
    if (!a.zero_literal && !b.zero_literal && a.unit.dimension != b.unit.dimension) {
      throw CompileError("the branches of 'if' differ in dimension in " + Quote(expr) + ": " +
                         DescribeDimension(a.unit.dimension) + " vs " +
                         DescribeDimension(b.unit.dimension));
    }
    Typed bc = Convertible(b, a.unit, tape, *expr.args[2]);
    return Typed{tape.Select(c.node, a.node, bc.node), a.unit, a.zero_literal && b.zero_literal};
  }
  if (f == "step") {  // Heaviside: 1 when x >= 0
    arity(1, 1);
    Typed a = arg(0);
    return Typed{tape.Unary(TapeOp::kStep, a.node), DimensionlessUnit(), false};
  }
  if (f == "smoothstep") {  // smoothstep(x, width) = 0.5*(1 + tanh(x/width))
    arity(2, 2);
    Typed x = arg(0);
    Typed w = arg(1);
    if (x.zero_literal) x.unit = w.unit;
    Typed wc = Convertible(w, x.unit, tape, *expr.args[1]);
    return Typed{tape.Binary(TapeOp::kSmoothStep, x.node, wc.node),
                 DimensionlessUnit(), false};
  }
  throw CompileError("unknown function '" + f + "' in " + Quote(expr) +
                     " (known: exp log ln log10 sqrt pow abs min max pos clip tanh sin cos if "
                     "step smoothstep)");
}

}  // namespace biotwin::model
