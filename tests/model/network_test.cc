// Networks in model files (src/model/network.h, docs/model-format.md "Networks"): generated
// parameters, forward values and exact gradients against a hand-written reference (forward pass
// and backpropagation written out below), constraint transforms, load errors naming file:line:
// field, and no allocation per evaluation of the compiled model.
#include <atomic>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <new>
#include <sstream>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "model/file_model.h"
#include "model/model.h"
#include "model/network.h"
#include "model/tape.h"
#include "test_paths.h"

// Allocation counter for the no-allocation test (this test binary only).
namespace {
std::atomic<bool> g_count_allocations{false};
std::atomic<long> g_allocations{0};
void* CountedAlloc(std::size_t size) {
  if (g_count_allocations.load(std::memory_order_relaxed)) g_allocations.fetch_add(1, std::memory_order_relaxed);
  void* p = std::malloc(size == 0 ? 1 : size);
  if (p == nullptr) throw std::bad_alloc();
  return p;
}
}  // namespace
void* operator new(std::size_t size) { return CountedAlloc(size); }
void* operator new[](std::size_t size) { return CountedAlloc(size); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }

namespace biotwin::model {
namespace {

using ::testing::HasSubstr;

// Two inputs (one in mg/L against a range in g/L: converted), two hidden layers, softplus output.
constexpr const char* kModel = R"yaml(biotwin: 1
model: {name: net_test}
states:
  X: {unit: g/L, initial: 2}
  S: {unit: g/L, initial: 0.5}
parameters:
  k: {value: 0.1, unit: 1/h}
inputs:
  T: {unit: K, default: 305}
networks:
  r_net:
    inputs:
      - {expr: S, unit: mg/L, range: [0, 1000]}
      - {expr: T, unit: K, range: [298, 312]}
    hidden: [3, 2]
    activation: ACT
    output: {unit: 1/h, transform: softplus, scale: 0.4}
    init: {seed: 5}
    values: {b1_1: 0.3, b1_2: -0.2, b1_3: 0.1, b2_1: 0.05, b2_2: -0.4, b3_1: -0.7}
balances:
  X: "r_net*X - k*X"
  S: "-2*r_net*X"
outputs:
  r: r_net
)yaml";

std::string WithActivation(const std::string& act) {
  std::string text = kModel;
  text.replace(text.find("ACT"), 3, act);
  return text;
}

double Softplus(double z) { return z > 0 ? z + std::log1p(std::exp(-z)) : std::log1p(std::exp(z)); }
double Sigmoid(double z) { return 1.0 / (1.0 + std::exp(-z)); }

// Reference MLP: y = scale * softplus(W3 a2 + b3), a2 = act(W2 a1 + b2), a1 = act(W1 z + b1),
// z = inputs scaled to [-1, 1]. Gradients by backpropagation written out by hand.
struct Reference {
  bool tanh_act = true;
  double scale = 0.4;
  std::vector<std::vector<std::vector<double>>> w;  // [layer][out][in]
  std::vector<std::vector<double>> b;               // [layer][out]

  double Act(double z) const { return tanh_act ? std::tanh(z) : Softplus(z); }
  double DAct(double z) const { return tanh_act ? 1.0 - std::tanh(z) * std::tanh(z) : Sigmoid(z); }

