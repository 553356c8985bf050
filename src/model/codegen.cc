#include "model/codegen.h"

#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <vector>

#include "model/compiled_tapes.h"
#include "model/content_hash.h"
#include "model/file_model.h"

namespace biotwin::model {
namespace {

void AppendBits(uint64_t v, std::string& out) { out.append(reinterpret_cast<const char*>(&v), sizeof(v)); }

// A C++ expression with exactly the value `v` (shortest round-trip decimal; the sign of zero,
// infinities and NaN kept).
std::string DoubleLiteral(double v) {
  if (std::isnan(v)) return "std::numeric_limits<double>::quiet_NaN()";
  if (std::isinf(v)) return v > 0 ? "std::numeric_limits<double>::infinity()" : "(-std::numeric_limits<double>::infinity())";
  char buf[64];
  auto [ptr, ec] = std::to_chars(buf, buf + sizeof(buf), v);
  std::string s(buf, ec == std::errc() ? ptr : buf);
  if (s.find_first_of(".eE") == std::string::npos) s += ".0";
  if (s[0] == '-') {
    s.insert(0, 1, '(');
    s.push_back(')');
  }
  return s;
}

const char* FunctionName(TapeOp op) {
  switch (op) {
    case TapeOp::kAdd: return "Add";
    case TapeOp::kSub: return "Sub";
    case TapeOp::kMul: return "Mul";
    case TapeOp::kDiv: return "Div";
    case TapeOp::kNeg: return "Neg";
    case TapeOp::kPow: return "Pow";
    case TapeOp::kPowK: return "PowK";
    case TapeOp::kExp: return "Exp";
    case TapeOp::kLog: return "Log";
    case TapeOp::kLog10: return "Log10";
    case TapeOp::kSqrt: return "Sqrt";
    case TapeOp::kAbs: return "Abs";
    case TapeOp::kTanh: return "Tanh";
    case TapeOp::kSin: return "Sin";
    case TapeOp::kCos: return "Cos";
    case TapeOp::kMin: return "Min";
    case TapeOp::kMax: return "Max";
    case TapeOp::kLt: return "Lt";
    case TapeOp::kLe: return "Le";
    case TapeOp::kGt: return "Gt";
    case TapeOp::kGe: return "Ge";
    case TapeOp::kEq: return "Eq";
    case TapeOp::kNe: return "Ne";
    case TapeOp::kAnd: return "And";
    case TapeOp::kOr: return "Or";
    case TapeOp::kNot: return "Not";
    case TapeOp::kSelect: return "Select";
    case TapeOp::kStep: return "Step";
    case TapeOp::kSmoothStep: return "SmoothStep";
    case TapeOp::kConst: case TapeOp::kVar: break;
  }
  throw std::logic_error("codegen: no function for tape operation " + std::to_string(static_cast<int>(op)));
}

// Appends every part (no temporaries from operator+, which GCC 12 warns about spuriously).
template <typename... Parts>
void Put(std::string& s, const Parts&... parts) {
  (s.append(parts), ...);
}

// Nodes in the cone of some output (Tape::OutputNodes; the tape must be finalised).
std::vector<char> LiveNodes(const Tape& tape) {
  if (!tape.finalized()) throw std::logic_error("codegen: call Tape::Finalize() first");
  std::vector<char> live(tape.size(), 0);
  for (int o = 0; o < tape.num_outputs(); ++o) {
    for (int i : tape.OutputNodes(o)) live[i] = 1;
  }
  return live;
}

std::string Node(int id) {
  std::string name(1, 't');
  name.append(std::to_string(id));
  return name;
}

}  // namespace

std::string TapeFingerprint(const Tape& tape) {
  std::string bytes = "biotwin-tape-v1";
  AppendBits(static_cast<uint64_t>(tape.num_vars()), bytes);
  AppendBits(static_cast<uint64_t>(tape.size()), bytes);
  for (const TapeInstr& in : tape.instrs()) {
    uint64_t k;
    std::memcpy(&k, &in.k, sizeof(k));
    AppendBits(static_cast<uint64_t>(in.op), bytes);
    AppendBits(static_cast<uint64_t>(static_cast<uint32_t>(in.a)), bytes);
    AppendBits(static_cast<uint64_t>(static_cast<uint32_t>(in.b)), bytes);
    AppendBits(static_cast<uint64_t>(static_cast<uint32_t>(in.c)), bytes);
    AppendBits(k, bytes);
  }
  AppendBits(static_cast<uint64_t>(tape.num_outputs()), bytes);
  for (int o = 0; o < tape.num_outputs(); ++o) AppendBits(static_cast<uint64_t>(tape.output_node(o)), bytes);
  return Sha256Hex(bytes);
}

std::string TapeFunctionSource(const Tape& tape, const std::string& name) {
  std::string src;
  Put(src, "void ", name, "(const double* __restrict v, double* __restrict out) {\n");
  src += "  using namespace biotwin::model::ops;\n";
  const auto& instrs = tape.instrs();
  // Only the nodes some output depends on (the builders may leave unused ones behind).
  const std::vector<char> live = LiveNodes(tape);
  for (int i = 0; i < tape.size(); ++i) {
    if (!live[i]) continue;
    const TapeInstr& in = instrs[i];
    Put(src, "  const double ", Node(i), " = ");
    switch (in.op) {
      case TapeOp::kConst: Put(src, DoubleLiteral(in.k)); break;
      case TapeOp::kVar: Put(src, "v[", std::to_string(in.a), "]"); break;
      case TapeOp::kPowK: Put(src, "PowK(", Node(in.a), ", ", DoubleLiteral(in.k), ")"); break;
      default: {
        Put(src, FunctionName(in.op), "(", Node(in.a));
        if (in.b >= 0) Put(src, ", ", Node(in.b));
        if (in.c >= 0) Put(src, ", ", Node(in.c));
        Put(src, ")");
        break;
      }
    }
    src += ";\n";
  }
  for (int o = 0; o < tape.num_outputs(); ++o) {
    Put(src, "  out[", std::to_string(o), "] = ", Node(tape.output_node(o)), ";\n");
  }
  if (tape.num_outputs() == 0) src += "  (void)v;\n  (void)out;\n";
  src += "}\n";
  return src;
}

std::string TapeJacobianSource(const Tape& tape, const std::string& name, int states, int parameter_offset,
                               int parameters) {
  const auto& instrs = tape.instrs();
  const int size = tape.size();
  auto id = [](const char* prefix, int node) {
    std::string s(prefix);
    s.append(std::to_string(node));
    return s;
  };
  const std::vector<char> live = LiveNodes(tape);
  std::string src;
  Put(src, "void ", name,
      "(const double* __restrict v, double* __restrict jx, double* __restrict jp, double* __restrict f, "
      "double* __restrict jt) {\n");
  src += "  using namespace biotwin::model::ops;\n  using biotwin::model::TapeOp;\n";
  const int time_var = parameter_offset + parameters;
  // Nodes that depend on a state or the time: only their adjoints reach jx and jt. The others
  // (functions of parameters and inputs alone; 40 % of IndPenSim's cone visits) pass adjoints to
  // parameters only, so their part of a sweep runs only when jp is asked for.
  std::vector<char> varying(tape.num_vars(), 0);
  for (int j = 0; j < states && j < tape.num_vars(); ++j) varying[j] = 1;
  if (time_var < tape.num_vars()) varying[time_var] = 1;
  const std::vector<char> state_dep = NodesDependingOn(tape, varying);
  // Forward sweep: values and local partials.
  for (int i = 0; i < size; ++i) {
    if (!live[i]) continue;
    const TapeInstr& in = instrs[i];
    if (in.op == TapeOp::kConst) {
      Put(src, "  [[maybe_unused]] const double ", Node(i), " = ", DoubleLiteral(in.k), ";\n");
      continue;
    }
    if (in.op == TapeOp::kVar) {
      Put(src, "  [[maybe_unused]] const double ", Node(i), " = v[", std::to_string(in.a), "];\n");
      continue;
    }
    const std::string da = id("da", i), db = id("db", i), dc = id("dc", i);
    Put(src, "  [[maybe_unused]] double ", da, ", ", db, " = 0.0, ", dc, ";\n");
    std::string full;
    Put(full, "EvaluateWithPartials(TapeOp(", std::to_string(static_cast<int>(in.op)), "), ",
        in.a >= 0 ? Node(in.a) : std::string("0.0"), ", ", in.b >= 0 ? Node(in.b) : std::string("0.0"), ", ",
        in.c >= 0 ? Node(in.c) : std::string("0.0"), ", ", DoubleLiteral(in.k), ", ", da, ", ", db, ", ", dc, ")");
    if (in.op == TapeOp::kPow && !state_dep[in.b]) {
      // The exponent's derivative only matters for jp (see PowWithBaseDerivative).
      Put(src, "  [[maybe_unused]] const double ", Node(i), " = jp != nullptr ? ", full, " : PowWithBaseDerivative(",
          Node(in.a), ", ", Node(in.b), ", ", da, ");\n");
    } else {
      Put(src, "  [[maybe_unused]] const double ", Node(i), " = ", full, ";\n");
    }
  }
  src += "  if (f != nullptr) {\n";
  for (int o = 0; o < tape.num_outputs(); ++o) {
    Put(src, "    f[", std::to_string(o), "] = ", Node(tape.output_node(o)), ";\n");
  }
  src += "  }\n";
  // One reverse sweep per output (TapeGradient's order and zero-adjoint skips).
  for (int o = 0; o < tape.num_outputs(); ++o) {
    const std::vector<int>& cone = tape.OutputNodes(o);  // ascending, as TapeGradient walks it
    src += "  {\n";
    std::vector<std::string> var_adjoint(tape.num_vars());
    for (int i : cone) {
      Put(src, "    [[maybe_unused]] double ", id("a", i), " = ", i == tape.output_node(o) ? "1.0" : "0.0", ";\n");
    }
    bool parameters_only = false;  // inside an `if (jp != nullptr)` group
    for (auto it = cone.rbegin(); it != cone.rend(); ++it) {
      const int i = *it;
      const TapeInstr& in = instrs[i];
      const std::string g = id("a", i);
      if (in.op != TapeOp::kVar && in.op != TapeOp::kConst && !state_dep[i] != parameters_only) {
        src += parameters_only ? "    }\n" : "    if (jp != nullptr) {\n";
        parameters_only = !parameters_only;
      }
      auto add = [&](int operand, const std::string& partial, bool check_partial) {
        if (operand < 0) return;
        if (check_partial) Put(src, "      if (", partial, " != 0.0) ");
        else Put(src, "      ");
        Put(src, id("a", operand), " += ", g, " * ", partial, ";\n");
      };
      switch (in.op) {
        case TapeOp::kConst:
        case TapeOp::kLt: case TapeOp::kLe: case TapeOp::kGt: case TapeOp::kGe:
        case TapeOp::kEq: case TapeOp::kNe: case TapeOp::kAnd: case TapeOp::kOr:
        case TapeOp::kNot: case TapeOp::kStep:
          break;
        case TapeOp::kVar:
          var_adjoint[in.a] = g;  // one variable node per variable (hash-consing)
          break;
        case TapeOp::kSelect:
          Put(src, "    if (", g, " != 0.0) {\n");
          add(in.b, id("db", i), true);
          add(in.c, id("dc", i), true);
          src += "    }\n";
          break;
        case TapeOp::kMin: case TapeOp::kMax:
          Put(src, "    if (", g, " != 0.0) {\n");
          add(in.a, id("da", i), true);
          add(in.b, id("db", i), true);
          src += "    }\n";
          break;
        default:
          Put(src, "    if (", g, " != 0.0) {\n");
          add(in.a, id("da", i), false);
          add(in.b, id("db", i), false);
          src += "    }\n";
          break;
      }
    }
    if (parameters_only) src += "    }\n";
    // The gradient starts at zero and receives the variable's adjoint when it is not zero.
    auto entry = [&](int var) -> std::string {
      if (var >= static_cast<int>(var_adjoint.size()) || var_adjoint[var].empty()) return "0.0";
      const std::string& a = var_adjoint[var];
      std::string e;
      Put(e, "(", a, " != 0.0 ? ", a, " : 0.0)");
      return e;
    };
    for (int j = 0; j < states; ++j) {
      Put(src, "    jx[", std::to_string(o + j * states), "] = ", entry(j), ";\n");
    }
    if (parameters > 0) {
      src += "    if (jp != nullptr) {\n";
      for (int k = 0; k < parameters; ++k) {
        Put(src, "      jp[", std::to_string(o + k * states), "] = ", entry(parameter_offset + k), ";\n");
      }
      src += "    }\n";
    }
    Put(src, "    if (jt != nullptr) jt[", std::to_string(o), "] = ", entry(time_var), ";\n");
    src += "  }\n";
  }
  src += "}\n";
  return src;
}

std::string CompiledModelsSource(const std::vector<const FileModel*>& models,
                                 const std::vector<std::string>& labels) {
  std::string src =
      "// Generated by biotwin_codegen from the bundled model files; do not edit.\n"
      "#include <limits>\n\n#include \"model/compiled_tapes.h\"\n#include \"model/tape.h\"\n#include \"model/tape_ops.h\"\n\n"
      "namespace {\n\n";
  std::string registrations;
  for (size_t m = 0; m < models.size(); ++m) {
    const FileModel::Tapes& tapes = models[m]->tapes();
    const std::pair<const Tape*, const char*> parts[] = {{&tapes.rhs, "rhs"}, {&tapes.outputs, "outputs"}};
    const std::string label = m < labels.size() ? labels[m] : std::string("model");
    std::string rhs_fingerprint;
    for (const auto& [tape, part] : parts) {
      if (tape->num_outputs() == 0) continue;
      const std::string fingerprint = TapeFingerprint(*tape);
      if (tape == &tapes.rhs) rhs_fingerprint = fingerprint;
      std::string name;
      Put(name, "Model", std::to_string(m), "_", part);
      Put(src, "// ", label, ": ", part, " (", std::to_string(tape->size()), " operations)\n");
      Put(src, TapeFunctionSource(*tape, name), "\n");
      Put(registrations, "const bool registered_", name, " = biotwin::model::RegisterCompiledTape(\"", fingerprint,
          "\", &", name, ");\n");
    }
    // The balances' Jacobians with respect to the states and parameters.
    const FileModel& model = *models[m];
    if (tapes.rhs.num_outputs() > 0) {
      std::string name;
      Put(name, "Model", std::to_string(m), "_jacobian");
      Put(src, "// ", label, ": balance Jacobians\n");
      Put(src, TapeJacobianSource(tapes.rhs, name, model.num_states(), model.parameter_offset(), model.num_parameters()),
          "\n");
      Put(registrations, "const bool registered_", name, " = biotwin::model::RegisterCompiledJacobian(\"",
          JacobianKey(rhs_fingerprint, model.num_states(), model.parameter_offset(), model.num_parameters()),
          "\", &", name, ");\n");
    }
  }
  Put(src, registrations, "\n}  // namespace\n");
  return src;
}

}  // namespace biotwin::model
