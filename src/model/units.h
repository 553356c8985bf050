// Physical units and dimensions for biotwin model files.
//
// A unit is a dimension (exponents of the base dimensions) and a scale factor to the coherent SI
// unit of that dimension, plus an offset for affine temperature scales (degC). Values are kept in
// the units the user declared; the expression compiler folds conversion factors in at load time.
#ifndef BIOTWIN_MODEL_UNITS_H_
#define BIOTWIN_MODEL_UNITS_H_

#include <array>
#include <stdexcept>
#include <string>
#include <string_view>

namespace biotwin::model {

// Base dimensions. Cells are their own dimension (cell counts in CHO/iPSC models must not mix with
// moles or masses). Exponents are doubles so that empirical correlations (kLa ~ vs^0.38) type-check.
enum class BaseDim { kMass = 0, kLength, kTime, kAmount, kTemperature, kCells, kCount };
inline constexpr int kNumBaseDims = static_cast<int>(BaseDim::kCount);

class Dimension {
 public:
  Dimension() { exponents_.fill(0.0); }
  static Dimension Dimensionless() { return Dimension(); }
  static Dimension Of(BaseDim base, double exponent = 1.0);

  double Exponent(BaseDim base) const { return exponents_[static_cast<int>(base)]; }
  bool IsDimensionless() const;

  Dimension operator*(const Dimension& other) const;
  Dimension operator/(const Dimension& other) const;
  Dimension Pow(double exponent) const;
  // Equal when every exponent agrees within 1e-9.
  bool operator==(const Dimension& other) const;
  bool operator!=(const Dimension& other) const { return !(*this == other); }

  // Readable form in SI base units, e.g. "kg*m^-3", "s^-1", "1" for dimensionless,
  // "kg^0.34*m^-0.68*s^-1.02" for fractional exponents.
  std::string ToString() const;

 private:
  std::array<double, kNumBaseDims> exponents_;
};

struct Unit {
  Dimension dimension;
  double scale = 1.0;   // value_SI = value * scale + offset
  double offset = 0.0;  // non-zero only for affine units (degC, degF)
  std::string text;     // the text it was parsed from (normalised spacing), "1" for dimensionless

  bool IsAffine() const { return offset != 0.0; }
  bool IsDimensionless() const { return dimension.IsDimensionless(); }
  // Product/quotient/power for the dimension and scale; the result is never affine
  // (throws UnitError if an operand is affine).
  Unit operator*(const Unit& other) const;
  Unit operator/(const Unit& other) const;
  Unit Pow(double exponent) const;
};

class UnitError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Parses a unit string. Grammar: factors joined by '*', '·', '/' or a single space ('/' is left
// associative: "g/g/h" == "g/(g*h)"), parentheses, powers "m^3", "m3", "h^-1", "m**2", and an
// optional leading numeric factor ("1e6 cells/mL"). Names: SI prefixes (p n u µ m c d k M G) on
// g, L/l, m, s, mol, M (molar), Pa, W, J, cal, N, K, bar (mbar), P (poise: cP), Da; plus min, h,
// d/day, rpm, vvm, atm, psi, degC, %, ppm, "-" and "1" (dimensionless), cell/cells.
// Throws UnitError with a message naming the offending token.
Unit ParseUnit(std::string_view text);

// True when the two units have the same dimension (and so can be converted).
bool Compatible(const Unit& a, const Unit& b);

// Factor f such that value_in_to = value_in_from * f (offset-free units only).
// Throws UnitError "cannot convert <from> (<dim>) to <to> (<dim>)" when incompatible.
double ConversionFactor(const Unit& from, const Unit& to);

// Converts a value including affine offsets (degC -> K). Throws UnitError when incompatible.
double ConvertValue(double value, const Unit& from, const Unit& to);

}  // namespace biotwin::model

#endif  // BIOTWIN_MODEL_UNITS_H_
