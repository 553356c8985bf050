// Values of the tape's operations, one inline function each. The tape interpreter (tape.cc) and
// the C++ that `codegen` writes for compiled models (codegen.h) both evaluate through these, so a
// compiled model returns exactly the interpreter's numbers.
#ifndef BIOTWIN_MODEL_TAPE_OPS_H_
#define BIOTWIN_MODEL_TAPE_OPS_H_

#include <cmath>
#include <limits>

#include "model/tape.h"

namespace biotwin::model::ops {

inline double Add(double a, double b) { return a + b; }
inline double Sub(double a, double b) { return a - b; }
inline double Mul(double a, double b) { return a * b; }
inline double Div(double a, double b) { return a / b; }
inline double Neg(double a) { return -a; }
inline double Pow(double a, double b) { return std::pow(a, b); }
// Constant exponent: the small whole powers the model files use (squares, cubes) as products,
// which are exact to the last bit or one rounding off pow() and several times cheaper.
inline double PowK(double a, double k) {
  if (k == 2.0) return a * a;
  if (k == 3.0) return a * a * a;
  if (k == -1.0) return 1.0 / a;
  if (k == 0.5) return std::sqrt(a);
  return std::pow(a, k);
}
inline double Exp(double a) { return std::exp(a); }
inline double Log(double a) { return std::log(a); }
inline double Log10(double a) { return std::log10(a); }
inline double Sqrt(double a) { return std::sqrt(a); }
inline double Abs(double a) { return std::fabs(a); }
inline double Tanh(double a) { return std::tanh(a); }
inline double Sin(double a) { return std::sin(a); }
inline double Cos(double a) { return std::cos(a); }
// a on ties; a NaN in a propagates.
inline double Min(double a, double b) { return (a <= b || a != a) ? a : b; }
inline double Max(double a, double b) { return (a >= b || a != a) ? a : b; }
inline double Lt(double a, double b) { return a < b ? 1.0 : 0.0; }
inline double Le(double a, double b) { return a <= b ? 1.0 : 0.0; }
inline double Gt(double a, double b) { return a > b ? 1.0 : 0.0; }
inline double Ge(double a, double b) { return a >= b ? 1.0 : 0.0; }
inline double Eq(double a, double b) { return a == b ? 1.0 : 0.0; }
inline double Ne(double a, double b) { return a != b ? 1.0 : 0.0; }
inline double And(double a, double b) { return (a != 0.0 && b != 0.0) ? 1.0 : 0.0; }
inline double Or(double a, double b) { return (a != 0.0 || b != 0.0) ? 1.0 : 0.0; }
inline double Not(double a) { return a == 0.0 ? 1.0 : 0.0; }
inline double Select(double cond, double if_true, double if_false) { return cond != 0.0 ? if_true : if_false; }
inline double Step(double a) { return a >= 0.0 ? 1.0 : 0.0; }
inline double SmoothStep(double a, double width) { return 0.5 * (1.0 + std::tanh(a / width)); }

constexpr double kLn10 = 2.302585092994045684;

// Value of one operation and its partial derivatives with respect to the operand values a, b,
// c (k: the constant of kConst / the exponent of kPowK). The interpreter's forward sweep, its
// constant folding and the generated Jacobian code all use it; with a constant `op` the switch
// folds away.
// a^b and d(a^b)/da = b a^(b-1) = b (a^b / a) for a > 0: one pow() instead of two (pow dominates
// the cost of a Jacobian of a model with correlation exponents). The generated Jacobian calls it
// alone when only state derivatives are asked for and b depends on parameters only: d/db needs a
// log() nobody reads then.
[[gnu::always_inline]] inline double PowWithBaseDerivative(double a, double b, double& da) {
  const double v = Pow(a, b);
  da = b == 0.0 ? 0.0 : (a > 0.0 && std::isfinite(v) ? b * (v / a) : b * std::pow(a, b - 1.0));
  return v;
}

[[gnu::always_inline]] inline double EvaluateWithPartials(TapeOp op, double a, double b, double c, double k,
                                                         double& da, double& db, double& dc) {
  da = 0.0;
  db = 0.0;
  dc = 0.0;
  switch (op) {
    case TapeOp::kConst: return k;
    case TapeOp::kVar: return a;
    case TapeOp::kAdd: da = 1.0; db = 1.0; return Add(a, b);
    case TapeOp::kSub: da = 1.0; db = -1.0; return Sub(a, b);
    case TapeOp::kMul: da = b; db = a; return Mul(a, b);
    case TapeOp::kDiv: {
      const double v = Div(a, b);
      da = 1.0 / b;
      db = -v / b;
      return v;
    }
    case TapeOp::kNeg: da = -1.0; return Neg(a);
    case TapeOp::kPow: {
      const double v = PowWithBaseDerivative(a, b, da);
      if (a > 0.0) {
        db = v * std::log(a);
      } else {
        db = std::isfinite(v) ? 0.0 : std::numeric_limits<double>::quiet_NaN();
      }
      return v;
    }
    case TapeOp::kPowK: {
      const double v = PowK(a, k);
      const double km1 = k - 1.0;
      if (k == 0.0) {
        da = 0.0;
      } else if (k == 2.0) {
        da = 2.0 * a;
      } else if (km1 == 2.0 || km1 == 3.0 || km1 == -1.0 || km1 == 0.5 || !(a > 0.0) || !std::isfinite(v)) {
        da = k * PowK(a, km1);  // a whole small power, or outside a > 0
      } else {
        da = k * (v / a);  // as for kPow: no second pow()
      }
      return v;
    }
    case TapeOp::kExp: {
      const double v = Exp(a);
      da = v;
      return v;
    }
    case TapeOp::kLog: da = 1.0 / a; return Log(a);
    case TapeOp::kLog10: da = 1.0 / (a * kLn10); return Log10(a);
    case TapeOp::kSqrt: {
      const double v = Sqrt(a);
      da = 0.5 / v;
      return v;
    }
    case TapeOp::kAbs:
      da = a > 0.0 ? 1.0 : (a < 0.0 ? -1.0 : 0.0);
      return Abs(a);
    case TapeOp::kTanh: {
      const double v = Tanh(a);
      da = 1.0 - v * v;
      return v;
    }
    case TapeOp::kSin: da = std::cos(a); return Sin(a);
    case TapeOp::kCos: da = -std::sin(a); return Cos(a);
    case TapeOp::kMin:  // a on ties; NaN in either operand propagates
      if (a <= b || a != a) da = 1.0; else db = 1.0;
      return Min(a, b);
    case TapeOp::kMax:
      if (a >= b || a != a) da = 1.0; else db = 1.0;
      return Max(a, b);
    case TapeOp::kLt: return Lt(a, b);
    case TapeOp::kLe: return Le(a, b);
    case TapeOp::kGt: return Gt(a, b);
    case TapeOp::kGe: return Ge(a, b);
    case TapeOp::kEq: return Eq(a, b);
    case TapeOp::kNe: return Ne(a, b);
    case TapeOp::kAnd: return And(a, b);
    case TapeOp::kOr: return Or(a, b);
    case TapeOp::kNot: return Not(a);
    case TapeOp::kSelect:
      if (a != 0.0) db = 1.0; else dc = 1.0;
      return Select(a, b, c);
    case TapeOp::kStep: return Step(a);
    case TapeOp::kSmoothStep: {
      const double x = a / b;
      const double t = std::tanh(x);
      const double slope = 0.5 * (1.0 - t * t);  // d/dx
      if (slope != 0.0) {  // saturated switches have exactly zero partials (no 0 * inf)
        da = slope / b;
        db = -slope * x / b;
      }
      return SmoothStep(a, b);
    }
  }
  return std::numeric_limits<double>::quiet_NaN();
}

}  // namespace biotwin::model::ops

#endif  // BIOTWIN_MODEL_TAPE_OPS_H_
