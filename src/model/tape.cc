// Straight-line expression tape: hash-consed builders with constant folding, forward evaluation
// with local partials, and reverse-mode gradients restricted to an output's dependency cone.
#include "model/tape.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>
#include <limits>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "model/tape_ops.h"

namespace biotwin::model {

struct Tape::InstrHash {
  static uint64_t Bits(double v) {
    uint64_t bits;
    std::memcpy(&bits, &v, sizeof(bits));
    return bits;
  }
  static size_t Hash(const TapeInstr& in) {
    uint64_t h = 0x9E3779B97F4A7C15ull * (static_cast<uint64_t>(in.op) + 1);
    auto mix = [&h](uint64_t v) {
      h ^= v + 0x9E3779B97F4A7C15ull + (h << 6) + (h >> 2);
      h *= 0xFF51AFD7ED558CCDull;
    };
    mix(static_cast<uint32_t>(in.a));
    mix(static_cast<uint32_t>(in.b));
    mix(static_cast<uint32_t>(in.c));
    mix(Bits(in.k));
    return static_cast<size_t>(h ^ (h >> 33));
  }
  // Bitwise comparison of constants, so NaN matches itself and 0.0 and -0.0 stay distinct.
  static bool Equal(const TapeInstr& x, const TapeInstr& y) {
    return x.op == y.op && x.a == y.a && x.b == y.b && x.c == y.c && Bits(x.k) == Bits(y.k);
  }
};

namespace {

const char* OpName(TapeOp op) {
  switch (op) {
    case TapeOp::kConst: return "const";
    case TapeOp::kVar: return "var";
    case TapeOp::kAdd: return "add";
    case TapeOp::kSub: return "sub";
    case TapeOp::kMul: return "mul";
    case TapeOp::kDiv: return "div";
    case TapeOp::kNeg: return "neg";
    case TapeOp::kPow: return "pow";
    case TapeOp::kPowK: return "powk";
    case TapeOp::kExp: return "exp";
    case TapeOp::kLog: return "log";
    case TapeOp::kLog10: return "log10";
    case TapeOp::kSqrt: return "sqrt";
    case TapeOp::kAbs: return "abs";
    case TapeOp::kTanh: return "tanh";
    case TapeOp::kSin: return "sin";
    case TapeOp::kCos: return "cos";
    case TapeOp::kMin: return "min";
    case TapeOp::kMax: return "max";
    case TapeOp::kLt: return "lt";
    case TapeOp::kLe: return "le";
    case TapeOp::kGt: return "gt";
    case TapeOp::kGe: return "ge";
    case TapeOp::kEq: return "eq";
    case TapeOp::kNe: return "ne";
    case TapeOp::kAnd: return "and";
    case TapeOp::kOr: return "or";
    case TapeOp::kNot: return "not";
    case TapeOp::kSelect: return "select";
    case TapeOp::kStep: return "step";
    case TapeOp::kSmoothStep: return "smoothstep";
  }
  return "?";
}

bool IsUnaryOp(TapeOp op) {
  switch (op) {
    case TapeOp::kNeg: case TapeOp::kExp: case TapeOp::kLog: case TapeOp::kLog10:
    case TapeOp::kSqrt: case TapeOp::kAbs: case TapeOp::kTanh: case TapeOp::kSin:
    case TapeOp::kCos: case TapeOp::kNot: case TapeOp::kStep:
      return true;
    default:
      return false;
  }
}

bool IsBinaryOp(TapeOp op) {
  switch (op) {
    case TapeOp::kAdd: case TapeOp::kSub: case TapeOp::kMul: case TapeOp::kDiv:
    case TapeOp::kPow: case TapeOp::kMin: case TapeOp::kMax: case TapeOp::kLt:
    case TapeOp::kLe: case TapeOp::kGt: case TapeOp::kGe: case TapeOp::kEq: case TapeOp::kNe:
    case TapeOp::kAnd: case TapeOp::kOr: case TapeOp::kSmoothStep:
      return true;
    default:
      return false;
  }
}

// Operand order does not matter (and swapping it does not change derivative tie rules).
bool IsCommutative(TapeOp op) {
  return op == TapeOp::kAdd || op == TapeOp::kMul || op == TapeOp::kEq || op == TapeOp::kNe ||
         op == TapeOp::kAnd || op == TapeOp::kOr;
}

// Value of one instruction and its partials (tape_ops.h). Shared by constant folding and
// TapeForward so both agree exactly.
inline double Evaluate(TapeOp op, double a, double b, double c, double k, double& da,
                       double& db, double& dc) {
  return ops::EvaluateWithPartials(op, a, b, c, k, da, db, dc);
}

void AppendDouble(double v, std::string& out) {
  char buf[64];
  auto [ptr, ec] = std::to_chars(buf, buf + sizeof(buf), v);
  out.append(buf, ec == std::errc() ? ptr : buf);
}

}  // namespace

// ---- Building ----------------------------------------------------------------------------------

int Tape::Emit(const TapeInstr& instr) {
  if (!buckets_.empty()) {
    const auto& bucket = buckets_[InstrHash::Hash(instr) & (buckets_.size() - 1)];
    for (int id : bucket) {
      if (InstrHash::Equal(instrs_[id], instr)) return id;
    }
  }
  const int id = size();
  instrs_.push_back(instr);
  finalized_ = false;
  if (instrs_.size() > buckets_.size()) {  // keep the load factor <= 1; rehash everything
    size_t count = buckets_.empty() ? 64 : buckets_.size() * 2;
    buckets_.assign(count, {});
    for (int i = 0; i < size(); ++i) {
      buckets_[InstrHash::Hash(instrs_[i]) & (count - 1)].push_back(i);
    }
  } else {
    buckets_[InstrHash::Hash(instr) & (buckets_.size() - 1)].push_back(id);
  }
  return id;
}

int Tape::Const(double value) {
  TapeInstr in;
  in.op = TapeOp::kConst;
  in.k = value;
  return Emit(in);
}

int Tape::Var(int index) {
  if (index < 0 || index >= num_vars_) {
    throw std::out_of_range("Tape::Var: index " + std::to_string(index) + " outside [0, " +
                            std::to_string(num_vars_) + ")");
  }
  TapeInstr in;
  in.op = TapeOp::kVar;
  in.a = index;
  return Emit(in);
}

namespace {

void CheckNode(const char* what, int node, int size) {
  if (node < 0 || node >= size) {
    throw std::out_of_range(std::string(what) + ": node id " + std::to_string(node) +
                            " outside [0, " + std::to_string(size) + ")");
  }
}

}  // namespace

int Tape::Unary(TapeOp op, int a) {
  if (!IsUnaryOp(op)) {
    throw std::invalid_argument(std::string("Tape::Unary: not a unary op: ") + OpName(op));
  }
  CheckNode("Tape::Unary", a, size());
  const TapeInstr& ia = instrs_[a];
  double da, db, dc;
  if (ia.op == TapeOp::kConst) return Const(Evaluate(op, ia.k, 0.0, 0.0, 0.0, da, db, dc));
  if (op == TapeOp::kNeg && ia.op == TapeOp::kNeg) return ia.a;  // -(-x) = x
  TapeInstr in;
  in.op = op;
  in.a = a;
  return Emit(in);
}

int Tape::Binary(TapeOp op, int a, int b) {
  if (!IsBinaryOp(op)) {
    throw std::invalid_argument(std::string("Tape::Binary: not a binary op: ") + OpName(op));
  }
  CheckNode("Tape::Binary", a, size());
  CheckNode("Tape::Binary", b, size());
  const bool a_const = instrs_[a].op == TapeOp::kConst;
  const bool b_const = instrs_[b].op == TapeOp::kConst;
  const double ka = instrs_[a].k, kb = instrs_[b].k;
  double da, db, dc;
  if (a_const && b_const) return Const(Evaluate(op, ka, kb, 0.0, 0.0, da, db, dc));
  // Algebraic identities with one constant operand. x * 0 -> 0 is deliberate (drops NaN/inf
  // propagation from x, which the models never rely on).
  switch (op) {
    case TapeOp::kAdd:
      if (a_const && ka == 0.0) return b;
      if (b_const && kb == 0.0) return a;
      break;
    case TapeOp::kSub:
      if (b_const && kb == 0.0) return a;
      if (a_const && ka == 0.0) return Unary(TapeOp::kNeg, b);
      if (a == b) return Const(0.0);
      break;
    case TapeOp::kMul:
      if ((a_const && ka == 0.0) || (b_const && kb == 0.0)) return Const(0.0);
      if (a_const && ka == 1.0) return b;
      if (b_const && kb == 1.0) return a;
      if (a_const && ka == -1.0) return Unary(TapeOp::kNeg, b);
      if (b_const && kb == -1.0) return Unary(TapeOp::kNeg, a);
      break;
    case TapeOp::kDiv:
      if (b_const && kb == 1.0) return a;
      break;
    case TapeOp::kPow:
      if (b_const) return PowK(a, kb);
      break;
    default:
      break;
  }
  if (IsCommutative(op) && a > b) std::swap(a, b);
  TapeInstr in;
  in.op = op;
  in.a = a;
  in.b = b;
  return Emit(in);
}

int Tape::PowK(int a, double exponent) {
  CheckNode("Tape::PowK", a, size());
  const TapeInstr& ia = instrs_[a];
  double da, db, dc;
  if (ia.op == TapeOp::kConst) {
    return Const(Evaluate(TapeOp::kPowK, ia.k, 0.0, 0.0, exponent, da, db, dc));
  }
  if (exponent == 1.0) return a;
  if (exponent == 0.0) return Const(1.0);  // pow(x, 0) == 1 for every x, NaN included
  TapeInstr in;
  in.op = TapeOp::kPowK;
  in.a = a;
  in.k = exponent;
  return Emit(in);
}

int Tape::Select(int cond, int if_true, int if_false) {
  CheckNode("Tape::Select", cond, size());
  CheckNode("Tape::Select", if_true, size());
  CheckNode("Tape::Select", if_false, size());
  if (instrs_[cond].op == TapeOp::kConst) return instrs_[cond].k != 0.0 ? if_true : if_false;
  if (if_true == if_false) return if_true;
  TapeInstr in;
  in.op = TapeOp::kSelect;
  in.a = cond;
  in.b = if_true;
  in.c = if_false;
  return Emit(in);
}

int Tape::AddOutput(int node) {
  CheckNode("Tape::AddOutput", node, size());
  outputs_.push_back(node);
  finalized_ = false;
  return num_outputs() - 1;
}

void Tape::Finalize() {
  const int n = size();
  output_nodes_.assign(outputs_.size(), {});
  output_vars_.assign(outputs_.size(), {});
  std::vector<char> in_cone(n);
  std::vector<char> var_used(num_vars_);
  for (size_t o = 0; o < outputs_.size(); ++o) {
    std::fill(in_cone.begin(), in_cone.end(), 0);
    std::fill(var_used.begin(), var_used.end(), 0);
    const int root = outputs_[o];
    in_cone[root] = 1;
    // Operands always precede their users, so one descending sweep marks the whole cone.
    for (int i = root; i >= 0; --i) {
      if (!in_cone[i]) continue;
      const TapeInstr& in = instrs_[i];
      if (in.op == TapeOp::kVar) {
        var_used[in.a] = 1;
        continue;
      }
      if (in.op == TapeOp::kConst) continue;
      if (in.a >= 0) in_cone[in.a] = 1;
      if (in.b >= 0) in_cone[in.b] = 1;
      if (in.c >= 0) in_cone[in.c] = 1;
    }
    for (int i = 0; i <= root; ++i) {
      if (in_cone[i]) output_nodes_[o].push_back(i);
    }
    for (int v = 0; v < num_vars_; ++v) {
      if (var_used[v]) output_vars_[o].push_back(v);
    }
  }
  finalized_ = true;
}

std::string Tape::Dump() const {
  std::string out;
  for (int i = 0; i < size(); ++i) {
    const TapeInstr& in = instrs_[i];
    out += '%';
    out += std::to_string(i);
    out += " = ";
    out += OpName(in.op);
    switch (in.op) {
      case TapeOp::kConst:
        out += ' ';
        AppendDouble(in.k, out);
        break;
      case TapeOp::kVar:
        out += " v" + std::to_string(in.a);
        break;
      default:
        for (int operand : {in.a, in.b, in.c}) {
          if (operand >= 0) out += " %" + std::to_string(operand);
        }
        if (in.op == TapeOp::kPowK) {
          out += ' ';
          AppendDouble(in.k, out);
        }
        break;
    }
    out += '\n';
  }
  for (int o = 0; o < num_outputs(); ++o) {
    out += "out" + std::to_string(o) + " = %" + std::to_string(outputs_[o]);
    if (finalized_) {
      out += "  (" + std::to_string(output_nodes_[o].size()) + " nodes, vars";
      for (int v : output_vars_[o]) out += " v" + std::to_string(v);
      out += ')';
    }
    out += '\n';
  }
  return out;
}

// ---- Evaluation --------------------------------------------------------------------------------

void TapeWorkspace::Resize(const Tape& tape) {
  const size_t n = static_cast<size_t>(tape.size());
  val_.assign(n, 0.0);
  da_.assign(n, 0.0);
  db_.assign(n, 0.0);
  dc_.assign(n, 0.0);
  adj_.assign(n, 0.0);
}

namespace {

// One forward sweep. With kPartials the local partials go to the workspace for TapeGradient;
// without, they land in dead locals and the inlined Evaluate drops their arithmetic.
template <bool kPartials>
void Forward(const Tape& tape, const double* vars, const TapeInstr* instrs, int n, double* val,
             double* da, double* db, double* dc) {
  for (int i = 0; i < n; ++i) {
    const TapeInstr& in = instrs[i];
    double a = 0.0, b = 0.0, c = 0.0;
    if (in.op == TapeOp::kVar) {
      a = vars[in.a];
    } else if (in.op != TapeOp::kConst) {
      if (in.a >= 0) a = val[in.a];
      if (in.b >= 0) b = val[in.b];
      if (in.c >= 0) c = val[in.c];
    }
    if constexpr (kPartials) {
      val[i] = Evaluate(in.op, a, b, c, in.k, da[i], db[i], dc[i]);
    } else {
      double pa, pb, pc;
      val[i] = Evaluate(in.op, a, b, c, in.k, pa, pb, pc);
    }
  }
}

}  // namespace

void TapeForward(const Tape& tape, const double* vars, TapeWorkspace& ws) {
  const int n = tape.size();
  if (static_cast<int>(ws.val_.size()) < n) {
    throw std::logic_error("TapeForward: workspace not sized for this tape (call Resize)");
  }
  Forward<true>(tape, vars, tape.instrs_.data(), n, ws.val_.data(), ws.da_.data(), ws.db_.data(),
                ws.dc_.data());
}

void TapeForwardValues(const Tape& tape, const double* vars, TapeWorkspace& ws) {
  const int n = tape.size();
  if (static_cast<int>(ws.val_.size()) < n) {
    throw std::logic_error("TapeForwardValues: workspace not sized for this tape (call Resize)");
  }
  Forward<false>(tape, vars, tape.instrs_.data(), n, ws.val_.data(), nullptr, nullptr, nullptr);
}

namespace {

// The reverse sweep over `nodes` (ascending), seeded with 1 at the output node: adjoints flow to
// operands, variable nodes add theirs to grad.
void ReverseSweep(const Tape& tape, int output_node, const std::vector<int>& nodes, const double* da,
                  const double* db, const double* dc, double* adj, double* grad) {
  const TapeInstr* instrs = tape.instrs().data();
  for (int node : nodes) adj[node] = 0.0;
  adj[output_node] = 1.0;
  for (auto it = nodes.rbegin(); it != nodes.rend(); ++it) {
    const int i = *it;
    const double g = adj[i];
    // Zero adjoints contribute nothing; skipping them also keeps an infinite partial in an
    // unselected branch (sqrt at 0 behind a select) from turning into 0 * inf = NaN.
    if (g == 0.0) continue;
    const TapeInstr& in = instrs[i];
    switch (in.op) {
      case TapeOp::kConst:
        break;
      case TapeOp::kVar:
        grad[in.a] += g;
        break;
      case TapeOp::kLt: case TapeOp::kLe: case TapeOp::kGt: case TapeOp::kGe:
      case TapeOp::kEq: case TapeOp::kNe: case TapeOp::kAnd: case TapeOp::kOr:
      case TapeOp::kNot: case TapeOp::kStep:
        break;  // piecewise constant
      case TapeOp::kSelect:
        if (db[i] != 0.0) adj[in.b] += g * db[i];
        if (dc[i] != 0.0) adj[in.c] += g * dc[i];
        break;
      case TapeOp::kMin: case TapeOp::kMax:
        if (da[i] != 0.0) adj[in.a] += g * da[i];
        if (db[i] != 0.0) adj[in.b] += g * db[i];
        break;
      default:
        if (in.a >= 0) adj[in.a] += g * da[i];
        if (in.b >= 0) adj[in.b] += g * db[i];
        break;
    }
  }
}

void CheckGradient(const char* what, const Tape& tape, int output, size_t adj_size) {
  if (!tape.finalized()) throw std::logic_error(std::string(what) + ": call Tape::Finalize() first");
  if (output < 0 || output >= tape.num_outputs()) {
    throw std::out_of_range(std::string(what) + ": no output " + std::to_string(output));
  }
  if (static_cast<int>(adj_size) < tape.size()) {
    throw std::logic_error(std::string(what) + ": workspace not sized for this tape (call Resize)");
  }
}

}  // namespace

void TapeGradient(const Tape& tape, TapeWorkspace& ws, int output, double* grad) {
  CheckGradient("TapeGradient", tape, output, ws.adj_.size());
  const int num_vars = tape.num_vars();
  for (int v = 0; v < num_vars; ++v) grad[v] = 0.0;
  ReverseSweep(tape, tape.output_node(output), tape.OutputNodes(output), ws.da_.data(), ws.db_.data(), ws.dc_.data(),
               ws.adj_.data(), grad);
}

void TapeGradientOver(const Tape& tape, TapeWorkspace& ws, int output, const std::vector<int>& nodes, double* grad) {
  CheckGradient("TapeGradientOver", tape, output, ws.adj_.size());
  if (nodes.empty()) return;  // the output depends on none of the variables of interest
  ReverseSweep(tape, tape.output_node(output), nodes, ws.da_.data(), ws.db_.data(), ws.dc_.data(), ws.adj_.data(),
               grad);
}

std::vector<char> NodesDependingOn(const Tape& tape, const std::vector<char>& vars) {
  const auto& instrs = tape.instrs();
  std::vector<char> dep(tape.size(), 0);
  for (int i = 0; i < tape.size(); ++i) {
    const TapeInstr& in = instrs[i];
    if (in.op == TapeOp::kVar) {
      dep[i] = in.a < static_cast<int>(vars.size()) && vars[in.a] != 0;
    } else if (in.op != TapeOp::kConst) {
      dep[i] = (in.a >= 0 && dep[in.a]) || (in.b >= 0 && dep[in.b]) || (in.c >= 0 && dep[in.c]);
    }
  }
  return dep;
}

}  // namespace biotwin::model
