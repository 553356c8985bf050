// Abstract syntax of model expressions ("qSmax/(1 + A/Kia) * S/(S + Ks)").
#ifndef BIOTWIN_MODEL_EXPR_AST_H_
#define BIOTWIN_MODEL_EXPR_AST_H_

#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace biotwin::model {

enum class ExprKind { kNumber, kSymbol, kUnary, kBinary, kCall };

// Operators as they appear in source. Unary: kNeg, kNot, kPlus. Binary: the rest.
enum class ExprOp {
  kNone, kAdd, kSub, kMul, kDiv, kPow, kNeg, kPlus, kNot,
  kLt, kLe, kGt, kGe, kEq, kNe, kAnd, kOr
};

struct ExprNode {
  ExprKind kind = ExprKind::kNumber;
  ExprOp op = ExprOp::kNone;
  double number = 0.0;         // kNumber
  std::string unit_text;       // kNumber with a unit literal: "0.5 [g/L]" -> "g/L"; empty if none
  std::string name;            // kSymbol: identifier; kCall: function name
  std::vector<std::unique_ptr<ExprNode>> args;  // operands (unary 1, binary 2) or call arguments
  int offset = 0;              // 0-based character offset of the node's first character in source
};

using ExprPtr = std::unique_ptr<ExprNode>;

class ExprSyntaxError : public std::runtime_error {
 public:
  ExprSyntaxError(const std::string& message, int offset)
      : std::runtime_error(message), offset_(offset) {}
  int offset() const { return offset_; }  // 0-based character offset of the problem

 private:
  int offset_;
};

// Parses one expression. Grammar (lowest to highest precedence):
//   or: and ('||' and)* ; and: cmp ('&&' cmp)* ; cmp: add (('<'|'<='|'>'|'>='|'=='|'!=') add)?
//   add: mul (('+'|'-') mul)* ; mul: unary (('*'|'/') unary)*
//   unary: ('-'|'+'|'!') unary | pow ; pow: primary ('^' unary)?   (right associative, -a^2 = -(a^2))
//   primary: number ['[' unit ']'] | identifier | identifier '(' args ')' | '(' or ')'
// Numbers: 12, 1.5, .5, 1e-3, 2.5E+4. Identifiers: [A-Za-z_][A-Za-z0-9_.]* . '**' is accepted as '^'.
// Throws ExprSyntaxError with a message such as "expected ')' after arguments of 'max'" and the
// offset of the offending character.
ExprPtr ParseExpression(std::string_view text);

// Canonical text of an expression, fully parenthesised where precedence requires it; parsing the
// result gives an equal tree.
std::string ToString(const ExprNode& node);

// Collects the identifiers used as symbols (not function names), in first-use order, no repeats.
std::vector<std::string> CollectSymbols(const ExprNode& node);

}  // namespace biotwin::model

#endif  // BIOTWIN_MODEL_EXPR_AST_H_
