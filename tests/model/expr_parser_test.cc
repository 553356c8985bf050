#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "model/expr_ast.h"

namespace biotwin::model {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

// Structural equality (offsets are ignored: canonical text has different spacing).
bool TreeEqual(const ExprNode& x, const ExprNode& y) {
  if (x.kind != y.kind || x.op != y.op || x.number != y.number || x.unit_text != y.unit_text ||
      x.name != y.name || x.args.size() != y.args.size()) {
    return false;
  }
  for (size_t i = 0; i < x.args.size(); ++i) {
    if (!TreeEqual(*x.args[i], *y.args[i])) return false;
  }
  return true;
}

std::string Canon(const std::string& text) { return ToString(*ParseExpression(text)); }

TEST(ExprParserTest, NumberAndSymbol) {
  ExprPtr e = ParseExpression("  2.5E+4 ");
  EXPECT_EQ(e->kind, ExprKind::kNumber);
  EXPECT_DOUBLE_EQ(e->number, 25000.0);
  EXPECT_EQ(e->offset, 2);
  EXPECT_TRUE(e->unit_text.empty());
  for (auto [text, value] : std::vector<std::pair<const char*, double>>{
           {"12", 12.0}, {"1.5", 1.5}, {".5", 0.5}, {"1e-3", 1e-3}, {"3.", 3.0}, {"7E2", 700}}) {
    ExprPtr n = ParseExpression(text);
    ASSERT_EQ(n->kind, ExprKind::kNumber) << text;
    EXPECT_DOUBLE_EQ(n->number, value) << text;
  }
  ExprPtr s = ParseExpression("X_v.total2");
  EXPECT_EQ(s->kind, ExprKind::kSymbol);
  EXPECT_EQ(s->name, "X_v.total2");
  EXPECT_EQ(s->offset, 0);
}

TEST(ExprParserTest, Precedence) {
  EXPECT_EQ(Canon("a + b * c"), "a + b * c");
  EXPECT_EQ(Canon("(a + b) * c"), "(a + b) * c");
  EXPECT_EQ(Canon("a * b + c / d - e"), "a * b + c / d - e");
  EXPECT_EQ(Canon("a + b < c * d && e >= f || !g"), "a + b < c * d && e >= f || !g");
  EXPECT_EQ(Canon("a || b && c"), "a || b && c");
  EXPECT_EQ(Canon("(a || b) && c"), "(a || b) && c");

  ExprPtr e = ParseExpression("a + b * c ^ d");
  ASSERT_EQ(e->op, ExprOp::kAdd);
  ASSERT_EQ(e->args[1]->op, ExprOp::kMul);
  EXPECT_EQ(e->args[1]->args[1]->op, ExprOp::kPow);

  ExprPtr l = ParseExpression("x > 1 || y <= 2 && z != 3");
  ASSERT_EQ(l->op, ExprOp::kOr);
  EXPECT_EQ(l->args[0]->op, ExprOp::kGt);
  ASSERT_EQ(l->args[1]->op, ExprOp::kAnd);
  EXPECT_EQ(l->args[1]->args[0]->op, ExprOp::kLe);
  EXPECT_EQ(l->args[1]->args[1]->op, ExprOp::kNe);
  EXPECT_EQ(ParseExpression("a == b")->op, ExprOp::kEq);
  EXPECT_EQ(ParseExpression("a < b")->op, ExprOp::kLt);
  EXPECT_EQ(ParseExpression("a >= b")->op, ExprOp::kGe);
}

TEST(ExprParserTest, Associativity) {
  ExprPtr sub = ParseExpression("a - b - c");  // (a - b) - c
  ASSERT_EQ(sub->op, ExprOp::kSub);
  EXPECT_EQ(sub->args[0]->op, ExprOp::kSub);
  EXPECT_EQ(sub->args[1]->name, "c");
  EXPECT_EQ(Canon("a - (b - c)"), "a - (b - c)");
  EXPECT_EQ(Canon("(a - b) - c"), "a - b - c");
  EXPECT_EQ(Canon("a / (b * c)"), "a / (b * c)");
  EXPECT_EQ(Canon("a / b * c"), "a / b * c");

  ExprPtr pow = ParseExpression("a ^ b ^ c");  // a ^ (b ^ c)
  ASSERT_EQ(pow->op, ExprOp::kPow);
  EXPECT_EQ(pow->args[0]->name, "a");
  EXPECT_EQ(pow->args[1]->op, ExprOp::kPow);
  EXPECT_EQ(Canon("a^b^c"), "a^b^c");
  EXPECT_EQ(Canon("(a^b)^c"), "(a^b)^c");
  ExprPtr star = ParseExpression("a ** b ** c");
  EXPECT_TRUE(TreeEqual(*star, *pow));
}

TEST(ExprParserTest, UnaryMinusVersusPower) {
  ExprPtr e = ParseExpression("-a^2");  // -(a^2)
  ASSERT_EQ(e->kind, ExprKind::kUnary);
  EXPECT_EQ(e->op, ExprOp::kNeg);
  EXPECT_EQ(e->args[0]->op, ExprOp::kPow);
  EXPECT_EQ(Canon("-a^2"), "-a^2");
  EXPECT_EQ(Canon("(-a)^2"), "(-a)^2");

  ExprPtr neg_exp = ParseExpression("2^-x");  // exponent may carry a sign
  ASSERT_EQ(neg_exp->op, ExprOp::kPow);
  EXPECT_EQ(neg_exp->args[1]->op, ExprOp::kNeg);
  ExprPtr chain = ParseExpression("2^-3^2");  // 2^(-(3^2))
  EXPECT_EQ(chain->args[1]->op, ExprOp::kNeg);
  EXPECT_EQ(chain->args[1]->args[0]->op, ExprOp::kPow);

  ExprPtr mul = ParseExpression("-a * b");  // (-a) * b
  ASSERT_EQ(mul->op, ExprOp::kMul);
  EXPECT_EQ(mul->args[0]->op, ExprOp::kNeg);
  ExprPtr nested = ParseExpression("- + !x");
  EXPECT_EQ(nested->op, ExprOp::kNeg);
  EXPECT_EQ(nested->args[0]->op, ExprOp::kPlus);
  EXPECT_EQ(nested->args[0]->args[0]->op, ExprOp::kNot);
  EXPECT_EQ(Canon("a - -b"), "a - -b");
  EXPECT_EQ(Canon("- -b"), "--b");
}

TEST(ExprParserTest, UnitLiterals) {
  ExprPtr spaced = ParseExpression("0.5 [g/L]");
  EXPECT_DOUBLE_EQ(spaced->number, 0.5);
  EXPECT_EQ(spaced->unit_text, "g/L");
  ExprPtr tight = ParseExpression("0.5[g/L]");
  EXPECT_EQ(tight->unit_text, "g/L");
  EXPECT_EQ(ParseExpression("3 [  mmol/(L*h) ]")->unit_text, "mmol/(L*h)");
  EXPECT_EQ(ParseExpression("1e-3[1/h]")->unit_text, "1/h");

  ExprPtr e = ParseExpression("X * 0.2 [1/h] + 2 [m]^2");
  ASSERT_EQ(e->op, ExprOp::kAdd);
  EXPECT_EQ(e->args[0]->args[1]->unit_text, "1/h");
  ASSERT_EQ(e->args[1]->op, ExprOp::kPow);
  EXPECT_EQ(e->args[1]->args[0]->unit_text, "m");
  EXPECT_EQ(ToString(*e), "X * 0.2 [1/h] + 2 [m]^2");
}

TEST(ExprParserTest, Calls) {
  ExprPtr zero = ParseExpression("now()");
  EXPECT_EQ(zero->kind, ExprKind::kCall);
  EXPECT_EQ(zero->name, "now");
  EXPECT_TRUE(zero->args.empty());
  ExprPtr one = ParseExpression("exp (-kd * t)");
  ASSERT_EQ(one->kind, ExprKind::kCall);
  ASSERT_EQ(one->args.size(), 1u);
  EXPECT_EQ(one->args[0]->op, ExprOp::kMul);
  ExprPtr two = ParseExpression("max(a, b + 1)");
  ASSERT_EQ(two->args.size(), 2u);
  EXPECT_EQ(two->args[1]->op, ExprOp::kAdd);
  ExprPtr three = ParseExpression("if(t > 5, f(x), -1)");
  ASSERT_EQ(three->args.size(), 3u);
  EXPECT_EQ(three->args[0]->op, ExprOp::kGt);
  EXPECT_EQ(three->args[1]->kind, ExprKind::kCall);
  EXPECT_EQ(three->args[2]->op, ExprOp::kNeg);
  EXPECT_EQ(ToString(*three), "if(t > 5, f(x), -1)");
  // Function calls bind tighter than '^'.
  ExprPtr pow = ParseExpression("f(x)^2");
  EXPECT_EQ(pow->op, ExprOp::kPow);
  EXPECT_EQ(pow->args[0]->kind, ExprKind::kCall);
}

TEST(ExprParserTest, Offsets) {
  //                                 0         1         2
  //                                 0123456789012345678901234
  ExprPtr e = ParseExpression("qmax * S / (Ks + S) - f(x)");
  ASSERT_EQ(e->op, ExprOp::kSub);
  EXPECT_EQ(e->offset, 0);
  const ExprNode& div = *e->args[0];
  EXPECT_EQ(div.offset, 0);
  EXPECT_EQ(div.args[0]->args[1]->offset, 7);    // S
  const ExprNode& paren = *div.args[1];          // (Ks + S): starts at '('
  EXPECT_EQ(paren.offset, 11);
  EXPECT_EQ(paren.args[0]->offset, 12);          // Ks
  EXPECT_EQ(paren.args[1]->offset, 17);          // S
  const ExprNode& call = *e->args[1];
  EXPECT_EQ(call.offset, 22);
  EXPECT_EQ(call.args[0]->offset, 24);

  ExprPtr u = ParseExpression(" -  3.5 [g]");
  EXPECT_EQ(u->offset, 1);
  EXPECT_EQ(u->args[0]->offset, 4);
}

TEST(ExprParserTest, RoundTrip) {
  const std::vector<std::string> inputs = {
      "qSmax/(1 + A/Kia) * S/(S + Ks)",
      "mumax*S/(Ks+S+S^2/Ki)*exp(-kd*t)",
      "-(a+b)^-(c-d)^2",
      "((a))",
      "!(x < 1) && (y >= 2 || z == 3) || w != 0",
      "(a < b) == (c > d)",
      "a <= (b < c)",
      "+x - +y",
      "max(0, min(1, 0.1 [1/h] * (T - 20 [degC]))) / 3e-7",
      "1.2345678901234567e+300 * x + 5e-324 - 0.1",
      "a/(b/c)/(d*e)",
      "f()^g(h(1, 2), -3)^k",
      "--x^2",
      "(-2)^0.5 + -2^0.5",
      "smooth_step(V - Vmax, 0.01 [L]) * F_in",
  };
  for (const std::string& text : inputs) {
    SCOPED_TRACE(text);
    ExprPtr first = ParseExpression(text);
    const std::string canon = ToString(*first);
    ExprPtr second = ParseExpression(canon);
    EXPECT_TRUE(TreeEqual(*first, *second)) << canon;
    EXPECT_EQ(ToString(*second), canon);
  }
  EXPECT_EQ(Canon("qSmax/(1 + A/Kia) * S/(S + Ks)"), "qSmax / (1 + A / Kia) * S / (S + Ks)");
  EXPECT_EQ(Canon("((a))"), "a");
  EXPECT_EQ(Canon("0.1"), "0.1");
}

struct BadInput {
  const char* text;
  const char* message;
  int offset;
};

TEST(ExprParserTest, Errors) {
  const std::vector<BadInput> cases = {
      {"", "empty expression", 0},
      {"   ", "empty expression", 3},
      {"a +", "unexpected end of expression, expected an operand", 3},
      {"a $ b", "unexpected character '$'", 2},
      {"a * (b + c", "expected ')' to close '(' opened at column 5", 10},
      {"(a + b c)", "expected ')' to close '(' opened at column 1, found identifier 'c'", 7},
      {"0.5 [g/L", "missing ']' after unit", 8},
      {"2 [ ]", "empty unit", 2},
      {"x [g]", "a unit in brackets must follow a number literal", 2},
      {"x * [g]", "unexpected '[', expected an operand", 4},
      {".", "number expected", 0},
      {"1e+", "number expected: exponent of '1e+' has no digits", 3},
      {"max(a, b", "expected ')' after arguments of 'max'", 8},
      {"max(a b)", "expected ')' after arguments of 'max', found identifier 'b'", 6},
      {"f(a,)", "unexpected ')', expected an operand", 4},
      {"a b", "unexpected identifier 'b', expected an operator or end of expression", 2},
      {"(a))", "unexpected ')' without matching '('", 3},
      {"a = b", "unexpected character '=', did you mean '=='?", 2},
      {"a & b", "did you mean '&&'?", 2},
      {"a < b < c", "comparison operators cannot be chained", 6},
      {"* a", "unexpected '*', expected an operand", 0},
      {"1e999", "out of range", 0},
      {"a ^", "unexpected end of expression, expected an operand", 3},
      {"x\xc3\xa9", "unexpected character '\xc3\xa9'", 1},
  };
  for (const BadInput& c : cases) {
    SCOPED_TRACE(c.text);
    try {
      ParseExpression(c.text);
      ADD_FAILURE() << "no error for '" << c.text << "'";
    } catch (const ExprSyntaxError& e) {
      EXPECT_THAT(e.what(), HasSubstr(c.message));
      EXPECT_EQ(e.offset(), c.offset) << e.what();
    }
  }
}

TEST(ExprParserTest, DeepNestingIsAnErrorNotACrash) {
  std::string deep(100000, '(');
  deep += "x";
  EXPECT_THROW(ParseExpression(deep), ExprSyntaxError);
  EXPECT_THROW(ParseExpression(std::string(100000, '-') + "x"), ExprSyntaxError);
  std::string ok(100, '(');
  ok += "x" + std::string(100, ')');
  EXPECT_EQ(ParseExpression(ok)->name, "x");
  // Long flat sums are fine (they do not nest).
  std::string sum = "x0";
  for (int i = 1; i < 2000; ++i) sum += " + x" + std::to_string(i);
  EXPECT_EQ(CollectSymbols(*ParseExpression(sum)).size(), 2000u);
}

TEST(ExprParserTest, CollectSymbols) {
  ExprPtr e = ParseExpression("mumax * S / (Ks + S + S^2/Ki) * exp(-kd * t) + max(S, 0 [g/L])");
  EXPECT_THAT(CollectSymbols(*e), ElementsAre("mumax", "S", "Ks", "Ki", "kd", "t"));
  EXPECT_TRUE(CollectSymbols(*ParseExpression("f(1, 2) + 3")).empty());
  // A name used both as a function and as a symbol is collected only for its symbol use.
  EXPECT_THAT(CollectSymbols(*ParseExpression("g(x) * g")), ElementsAre("x", "g"));
}

}  // namespace
}  // namespace biotwin::model
