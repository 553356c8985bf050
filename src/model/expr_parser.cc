// Recursive-descent lexer and parser for model expressions (see expr_ast.h for the grammar).
#include <charconv>
#include <string>
#include <string_view>
#include <system_error>
#include <unordered_set>
#include <utility>
#include <vector>

#include "model/expr_ast.h"

namespace biotwin::model {
namespace {

enum class Tok {
  kEnd, kNumber, kIdent, kPlus, kMinus, kStar, kSlash, kCaret, kLParen, kRParen, kComma,
  kLBracket, kRBracket, kLt, kLe, kGt, kGe, kEq, kNe, kNot, kAnd, kOr
};

struct Token {
  Tok kind = Tok::kEnd;
  int offset = 0;
  std::string_view text;  // source slice
  double number = 0.0;    // kNumber
};

// Guards against stack exhaustion on pathological nesting ("((((...", "-----...").
constexpr int kMaxDepth = 256;

bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsIdentStart(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
}
bool IsIdentChar(char c) { return IsIdentStart(c) || IsDigit(c) || c == '.'; }
bool IsSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

std::string Column(int offset) { return std::to_string(offset + 1); }

class Parser {
 public:
  explicit Parser(std::string_view text) : text_(text) {}

  ExprPtr ParseAll() {
    Advance();
    if (tok_.kind == Tok::kEnd) throw ExprSyntaxError("empty expression", tok_.offset);
    ExprPtr result = ParseOr();
    if (tok_.kind != Tok::kEnd) {
      if (tok_.kind == Tok::kRParen) Fail("unexpected ')' without matching '('");
      if (tok_.kind == Tok::kLBracket) {
        Fail("unexpected '[': a unit in brackets must follow a number literal");
      }
      Fail("unexpected " + Describe(tok_) + ", expected an operator or end of expression");
    }
    return result;
  }

 private:
  struct DepthGuard {
    explicit DepthGuard(Parser& p) : parser(p) {
      if (++parser.depth_ > kMaxDepth) {
        parser.Fail("expression nested too deeply (more than " + std::to_string(kMaxDepth) +
                    " levels)");
      }
    }
    ~DepthGuard() { --parser.depth_; }
    Parser& parser;
  };

  [[noreturn]] void Fail(const std::string& message) const {
    throw ExprSyntaxError(message, tok_.offset);
  }
  [[noreturn]] void FailAt(const std::string& message, int offset) const {
    throw ExprSyntaxError(message, offset);
  }

  static std::string Describe(const Token& t) {
    switch (t.kind) {
      case Tok::kEnd: return "end of expression";
      case Tok::kNumber: return "number '" + std::string(t.text) + "'";
      case Tok::kIdent: return "identifier '" + std::string(t.text) + "'";
      default: return "'" + std::string(t.text) + "'";
    }
  }

  // ---- Lexer ---------------------------------------------------------------------------------

  char At(size_t i) const { return i < text_.size() ? text_[i] : '\0'; }

  void Advance() { tok_ = Lex(); }

  Token Make(Tok kind, size_t start, size_t len) {
    pos_ = start + len;
    Token t;
    t.kind = kind;
    t.offset = static_cast<int>(start);
    t.text = text_.substr(start, len);
    return t;
  }

  Token Lex() {
    while (pos_ < text_.size() && IsSpace(text_[pos_])) ++pos_;
    const size_t start = pos_;
    if (start >= text_.size()) return Make(Tok::kEnd, text_.size(), 0);
    const char c = text_[start];
    const char n = At(start + 1);
    if (IsDigit(c) || c == '.') return LexNumber(start);
    if (IsIdentStart(c)) {
      size_t end = start + 1;
      while (end < text_.size() && IsIdentChar(text_[end])) ++end;
      return Make(Tok::kIdent, start, end - start);
    }
    switch (c) {
      case '+': return Make(Tok::kPlus, start, 1);
      case '-': return Make(Tok::kMinus, start, 1);
      case '*': return n == '*' ? Make(Tok::kCaret, start, 2) : Make(Tok::kStar, start, 1);
      case '/': return Make(Tok::kSlash, start, 1);
      case '^': return Make(Tok::kCaret, start, 1);
      case '(': return Make(Tok::kLParen, start, 1);
      case ')': return Make(Tok::kRParen, start, 1);
      case ',': return Make(Tok::kComma, start, 1);
      case '[': return Make(Tok::kLBracket, start, 1);
      case ']': return Make(Tok::kRBracket, start, 1);
      case '<': return n == '=' ? Make(Tok::kLe, start, 2) : Make(Tok::kLt, start, 1);
      case '>': return n == '=' ? Make(Tok::kGe, start, 2) : Make(Tok::kGt, start, 1);
      case '!': return n == '=' ? Make(Tok::kNe, start, 2) : Make(Tok::kNot, start, 1);
      case '=':
        if (n == '=') return Make(Tok::kEq, start, 2);
        FailAt("unexpected character '=', did you mean '=='?", static_cast<int>(start));
      case '&':
        if (n == '&') return Make(Tok::kAnd, start, 2);
        FailAt("unexpected character '&', did you mean '&&'?", static_cast<int>(start));
      case '|':
        if (n == '|') return Make(Tok::kOr, start, 2);
        FailAt("unexpected character '|', did you mean '||'?", static_cast<int>(start));
      default:
        break;
    }
    FailAt("unexpected character " + QuoteChar(start), static_cast<int>(start));
  }

