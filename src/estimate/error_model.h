// Measurement error models: the standard deviation of a measured value y is
// sigma = sqrt(a^2 + (b*y)^2) with an absolute part a (signal unit) and a relative part b.
#ifndef BIOTWIN_ESTIMATE_ERROR_MODEL_H_
#define BIOTWIN_ESTIMATE_ERROR_MODEL_H_

#include <string>

#include "model/units.h"

namespace biotwin::estimate {

struct ErrorModel {
  double absolute = 0.0;  // a, in the signal's model unit
  double relative = 0.0;  // b, a fraction (0.05 = 5 %)
  bool declared = false;  // false: unit weights (sigma = 1) and sigma estimated from residuals

  // sigma for a measured value (weights are fixed by the data, so the objective stays a plain
  // weighted least-squares sum). Undeclared models give 1.
  double Sigma(double measured) const;
  std::string ToString(const std::string& unit) const;  // "0.1 g/L + 5 %"
};

// Parses "A[UNIT]", "B%" or "A[UNIT]+B%" (either order); A is converted to `unit`.
// Throws FitInputError naming `where` for malformed text, an incompatible unit, negative
// values or a model with both parts zero.
ErrorModel ParseErrorModel(const std::string& text, const model::Unit& unit,
                           const std::string& where);

}  // namespace biotwin::estimate

#endif  // BIOTWIN_ESTIMATE_ERROR_MODEL_H_