  // Returns y; fills dy/dw, dy/db (same shapes) and dy/dz (inputs).
  double Run(const std::vector<double>& z0, std::vector<std::vector<std::vector<double>>>* dw,
             std::vector<std::vector<double>>* db, std::vector<double>* dz) const {
    const size_t L = w.size();
    std::vector<std::vector<double>> a = {z0}, pre;
    for (size_t l = 0; l < L; ++l) {
      std::vector<double> zl(w[l].size()), al(w[l].size());
      for (size_t j = 0; j < w[l].size(); ++j) {
        zl[j] = b[l][j];
        for (size_t i = 0; i < a[l].size(); ++i) zl[j] += w[l][j][i] * a[l][i];
        al[j] = l + 1 == L ? zl[j] : Act(zl[j]);
      }
      pre.push_back(zl);
      a.push_back(al);
    }
    const double y = scale * Softplus(pre[L - 1][0]);
    // delta[l][j] = dy / d pre[l][j]
    std::vector<std::vector<double>> delta(L);
    delta[L - 1] = {scale * Sigmoid(pre[L - 1][0])};
    for (size_t l = L - 1; l-- > 0;) {
      delta[l].assign(w[l].size(), 0.0);
      for (size_t j = 0; j < w[l].size(); ++j) {
        double s = 0;
        for (size_t k = 0; k < w[l + 1].size(); ++k) s += delta[l + 1][k] * w[l + 1][k][j];
        delta[l][j] = s * DAct(pre[l][j]);
      }
    }
    *dw = w;
    *db = b;
    for (size_t l = 0; l < L; ++l) {
      for (size_t j = 0; j < w[l].size(); ++j) {
        (*db)[l][j] = delta[l][j];
        for (size_t i = 0; i < a[l].size(); ++i) (*dw)[l][j][i] = delta[l][j] * a[l][i];
      }
    }
    dz->assign(z0.size(), 0.0);
    for (size_t i = 0; i < z0.size(); ++i) {
      for (size_t j = 0; j < w[0].size(); ++j) (*dz)[i] += delta[0][j] * w[0][j][i];
    }
    return y;
  }
};

TEST(Network, GeneratesNamedDimensionlessParametersWithXavierInit) {
  auto m = LoadModelText(WithActivation("tanh"), "net.yaml");
  const ModelInfo& info = m->info();
  // 2-3-2-1: 3*2+3 + 2*3+2 + 1*2+1 = 20 generated parameters after the model's own 'k'.
  ASSERT_EQ(info.parameters.size(), 21u);
  EXPECT_EQ(info.parameters[1].name, "r_net.w1_1_1");
  EXPECT_EQ(info.parameters[2].name, "r_net.w1_1_2");
  EXPECT_EQ(info.parameters[7].name, "r_net.b1_1");
  EXPECT_EQ(info.parameters[20].name, "r_net.b3_1");
  for (size_t k = 1; k < info.parameters.size(); ++k) {
    EXPECT_TRUE(info.parameters[k].unit.IsDimensionless()) << info.parameters[k].name;
    EXPECT_EQ(info.parameters[k].line, 12);  // the network's entry
  }
  EXPECT_THAT(info.parameters[1].source, HasSubstr("Xavier-uniform initialisation, seed 5"));
  EXPECT_THAT(info.parameters[7].source, HasSubstr("value given in the model file"));
  EXPECT_DOUBLE_EQ(info.parameters[7].value, 0.3);
  // Xavier limits: layer 1 sqrt(6/5), layer 2 sqrt(6/5), layer 3 sqrt(6/3); a new seed changes them.
  NetworkSpec spec;
  spec.name = "n";
  spec.inputs.resize(2);
  spec.hidden = {3, 2};
  const std::vector<double> a = XavierInit(spec, 5), b = XavierInit(spec, 6);
  ASSERT_EQ(a.size(), 20u);
  EXPECT_DOUBLE_EQ(a[0], info.parameters[1].value);
  EXPECT_NE(a[0], b[0]);
  for (int k = 0; k < 6; ++k) EXPECT_LE(std::fabs(a[k]), std::sqrt(6.0 / 5.0));
  for (int k = 6; k < 9; ++k) EXPECT_EQ(a[k], 0.0);  // biases start at zero
  EXPECT_EQ(NetworkParameterNames(spec).size(), 20u);
}

void CheckAgainstReference(bool tanh_act) {
  auto m = LoadModelText(WithActivation(tanh_act ? "tanh" : "softplus"), "net.yaml");
  const auto* fm = dynamic_cast<const FileModel*>(m.get());
  ASSERT_NE(fm, nullptr);
  const ModelInfo& info = m->info();
  std::vector<double> p = info.ParameterValues();
  Reference ref;
  ref.tanh_act = tanh_act;
  const int sizes[] = {2, 3, 2, 1};
  int k = 1;
  for (int l = 0; l < 3; ++l) {
    ref.w.emplace_back(sizes[l + 1], std::vector<double>(sizes[l]));
    ref.b.emplace_back(sizes[l + 1]);
    for (int j = 0; j < sizes[l + 1]; ++j) {
      for (int i = 0; i < sizes[l]; ++i) ref.w[l][j][i] = p[k++];
    }
    for (int j = 0; j < sizes[l + 1]; ++j) ref.b[l][j] = p[k++];
  }
  for (double S : {0.0, 0.123, 0.5, 0.98, 2.5}) {
    for (double T : {298.0, 303.4, 315.0}) {
      std::vector<double> vars(fm->num_vars(), 0.0);
      vars[0] = 2.0;
      vars[1] = S;
      vars[fm->input_offset()] = T;
      std::copy(p.begin(), p.end(), vars.begin() + fm->parameter_offset());
      TapeWorkspace ws(fm->tapes().outputs);
      TapeForward(fm->tapes().outputs, vars.data(), ws);
      const double y = TapeOutput(fm->tapes().outputs, ws, 0);
      std::vector<double> grad(fm->num_vars());
      TapeGradient(fm->tapes().outputs, ws, 0, grad.data());
      // Inputs scaled as documented: S in mg/L over [0, 1000], T over [298, 312] K.
      const std::vector<double> z = {(S * 1000.0 - 500.0) / 500.0, (T - 305.0) / 7.0};
      std::vector<std::vector<std::vector<double>>> dw;
      std::vector<std::vector<double>> db;
      std::vector<double> dz;
      const double y_ref = ref.Run(z, &dw, &db, &dz);
      EXPECT_NEAR(y, y_ref, 1e-14 * std::max(1.0, y_ref)) << "S " << S << " T " << T;
      int q = fm->parameter_offset() + 1;
      for (int l = 0; l < 3; ++l) {
        for (int j = 0; j < sizes[l + 1]; ++j) {
          for (int i = 0; i < sizes[l]; ++i) EXPECT_NEAR(grad[q++], dw[l][j][i], 1e-13) << l << j << i;
        }
        for (int j = 0; j < sizes[l + 1]; ++j) EXPECT_NEAR(grad[q++], db[l][j], 1e-13) << l << j;
      }
      EXPECT_NEAR(grad[1], dz[0] * 1000.0 / 500.0, 1e-12);   // d y / d S (g/L)
      EXPECT_NEAR(grad[fm->input_offset()], dz[1] / 7.0, 1e-13);  // d y / d T
      EXPECT_EQ(grad[0], 0.0);                                 // X is not an input
      EXPECT_EQ(grad[fm->parameter_offset()], 0.0);           // nor is k
    }
  }
}

TEST(Network, TanhForwardAndGradientsMatchHandWrittenBackprop) { CheckAgainstReference(true); }
TEST(Network, SoftplusForwardAndGradientsMatchHandWrittenBackprop) { CheckAgainstReference(false); }

TEST(Network, OutputTransformsKeepOutputsInRangeForExtremeWeights) {
  for (const char* transform : {"softplus", "sigmoid"}) {
    std::string text = R"yaml(biotwin: 1
model: {name: t}
states:
  X: {unit: g/L, initial: 1}
networks:
  n:
    inputs: [{expr: X, unit: g/L, range: [0, 10]}]
    hidden: [2]
    output: {unit: g/g, transform: TR}
balances:
  X: "0 [g/L/h]"
outputs:
  y: n
)yaml";
    const std::string tr = transform;
    text.replace(text.find("TR"), 2, tr == "sigmoid" ? "sigmoid, range: [0.2, 0.6]" : "softplus");
    auto m = LoadModelText(text, "t.yaml");
    auto ws = m->NewWorkspace();
    std::vector<double> p = m->info().ParameterValues();
    for (double w : {-1e3, -30.0, -1.0, 0.0, 1.0, 30.0, 1e3}) {
      for (double& v : p) v = w;
      for (double x : {0.0, 5.0, 10.0}) {
        EvalPoint at;
        at.x = &x;
        at.p = p.data();
        double y = 0;
        m->Outputs(at, &y, *ws);
        ASSERT_TRUE(std::isfinite(y)) << transform << " w " << w;
        if (tr == "sigmoid") {
          EXPECT_GE(y, 0.2);
          EXPECT_LE(y, 0.6);
        } else {
          EXPECT_GE(y, 0.0);
        }
      }
    }
  }
}

