// A compiled expression program ("tape") with exact first derivatives by automatic differentiation.
//
// The expression compiler lowers every model expression (rates, balances, outputs, event
// conditions) into one straight-line tape over a single variable vector (states, inputs,
// parameters, time, ...; the layout is the caller's). Forward() evaluates every node once and
// stores each node's local partial derivatives; Gradient() runs a reverse sweep restricted to one
// output's dependency cone. Nothing allocates after the workspace is sized.
#ifndef BIOTWIN_MODEL_TAPE_H_
#define BIOTWIN_MODEL_TAPE_H_

#include <cstdint>
#include <string>
#include <vector>

namespace biotwin::model {

enum class TapeOp : uint8_t {
  kConst,   // k
  kVar,     // variable vector[a]
  kAdd, kSub, kMul, kDiv, kNeg,
  kPow,     // a ^ b (both nodes; d/db uses log(a), defined as 0 when a <= 0 and the value is finite)
  kPowK,    // a ^ k (constant exponent)
  kExp, kLog, kLog10, kSqrt, kAbs, kTanh, kSin, kCos,
  kMin, kMax,          // derivative follows the selected operand (a on ties)
  kLt, kLe, kGt, kGe, kEq, kNe,  // 1.0 / 0.0, zero derivative
  kAnd, kOr, kNot,     // logical on (value != 0), zero derivative
  kSelect,             // a != 0 ? b : c  (hard switch; derivative flows to the selected branch)
  kStep,               // a >= 0 ? 1 : 0  (Heaviside, zero derivative)
  kSmoothStep,         // 0.5 * (1 + tanh(a / b)), b > 0: smooth switch of width b
};

struct TapeInstr {
  TapeOp op = TapeOp::kConst;
  int32_t a = -1, b = -1, c = -1;  // operand node ids (or variable index for kVar)
  double k = 0.0;                  // constant value (kConst) or exponent (kPowK)
};

class Tape {
 public:
  explicit Tape(int num_vars = 0) : num_vars_(num_vars) {}

  int num_vars() const { return num_vars_; }
  void set_num_vars(int n) { num_vars_ = n; }

  // Builders return the node id. Identical instructions are shared (hash-consing) and operations
  // on constants are folded, so building the same subexpression twice costs nothing at run time.
  int Const(double value);
  int Var(int index);  // 0 <= index < num_vars()
  int Unary(TapeOp op, int a);
  int Binary(TapeOp op, int a, int b);
  int PowK(int a, double exponent);
  int Select(int cond, int if_true, int if_false);

  // Registers a node as an output; returns the output index (0, 1, 2, ... in call order).
  int AddOutput(int node);

  int size() const { return static_cast<int>(instrs_.size()); }
  int num_outputs() const { return static_cast<int>(outputs_.size()); }
  const std::vector<TapeInstr>& instrs() const { return instrs_; }
  int output_node(int output) const { return outputs_[output]; }

  // Variables that output `output` depends on (sorted, no repeats). Valid after Finalize().
  const std::vector<int>& OutputVars(int output) const { return output_vars_[output]; }
  // Nodes that output `output` depends on, itself included (ascending). Valid after Finalize().
  const std::vector<int>& OutputNodes(int output) const { return output_nodes_[output]; }

  // Computes dependency cones; call once after building, before evaluating.
  void Finalize();
  bool finalized() const { return finalized_; }

  // Human-readable listing for debugging ("%3 = mul %1 %2").
  std::string Dump() const;

 private:
  friend class TapeWorkspace;
  friend void TapeForward(const Tape&, const double*, class TapeWorkspace&);
  friend void TapeForwardValues(const Tape&, const double*, class TapeWorkspace&);
  friend void TapeGradient(const Tape&, class TapeWorkspace&, int, double*);

  int Emit(const TapeInstr& instr);

  int num_vars_ = 0;
  std::vector<TapeInstr> instrs_;
  std::vector<int> outputs_;
  std::vector<std::vector<int>> output_nodes_;  // per output: nodes in its cone, ascending
  std::vector<std::vector<int>> output_vars_;   // per output: variables in its cone, ascending
  bool finalized_ = false;
  // Hash-consing table (instruction -> node id); implementation detail.
  struct InstrHash;
  std::vector<std::vector<int>> buckets_;
};

// Per-thread evaluation memory for one tape. A model shared between threads gives each run its own.
class TapeWorkspace {
 public:
  TapeWorkspace() = default;
  explicit TapeWorkspace(const Tape& tape) { Resize(tape); }
  void Resize(const Tape& tape);

  double value(int node) const { return val_[node]; }
  const std::vector<double>& values() const { return val_; }

 private:
  friend void TapeForward(const Tape&, const double*, TapeWorkspace&);
  friend void TapeForwardValues(const Tape&, const double*, TapeWorkspace&);
  friend void TapeGradient(const Tape&, TapeWorkspace&, int, double*);
  friend void TapeGradientOver(const Tape&, TapeWorkspace&, int, const std::vector<int>&, double*);
  std::vector<double> val_;
  std::vector<double> da_, db_, dc_;  // local partials of each node w.r.t. its operands a, b, c
  std::vector<double> adj_;           // reverse-sweep adjoints
};

// Evaluates every node for the variable vector `vars` (length num_vars()).
void TapeForward(const Tape& tape, const double* vars, TapeWorkspace& ws);
// Values only (no partials): for right-hand sides and outputs where no gradient follows.
// TapeGradient must not be called after it.
void TapeForwardValues(const Tape& tape, const double* vars, TapeWorkspace& ws);

// After TapeForward: writes d(output)/d(var) for every variable into grad[0..num_vars()) (zeros
// for variables outside the output's cone). Touches only the output's cone.
void TapeGradient(const Tape& tape, TapeWorkspace& ws, int output, double* grad);

// Which nodes depend, through their operands, on a variable v with vars[v] != 0 (vars has
// num_vars() entries): e.g. the nodes that vary with the states and time, as opposed to functions
// of the parameters and inputs alone.
std::vector<char> NodesDependingOn(const Tape& tape, const std::vector<char>& vars);

// TapeGradient over part of the output's cone: `nodes` (ascending) holds the output node and every
// cone node that depends on the variables of interest (NodesDependingOn), and grad receives the
// adjoints of the variable nodes among them, added to what grad holds (the caller zeroes the
// entries it reads). A node outside `nodes` cannot feed one inside it, so those entries are
// exactly TapeGradient's, bit for bit, for a fraction of the work (IndPenSim's balances: the
// states and time are reached through 60 % of the cone visits).
void TapeGradientOver(const Tape& tape, TapeWorkspace& ws, int output, const std::vector<int>& nodes, double* grad);

// Convenience: value of output `output` after TapeForward.
inline double TapeOutput(const Tape& tape, const TapeWorkspace& ws, int output) {
  return ws.value(tape.output_node(output));
}

}  // namespace biotwin::model

#endif  // BIOTWIN_MODEL_TAPE_H_
