// Quantities written as text: "9", "9 h", "9h", "9 [h]", "250 mg/L". One parser for model files,
// scenario files and command-line options, so the same text means the same value everywhere.
#ifndef BIOTWIN_MODEL_QUANTITY_H_
#define BIOTWIN_MODEL_QUANTITY_H_

#include <string>
#include <string_view>

#include "model/units.h"

namespace biotwin::model {

enum class QuantityParse {
  kOk,          // *value holds the quantity in `target`
  kNotANumber,  // the text does not start with a number
  kBadUnit,     // a number followed by text that is not a unit (or not convertible): *error says why
};

// A bare number is taken to be in `target`; a number with a unit is converted to `target`.
QuantityParse TryParseQuantity(std::string_view text, const Unit& target, double* value,
                               std::string* error);

// As TryParseQuantity; throws UnitError with a message naming the text and the expected unit.
double ParseQuantity(std::string_view text, const Unit& target);

}  // namespace biotwin::model

#endif  // BIOTWIN_MODEL_QUANTITY_H_
