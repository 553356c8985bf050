// Expression compiler: resolves symbols, checks and converts units, and lowers expressions onto
// an AD tape. Values stay in the units their symbols were declared in; wherever two quantities
// meet (a sum, a comparison, a function argument, an assignment to a balance) the compiler folds
// the conversion factor into the tape, and a dimension mismatch is an error naming the
// subexpression and both dimensions.
#ifndef BIOTWIN_MODEL_COMPILER_H_
#define BIOTWIN_MODEL_COMPILER_H_

#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "model/expr_ast.h"
#include "model/network.h"
#include "model/tape.h"
#include "model/units.h"

namespace biotwin::model {

// A compiled value: a tape node and the unit its numbers are in.
struct Typed {
  int node = -1;
  Unit unit;
  bool zero_literal = false;  // the literal 0: adopts the unit of whatever it meets
};

// Raised for unit and symbol errors; the loader adds file, line and field.
class CompileError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class ExprCompiler {
 public:
  // A variable of the tape's variable vector (state, input, parameter, time, phase).
  void DeclareVariable(const std::string& name, int index, const Unit& unit);
  // A named constant (phase names) with a dimensionless value.
  void DeclareConstant(const std::string& name, double value);
  // A named intermediate expression; compiled on first use in each tape. An optional declared
  // unit is checked (dimension) and converted to.
  void DeclareIntermediate(const std::string& name, std::shared_ptr<const ExprNode> expr,
                           std::string text, const Unit* declared_unit);
  // A neural network (model/network.h) used by name; its weights must already be declared
  // variables (spec->parameter_vars). Compiled on first use in each tape, like intermediates.
  void DeclareNetwork(const std::string& name, std::shared_ptr<const NetworkSpec> spec);
  bool IsDeclared(const std::string& name) const;

  // Compiles `expr` onto `tape`. Intermediates are memoised per tape (call ResetTape when
  // switching tapes). Throws CompileError.
  Typed Compile(const ExprNode& expr, Tape& tape);
  // Compiles and converts to `target` (dimension must agree); returns the node id.
  int CompileAs(const ExprNode& expr, const Unit& target, Tape& tape, const std::string& what);
  // Converts a typed value to `target`; throws CompileError naming `what` on mismatch.
  int ConvertTo(const Typed& value, const Unit& target, Tape& tape, const std::string& what);
  void ResetTape() { memo_.clear(); }

  // Unit of a named symbol after compiling (variables, intermediates); throws if unknown.
  Unit UnitOf(const std::string& name, Tape& scratch);

 private:
  struct Symbol {
    enum class Kind { kVariable, kConstant, kIntermediate, kNetwork } kind = Kind::kVariable;
    int index = -1;
    double value = 0.0;
    Unit unit;
    std::shared_ptr<const ExprNode> expr;
    std::string text;
    bool has_declared_unit = false;
    std::shared_ptr<const NetworkSpec> network;
  };

  Typed CompileNetwork(const NetworkSpec& spec, Tape& tape);
  Typed CompileCall(const ExprNode& expr, Tape& tape);
  Typed Convertible(const Typed& value, const Unit& target, Tape& tape, const ExprNode& where);
  Typed Dimensionless(const Typed& value, Tape& tape, const ExprNode& where, const char* why);

  std::map<std::string, Symbol> symbols_;
  std::map<const Tape*, std::map<std::string, Typed>> memo_;  // per tape
  std::vector<std::string> in_progress_;  // cycle detection
};

// A readable text for a derived unit: a familiar unit with the same dimension and scale
// ("g/g/h" for (g/g/h)*(g/L)/(g/L)), or the unit's own text.
std::string ReadableUnitText(const Unit& unit);

// Dimension text for messages: "kg*m^-3 (e.g. g/L)" when a familiar unit exists.
std::string DescribeDimension(const Dimension& dim);

}  // namespace biotwin::model

#endif  // BIOTWIN_MODEL_COMPILER_H_
