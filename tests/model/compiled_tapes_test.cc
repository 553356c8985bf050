// Compiled models (src/model/compiled_tapes.h, codegen.h): the bundled model files are compiled
// to C++ at build time, run compiled, and give exactly the interpreter's numbers; a model whose
// equations differ from the compiled ones falls back to the interpreter.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <memory>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "model/codegen.h"
#include "model/compiled_tapes.h"
#include "model/file_model.h"
#include "model/model.h"
#include "model/tape.h"
#include "test_paths.h"

namespace biotwin::model {
namespace {

using biotwin::testing::SourcePath;
using biotwin::testing::TempDir;

std::vector<std::string> BundledModels() {
  std::vector<std::string> files;
  for (const auto& e : std::filesystem::directory_iterator(SourcePath("models"))) {
    if (e.path().extension() == ".yaml") files.push_back(e.path().string());
  }
  return files;
}

std::shared_ptr<const FileModel> Load(const std::string& path, bool compiled) {
  SetCompiledTapesEnabled(compiled);
  auto m = std::dynamic_pointer_cast<const FileModel>(LoadModelFile(path));
  SetCompiledTapesEnabled(true);
  return m;
}

std::string ReadText(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

TEST(CompiledTapes, EveryBundledModelRunsCompiled) {
  const auto files = BundledModels();
  ASSERT_GE(files.size(), 5u);
  EXPECT_GE(NumCompiledTapes(), static_cast<int>(files.size()));
  for (const auto& f : files) {
    auto m = Load(f, true);
    ASSERT_NE(m, nullptr) << f;
    EXPECT_TRUE(m->compiled_rhs()) << f;
    EXPECT_TRUE(m->compiled_jacobian()) << f;
    if (m->num_outputs() > 0) {
      EXPECT_TRUE(m->compiled_outputs()) << f;
    }
    EXPECT_FALSE(Load(f, false)->compiled_rhs()) << f << ": switching compiled code off must take effect";
  }
}

// Bit-for-bit: the generated code evaluates each operation (and its local partials) through the
// interpreter's own functions (tape_ops.h), and runs the reverse sweeps in the interpreter's
// order. Balances, outputs, and the Jacobians with respect to states and parameters.
TEST(CompiledTapes, CompiledAndInterpretedAgreeExactlyAtRandomPoints) {
  std::mt19937_64 rng(7);
  std::uniform_real_distribution<double> scale(0.5, 1.5);
  for (const auto& f : BundledModels()) {
    auto fast = Load(f, true), slow = Load(f, false);
    const ModelInfo& info = fast->info();
    auto ws_fast = fast->NewWorkspace(), ws_slow = slow->NewWorkspace();
    std::vector<double> p = info.ParameterValues();
    std::vector<double> u(info.inputs.size());
    for (size_t i = 0; i < u.size(); ++i) u[i] = info.inputs[i].default_value;
    const int n = fast->num_states(), ny = fast->num_outputs(), np = fast->num_parameters();
    std::vector<double> a(n), b(n), ya(ny), yb(ny);
    std::vector<double> jxa(static_cast<size_t>(n) * n), jxb(jxa.size());
    std::vector<double> jpa(static_cast<size_t>(n) * np), jpb(jpa.size());
    for (int trial = 0; trial < 50; ++trial) {
      std::vector<double> x = info.InitialState();
      for (double& v : x) v = (v == 0.0 ? 0.01 : v) * scale(rng);
      const double t = 10.0 * scale(rng);
      const EvalPoint at{t, x.data(), u.data(), p.data(), 0};
      fast->Rhs(at, a.data(), *ws_fast);
      slow->Rhs(at, b.data(), *ws_slow);
      for (int i = 0; i < n; ++i) {
        if (std::isnan(b[i])) {
          EXPECT_TRUE(std::isnan(a[i])) << f << " d" << info.states[i].name << "/dt";
        } else {
          EXPECT_EQ(a[i], b[i]) << f << " d" << info.states[i].name << "/dt at trial " << trial;
        }
      }
      fast->Jacobians(at, jxa.data(), jpa.data(), *ws_fast);
      slow->Jacobians(at, jxb.data(), jpb.data(), *ws_slow);
      for (size_t k = 0; k < jxa.size(); ++k) {
        if (std::isnan(jxb[k])) continue;
        ASSERT_EQ(jxa[k], jxb[k]) << f << " d(d" << info.states[k % n].name << "/dt)/d" << info.states[k / n].name;
      }
      for (size_t k = 0; k < jpa.size(); ++k) {
        if (std::isnan(jpb[k])) continue;
        ASSERT_EQ(jpa[k], jpb[k]) << f << " d(d" << info.states[k % n].name << "/dt)/d" << info.parameters[k / n].name;
      }
      // States only (no parameter Jacobian requested) gives the same state Jacobian.
      std::fill(jxa.begin(), jxa.end(), -7.0);
      fast->Jacobians(at, jxa.data(), nullptr, *ws_fast);
      for (size_t k = 0; k < jxa.size(); ++k) {
        if (!std::isnan(jxb[k])) {
          ASSERT_EQ(jxa[k], jxb[k]);
        }
      }
      // f, the state Jacobian and df/dt from one evaluation (Rosenbrock steps): the same numbers
      // as Rhs and Jacobians, compiled and interpreted alike, and df/dt as central differences.
      std::vector<double> fa(n), fb(n), jta(n), jtb(n), jxc(jxa.size()), fp(n), fm(n);
      ASSERT_TRUE(fast->RhsAndJacobian(at, fa.data(), jxc.data(), jta.data(), *ws_fast));
      ASSERT_TRUE(slow->RhsAndJacobian(at, fb.data(), jxc.data(), jtb.data(), *ws_slow));
      const double dt = 1e-6 * std::max(1.0, std::fabs(t));
      fast->Rhs(EvalPoint{t + dt, x.data(), u.data(), p.data(), 0}, fp.data(), *ws_fast);
      fast->Rhs(EvalPoint{t - dt, x.data(), u.data(), p.data(), 0}, fm.data(), *ws_fast);
      for (int i = 0; i < n; ++i) {
        if (std::isnan(b[i])) continue;
        EXPECT_EQ(fa[i], a[i]) << f << " f " << info.states[i].name;
        EXPECT_EQ(fb[i], b[i]) << f << " f " << info.states[i].name;
        EXPECT_EQ(jta[i], jtb[i]) << f << " df/dt " << info.states[i].name;
        const double fd = (fp[i] - fm[i]) / (2 * dt);
        EXPECT_NEAR(jta[i], fd, 1e-5 * (std::fabs(fd) + std::fabs(a[i]) + 1e-8)) << f << " df/dt " << info.states[i].name;
      }
      for (size_t k = 0; k < jxc.size(); ++k) {
        if (!std::isnan(jxb[k])) {
          ASSERT_EQ(jxc[k], jxb[k]);
        }
      }
      fast->Outputs(at, ya.data(), *ws_fast);
      slow->Outputs(at, yb.data(), *ws_slow);
      for (int i = 0; i < ny; ++i) {
        if (!std::isnan(yb[i])) {
          EXPECT_EQ(ya[i], yb[i]) << f << " output " << info.outputs[i].name;
        }
      }
    }
  }
}

// A changed parameter value keeps the compiled code (values are inputs of it); a changed
// equation does not match any compiled tape, so that model is interpreted.
TEST(CompiledTapes, EditedEquationsFallBackToTheInterpreter) {
  const std::string path = SourcePath("models/ecoli_anane2017.yaml");
  const std::string text = ReadText(path);
  const std::string dir = TempDir();
  auto write = [&](const std::string& name, const std::string& body) {
    const std::string out = dir + "/" + name;
    std::ofstream(out) << body;
    return out;
  };
  ASSERT_TRUE(Load(path, true)->compiled_rhs());
  // A comment changes nothing about the equations.
  EXPECT_TRUE(Load(write("comment.yaml", "# edited copy\n" + text), true)->compiled_rhs());
  // The biomass balance with a slightly different growth term.
  const std::string balance = "X: \"mu*X\"";
  const size_t at = text.find(balance);
  ASSERT_NE(at, std::string::npos) << "the test expects the E. coli biomass balance " << balance;
  std::string edited = text;
  edited.replace(at, balance.size(), "X: \"mu*X*1.001\"");
  auto m = Load(write("edited.yaml", edited), true);
  EXPECT_FALSE(m->compiled_rhs()) << "an edited balance must not use the bundled model's compiled code";
}

TEST(TapeFingerprint, EqualForEqualTapesAndDifferentOtherwise) {
  auto build = [](double k) {
    Tape t(2);
    t.AddOutput(t.Binary(TapeOp::kMul, t.Var(0), t.Binary(TapeOp::kAdd, t.Var(1), t.Const(k))));
    t.Finalize();
    return t;
  };
  EXPECT_EQ(TapeFingerprint(build(2.5)), TapeFingerprint(build(2.5)));
  EXPECT_NE(TapeFingerprint(build(2.5)), TapeFingerprint(build(2.5000000000000004)));
  Tape other(2);
  other.AddOutput(other.Binary(TapeOp::kMul, other.Var(1), other.Binary(TapeOp::kAdd, other.Var(0), other.Const(2.5))));
  other.Finalize();
  EXPECT_NE(TapeFingerprint(build(2.5)), TapeFingerprint(other));
}

// The generated source keeps constants exact (shortest round trip, sign of zero, infinities)
// and writes every output.
TEST(TapeFunctionSource, WritesExactConstantsAndEveryOutput) {
  Tape t(1);
  const int x = t.Var(0);
  t.AddOutput(t.Binary(TapeOp::kMul, x, t.Const(0.1)));
  t.AddOutput(t.Binary(TapeOp::kMax, x, t.Const(-0.0)));
  t.AddOutput(t.Binary(TapeOp::kMin, x, t.Const(HUGE_VAL)));
  t.AddOutput(t.PowK(x, 3.0));
  t.Finalize();
  const std::string src = TapeFunctionSource(t, "F");
  EXPECT_NE(src.find("void F(const double* __restrict v, double* __restrict out)"), std::string::npos) << src;
  EXPECT_NE(src.find("= 0.1;"), std::string::npos) << src;
  EXPECT_NE(src.find("= (-0.0);"), std::string::npos) << src;
  EXPECT_NE(src.find("std::numeric_limits<double>::infinity()"), std::string::npos) << src;
  EXPECT_NE(src.find("PowK("), std::string::npos) << src;
  for (int o = 0; o < 4; ++o) EXPECT_NE(src.find("out[" + std::to_string(o) + "] ="), std::string::npos) << src;
}

}  // namespace
}  // namespace biotwin::model