  // Quotes the (possibly multi-byte UTF-8) character at `i` for an error message.
  std::string QuoteChar(size_t i) const {
    const unsigned char c = static_cast<unsigned char>(text_[i]);
    if (c < 0x20 || c == 0x7f) return "with code " + std::to_string(c);
    size_t len = 1;
    if (c >= 0x80) {
      while (i + len < text_.size() && len < 4 &&
             (static_cast<unsigned char>(text_[i + len]) & 0xC0) == 0x80) {
        ++len;
      }
    }
    return "'" + std::string(text_.substr(i, len)) + "'";
  }

  Token LexNumber(size_t start) {
    size_t end = start;
    size_t mantissa_digits = 0;
    while (IsDigit(At(end))) ++end, ++mantissa_digits;
    if (At(end) == '.') {
      ++end;
      while (IsDigit(At(end))) ++end, ++mantissa_digits;
    }
    if (mantissa_digits == 0) {
      FailAt("number expected: '.' must be followed by a digit", static_cast<int>(start));
    }
    if (At(end) == 'e' || At(end) == 'E') {
      size_t exp = end + 1;
      if (At(exp) == '+' || At(exp) == '-') ++exp;
      if (!IsDigit(At(exp))) {
        FailAt("number expected: exponent of '" + std::string(text_.substr(start, exp - start)) +
                   "' has no digits",
               static_cast<int>(exp));
      }
      while (IsDigit(At(exp))) ++exp;
      end = exp;
    }
    Token t = Make(Tok::kNumber, start, end - start);
    const char* first = text_.data() + start;
    const char* last = text_.data() + end;
    auto [ptr, ec] = std::from_chars(first, last, t.number);
    if (ec == std::errc::result_out_of_range) {
      FailAt("number '" + std::string(t.text) + "' is out of range", t.offset);
    }
    if (ec != std::errc() || ptr != last) {
      FailAt("invalid number '" + std::string(t.text) + "'", t.offset);
    }
    return t;
  }

  // ---- Parser --------------------------------------------------------------------------------

  static ExprPtr MakeUnary(ExprOp op, ExprPtr operand, int offset) {
    auto node = std::make_unique<ExprNode>();
    node->kind = ExprKind::kUnary;
    node->op = op;
    node->offset = offset;
    node->args.push_back(std::move(operand));
    return node;
  }

  static ExprPtr MakeBinary(ExprOp op, ExprPtr lhs, ExprPtr rhs) {
    auto node = std::make_unique<ExprNode>();
    node->kind = ExprKind::kBinary;
    node->op = op;
    node->offset = lhs->offset;
    node->args.push_back(std::move(lhs));
    node->args.push_back(std::move(rhs));
    return node;
  }

  ExprPtr ParseOr() {
    ExprPtr lhs = ParseAnd();
    while (tok_.kind == Tok::kOr) {
      Advance();
      lhs = MakeBinary(ExprOp::kOr, std::move(lhs), ParseAnd());
    }
    return lhs;
  }

  ExprPtr ParseAnd() {
    ExprPtr lhs = ParseCmp();
    while (tok_.kind == Tok::kAnd) {
      Advance();
      lhs = MakeBinary(ExprOp::kAnd, std::move(lhs), ParseCmp());
    }
    return lhs;
  }

  static ExprOp CmpOp(Tok kind) {
    switch (kind) {
      case Tok::kLt: return ExprOp::kLt;
      case Tok::kLe: return ExprOp::kLe;
      case Tok::kGt: return ExprOp::kGt;
      case Tok::kGe: return ExprOp::kGe;
      case Tok::kEq: return ExprOp::kEq;
      case Tok::kNe: return ExprOp::kNe;
      default: return ExprOp::kNone;
    }
  }

