// Unit parsing, dimension algebra and conversions. See units.h for the accepted grammar.
#include "model/units.h"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <map>
#include <string>
#include <utility>

namespace biotwin::model {
namespace {

constexpr double kDimTolerance = 1e-9;

// Compact number text: integers without decimals, otherwise up to 12 significant digits.
std::string FormatNumber(double x) {
  const double rounded = std::round(x);
  if (std::fabs(x - rounded) < kDimTolerance && std::fabs(rounded) < 1e15) {
    return std::to_string(static_cast<long long>(rounded));
  }
  char buffer[32];
  std::snprintf(buffer, sizeof(buffer), "%.12g", x);
  return buffer;
}

std::string DisplayText(const Unit& unit) { return unit.text.empty() ? "1" : unit.text; }

// True when `text` is a plain unit name (no operators, spaces, digits or parentheses).
bool IsSimpleName(const std::string& text) {
  for (char c : text) {
    if (c == ' ' || c == '*' || c == '/' || c == '^' || c == '(' || c == ')' ||
        (c >= '0' && c <= '9') || c == '.' || c == '\xC2') {
      // '\xC2' starts the UTF-8 middle dot; µ/° also start with it, which only costs parentheses.
      return false;
    }
  }
  return true;
}

void RequireNotAffine(const Unit& unit, const char* operation) {
  if (unit.IsAffine()) {
    throw UnitError("affine unit '" + DisplayText(unit) + "' cannot be " + operation +
                    "; use an absolute unit such as K");
  }
}

struct AtomDef {
  Dimension dimension;
  double scale = 1.0;
  double offset = 0.0;
  bool prefixable = false;
};

Dimension Dim(double mass, double length, double time, double amount = 0, double temperature = 0,
              double cells = 0) {
  return Dimension::Of(BaseDim::kMass, mass) * Dimension::Of(BaseDim::kLength, length) *
         Dimension::Of(BaseDim::kTime, time) * Dimension::Of(BaseDim::kAmount, amount) *
         Dimension::Of(BaseDim::kTemperature, temperature) *
         Dimension::Of(BaseDim::kCells, cells);
}

const std::map<std::string, AtomDef>& AtomTable() {
  static const std::map<std::string, AtomDef> table = [] {
    std::map<std::string, AtomDef> t;
    const Dimension none;
    const Dimension pressure = Dim(1, -1, -2);
    const Dimension energy = Dim(1, 2, -2);
    const Dimension per_time = Dim(0, 0, -1);
    const Dimension temperature = Dim(0, 0, 0, 0, 1);
    // Prefixable base units.
    t["g"] = {Dim(1, 0, 0), 1e-3, 0.0, true};
    t["L"] = {Dim(0, 3, 0), 1e-3, 0.0, true};
    t["l"] = t["L"];
    t["m"] = {Dim(0, 1, 0), 1.0, 0.0, true};
    t["s"] = {Dim(0, 0, 1), 1.0, 0.0, true};
    t["mol"] = {Dim(0, 0, 0, 1), 1.0, 0.0, true};
    t["M"] = {Dim(0, -3, 0, 1), 1e3, 0.0, true};
    t["Pa"] = {pressure, 1.0, 0.0, true};
    t["bar"] = {pressure, 1e5, 0.0, true};
    t["W"] = {Dim(1, 2, -3), 1.0, 0.0, true};
    t["J"] = {energy, 1.0, 0.0, true};
    t["cal"] = {energy, 4.184, 0.0, true};
    t["N"] = {Dim(1, 1, -2), 1.0, 0.0, true};
    t["P"] = {Dim(1, -1, -1), 0.1, 0.0, true};
    t["K"] = {temperature, 1.0, 0.0, true};
    t["Da"] = {Dim(1, 0, 0, -1), 1e-3, 0.0, true};
    // Names without prefixes.
    t["min"] = {Dim(0, 0, 1), 60.0};
    t["h"] = {Dim(0, 0, 1), 3600.0};
    t["hr"] = t["h"];
    t["d"] = {Dim(0, 0, 1), 86400.0};
    t["day"] = t["d"];
    t["rpm"] = {per_time, 1.0 / 60.0};
    t["vvm"] = {per_time, 1.0 / 60.0};
    t["atm"] = {pressure, 101325.0};
    t["psi"] = {pressure, 6894.757293168};
    t["degC"] = {temperature, 1.0, 273.15};
    t["\xC2\xB0" "C"] = t["degC"];  // °C
    t["degF"] = {temperature, 5.0 / 9.0, 273.15 - 32.0 * 5.0 / 9.0};
    t["%"] = {none, 0.01};
    t["ppm"] = {none, 1e-6};
    t["-"] = {none, 1.0};
    t["cell"] = {Dim(0, 0, 0, 0, 0, 1), 1.0};
    t["cells"] = t["cell"];
    return t;
  }();
  return table;
}

// SI prefixes; micro is accepted as "u", U+00B5 micro sign and U+03BC Greek small mu.
const std::pair<const char*, double> kPrefixes[] = {
    {"p", 1e-12}, {"n", 1e-9}, {"u", 1e-6}, {"\xC2\xB5", 1e-6}, {"\xCE\xBC", 1e-6}, {"m", 1e-3},
    {"c", 1e-2},  {"d", 1e-1}, {"k", 1e3},  {"M", 1e6},          {"G", 1e9},
};

// Looks up a unit name: exact names win over prefix + name.
bool LookupAtom(const std::string& name, Unit* unit) {
  const auto& table = AtomTable();
  auto it = table.find(name);
  double factor = 1.0;
  if (it == table.end()) {
    for (const auto& [prefix, prefix_scale] : kPrefixes) {
      const std::string_view p(prefix);
      if (name.size() > p.size() && name.compare(0, p.size(), p) == 0) {
        auto base = table.find(name.substr(p.size()));
        if (base != table.end() && base->second.prefixable) {
          it = base;
          factor = prefix_scale;
          break;
        }
      }
    }
    if (it == table.end()) return false;
  }
  unit->dimension = it->second.dimension;
  unit->scale = it->second.scale * factor;
  unit->offset = it->second.offset;
  unit->text = name;
  return true;
}

bool IsAsciiLetter(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

constexpr std::string_view kMiddleDot = "\xC2\xB7";

// Trims, collapses whitespace runs to one space and drops spaces next to operators/parentheses.
std::string Normalise(std::string_view text) {
  std::string out;
  size_t i = 0;
  auto is_op_end = [](const std::string& s) {
    if (s.empty()) return true;
    const char c = s.back();
    return c == '*' || c == '/' || c == '^' || c == '(' ||
           (s.size() >= 2 && std::string_view(s).substr(s.size() - 2) == kMiddleDot);
  };
  while (i < text.size()) {
    if (IsSpace(text[i])) {
      while (i < text.size() && IsSpace(text[i])) ++i;
      if (i == text.size()) break;
      const char next = text[i];
      const bool next_is_op = next == '*' || next == '/' || next == '^' || next == ')' ||
                              text.substr(i, kMiddleDot.size()) == kMiddleDot;
      if (!is_op_end(out) && !next_is_op) out += ' ';
      continue;
    }
    out += text[i++];
  }
  return out;
}

class Parser {
 public:
  explicit Parser(std::string_view source) : src_(source) {}

  Unit Parse() {
    SkipSpace();
    Unit result = ParseExpr();
    SkipSpace();
    if (!AtEnd()) {
      if (Peek() == ')') Fail("unbalanced parenthesis: unexpected ')'");
      FailUnexpected();
    }
    return result;
  }

 private:
  bool AtEnd() const { return pos_ >= src_.size(); }
  char Peek(size_t ahead = 0) const {
    return pos_ + ahead < src_.size() ? src_[pos_ + ahead] : '\0';
  }
  bool LookingAt(std::string_view s) const { return src_.substr(pos_, s.size()) == s; }
  bool Match(std::string_view s) {
    if (!LookingAt(s)) return false;
    pos_ += s.size();
    return true;
  }
  bool SkipSpace() {
    const size_t start = pos_;
    while (!AtEnd() && IsSpace(Peek())) ++pos_;
    return pos_ != start;
  }
  bool AtNameStart() const {
    return IsAsciiLetter(Peek()) || Peek() == '%' || LookingAt("\xC2\xB5") ||
           LookingAt("\xCE\xBC") || LookingAt("\xC2\xB0");
  }
  bool AtNumberStart() const { return IsDigit(Peek()) || (Peek() == '.' && IsDigit(Peek(1))); }
  bool AtPrimaryStart() const {
    return AtNameStart() || AtNumberStart() || Peek() == '(' || Peek() == '-';
  }

  [[noreturn]] void Fail(const std::string& what) const {
    throw UnitError(what + " in '" + std::string(src_) + "'");
  }
  [[noreturn]] void FailUnexpected() const {
    if (AtEnd()) Fail("expected a unit at end of input");
    size_t len = 1;  // show a whole UTF-8 character
    while ((static_cast<unsigned char>(Peek(len)) & 0xC0) == 0x80) ++len;
    Fail("unexpected '" + std::string(src_.substr(pos_, len)) + "' at position " +
         std::to_string(pos_));
  }

  // expr := term (('*' | '·' | '/' | space) term)*, all left associative.
  Unit ParseExpr() {
    bool was_number = false;
    Unit acc = ParseTerm(&was_number);
    bool seen_division = false;
    while (true) {
      const bool had_space = SkipSpace();
      if (AtEnd() || Peek() == ')') break;
      char op;
      if (LookingAt("**")) {
        FailUnexpected();
      } else if (Match("*") || Match(kMiddleDot)) {
        op = '*';
      } else if (Match("/")) {
        op = '/';
        seen_division = true;
      } else if (AtPrimaryStart() && (had_space || was_number)) {
        // "mol/L h" reads as mol/(L*h) in papers but (mol/L)*h by left associativity: refuse it.
        if (seen_division) Fail("ambiguous space after '/' (write a/(b*c) or a/b*c)");
        op = '*';
      } else {
        FailUnexpected();
      }
      SkipSpace();
      Unit rhs = ParseTerm(&was_number);
      if (acc.IsAffine() || rhs.IsAffine()) {
        Fail("affine unit '" + (acc.IsAffine() ? acc.text : rhs.text) +
             "' cannot be combined with other units (use K)");
      }
      acc = op == '*' ? acc * rhs : acc / rhs;
    }
    return acc;
  }

  // term := primary [('^' | '**') exponent]
  Unit ParseTerm(bool* was_number) {
    bool has_digit_power = false;
    Unit base = ParsePrimary(was_number, &has_digit_power);
    const size_t before = pos_;
    SkipSpace();
    if (Match("^") || Match("**")) {
      if (has_digit_power) Fail("ambiguous power on '" + base.text + "' (write m^3, not m3^2)");
      const double exponent = ParseExponent();
      if (base.IsAffine()) {
        Fail("affine unit '" + base.text + "' cannot be raised to a power (use K)");
      }
      base = base.Pow(exponent);
      *was_number = false;
    } else {
      pos_ = before;
    }
    return base;
  }

  // exponent := signed_number | '(' signed_number ['/' signed_number] ')'
  double ParseExponent() {
    SkipSpace();
    if (Match("(")) {
      double value = ParseSignedNumber();
      SkipSpace();
      if (Match("/")) {
        const double denominator = ParseSignedNumber();
        if (denominator == 0.0) Fail("zero denominator in exponent");
        value /= denominator;
        SkipSpace();
      }
      if (!Match(")")) {
        if (AtEnd()) Fail("unbalanced parenthesis: missing ')'");
        FailUnexpected();
      }
      return value;
    }
    return ParseSignedNumber();
  }

  double ParseSignedNumber() {
    SkipSpace();
    const size_t start = pos_;
    if (Peek() == '+' || Peek() == '-') ++pos_;
    if (!AtNumberStart()) {
      pos_ = start;
      if (AtEnd()) Fail("expected an exponent at end of input");
      Fail("expected an exponent at position " + std::to_string(pos_));
    }
    while (IsDigit(Peek())) ++pos_;
    if (Peek() == '.') {
      ++pos_;
      while (IsDigit(Peek())) ++pos_;
    }
    return ToDouble(start);
  }

  double ToDouble(size_t start) const {
    size_t begin = start;
    if (src_[begin] == '+') ++begin;  // from_chars rejects a leading '+'
    double value = 0.0;
    const auto [ptr, ec] = std::from_chars(src_.data() + begin, src_.data() + pos_, value);
    if (ec != std::errc() || ptr != src_.data() + pos_) {
      Fail("invalid number '" + std::string(src_.substr(start, pos_ - start)) + "'");
    }
    return value;
  }

  // Unsigned number with optional decimal part and exponent: 1, 0.5, 1e6, 2.5E-3.
  double ParseNumber() {
    const size_t start = pos_;
    while (IsDigit(Peek())) ++pos_;
    if (Peek() == '.') {
      ++pos_;
      while (IsDigit(Peek())) ++pos_;
    }
    if (Peek() == 'e' || Peek() == 'E') {
      size_t look = 1;
      if (Peek(1) == '+' || Peek(1) == '-') look = 2;
      if (IsDigit(Peek(look))) {
        pos_ += look;
        while (IsDigit(Peek())) ++pos_;
      }
    }
    return ToDouble(start);
  }

  // primary := number | name [digits | '-' digits] | '-' | '(' expr ')'
  Unit ParsePrimary(bool* was_number, bool* has_digit_power) {
    *was_number = false;
    if (Match("(")) {
      SkipSpace();
      Unit inner = ParseExpr();
      SkipSpace();
      if (!Match(")")) {
        if (AtEnd()) Fail("unbalanced parenthesis: missing ')'");
        FailUnexpected();
      }
      return inner;
    }
    if (AtNumberStart()) {
      const double value = ParseNumber();
      if (!(value > 0.0) || !std::isfinite(value)) Fail("numeric factor must be positive");
      *was_number = true;
      Unit unit;
      unit.scale = value;
      unit.text = FormatNumber(value);
      return unit;
    }
    if (Peek() == '-') {
      const char next = Peek(1);
      if (next == '\0' || IsSpace(next) || next == ')' || next == '*' || next == '/' ||
          src_.substr(pos_ + 1, kMiddleDot.size()) == kMiddleDot) {
        ++pos_;
        Unit unit;
        LookupAtom("-", &unit);
        return unit;
      }
      FailUnexpected();
    }
    if (!AtNameStart()) FailUnexpected();
    const size_t start = pos_;
    if (Match("%")) {
      // '%' is a name on its own.
    } else {
      if (!IsAsciiLetter(Peek())) pos_ += 2;  // two-byte µ, μ or °
      while (IsAsciiLetter(Peek())) ++pos_;
    }
    const std::string name(src_.substr(start, pos_ - start));
    Unit unit;
    if (!LookupAtom(name, &unit)) Fail("unknown unit '" + name + "'");
    // Trailing integer power: m3, cm2, h-1.
    const size_t power_start = pos_;
    if (IsDigit(Peek()) || (Peek() == '-' && IsDigit(Peek(1)))) {
      ++pos_;
      while (IsDigit(Peek())) ++pos_;
      if (Peek() == '.') Fail("fractional power on '" + name + "' needs '^' (as in 'm^0.5')");
      const double exponent = ToDouble(power_start);
      if (unit.IsAffine()) Fail("affine unit '" + name + "' cannot be raised to a power (use K)");
      unit = unit.Pow(exponent);
      *has_digit_power = true;
    }
    return unit;
  }

  std::string_view src_;  // normalised text, also shown in error messages
  size_t pos_ = 0;
};

}  // namespace

Dimension Dimension::Of(BaseDim base, double exponent) {
  Dimension d;
  d.exponents_[static_cast<int>(base)] = exponent;
  return d;
}

bool Dimension::IsDimensionless() const { return *this == Dimension(); }

Dimension Dimension::operator*(const Dimension& other) const {
  Dimension d;
  for (int i = 0; i < kNumBaseDims; ++i) d.exponents_[i] = exponents_[i] + other.exponents_[i];
  return d;
}

Dimension Dimension::operator/(const Dimension& other) const {
  Dimension d;
  for (int i = 0; i < kNumBaseDims; ++i) d.exponents_[i] = exponents_[i] - other.exponents_[i];
  return d;
}

Dimension Dimension::Pow(double exponent) const {
  Dimension d;
  for (int i = 0; i < kNumBaseDims; ++i) d.exponents_[i] = exponents_[i] * exponent;
  return d;
}

bool Dimension::operator==(const Dimension& other) const {
  for (int i = 0; i < kNumBaseDims; ++i) {
    if (std::fabs(exponents_[i] - other.exponents_[i]) > kDimTolerance) return false;
  }
  return true;
}

std::string Dimension::ToString() const {
  static const char* const kSymbols[kNumBaseDims] = {"kg", "m", "s", "mol", "K", "cell"};
  std::string out;
  for (int i = 0; i < kNumBaseDims; ++i) {
    const double e = exponents_[i];
    if (std::fabs(e) <= kDimTolerance) continue;
    if (!out.empty()) out += '*';
    out += kSymbols[i];
    if (std::fabs(e - 1.0) > kDimTolerance) out += "^" + FormatNumber(e);
  }
  return out.empty() ? "1" : out;
}

Unit Unit::operator*(const Unit& other) const {
  RequireNotAffine(*this, "multiplied");
  RequireNotAffine(other, "multiplied");
  Unit u;
  u.dimension = dimension * other.dimension;
  u.scale = scale * other.scale;
  // a*(b/c) == a*b/c under left associativity, so the right operand never needs parentheses.
  u.text = DisplayText(*this) + "*" + DisplayText(other);
  return u;
}

Unit Unit::operator/(const Unit& other) const {
  RequireNotAffine(*this, "divided");
  RequireNotAffine(other, "divided");
  Unit u;
  u.dimension = dimension / other.dimension;
  u.scale = scale / other.scale;
  const std::string rhs = DisplayText(other);
  u.text = DisplayText(*this) + "/" + (IsSimpleName(rhs) ? rhs : "(" + rhs + ")");
  return u;
}

Unit Unit::Pow(double exponent) const {
  RequireNotAffine(*this, "raised to a power");
  Unit u;
  u.dimension = dimension.Pow(exponent);
  u.scale = std::pow(scale, exponent);
  const std::string base = DisplayText(*this);
  u.text = (IsSimpleName(base) ? base : "(" + base + ")") + "^" + FormatNumber(exponent);
  return u;
}

Unit ParseUnit(std::string_view text) {
  const std::string normalised = Normalise(text);
  if (normalised.empty()) throw UnitError("empty unit string");
  Unit unit = Parser(normalised).Parse();
  unit.text = normalised;
  return unit;
}

bool Compatible(const Unit& a, const Unit& b) { return a.dimension == b.dimension; }

namespace {

void RequireCompatible(const Unit& from, const Unit& to) {
  if (!Compatible(from, to)) {
    throw UnitError("cannot convert '" + DisplayText(from) + "' (" + from.dimension.ToString() +
                    ") to '" + DisplayText(to) + "' (" + to.dimension.ToString() + ")");
  }
}

}  // namespace

double ConversionFactor(const Unit& from, const Unit& to) {
  RequireCompatible(from, to);
  if (from.offset != to.offset) {
    throw UnitError("cannot convert '" + DisplayText(from) + "' to '" + DisplayText(to) +
                    "' by a factor: the units have different offsets (convert the value instead)");
  }
  return from.scale / to.scale;
}

double ConvertValue(double value, const Unit& from, const Unit& to) {
  RequireCompatible(from, to);
  const double si = value * from.scale + from.offset;
  return (si - to.offset) / to.scale;
}

}  // namespace biotwin::model