TEST(Network, WithoutHiddenLayersIsAnAffineMapOfTheScaledInputs) {
  auto m = LoadModelText(R"yaml(biotwin: 1
model: {name: lin}
states:
  X: {unit: g/L, initial: 1}
networks:
  n:
    inputs: [{expr: X, unit: mg/L, range: [0, 4000]}]
    hidden: []
    output: {unit: 1/h, transform: linear, scale: 0.5}
    values: {w1_1_1: 2, b1_1: 0.25}
balances:
  X: "n*X"
outputs:
  y: n
)yaml", "lin.yaml");
  ASSERT_EQ(m->num_parameters(), 2);
  auto ws = m->NewWorkspace();
  const std::vector<double> p = m->info().ParameterValues();
  for (double x : {0.0, 1.0, 3.0, 5.0}) {
    EvalPoint at;
    at.x = &x;
    at.p = p.data();
    double y = 0;
    m->Outputs(at, &y, *ws);
    EXPECT_NEAR(y, 0.5 * (0.25 + 2.0 * (x - 2.0) / 2.0), 1e-15) << x;  // 2 g/L is the middle
  }
}

TEST(Network, CompiledModelDoesNotAllocatePerEvaluation) {
  auto m = LoadModelText(WithActivation("tanh"), "net.yaml");
  auto ws = m->NewWorkspace();
  const int n = m->num_states(), np = m->num_parameters();
  std::vector<double> x = m->info().InitialState(), u = {305.0}, p = m->info().ParameterValues();
  std::vector<double> xdot(n), jx(n * n), jp(n * np), y(1);
  EvalPoint at;
  at.x = x.data();
  at.u = u.data();
  at.p = p.data();
  m->Rhs(at, xdot.data(), *ws);  // warm up
  m->Jacobians(at, jx.data(), jp.data(), *ws);
  g_allocations = 0;
  g_count_allocations = true;
  for (int i = 0; i < 100; ++i) {
    x[1] = 0.01 * i;
    m->Rhs(at, xdot.data(), *ws);
    m->Jacobians(at, jx.data(), jp.data(), *ws);
    m->Outputs(at, y.data(), *ws);
  }
  g_count_allocations = false;
  EXPECT_EQ(g_allocations.load(), 0);
  EXPECT_TRUE(std::isfinite(xdot[0]));
}