  ExprPtr ParseCmp() {
    ExprPtr lhs = ParseAdd();
    const ExprOp op = CmpOp(tok_.kind);
    if (op == ExprOp::kNone) return lhs;
    Advance();
    ExprPtr result = MakeBinary(op, std::move(lhs), ParseAdd());
    if (CmpOp(tok_.kind) != ExprOp::kNone) {
      Fail("comparison operators cannot be chained ('a < b < c'); use '&&' or parentheses");
    }
    return result;
  }

  ExprPtr ParseAdd() {
    ExprPtr lhs = ParseMul();
    while (tok_.kind == Tok::kPlus || tok_.kind == Tok::kMinus) {
      const ExprOp op = tok_.kind == Tok::kPlus ? ExprOp::kAdd : ExprOp::kSub;
      Advance();
      lhs = MakeBinary(op, std::move(lhs), ParseMul());
    }
    return lhs;
  }

  ExprPtr ParseMul() {
    ExprPtr lhs = ParseUnary();
    while (tok_.kind == Tok::kStar || tok_.kind == Tok::kSlash) {
      const ExprOp op = tok_.kind == Tok::kStar ? ExprOp::kMul : ExprOp::kDiv;
      Advance();
      lhs = MakeBinary(op, std::move(lhs), ParseUnary());
    }
    return lhs;
  }

  ExprPtr ParseUnary() {
    ExprOp op = ExprOp::kNone;
    if (tok_.kind == Tok::kMinus) op = ExprOp::kNeg;
    if (tok_.kind == Tok::kPlus) op = ExprOp::kPlus;
    if (tok_.kind == Tok::kNot) op = ExprOp::kNot;
    if (op == ExprOp::kNone) return ParsePow();
    DepthGuard guard(*this);
    const int offset = tok_.offset;
    Advance();
    return MakeUnary(op, ParseUnary(), offset);
  }

  ExprPtr ParsePow() {
    ExprPtr base = ParsePrimary();
    if (tok_.kind != Tok::kCaret) return base;
    Advance();
    DepthGuard guard(*this);
    return MakeBinary(ExprOp::kPow, std::move(base), ParseUnary());
  }

  ExprPtr ParsePrimary() {
    switch (tok_.kind) {
      case Tok::kNumber: return ParseNumber();
      case Tok::kIdent: return ParseIdentifier();
      case Tok::kLParen: {
        DepthGuard guard(*this);
        const int open = tok_.offset;
        Advance();
        ExprPtr inner = ParseOr();
        if (tok_.kind != Tok::kRParen) {
          std::string message = "expected ')' to close '(' opened at column " + Column(open);
          if (tok_.kind != Tok::kEnd) message += ", found " + Describe(tok_);
          Fail(message);
        }
        Advance();
        inner->offset = open;  // the node's source text starts at the '('
        return inner;
      }
      case Tok::kEnd: Fail("unexpected end of expression, expected an operand");
      case Tok::kRParen: Fail("unexpected ')', expected an operand");
      case Tok::kLBracket:
        Fail("unexpected '[', expected an operand (a unit in brackets must follow a number "
             "literal)");
      default: Fail("unexpected " + Describe(tok_) + ", expected an operand");
    }
  }

  ExprPtr ParseNumber() {
    auto node = std::make_unique<ExprNode>();
    node->kind = ExprKind::kNumber;
    node->number = tok_.number;
    node->offset = tok_.offset;
    Advance();
    if (tok_.kind != Tok::kLBracket) return node;
    // Unit literal: raw text up to the next ']' (units have their own syntax).
    const size_t open = static_cast<size_t>(tok_.offset);
    const size_t close = text_.find(']', open + 1);
    if (close == std::string_view::npos) {
      FailAt("missing ']' after unit (opened with '[' at column " +
                 Column(static_cast<int>(open)) + ")",
             static_cast<int>(text_.size()));
    }
    size_t b = open + 1, e = close;
    while (b < e && IsSpace(text_[b])) ++b;
    while (e > b && IsSpace(text_[e - 1])) --e;
    if (b == e) FailAt("empty unit in '[]' after number", static_cast<int>(open));
    node->unit_text = std::string(text_.substr(b, e - b));
    pos_ = close + 1;
    Advance();
    return node;
  }

  ExprPtr ParseIdentifier() {
    auto node = std::make_unique<ExprNode>();
    node->name = std::string(tok_.text);
    node->offset = tok_.offset;
    Advance();
    if (tok_.kind != Tok::kLParen) {
      node->kind = ExprKind::kSymbol;
      return node;
    }
    node->kind = ExprKind::kCall;
    DepthGuard guard(*this);
    Advance();
    if (tok_.kind != Tok::kRParen) {
      while (true) {
        node->args.push_back(ParseOr());
        if (tok_.kind == Tok::kComma) {
          Advance();
          continue;
        }
        if (tok_.kind == Tok::kRParen) break;
        if (tok_.kind == Tok::kEnd) {
          Fail("unexpected end of expression, expected ')' after arguments of '" + node->name +
               "'");
        }
        Fail("expected ')' after arguments of '" + node->name + "', found " + Describe(tok_));
      }
    }
    Advance();
    return node;
  }

