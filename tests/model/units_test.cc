// Tests for the units module: parsing, dimension algebra, conversions and error messages.
#include "model/units.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <string>

namespace biotwin::model {
namespace {

using ::testing::HasSubstr;

double Factor(const char* from, const char* to) {
  return ConversionFactor(ParseUnit(from), ParseUnit(to));
}

// Runs `fn` and returns the UnitError message, or "<no exception>".
template <typename Fn>
std::string ErrorOf(Fn fn) {
  try {
    fn();
  } catch (const UnitError& e) {
    return e.what();
  }
  return "<no exception>";
}

Dimension Dim(double mass, double length, double time, double amount = 0, double temp = 0,
              double cells = 0) {
  return Dimension::Of(BaseDim::kMass, mass) * Dimension::Of(BaseDim::kLength, length) *
         Dimension::Of(BaseDim::kTime, time) * Dimension::Of(BaseDim::kAmount, amount) *
         Dimension::Of(BaseDim::kTemperature, temp) * Dimension::Of(BaseDim::kCells, cells);
}

TEST(Units, MassConcentrationConversions) {
  EXPECT_DOUBLE_EQ(Factor("g/L", "mg/L"), 1000.0);
  EXPECT_DOUBLE_EQ(Factor("mg/L", "g/L"), 1e-3);
  EXPECT_DOUBLE_EQ(Factor("g/L", "kg/m^3"), 1.0);
  EXPECT_DOUBLE_EQ(Factor("g/L", "g/mL"), 1e-3);
  EXPECT_DOUBLE_EQ(Factor("ug/mL", "mg/L"), 1.0);
  EXPECT_DOUBLE_EQ(Factor("µg/mL", "mg/L"), 1.0);
  EXPECT_DOUBLE_EQ(Factor("\xCE\xBCg/mL", "mg/L"), 1.0);  // Greek small mu
  EXPECT_DOUBLE_EQ(ParseUnit("g/L").scale, 1.0);
  EXPECT_DOUBLE_EQ(ParseUnit("mg").scale, 1e-6);
  EXPECT_DOUBLE_EQ(ParseUnit("Mg").scale, 1e3);
  EXPECT_EQ(ParseUnit("g/L").dimension, Dim(1, -3, 0));
}

TEST(Units, TimeConversions) {
  EXPECT_DOUBLE_EQ(Factor("h", "min"), 60.0);
  EXPECT_DOUBLE_EQ(Factor("d", "h"), 24.0);
  EXPECT_DOUBLE_EQ(Factor("day", "s"), 86400.0);
  EXPECT_DOUBLE_EQ(Factor("1/h", "1/min"), 1.0 / 60.0);
  EXPECT_DOUBLE_EQ(Factor("h^-1", "1/s"), 1.0 / 3600.0);
  EXPECT_DOUBLE_EQ(Factor("ms", "s"), 1e-3);
  EXPECT_DOUBLE_EQ(Factor("min", "s"), 60.0);  // "min" is minute, not a prefixed unit
}

TEST(Units, DimensionlessUnits) {
  EXPECT_DOUBLE_EQ(Factor("%", "1"), 0.01);
  EXPECT_DOUBLE_EQ(Factor("%", "-"), 0.01);
  EXPECT_DOUBLE_EQ(Factor("ppm", "%"), 1e-4);
  EXPECT_DOUBLE_EQ(Factor("g/g", "%"), 100.0);
  EXPECT_TRUE(ParseUnit("1").IsDimensionless());
  EXPECT_TRUE(ParseUnit("-").IsDimensionless());
  EXPECT_TRUE(ParseUnit("mol/mol").IsDimensionless());
  EXPECT_FALSE(ParseUnit("mol/L").IsDimensionless());
}

TEST(Units, MolarAndAmount) {
  EXPECT_DOUBLE_EQ(Factor("mM", "mmol/L"), 1.0);
  EXPECT_DOUBLE_EQ(Factor("M", "mol/L"), 1.0);
  EXPECT_DOUBLE_EQ(ParseUnit("M").scale, 1e3);
  EXPECT_DOUBLE_EQ(ParseUnit("mM").scale, 1.0);
  EXPECT_DOUBLE_EQ(Factor("uM", "nM"), 1e3);
  EXPECT_DOUBLE_EQ(Factor("mM", "mol/m3"), 1.0);
  EXPECT_EQ(ParseUnit("mM").dimension, Dim(0, -3, 0, 1));
  // Molar mass: g/mol and Da agree; 1 kDa = 1 kg/mol.
  EXPECT_DOUBLE_EQ(Factor("Da", "g/mol"), 1.0);
  EXPECT_DOUBLE_EQ(Factor("kDa", "kg/mol"), 1.0);
}

TEST(Units, PressureViscosityEnergy) {
  EXPECT_DOUBLE_EQ(Factor("bar", "Pa"), 1e5);
  EXPECT_DOUBLE_EQ(Factor("mbar", "Pa"), 100.0);
  EXPECT_DOUBLE_EQ(Factor("atm", "kPa"), 101.325);
  EXPECT_NEAR(Factor("psi", "Pa"), 6894.757, 1e-3);
  EXPECT_DOUBLE_EQ(Factor("Pa", "kg/(m*s^2)"), 1.0);
  EXPECT_DOUBLE_EQ(Factor("cP", "Pa*s"), 1e-3);
  EXPECT_DOUBLE_EQ(Factor("cP", "mPa s"), 1.0);
  EXPECT_DOUBLE_EQ(Factor("P", "Pa·s"), 0.1);
  EXPECT_DOUBLE_EQ(Factor("kcal", "kJ"), 4.184);
  EXPECT_DOUBLE_EQ(Factor("W", "J/s"), 1.0);
  EXPECT_DOUBLE_EQ(Factor("kW/m^3", "W/L"), 1.0);
  EXPECT_DOUBLE_EQ(Factor("N", "kg*m/s^2"), 1.0);
  EXPECT_DOUBLE_EQ(Factor("J", "N m"), 1.0);
}

TEST(Units, VolumeAndLengthPowers) {
  EXPECT_DOUBLE_EQ(Factor("m3", "L"), 1000.0);
  EXPECT_DOUBLE_EQ(Factor("m^3", "L"), 1000.0);
  EXPECT_DOUBLE_EQ(Factor("m**3", "L"), 1000.0);
  EXPECT_DOUBLE_EQ(Factor("cm3", "mL"), 1.0);
  EXPECT_DOUBLE_EQ(Factor("dm^3", "l"), 1.0);
  EXPECT_DOUBLE_EQ(Factor("m2", "cm^2"), 1e4);
  EXPECT_DOUBLE_EQ(Factor("g L-1 h-1", "g/L/h"), 1.0);
}

TEST(Units, RotationAndAeration) {
  EXPECT_DOUBLE_EQ(Factor("rpm", "1/s"), 1.0 / 60.0);
  EXPECT_DOUBLE_EQ(Factor("rpm", "1/min"), 1.0);
  EXPECT_DOUBLE_EQ(Factor("vvm", "1/h"), 60.0);
  EXPECT_EQ(ParseUnit("vvm").dimension, Dim(0, 0, -1));
}

TEST(Units, TemperatureAffine) {
  const Unit deg_c = ParseUnit("degC");
  const Unit kelvin = ParseUnit("K");
  EXPECT_TRUE(deg_c.IsAffine());
  EXPECT_FALSE(kelvin.IsAffine());
  EXPECT_DOUBLE_EQ(ConvertValue(37.0, deg_c, kelvin), 310.15);
  EXPECT_DOUBLE_EQ(ConvertValue(310.15, kelvin, deg_c), 37.0);
  EXPECT_DOUBLE_EQ(ConvertValue(37.0, ParseUnit("°C"), kelvin), 310.15);
  EXPECT_DOUBLE_EQ(ConvertValue(98.6, ParseUnit("degF"), deg_c), 37.0);
  EXPECT_DOUBLE_EQ(ConversionFactor(deg_c, deg_c), 1.0);
  EXPECT_DOUBLE_EQ(Factor("mK", "K"), 1e-3);
  // A factor alone cannot express degC -> K.
  EXPECT_THROW(ConversionFactor(deg_c, kelvin), UnitError);
}

TEST(Units, CellCounts) {
  EXPECT_DOUBLE_EQ(Factor("1e6 cells/mL", "cells/L"), 1e9);
  EXPECT_DOUBLE_EQ(ParseUnit("1e9 cells").scale, 1e9);
  EXPECT_DOUBLE_EQ(Factor("cell", "cells"), 1.0);
  EXPECT_DOUBLE_EQ(Factor("1e6cells/mL", "1e6 cells/mL"), 1.0);
  EXPECT_EQ(ParseUnit("cells/mL").dimension, Dim(0, -3, 0, 0, 0, 1));
  // Cells are their own dimension: not moles, not dimensionless.
  EXPECT_FALSE(Compatible(ParseUnit("cells"), ParseUnit("mol")));
  EXPECT_FALSE(Compatible(ParseUnit("cells"), ParseUnit("1")));
  EXPECT_THROW(ParseUnit("kcells"), UnitError);  // no prefixes on cells
}

TEST(Units, FractionalExponentsKlaCorrelation) {
  // kLa = C * (P/V)^0.4 * vs^0.5 in 1/s, with P/V in W/m^3 and vs in m/s.
  const Unit pv = ParseUnit("W/m^3");
  const Unit vs = ParseUnit("m/s");
  const Unit group = pv.Pow(0.4) * vs.Pow(0.5);
  EXPECT_EQ(group.dimension, Dim(0.4, -0.4 + 0.5, -1.2 - 0.5));
  const Unit parsed = ParseUnit("(W/m^3)^0.4 * (m/s)^0.5");
  EXPECT_EQ(parsed.dimension, group.dimension);
  EXPECT_EQ(parsed.dimension.ToString(), "kg^0.4*m^0.1*s^-1.7");
  // Same group with P/V in kW/m^3 and vs in cm/s.
  const Unit alt = ParseUnit("(kW/m^3)^0.4*(cm/s)^0.5");
  EXPECT_NEAR(ConversionFactor(alt, parsed), std::pow(1e3, 0.4) * std::pow(1e-2, 0.5), 1e-12);
  EXPECT_EQ(ParseUnit("s^-0.5").dimension, Dim(0, 0, -0.5));
  EXPECT_EQ(ParseUnit("m^(1/2)").dimension, Dim(0, 0.5, 0));
}

TEST(Units, DimensionAlgebraAndEquality) {
  const Dimension mass = Dimension::Of(BaseDim::kMass);
  const Dimension length = Dimension::Of(BaseDim::kLength);
  EXPECT_EQ(mass / length.Pow(3), Dim(1, -3, 0));
  EXPECT_NE(mass, length);
  EXPECT_NE(Dim(1, -3, 0), Dim(1, -3, -1));
  EXPECT_EQ(Dim(0.1 + 0.2, 0, 0), Dim(0.3, 0, 0));  // tolerant comparison
  EXPECT_TRUE((mass / mass).IsDimensionless());
  EXPECT_DOUBLE_EQ(Dim(1, -3, 0).Exponent(BaseDim::kLength), -3.0);
  EXPECT_TRUE(Compatible(ParseUnit("mg/L"), ParseUnit("kg/m3")));
  EXPECT_FALSE(Compatible(ParseUnit("mg/L"), ParseUnit("mmol/L")));
}

TEST(Units, DimensionToString) {
  EXPECT_EQ(Dimension().ToString(), "1");
  EXPECT_EQ(ParseUnit("mg/L").dimension.ToString(), "kg*m^-3");
  EXPECT_EQ(ParseUnit("1/h").dimension.ToString(), "s^-1");
  EXPECT_EQ(ParseUnit("mmol/L/h").dimension.ToString(), "m^-3*s^-1*mol");
  EXPECT_EQ(ParseUnit("1e6 cells/mL").dimension.ToString(), "m^-3*cell");
  EXPECT_EQ(ParseUnit("degC").dimension.ToString(), "K");
  EXPECT_EQ(ParseUnit("s^-0.38").dimension.ToString(), "s^-0.38");
}

TEST(Units, DivisionIsLeftAssociative) {
  const Unit a = ParseUnit("g/g/h");
  EXPECT_EQ(a.dimension, Dim(0, 0, -1));
  EXPECT_DOUBLE_EQ(Factor("g/g/h", "g/(g*h)"), 1.0);
  EXPECT_DOUBLE_EQ(Factor("mg/g/h", "1/h"), 1e-3);
  EXPECT_DOUBLE_EQ(Factor("mmol/L/h", "mM/h"), 1.0);
  EXPECT_EQ(ParseUnit("g/L*h").dimension, Dim(1, -3, 1));  // (g/L)*h, not g/(L*h)
}

TEST(Units, SpacingAndText) {
  EXPECT_EQ(ParseUnit("  g / L ").text, "g/L");
  EXPECT_EQ(ParseUnit("g   L^-1").text, "g L^-1");
  EXPECT_EQ(ParseUnit("( mg ) / ( L * h )").text, "(mg)/(L*h)");
  EXPECT_DOUBLE_EQ(Factor("g L^-1", "g/L"), 1.0);
  EXPECT_DOUBLE_EQ(Factor("kg · m^-3", "g/L"), 1.0);
  EXPECT_DOUBLE_EQ(Factor("m ^ 2", "m2"), 1.0);
}

TEST(Units, ArithmeticOnUnits) {
  const Unit g = ParseUnit("g");
  const Unit l = ParseUnit("L");
  const Unit h = ParseUnit("h");
  const Unit rate = g / l / h;
  EXPECT_EQ(rate.dimension, Dim(1, -3, -1));
  EXPECT_DOUBLE_EQ(rate.scale, 1e-3 / 1e-3 / 3600.0);
  // The text of a combined unit parses back to the same unit.
  const Unit rebuilt = ParseUnit(rate.text);
  EXPECT_EQ(rebuilt.dimension, rate.dimension);
  EXPECT_DOUBLE_EQ(rebuilt.scale, rate.scale);
  const Unit quotient = g / (l * h);
  EXPECT_DOUBLE_EQ(ParseUnit(quotient.text).scale, quotient.scale);
  const Unit squared = (g / l).Pow(2);
  EXPECT_DOUBLE_EQ(ParseUnit(squared.text).scale, 1.0);
  EXPECT_EQ(ParseUnit(squared.text).dimension, Dim(2, -6, 0));
  EXPECT_DOUBLE_EQ(ParseUnit("cm").Pow(3).scale, 1e-6);
}

TEST(Units, UnknownUnitError) {
  EXPECT_EQ(ErrorOf([] { ParseUnit("gram/L"); }), "unknown unit 'gram' in 'gram/L'");
  EXPECT_THAT(ErrorOf([] { ParseUnit("mg/furlong"); }), HasSubstr("'furlong'"));
  EXPECT_THROW(ParseUnit("xg"), UnitError);
  EXPECT_THROW(ParseUnit("kh"), UnitError);  // hours take no prefix
}

TEST(Units, IncompatibleConversionError) {
  const std::string message = ErrorOf([] { Factor("mg/L", "h"); });
  EXPECT_EQ(message, "cannot convert 'mg/L' (kg*m^-3) to 'h' (s)");
  EXPECT_THROW(ConvertValue(1.0, ParseUnit("mM"), ParseUnit("g/L")), UnitError);
  EXPECT_THAT(ErrorOf([] { ConvertValue(1.0, ParseUnit("rpm"), ParseUnit("cells")); }),
              HasSubstr("'rpm' (s^-1) to 'cells' (cell)"));
}

TEST(Units, EmptyAndMalformedInputs) {
  EXPECT_THROW(ParseUnit(""), UnitError);
  EXPECT_THROW(ParseUnit("   "), UnitError);
  EXPECT_THAT(ErrorOf([] { ParseUnit("(g/L"); }), HasSubstr("unbalanced parenthesis"));
  EXPECT_THAT(ErrorOf([] { ParseUnit("g/L)"); }), HasSubstr("unbalanced parenthesis"));
  EXPECT_THAT(ErrorOf([] { ParseUnit("g/(L*h"); }), HasSubstr("'g/(L*h'"));
  EXPECT_THROW(ParseUnit("g/"), UnitError);
  EXPECT_THROW(ParseUnit("/h"), UnitError);
  EXPECT_THROW(ParseUnit("g//L"), UnitError);
  EXPECT_THROW(ParseUnit("m^"), UnitError);
  EXPECT_THROW(ParseUnit("m3^2"), UnitError);
  EXPECT_THROW(ParseUnit("g&L"), UnitError);
  EXPECT_THROW(ParseUnit("()"), UnitError);
  EXPECT_THROW(ParseUnit("0 cells"), UnitError);
  EXPECT_EQ(ErrorOf([] { ParseUnit("g$"); }), "unexpected '$' at position 1 in 'g$'");
}

TEST(Units, SpaceAfterDivisionIsAmbiguous) {
  // Papers write "g/L h" for g/(L*h); left associativity would read (g/L)*h, so it is refused.
  EXPECT_THAT(ErrorOf([] { ParseUnit("mol/L h"); }), HasSubstr("ambiguous"));
  EXPECT_DOUBLE_EQ(Factor("mol/(L h)", "mmol/L/h"), 1000.0);
  EXPECT_DOUBLE_EQ(Factor("1e6 cells/mL", "cells/L"), 1e9);  // space before '/' is fine
}

TEST(Units, AffineUnitsCannotBeCombined) {
  const Unit deg_c = ParseUnit("degC");
  const Unit h = ParseUnit("h");
  EXPECT_THROW(deg_c * h, UnitError);
  EXPECT_THROW(h / deg_c, UnitError);
  EXPECT_THROW(deg_c.Pow(2), UnitError);
  EXPECT_THAT(ErrorOf([] { ParseUnit("degC/h"); }), HasSubstr("affine unit 'degC'"));
  EXPECT_THROW(ParseUnit("degC^2"), UnitError);
  EXPECT_THROW(ParseUnit("2 degC"), UnitError);
  EXPECT_NO_THROW(ParseUnit("K/h"));
}

}  // namespace
}  // namespace biotwin::model
