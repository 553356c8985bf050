#include "model/codegen.h"

#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <stdexcept>

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

std::string Node(int id) {
  std::string name = std::to_string(id);
  name.insert(name.begin(), 't');
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
  std::string src = "void " + name + "(const double* __restrict v, double* __restrict out) {\n";
  src += "  using namespace biotwin::model::ops;\n";
  const auto& instrs = tape.instrs();
  // Only the nodes some output depends on (the builders may leave unused ones behind).
  std::vector<char> live(tape.size(), 0);
  for (int o = 0; o < tape.num_outputs(); ++o) live[tape.output_node(o)] = 1;
  for (int i = tape.size() - 1; i >= 0; --i) {
    const TapeInstr& in = instrs[i];
    if (!live[i] || in.op == TapeOp::kVar || in.op == TapeOp::kConst) continue;
    for (int operand : {in.a, in.b, in.c}) {
      if (operand >= 0) live[operand] = 1;
    }
  }
  for (int i = 0; i < tape.size(); ++i) {
    if (!live[i]) continue;
    const TapeInstr& in = instrs[i];
    src += "  const double " + Node(i) + " = ";
    switch (in.op) {
      case TapeOp::kConst: src += DoubleLiteral(in.k); break;
      case TapeOp::kVar: src += "v[" + std::to_string(in.a) + "]"; break;
      case TapeOp::kPowK: src += std::string("PowK(") + Node(in.a) + ", " + DoubleLiteral(in.k) + ")"; break;
      default: {
        src += std::string(FunctionName(in.op)) + "(" + Node(in.a);
        if (in.b >= 0) src += ", " + Node(in.b);
        if (in.c >= 0) src += ", " + Node(in.c);
        src += ")";
        break;
      }
    }
    src += ";\n";
  }
  for (int o = 0; o < tape.num_outputs(); ++o) {
    src += "  out[" + std::to_string(o) + "] = " + Node(tape.output_node(o)) + ";\n";
  }
  if (tape.num_outputs() == 0) src += "  (void)v;\n  (void)out;\n";
  src += "}\n";
  return src;
}

std::string CompiledModelsSource(const std::vector<const FileModel*>& models,
                                 const std::vector<std::string>& labels) {
  std::string src =
      "// Generated by biotwin_codegen from the bundled model files; do not edit.\n"
      "#include <limits>\n\n#include \"model/compiled_tapes.h\"\n#include \"model/tape_ops.h\"\n\n"
      "namespace {\n\n";
  std::string registrations;
  for (size_t m = 0; m < models.size(); ++m) {
    const FileModel::Tapes& tapes = models[m]->tapes();
    const std::pair<const Tape*, const char*> parts[] = {{&tapes.rhs, "rhs"}, {&tapes.outputs, "outputs"}};
    for (const auto& [tape, part] : parts) {
      if (tape->num_outputs() == 0) continue;
      const std::string name = "Model" + std::to_string(m) + "_" + part;
      src += "// " + (m < labels.size() ? labels[m] : std::string("model")) + ": " + part + " (" +
             std::to_string(tape->size()) + " operations)\n";
      src += TapeFunctionSource(*tape, name) + "\n";
      registrations += "const bool registered_" + name + " = biotwin::model::RegisterCompiledTape(\"" +
                       TapeFingerprint(*tape) + "\", &" + name + ");\n";
    }
  }
  src += registrations + "\n}  // namespace\n";
  return src;
}

}  // namespace biotwin::model