  std::string_view text_;
  size_t pos_ = 0;
  Token tok_;
  int depth_ = 0;
};

// ---- Printing ----------------------------------------------------------------------------------

int Level(const ExprNode& node) {
  switch (node.kind) {
    case ExprKind::kNumber:
    case ExprKind::kSymbol:
    case ExprKind::kCall: return 8;
    case ExprKind::kUnary: return 6;
    case ExprKind::kBinary: break;
  }
  switch (node.op) {
    case ExprOp::kPow: return 7;
    case ExprOp::kMul:
    case ExprOp::kDiv: return 5;
    case ExprOp::kAdd:
    case ExprOp::kSub: return 4;
    case ExprOp::kAnd: return 2;
    case ExprOp::kOr: return 1;
    default: return 3;  // comparisons
  }
}

const char* OpText(ExprOp op) {
  switch (op) {
    case ExprOp::kAdd: return " + ";
    case ExprOp::kSub: return " - ";
    case ExprOp::kMul: return " * ";
    case ExprOp::kDiv: return " / ";
    case ExprOp::kPow: return "^";
    case ExprOp::kNeg: return "-";
    case ExprOp::kPlus: return "+";
    case ExprOp::kNot: return "!";
    case ExprOp::kLt: return " < ";
    case ExprOp::kLe: return " <= ";
    case ExprOp::kGt: return " > ";
    case ExprOp::kGe: return " >= ";
    case ExprOp::kEq: return " == ";
    case ExprOp::kNe: return " != ";
    case ExprOp::kAnd: return " && ";
    case ExprOp::kOr: return " || ";
    case ExprOp::kNone: break;
  }
  return " ? ";
}

void AppendNumber(double value, std::string& out) {
  char buf[64];
  auto [ptr, ec] = std::to_chars(buf, buf + sizeof(buf), value);  // shortest round-trip form
  out.append(buf, ec == std::errc() ? ptr : buf);
}

void Print(const ExprNode& node, std::string& out);

void PrintOperand(const ExprNode& child, bool parenthesise, std::string& out) {
  if (parenthesise) out += '(';
  Print(child, out);
  if (parenthesise) out += ')';
}

void Print(const ExprNode& node, std::string& out) {
  switch (node.kind) {
    case ExprKind::kNumber:
      AppendNumber(node.number, out);
      if (!node.unit_text.empty()) out.append(" [").append(node.unit_text).append("]");
      return;
    case ExprKind::kSymbol:
      out += node.name;
      return;
    case ExprKind::kCall:
      out += node.name;
      out += '(';
      for (size_t i = 0; i < node.args.size(); ++i) {
        if (i > 0) out += ", ";
        Print(*node.args[i], out);
      }
      out += ')';
      return;
    case ExprKind::kUnary:
      out += OpText(node.op);
      if (!node.args.empty()) PrintOperand(*node.args[0], Level(*node.args[0]) < 6, out);
      return;
    case ExprKind::kBinary: {
      if (node.args.size() < 2) return;
      const ExprNode& lhs = *node.args[0];
      const ExprNode& rhs = *node.args[1];
      const int level = Level(node);
      bool paren_lhs = Level(lhs) < level;
      bool paren_rhs = Level(rhs) <= level;
      if (level == 7) {  // pow: primary '^' unary
        paren_lhs = Level(lhs) < 8;
        paren_rhs = Level(rhs) < 6;
      } else if (level == 3) {  // comparisons do not chain
        paren_lhs = Level(lhs) <= level;
      }
      PrintOperand(lhs, paren_lhs, out);
      out += OpText(node.op);
      PrintOperand(rhs, paren_rhs, out);
      return;
    }
  }
}

void Collect(const ExprNode& node, std::unordered_set<std::string>& seen,
             std::vector<std::string>& out) {
  if (node.kind == ExprKind::kSymbol && seen.insert(node.name).second) out.push_back(node.name);
  for (const auto& arg : node.args) {
    if (arg) Collect(*arg, seen, out);
  }
}

}  // namespace

ExprPtr ParseExpression(std::string_view text) { return Parser(text).ParseAll(); }

std::string ToString(const ExprNode& node) {
  std::string out;
  Print(node, out);
  return out;
}

std::vector<std::string> CollectSymbols(const ExprNode& node) {
  std::unordered_set<std::string> seen;
  std::vector<std::string> out;
  Collect(node, seen, out);
  return out;
}

}  // namespace biotwin::model
