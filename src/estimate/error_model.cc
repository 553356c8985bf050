#include "estimate/error_model.h"

#include <cmath>
#include <cctype>
#include <cstdio>
#include <cstdlib>

#include "estimate/fit_data.h"
#include "model/quantity.h"

namespace biotwin::estimate {
namespace {

std::string Trim(const std::string& s) {
  size_t b = s.find_first_not_of(" \t"), e = s.find_last_not_of(" \t");
  return b == std::string::npos ? "" : s.substr(b, e - b + 1);
}

}  // namespace

double ErrorModel::Sigma(double measured) const {
  if (!declared) return 1.0;
  const double r = relative * measured;
  return std::sqrt(absolute * absolute + r * r);
}

std::string ErrorModel::ToString(const std::string& unit) const {
  if (!declared) return "undeclared (unit weights, sigma estimated from the residuals)";
  char buf[128];
  if (absolute > 0 && relative > 0) {
    std::snprintf(buf, sizeof buf, "%.6g %s + %.6g %%", absolute, unit.c_str(), relative * 100);
  } else if (absolute > 0) {
    std::snprintf(buf, sizeof buf, "%.6g %s", absolute, unit.c_str());
  } else {
    std::snprintf(buf, sizeof buf, "%.6g %%", relative * 100);
  }
  return buf;
}

ErrorModel ParseErrorModel(const std::string& text, const model::Unit& unit,
                           const std::string& where) {
  ErrorModel m;
  m.declared = true;
  size_t start = 0;
  bool have_abs = false, have_rel = false;
  while (start <= text.size()) {
    size_t plus = text.find('+', start);
    // A '+' right after an exponent marker belongs to the number ("1e+2").
    while (plus != std::string::npos && plus > 0 && (text[plus - 1] == 'e' || text[plus - 1] == 'E') &&
           plus >= 2 && std::isdigit(static_cast<unsigned char>(text[plus - 2]))) {
      plus = text.find('+', plus + 1);
    }
    if (plus == std::string::npos) plus = text.size();
    const std::string part = Trim(text.substr(start, plus - start));
    start = plus + 1;
    if (part.empty()) throw FitInputError(where + ": empty term in error model '" + text + "'");
    if (part.back() == '%') {
      if (have_rel) throw FitInputError(where + ": two relative terms in '" + text + "'");
      char* end = nullptr;
      const std::string num = Trim(part.substr(0, part.size() - 1));
      const double v = std::strtod(num.c_str(), &end);
      if (num.empty() || *end != '\0' || !std::isfinite(v) || v < 0) {
        throw FitInputError(where + ": '" + part + "' is not a non-negative percentage");
      }
      m.relative = v / 100.0;
      have_rel = true;
    } else {
      if (have_abs) throw FitInputError(where + ": two absolute terms in '" + text + "'");
      double v = 0;
      std::string err;
      if (model::TryParseQuantity(part, unit, &v, &err) != model::QuantityParse::kOk) {
        throw FitInputError(where + ": '" + part + "' is not a quantity in " + unit.text +
                            (err.empty() ? "" : " (" + err + ")"));
      }
      if (!std::isfinite(v) || v < 0) throw FitInputError(where + ": '" + part + "' must be >= 0");
      m.absolute = v;
      have_abs = true;
    }
  }
  if (!(m.absolute > 0) && !(m.relative > 0)) {
    throw FitInputError(where + ": error model '" + text + "' gives sigma = 0; give an absolute part, a relative part or both");
  }
  return m;
}

}  // namespace biotwin::estimate