struct Caught {
  int line = -1;
  std::string field, message, what;
};

Caught LoadError(const std::string& from, const std::string& to) {
  std::string text = WithActivation("tanh");
  const size_t pos = text.find(from);
  EXPECT_NE(pos, std::string::npos) << from;
  if (pos != std::string::npos) text.replace(pos, from.size(), to);
  Caught c;
  try {
    LoadModelText(text, "bad.yaml");
    ADD_FAILURE() << "no error for " << to;
  } catch (const ModelError& e) {
    c.line = e.line();
    c.field = e.field();
    c.message = e.message();
    c.what = e.what();
  }
  return c;
}

TEST(Network, LoadErrorsNameFileLineAndField) {
  Caught c = LoadError("{expr: S, unit: mg/L, range: [0, 1000]}", "{expr: S, unit: mg/L}");
  EXPECT_EQ(c.line, 13);
  EXPECT_EQ(c.field, "networks.r_net.inputs[0].range");
  EXPECT_THAT(c.what, HasSubstr("bad.yaml:13: networks.r_net.inputs[0].range: "));

  c = LoadError("{expr: T, unit: K, range: [298, 312]}", "{expr: T, unit: g/L, range: [298, 312]}");
  EXPECT_EQ(c.line, 14);
  EXPECT_EQ(c.field, "networks.r_net.inputs[1]");
  EXPECT_THAT(c.message, HasSubstr("scaling range is in 'g/L'"));

  c = LoadError("range: [298, 312]", "range: [312, 312]");
  EXPECT_EQ(c.field, "networks.r_net.inputs[1].range");

  c = LoadError("transform: softplus, scale: 0.4", "transform: relu");
  EXPECT_EQ(c.line, 17);
  EXPECT_EQ(c.field, "networks.r_net.output.transform");
  EXPECT_THAT(c.message, HasSubstr("linear, softplus or sigmoid"));

  c = LoadError("transform: softplus, scale: 0.4", "transform: sigmoid");
  EXPECT_EQ(c.field, "networks.r_net.output.range");

  c = LoadError("hidden: [3, 2]", "hidden: [3, 0]");
  EXPECT_EQ(c.line, 15);
  EXPECT_EQ(c.field, "networks.r_net.hidden");

  c = LoadError("activation: tanh", "activation: relu");
  EXPECT_EQ(c.field, "networks.r_net.activation");

  c = LoadError("b3_1: -0.7", "b4_1: -0.7");
  EXPECT_EQ(c.line, 19);
  EXPECT_EQ(c.field, "networks.r_net.values.b4_1");
  EXPECT_THAT(c.message, HasSubstr("w1_1_1 ... b3_1"));

  c = LoadError("{expr: S, unit: mg/L", "{expr: Q, unit: mg/L");
  EXPECT_EQ(c.line, 13);
  EXPECT_THAT(c.message, HasSubstr("unknown symbol 'Q'"));

  c = LoadError("    output: {unit: 1/h, transform: softplus, scale: 0.4}\n", "");
  EXPECT_EQ(c.field, "networks.r_net.output");

  // The network's unit is checked where it is used: 1/h in a balance of g/L/h needs the X.
  c = LoadError("  S: \"-2*r_net*X\"", "  S: \"-2*r_net\"");
  EXPECT_EQ(c.field, "balances.S");
  EXPECT_THAT(c.message, HasSubstr("dimension"));

  // A network whose input uses the network itself is a cycle, reported at the input.
  c = LoadError("{expr: T, unit: K, range: [298, 312]}", "{expr: r_net, unit: 1/h, range: [0, 1]}");
  EXPECT_EQ(c.line, 14);
  EXPECT_THAT(c.message, HasSubstr("circular definition"));

  // A network name is a symbol like any other.
  c = LoadError("  k: {value", "  r_net: {value");
  EXPECT_THAT(c.message, HasSubstr("duplicate name 'r_net'"));
}

