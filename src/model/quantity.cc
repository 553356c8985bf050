#include "model/quantity.h"

#include <cstdlib>

namespace biotwin::model {

QuantityParse TryParseQuantity(std::string_view text, const Unit& target, double* value,
                               std::string* error) {
  const std::string s(text);
  char* end = nullptr;
  const double v = std::strtod(s.c_str(), &end);
  if (s.empty() || end == s.c_str()) return QuantityParse::kNotANumber;
  std::string rest(end);
  const size_t a = rest.find_first_not_of(" \t");
  if (a == std::string::npos) {
    *value = v;
    return QuantityParse::kOk;
  }
  rest = rest.substr(a);
  rest.erase(rest.find_last_not_of(" \t") + 1);
  if (rest.size() >= 2 && rest.front() == '[' && rest.back() == ']') {
    rest = rest.substr(1, rest.size() - 2);
  }
  try {
    *value = ConvertValue(v, ParseUnit(rest), target);
    return QuantityParse::kOk;
  } catch (const UnitError& e) {
    if (error != nullptr) *error = e.what();
    return QuantityParse::kBadUnit;
  }
}

double ParseQuantity(std::string_view text, const Unit& target) {
  double value = 0.0;
  std::string error;
  switch (TryParseQuantity(text, target, &value, &error)) {
    case QuantityParse::kOk:
      return value;
    case QuantityParse::kNotANumber:
      throw UnitError("expected a number or a quantity such as '9 h', got '" + std::string(text) + "'");
    case QuantityParse::kBadUnit:
      break;
  }
  throw UnitError(error + " (expected a quantity in " + target.text + ")");
}

}  // namespace biotwin::model
