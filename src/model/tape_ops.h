// Values of the tape's operations, one inline function each. The tape interpreter (tape.cc) and
// the C++ that `codegen` writes for compiled models (codegen.h) both evaluate through these, so a
// compiled model returns exactly the interpreter's numbers.
#ifndef BIOTWIN_MODEL_TAPE_OPS_H_
#define BIOTWIN_MODEL_TAPE_OPS_H_

#include <cmath>

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

}  // namespace biotwin::model::ops

#endif  // BIOTWIN_MODEL_TAPE_OPS_H_