// The worked example of docs/model-format.md ("Networks") loads and behaves as documented.
TEST(Network, DocsWorkedExampleLoads) {
  std::ifstream in(testing::SourcePath("docs/model-format.md"));
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string doc = ss.str();
  const std::string marker = "# docs-network-example";
  const size_t begin = doc.find(marker);
  ASSERT_NE(begin, std::string::npos);
  const size_t end = doc.find("```", begin);
  const std::string text = doc.substr(begin, end - begin);
  auto m = LoadModelText(text, "docs/model-format.md");
  const ModelInfo& info = m->info();
  // 1-4-1 network: 4 + 4 + 4 + 1 = 13 weights and biases.
  EXPECT_EQ(info.ParameterIndex("mu_net.w1_4_1"), info.ParameterIndex("mu_net.w1_1_1") + 3);
  EXPECT_GE(info.ParameterIndex("mu_net.b2_1"), 0);
  int count = 0;
  for (const auto& p : info.parameters) count += p.name.rfind("mu_net.", 0) == 0;
  EXPECT_EQ(count, 13);
  // With the documented output transform, mu stays within [0, 0.8] 1/h.
  auto ws = m->NewWorkspace();
  std::vector<double> x = info.InitialState(), u = info.DefaultInputs(), p = info.ParameterValues();
  const int mu = info.OutputIndex("mu");
  ASSERT_GE(mu, 0);
  std::vector<double> y(info.outputs.size());
  for (double s : {0.0, 0.1, 5.0, 50.0}) {
    x[info.StateIndex("S")] = s;
    EvalPoint at;
    at.x = x.data();
    at.u = u.data();
    at.p = p.data();
    m->Outputs(at, y.data(), *ws);
    EXPECT_GE(y[mu], 0.0);
    EXPECT_LE(y[mu], 0.8);
  }
}

}  // namespace
}  // namespace biotwin::model
